"""The full room: N laptops editing at once on one LAN, in network namespaces (root). Prints JSON.

    python -m tests.perf.room [--nodes 30] [--edits 50] [--seconds 30]
    python -m tests.perf.room --wifi [--joiners 10] [--members 10000]

Room: N laptops (one `tests.perf.roomnode` process each, a real SyncNode with mDNS) on one
bridge find each other, then each makes EDITS edits at random moments over SECONDS (members,
RSVPs, check-ins, tasks). Reported: the time from the last edit until every laptop shows the
same state hash, p50/p99 of an edit reaching all the others, bytes on the wire (every
laptop's interface counters), connections, CPU and memory per laptop.

Wi-Fi: one shared weak network (`tc tbf` at 20 Mbit/s for all traffic together, through one
ifb device that every port of the bridge redirects into, and 1 % of frames dropped by an
nftables rule on the bridge). One laptop holds a 10,000-member group; JOINERS laptops that
hold only the membership log start at once; reported: until each and all hold everything.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.perf.speed import STEPS, python_loop_s

ROOT = Path(__file__).resolve().parents[2]


class Laptop:
    """A roomnode process and the lines it answers with."""

    def __init__(self, lan: Any, host: str, data_dir: Path, *args: str, log: Path | None = None) -> None:
        self.host = host
        self.proc = lan.start(host, [sys.executable, "-m", "tests.perf.roomnode", str(data_dir), *args],
                              stdout=subprocess.PIPE, stdin=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, text=True, bufsize=1,
                              stderr=open(log, "ab") if log else subprocess.DEVNULL)  # noqa: SIM115
        self.answers: queue.Queue[list[str]] = queue.Queue()
        self.started_at = 0.0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            parts = line.split(" ", 1) if line.startswith("STATS") else line.split()
            if parts and parts[0] == "STARTED":
                self.started_at = float(parts[2])
            elif parts:
                self.answers.put(parts)

    def ask(self, command: str, timeout: float = 60) -> list[str]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = self.answers.get(timeout=timeout)
        return answer

    def stats(self) -> dict[str, Any]:
        return json.loads(self.ask("stats")[1])

    def quit(self) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(20)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


def wait(predicate: Any, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def make_room(base: Path, count: int, members: int = 30) -> list[Path]:
    """A group of `count` laptops admitted as invites admit them, with an evening's event and
    `members` people (the founder's), and each laptop holding what a first sync brought."""
    from organiser.services.group import create_group, join_group, prepare_join

    founder = create_group(base / "h0", "Room Union", "laptop 0")
    founder.events.add("General meeting", "2026-12-03T19:00", capacity=200)
    ops = [founder.members.build_add({"name": f"Member {i}"})[1] for i in range(members)]
    founder.replica.commit_batch(ops)
    dirs = [base / "h0"]
    for i in range(1, count):
        _path, public = prepare_join(base / f"h{i}", founder.id)
        founder.admit_device(public, f"laptop {i}")
        dirs.append(base / f"h{i}")
    for i, path in enumerate(dirs[1:], start=1):
        joined = join_group(path, founder.credentials(), f"laptop {i}")
        joined.replica.apply(founder.replica.changes_since({}))
        joined.close()
    founder.close()
    return dirs


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def start_room(lan: Any, base: Path, dirs: list[Path], tag: str, discovery: bool = True) -> list[Laptop]:
    hosts = [f"{tag}{i}" for i in range(len(dirs))]
    for host in hosts:
        lan.add_host(host)
    flags = [] if discovery else ["--no-discovery", "--peer", f"{lan.hosts[hosts[0]]}:7000"]
    laptops = [Laptop(lan, host, d, *(flags if i else []), log=base / f"{host}.log")
               for i, (host, d) in enumerate(zip(hosts, dirs, strict=True))]
    if not wait(lambda: all(lp.started_at for lp in laptops), 120):
        raise RuntimeError("not every laptop started within 120 s")
    return laptops


def mesh_connected(stats: list[dict[str, Any]]) -> bool:
    """Every laptop reaches every other through the live links (directly in a small room,
    through a few others in a big one: net/fanout.py)."""
    links = {s["device"]: set(s["peers"]) for s in stats}
    for device, peers in links.items():
        for peer in peers:
            links.setdefault(peer, set()).add(device)
    start = next(iter(links), None)
    reached, frontier = {start}, [start]
    while frontier:
        for peer in links.get(frontier.pop(), ()):
            if peer not in reached:
                reached.add(peer)
                frontier.append(peer)
    return len(stats) > 0 and all(s["device"] in reached for s in stats)


def converged(laptops: list[Laptop]) -> tuple[bool, float]:
    """(all the same state hash, the latest moment any of them stored a changeset).

    Polled every half second: each asks first for a digest of the version vector (one small
    query) and the state hash (some 15 ms of SQL on every laptop) only once all vectors agree,
    so that measuring does not take the CPU the laptops need to get there."""
    answers = [lp.ask("vector") for lp in laptops]
    if len({a[1] for a in answers}) != 1:
        return False, max(float(a[2]) for a in answers)
    answers = [lp.ask("hash") for lp in laptops]
    return len({a[1] for a in answers}) == 1, max(float(a[2]) for a in answers)


def spread(values: list[float], digits: int = 1) -> dict[str, float]:
    return {"min": round(min(values), digits), "median": round(statistics.median(values), digits),
            "max": round(max(values), digits)}


def _by_thread(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, float]:
    """Median CPU seconds per laptop in each kind of thread over the same window."""
    names = {name for s in after for name in s["cpu_by_thread"]}
    return {name: round(statistics.median(a["cpu_by_thread"].get(name, 0.0) - b["cpu_by_thread"].get(name, 0.0)
                                          for a, b in zip(after, before, strict=True)), 2) for name in sorted(names)}


def edit_latencies(reports: list[dict[str, Any]]) -> tuple[list[float], int]:
    """For each edit, until the last other laptop stored it (ms); and how many never arrived."""
    latencies, missing = [], 0
    for report in reports:
        author = report["device"]
        others = [r for r in reports if r["device"] != author]
        for seq, made in report["edits"]:
            arrived = [r["arrivals"].get(author, {}).get(str(seq)) for r in others]
            if any(a is None for a in arrived):
                missing += 1
                continue
            latencies.append((max(arrived) - made) * 1000)
    return latencies, missing


def receiver_lags(reports: list[dict[str, Any]]) -> list[float]:
    """Per laptop, the median time (ms) others' edits took to reach it: finds a laptop that lags."""
    lags = []
    for receiver in reports:
        mine = [(receiver["arrivals"][r["device"]][str(seq)] - made) * 1000 for r in reports
                if r["device"] != receiver["device"] for seq, made in r["edits"]
                if str(seq) in receiver["arrivals"].get(r["device"], {})]
        lags.append(statistics.median(mine) if mine else float("nan"))
    return lags


def links_wanted() -> int:
    from organiser.net.fanout import links_wanted as wanted

    return wanted()


def room(lan: Any, base: Path, nodes: int, edits: int, seconds: float) -> dict[str, Any]:
    dirs = make_room(base, nodes)
    laptops = start_room(lan, base, dirs, "r")
    try:
        began = time.time()
        all_met = wait(lambda: mesh_connected([lp.stats() for lp in laptops]), 180, 1.0)
        met_s = time.time() - began
        before = [lp.stats() for lp in laptops]
        t0 = time.time() + 2.0
        for i, lp in enumerate(laptops):
            lp.ask(f"go {t0} {edits} {seconds} {1000 + i}")
        time.sleep(max(0.0, t0 + seconds - time.time()))
        settle_deadline = time.monotonic() + 120
        same, last_stored = False, 0.0
        while time.monotonic() < settle_deadline and not same:
            time.sleep(0.5)
            same, last_stored = converged(laptops)
        after = [lp.stats() for lp in laptops]
        reports = []
        for i, lp in enumerate(laptops):
            path = base / f"report{i}.json"
            lp.ask(f"report {path}")
            reports.append(json.loads(path.read_text()))
    finally:
        for lp in laptops:
            lp.quit()
    last_edit = max(t for r in reports for _seq, t in r["edits"])
    latencies, missing = edit_latencies(reports)
    wire = sum(a["tx_bytes"] - b["tx_bytes"] for a, b in zip(after, before, strict=True))
    made = sum(len(r["edits"]) for r in reports)
    return {
        "nodes": nodes, "edits_asked_per_node": edits, "over_s": seconds, "changesets_made": made,
        "mesh_connected": all_met, "until_mesh_connected_s": round(met_s, 1),
        "converged": same, "last_edit_until_same_state_hash_s": round(max(0.0, last_stored - last_edit), 3),
        "edit_reaching_all_others_ms": {"p50": round(percentile(latencies, 0.5), 1),
                                        "p99": round(percentile(latencies, 0.99), 1),
                                        "max": round(max(latencies), 1) if latencies else None,
                                        "never_arrived": missing},
        "median_lag_per_receiver_ms": spread(receiver_lags(reports)),
        "wire_bytes_during_edits": wire, "wire_bytes_per_changeset": round(wire / max(made, 1)),
        "connections_per_node": spread([s["tcp_established"] for s in after]),
        "sync_links_per_node": spread([s["peers_connected"] for s in after]),
        "sync_links_wanted": links_wanted(),
        "cpu_s_per_node_during_edits": spread([a["cpu_s"] - b["cpu_s"] for a, b in zip(after, before, strict=True)], 2),
        "cpu_window_s": round(statistics.median(a["time"] - b["time"] for a, b in zip(after, before, strict=True)), 1),
        "cpu_s_per_node_by_thread": _by_thread(before, after),
        # Changesets read off the links (copies included) against those stored: what RELAY skipping leaves.
        "changesets_received_per_node": spread([_carried(a, b, "received")
                                                for a, b in zip(after, before, strict=True)]),
        "changesets_applied_per_node": spread([_carried(a, b, "applied") for a, b in zip(after, before, strict=True)]),
        "apply_transactions_per_node": spread([a["applies"] - b["applies"]
                                               for a, b in zip(after, before, strict=True)]),
        "rss_mb_per_node": spread([s["rss_kb"] / 1024 for s in after]),
        "fds_per_node": spread([s["fds"] for s in after]),
        # The tree's back-offs (sync/routes.py: a kept peer passed over for an author after a take-back).
        "back_offs_per_node": spread([s.get("back_offs", 0) for s in after]),
        # Asks (REQUEST, RELAY take) that waited for the peer's allowance (sync/asking.py): an honest room has none.
        "asks_waited_per_node": spread([sum(link.get("asks_waited", 0) for link in s["links"]) for s in after]),
    }


def _carried(after: dict[str, Any], before: dict[str, Any], key: str) -> int:
    """Changesets of one kind (received, applied) over a laptop's links between two asks; a link
    that ended meanwhile is not counted; one opened again since counts from its start."""
    was = {link["peer"]: link[key] for link in before["links"]}
    return sum(n - was.get(link["peer"], 0) if n >= was.get(link["peer"], 0) else n
               for link in after["links"] for n in (link[key],))


@contextlib.contextmanager
def _kept(folder: Path) -> Iterator[str]:
    folder.mkdir(parents=True, exist_ok=False)
    yield str(folder)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.room")
    parser.add_argument("--nodes", type=int, default=30)
    parser.add_argument("--edits", type=int, default=50, help="edits per laptop")
    parser.add_argument("--seconds", type=float, default=30.0, help="over how long the edits are made")
    parser.add_argument("--wifi", action="store_true", help="the weak shared Wi-Fi run instead")
    parser.add_argument("--joiners", type=int, default=10)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--plain", action="store_true", help="Wi-Fi run with packing off (the previous version)")
    args = parser.parse_args(argv)

    from tests.net.netns import Lan, netns_unavailable

    reason = netns_unavailable()
    if reason:
        print(json.dumps({"skipped": reason}))
        return 0
    load_at_start = os.getloadavg()
    speed_at_start = python_loop_s()
    keep = os.environ.get("ROOM_KEEP")  # a folder to keep the laptops' data and logs in
    with tempfile.TemporaryDirectory() if not keep else _kept(Path(keep)) as tmp:
        lan = Lan("orgroom")
        try:
            if args.wifi:
                from tests.perf.wifi import wifi

                result = wifi(lan, Path(tmp), args.joiners, args.members, args.plain)
            else:
                result = room(lan, Path(tmp), args.nodes, args.edits, args.seconds)
        finally:
            lan.close()
    result["load_average_at_start"] = load_at_start
    result["load_average_at_end"] = os.getloadavg()
    # How fast a core was, before and after (tests/perf/speed.py): the room's time follows it.
    result["python_loop_cpu_s"] = {"start": speed_at_start, "end": python_loop_s(), "steps": STEPS}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
