"""LAN sync benchmark, inside network namespaces it creates (root only). Prints JSON.

    python -m tests.perf.lan [--edits 200] [--skip-ten]

- propagation: an edit made in the node process on A (as the app makes it) until it is
  visible on B, over N edits, with 3 and with 10 hosts on one bridge: p50 and p99 (and
  the time until the last host has it);
- join: a new device's node started; time until it has connected to a peer found by
  mDNS and until it holds everything (from its `start()`, and from process start);
- initial_sync: 10,000 members + 5,000 events + 20,000 tasks from A to a fresh B over
  TLS, divided by a plain executemany insert of the same rows measured in this run.

Each host is a worker process (`python -m tests.perf.lan node DIR ...`) that runs a
SyncNode, takes commands on stdin and reports what it sees on stdout with timestamps.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Every host links with every other here (up to 10 hosts), as these figures always measured: the
# links chosen in a bigger room (organiser/net/fanout.py) are measured by tests/perf/room.py.
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "ORGANISER_SYNC_LINKS": os.environ.get("ORGANISER_SYNC_LINKS", "16")}


# ---- the worker: one host -----------------------------------------------------------------

async def worker(data_dir: Path, port: int, discovery: bool, peers: list[str]) -> None:
    from organiser.core.bus import PeersChanged, RecordsChanged
    from organiser.net.invite_code import split_address
    from organiser.net.node import SyncNode
    from organiser.services.group import open_group

    group = open_group(data_dir)
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()

    def say(*parts: object) -> None:
        print(*parts, flush=True)

    def read_stdin() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(commands.put_nowait, line.strip())
        loop.call_soon_threadsafe(commands.put_nowait, "quit")

    def on_records(event: RecordsChanged) -> None:
        now = time.time()
        if event.origin != "remote":
            return
        if "member" in event.kinds and len(event.ids) <= 50:
            for rid in event.ids:
                row = group.db.execute("SELECT json_extract(data, '$.name') FROM records WHERE id = ?",
                                       [rid]).fetchone()
                if row and row[0] and row[0].startswith("edit-"):
                    say("SEEN", row[0], now)
        count = group.db.execute("SELECT count(*) FROM records").fetchone()[0]
        say("COUNT", count, now)

    connected_before = -1

    def on_peers(_event: PeersChanged) -> None:
        nonlocal connected_before
        connected = sum(1 for p in node.peers() if p.connected)  # connected, syncing or in step
        if connected != connected_before:
            connected_before = connected
            say("PEERS", connected, time.time())

    group.bus.subscribe(RecordsChanged, on_records)
    node = SyncNode(group, listen_port=port, discovery=discovery,
                    static_peers=[split_address(p) for p in peers])
    group.bus.subscribe(PeersChanged, on_peers)
    threading.Thread(target=read_stdin, daemon=True).start()
    say("STARTING", time.time())
    await node.start()
    say("STARTED", time.time(), node.port)
    try:
        while True:
            command = await commands.get()
            if command == "quit":
                break
            verb, _, rest = command.partition(" ")
            if verb == "edit":
                now = time.time()
                group.members.add(rest)
                say("EDIT", rest, now)
            elif verb == "admit":
                public_hex, name = rest.split(" ", 1)
                group.admit_device(public_hex, name)
                say("ADMITTED", name)
            elif verb == "remove":
                now = time.time()
                group.membership.remove(rest)
                say("REMOVED", rest, now)
            elif verb == "count":
                say("COUNT", group.db.execute("SELECT count(*) FROM records").fetchone()[0], time.time())
    finally:
        await node.stop()
        group.close()


# ---- the orchestrator ---------------------------------------------------------------------

class Host:
    """A worker process and what it has said so far."""

    def __init__(self, lan: Any, name: str, data_dir: Path, *args: str, module: str = "tests.perf.lan") -> None:
        self.name = name
        self.spawned = time.time()
        self.proc = lan.start(name, [sys.executable, "-m", module, "node", str(data_dir), *args],
                              stdout=subprocess.PIPE, stdin=subprocess.PIPE, env=ENV, cwd=ROOT, text=True,
                              bufsize=1, stderr=None)
        self.lines: queue.Queue[list[str]] = queue.Queue()
        self.seen: dict[str, float] = {}
        self.edits: dict[str, float] = {}
        self.count = 0
        self.count_at = 0.0
        self.peers = 0
        self.first_peer_at: float | None = None
        self.started_at = 0.0
        self.port = 0
        self.removed_at = 0.0
        self.peers_at = 0.0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            parts = line.split()
            if not parts:
                continue
            kind = parts[0]
            if kind == "SEEN":
                self.seen[parts[1]] = float(parts[2])
            elif kind == "EDIT":
                self.edits[parts[1]] = float(parts[2])
            elif kind == "COUNT":
                self.count, self.count_at = int(parts[1]), float(parts[2])
            elif kind == "PEERS":
                self.peers, self.peers_at = int(parts[1]), float(parts[2])
                if self.peers and self.first_peer_at is None:
                    self.first_peer_at = float(parts[2])
            elif kind == "REMOVED":
                self.removed_at = float(parts[-1])
            elif kind == "STARTED":
                self.started_at, self.port = float(parts[1]), int(parts[2])
            self.lines.put(parts)

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def quit(self) -> None:
        try:
            self.send("quit")
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


def wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")


def make_devices(base: Path, count: int) -> list[Path]:
    """A group with `count` devices, admitted the way an invite admits them (no network)."""
    from organiser.services.group import create_group, join_group, prepare_join

    founder = create_group(base / "h0", "Benchmark Union", "host 0")
    dirs = [base / "h0"]
    for i in range(1, count):
        _path, public = prepare_join(base / f"h{i}", founder.id)
        founder.admit_device(public, f"host {i}")
        dirs.append(base / f"h{i}")
    for i, path in enumerate(dirs[1:], start=1):
        joined = join_group(path, founder.credentials(), f"host {i}")
        # what the first sync after an invite brings: the membership log (and the discovery key)
        joined.replica.apply(founder.replica.changes_since({}))
        joined.close()
    founder.close()
    return dirs


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def propagation(lan: Any, base: Path, hosts: int, edits: int, spacing: float) -> dict[str, Any]:
    dirs = make_devices(base, hosts)
    names = [f"n{hosts}h{i}" for i in range(hosts)]
    for name in names:
        lan.add_host(name)
    workers = [Host(lan, name, d, "--port", "7000") for name, d in zip(names, dirs, strict=True)]
    try:
        wait(lambda: all(w.peers == hosts - 1 for w in workers), 60, f"{hosts} hosts to connect")
        time.sleep(0.5)
        a, b, rest = workers[0], workers[1], workers[1:]
        for i in range(edits):
            a.send(f"edit edit-{hosts}-{i}")
            time.sleep(spacing)
        tags = [f"edit-{hosts}-{i}" for i in range(edits)]
        wait(lambda: all(t in w.seen for w in rest for t in tags) and all(t in a.edits for t in tags), 60,
             "every edit everywhere")
        to_b = [(b.seen[t] - a.edits[t]) * 1000 for t in tags]
        to_all = [(max(w.seen[t] for w in rest) - a.edits[t]) * 1000 for t in tags]
        other_process = other_process_edits(dirs[0], b, hosts, 20)
        return {"hosts": hosts, "edits": edits, "spacing_ms": spacing * 1000,
                "p50_ms": round(percentile(to_b, 0.5), 1), "p99_ms": round(percentile(to_b, 0.99), 1),
                "max_ms": round(max(to_b), 1),
                "all_hosts_p50_ms": round(percentile(to_all, 0.5), 1),
                "all_hosts_p99_ms": round(percentile(to_all, 0.99), 1),
                "other_process_edit": other_process}
    finally:
        for w in workers:
            w.quit()


def other_process_edits(data_dir: Path, b: Host, hosts: int, edits: int) -> dict[str, Any]:
    """Edits written into A's database by another process (as the CLI does while A's node
    runs): until visible on B. A's node notices them by polling PRAGMA data_version."""
    from organiser.services.group import open_group

    group = open_group(data_dir)
    made: dict[str, float] = {}
    try:
        for i in range(edits):
            tag = f"edit-cli-{hosts}-{i}"
            made[tag] = time.time()
            group.members.add(tag)
            time.sleep(0.13)
    finally:
        group.close()
    wait(lambda: all(t in b.seen for t in made), 30, "the other process's edits on B")
    delays = [(b.seen[t] - made[t]) * 1000 for t in made]
    return {"edits": edits, "p50_ms": round(percentile(delays, 0.5), 1), "max_ms": round(max(delays), 1)}


def removal(lan: Any, base: Path, hosts: int) -> dict[str, Any]:
    """`hosts` devices all connected; the founder removes the last one: until no device of the
    group keeps a connection with it (each host reports its connected peers as they change)."""
    dirs = make_devices(base, hosts)
    names = [f"r{hosts}h{i}" for i in range(hosts)]
    for name in names:
        lan.add_host(name)
    workers = [Host(lan, name, d, "--port", "7000") for name, d in zip(names, dirs, strict=True)]
    try:
        wait(lambda: all(w.peers == hosts - 1 for w in workers), 90, f"{hosts} hosts to connect")
        time.sleep(1.0)
        founder, removed, rest = workers[0], workers[-1], workers[1:-1]
        founder.send(f"remove host {hosts - 1}")
        wait(lambda: founder.removed_at > 0, 10, "the removal")
        wait(lambda: removed.peers == 0 and all(w.peers == hosts - 2 for w in [founder, *rest]), 10,
             "every connection of the removed device to close")
        # each host stamps its report when its count of connected peers changes; the last one counts
        closed = max(w.peers_at for w in [removed, founder, *rest])
        return {"hosts": hosts, "removed_disconnected_everywhere_ms": round((closed - founder.removed_at) * 1000, 1),
                "target_ms": 1000}
    finally:
        for w in workers:
            w.quit()


def join_time(lan: Any, base: Path) -> dict[str, Any]:
    """A running 3-host group; a fourth device (already admitted) starts its node."""
    from organiser.services.group import join_group, open_group, prepare_join

    dirs = make_devices(base, 3)
    founder = open_group(dirs[0])
    founder.replica.commit_batch([founder.members.build_add({"name": f"Member {i}"})[1] for i in range(1000)])
    _path, public = prepare_join(base / "new", founder.id)
    founder.admit_device(public, "new laptop")
    creds = founder.credentials()
    joined = join_group(base / "new", creds, "new laptop")
    joined.replica.apply([cs for cs in founder.replica.changes_since({}) if not cs.ops[0].kind == "member"])
    joined.close()
    founder.close()
    names = [f"jh{i}" for i in range(3)] + ["jnew"]
    for name in names:
        lan.add_host(name)
    workers = [Host(lan, n, d, "--port", "7000") for n, d in zip(names[:3], dirs, strict=True)]
    try:
        wait(lambda: all(w.peers == 2 for w in workers), 60, "3 hosts to connect")
        workers[0].send("count")
        wait(lambda: workers[0].count > 0, 10, "a count")
        expected = workers[0].count
        new = Host(lan, "jnew", base / "new", "--port", "7000")
        workers.append(new)
        wait(lambda: new.count >= expected and new.first_peer_at is not None and new.started_at > 0, 60,
             "the new host to sync")
        return {"records": expected, "discovered_s": round(new.first_peer_at - new.started_at, 3),
                "synced_s": round(new.count_at - new.started_at, 3),
                "synced_from_process_start_s": round(new.count_at - new.spawned, 3)}
    finally:
        for w in workers:
            w.quit()


def fill(group: Any, members: int, events: int, tasks: int) -> None:
    ops = [group.members.build_add({"name": f"Member {i}", "emails": [f"m{i}@example.org"]})[1]
           for i in range(members)]
    ops += [group.events.build_add({"title": f"Meeting {i}", "start": "2026-12-01T18:00"})[1] for i in range(events)]
    ops += [group.tasks.build_add({"title": f"Task {i}", "priority": i % 3})[1] for i in range(tasks)]
    for start in range(0, len(ops), 5000):
        group.replica.commit_batch(ops[start:start + 5000])


def plain_insert_seconds(source_db: Path, target: Path) -> tuple[float, int]:
    """The same rows, inserted with one executemany in one transaction, same pragmas."""
    rows = sqlite3.connect(source_db).execute(
        "SELECT id, kind, data FROM records WHERE kind IN ('member', 'event', 'task')").fetchall()
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE records (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, "
                 "data TEXT NOT NULL)")
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO records (id, kind, data) VALUES (?, ?, ?)", rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, len(rows)


def initial_sync(lan: Any, base: Path, members: int, events: int, tasks: int) -> dict[str, Any]:
    from organiser.services.group import open_group

    dirs = make_devices(base, 2)
    founder = open_group(dirs[0])
    fill(founder, members, events, tasks)
    founder.close()
    for name in ("sa", "sb"):
        lan.add_host(name)
    a = Host(lan, "sa", dirs[0], "--port", "7000", "--no-discovery")
    workers = [a]
    try:
        wait(lambda: a.port > 0, 30, "A to start")
        a.send("count")
        wait(lambda: a.count > 0, 10, "a count")
        expected = a.count
        b = Host(lan, "sb", dirs[1], "--port", "7000", "--no-discovery", "--peer", f"{lan.hosts['sa']}:7000")
        workers.append(b)
        wait(lambda: b.count >= expected, 300, "B to hold everything")
        synced = b.count_at - b.started_at
    finally:
        for w in workers:
            w.quit()
    plain, rows = plain_insert_seconds(next(dirs[0].glob("groups/*/organiser.db")), base / "plain.db")
    return {"members": members, "events": events, "tasks": tasks, "records": expected,
            "sync_s": round(synced, 3), "plain_insert_s": round(plain, 4), "plain_rows": rows,
            "ratio": round(synced / plain, 1)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.lan")
    sub = parser.add_subparsers(dest="mode")
    node = sub.add_parser("node")
    node.add_argument("data_dir", type=Path)
    node.add_argument("--port", type=int, default=0)
    node.add_argument("--no-discovery", action="store_true")
    node.add_argument("--peer", action="append", default=[])
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--spacing", type=float, default=0.05, help="seconds between edits on A")
    parser.add_argument("--skip-ten", action="store_true", help="skip the 10-host run")
    parser.add_argument("--only", choices=["propagation", "join", "initial_sync", "removal"], help="run one part")
    parser.add_argument("--scale", type=float, default=1.0, help="scale the initial sync data set")
    args = parser.parse_args(argv)
    if args.mode == "node":
        asyncio.run(worker(args.data_dir, args.port, not args.no_discovery, args.peer))
        return 0

    from tests.net.netns import Lan, netns_unavailable

    reason = netns_unavailable()
    if reason:
        print(json.dumps({"skipped": reason}))
        return 0
    results: dict[str, Any] = {"targets": {"p50_ms": 50, "p99_ms": 250, "discovered_and_synced_s": 3,
                                           "initial_sync_ratio": 3}}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        lan = Lan("orgb")
        try:
            if args.only in (None, "propagation"):
                results["propagation_3_hosts"] = propagation(lan, base / "p3", 3, args.edits, args.spacing)
                if not args.skip_ten:
                    results["propagation_10_hosts"] = propagation(lan, base / "p10", 10, args.edits, args.spacing)
            if args.only in (None, "removal"):
                results["removal_10_hosts"] = removal(lan, base / "r10", 10)
            if args.only in (None, "join"):
                results["join"] = join_time(lan, base / "join")
            if args.only in (None, "initial_sync"):
                s = args.scale
                results["initial_sync"] = initial_sync(lan, base / "init", int(10_000 * s), int(5_000 * s),
                                                       int(20_000 * s))
        finally:
            lan.close()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
