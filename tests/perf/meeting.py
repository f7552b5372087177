"""Meeting benchmark. Prints JSON.

    python -m tests.perf.meeting [--keystrokes 300] [--spacing 0.12] [--long 50000] [--votes 100]

- typing: two laptops type minutes at once (one keystroke every --spacing s each) and a third
  shows them (the projector), three hosts in network namespaces (root only): from a
  keystroke until its character is in another laptop's editor document, p50 and p99;
- votes: votes recorded on one laptop until every other laptop's tally counts them;
- long_minutes: a 2-hour meeting's minutes (--long keystrokes, typed in bursts of 1-4 as the
  editor sends them, with some deletes), written through the real service and store: the
  time to open them (cold: read from SQLite and build the document) and their stored size
  after compaction against the text's size.

Each host is a worker process (`python -m tests.perf.meeting node DIR ...`) running a SyncNode
and a headless editor: the document, bursts of BURST_MS sent as one changeset, peers' typing
merged in on arrival (what organiser/ui/minutes_editor.py does around its QPlainTextEdit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.perf.lan import Host, make_devices, percentile, wait

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
BURST_S = 0.25  # the editor's burst (organiser.ui.minutes_editor.BURST_MS)
MARK_BASE = 0xE000  # each keystroke types one private-use character: its own marker
PER_HOST = 2000  # marker range of one host


class HeadlessEditor:
    """An editor's document and its bursts, without Qt."""

    def __init__(self, group: Any, event: str, loop: asyncio.AbstractEventLoop) -> None:
        self.group, self.event, self.loop = group, event, loop
        self.doc = group.meetings.minutes_doc(event)
        self.burst: list[bytes] = []
        self.flush_at: asyncio.TimerHandle | None = None
        self.doc.doc.observe(self._on_transaction)

    def _on_transaction(self, event: Any) -> None:
        if self.doc.origin != "remote" and event.update:
            self.burst.append(event.update)
            if self.flush_at is None:
                self.flush_at = self.loop.call_later(BURST_S, self.flush)

    def type(self, text: str) -> None:
        self.doc.append(text)

    def flush(self) -> None:
        from pycrdt import merge_updates

        from organiser.core.minutes import MinutesUpdate

        self.flush_at = None
        if self.burst:
            update = self.burst[0] if len(self.burst) == 1 else merge_updates(*self.burst)
            self.burst = []
            self.group.meetings.write_minutes(self.event, MinutesUpdate(update, self.doc.state()))

    def catch_up(self) -> str:
        self.group.meetings.catch_up(self.event, self.doc, origin="remote")
        return str(self.doc)


async def worker(data_dir: Path, port: int, event: str, proposal: str) -> None:
    from organiser.core.bus import PeersChanged, RecordsChanged
    from organiser.net.node import SyncNode
    from organiser.services.group import open_group

    group = open_group(data_dir)
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()
    editor = HeadlessEditor(group, event, loop)
    seen: set[str] = set()
    counted = -1

    def say(*parts: object) -> None:
        print(*parts, flush=True)

    def read_stdin() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(commands.put_nowait, line.strip())
        loop.call_soon_threadsafe(commands.put_nowait, "quit")

    def on_records(changed: RecordsChanged) -> None:
        nonlocal counted
        now = time.time()
        if changed.origin != "remote":
            return
        if "minutes" in changed.kinds and event in changed.ids:
            text = editor.catch_up()
            now = time.time()
            fresh = {c for c in text if ord(c) >= MARK_BASE and c not in seen}
            for char in fresh:
                say("SEEN", f"m{ord(char)}", now)
            seen.update(fresh)
        if "vote" in changed.kinds:
            total = sum(group.proposals.tally(proposal).counts.values())
            now = time.time()
            if total != counted:
                counted = total
                say("SEEN", f"votes{total}", now)

    connected_before = -1

    def on_peers(_event: PeersChanged) -> None:
        nonlocal connected_before
        connected = sum(1 for p in node.peers() if p.connected)
        if connected != connected_before:
            connected_before = connected
            say("PEERS", connected, time.time())

    group.bus.subscribe(RecordsChanged, on_records)
    node = SyncNode(group, listen_port=port, discovery=True)
    group.bus.subscribe(PeersChanged, on_peers)
    threading.Thread(target=read_stdin, daemon=True).start()
    await node.start()
    say("STARTED", time.time(), node.port)
    try:
        while True:
            command = await commands.get()
            if command == "quit":
                break
            verb, _, rest = command.partition(" ")
            if verb == "type":
                now = time.time()
                editor.type(chr(int(rest)))
                say("EDIT", f"m{rest}", now)
            elif verb == "vote":
                member, choice, number = rest.split(" ")
                now = time.time()
                group.proposals.vote(proposal, member, choice)
                say("EDIT", f"votes{number}", now)
            elif verb == "text":
                say("TEXT", json.dumps(editor.catch_up()))
    finally:
        editor.flush()
        await node.stop()
        group.close()


# ---- the orchestrator -------------------------------------------------------------------------

def prepare(base: Path, voters: int) -> tuple[list[Path], str, str, list[str]]:
    """Three devices of one group; an event with everyone checked in and an open proposal."""
    from organiser.services.group import open_group

    dirs = make_devices(base, 3)
    founder = open_group(dirs[0])
    event = founder.events.add("General assembly", "2026-12-03T19:00").id
    ids, ops = zip(*(founder.members.build_add({"name": f"Member {i}"}) for i in range(voters)), strict=True)
    founder.replica.commit_batch(list(ops))
    for member in ids:
        founder.events.checkin(event, member)
    proposal = founder.proposals.add(event, "Buy a projector", "vote", options=["yes", "no"]).id
    founder.close()
    return dirs, event, proposal, list(ids)


def typing(lan: Any, base: Path, keystrokes: int, spacing: float, votes: int) -> dict[str, Any]:
    dirs, event, proposal, members = prepare(base, max(votes, 1))
    names = ["mt-a", "mt-b", "mt-c"]
    for name in names:
        lan.add_host(name)
    hosts = [Host(lan, n, d, "--port", "7000", "--event", event, "--proposal", proposal, module="tests.perf.meeting")
             for n, d in zip(names, dirs, strict=True)]
    try:
        wait(lambda: all(h.peers == 2 for h in hosts), 60, "3 hosts to connect")
        time.sleep(1.0)
        a, b, c = hosts
        marks = {0: [], 1: []}
        for i in range(keystrokes):  # A and B type at once, C is the projector
            for n, host in ((0, a), (1, b)):
                code = MARK_BASE + n * PER_HOST + i
                marks[n].append(f"m{code}")
                host.send(f"type {code}")
            time.sleep(spacing)
        wait(lambda: all(m in h.seen for m in marks[0] for h in (b, c))
             and all(m in h.seen for m in marks[1] for h in (a, c)), 60, "every keystroke everywhere")
        delays = [(h.seen[m] - a.edits[m]) * 1000 for m in marks[0] for h in (b, c)]
        delays += [(h.seen[m] - b.edits[m]) * 1000 for m in marks[1] for h in (a, c)]
        for host in hosts:
            host.send("text")
        wait(lambda: all(any(p[0] == "TEXT" for p in list(h.lines.queue)) for h in hosts), 30, "texts")
        texts = {json.dumps([p for p in list(h.lines.queue) if p[0] == "TEXT"][-1][1:]) for h in hosts}
        vote_delays: list[float] = []
        for n, member in enumerate(members[:votes], start=1):
            a.send(f"vote {member} {'yes' if n % 3 else 'no'} {n}")
            wait(lambda n=n: f"votes{n}" in b.seen and f"votes{n}" in c.seen, 10, f"vote {n} in every tally")
            vote_delays.append((max(b.seen[f"votes{n}"], c.seen[f"votes{n}"]) - a.edits[f"votes{n}"]) * 1000)
        return {
            "hosts": 3, "typists": 2, "keystrokes_each": keystrokes, "spacing_ms": spacing * 1000,
            "visible_p50_ms": round(percentile(delays, 0.5), 1), "visible_p99_ms": round(percentile(delays, 0.99), 1),
            "visible_max_ms": round(max(delays), 1), "same_text_everywhere": len(texts) == 1,
            "votes": votes, "vote_in_every_tally_p50_ms": round(percentile(vote_delays, 0.5), 1) if votes else None,
            "vote_in_every_tally_p99_ms": round(percentile(vote_delays, 0.99), 1) if votes else None,
        }
    finally:
        for host in hosts:
            host.quit()


def long_minutes(base: Path, keystrokes: int, seed: int = 7) -> dict[str, Any]:
    """A 2-hour meeting's minutes typed on one laptop, as the editor stores them."""
    from organiser.core.minutes import edit_update
    from organiser.services.group import create_group, open_group
    from organiser.store import minutes as minutes_store

    rng = random.Random(seed)
    group = create_group(base / "long", "Benchmark Union", "minutes laptop")
    event = group.events.add("General assembly", "2026-12-03T19:00").id
    doc = group.meetings.minutes_doc(event)
    words = "the rent strike committee agreed to meet again on Thursday with señora Núñez about repairs ✊".split()
    typed = 0
    started = time.perf_counter()
    changesets = 0
    while typed < keystrokes:
        burst = rng.randint(1, 4)
        text = str(doc)
        if text and rng.random() < 0.08:  # a correction: backspace over the last few characters
            cut = min(len(text), burst)
            update = edit_update(doc, lambda d, t=text, cut=cut: d.replace(len(t) - cut, len(t), ""))
        else:
            chunk = "".join(rng.choice(words) + " " for _ in range(2))[:burst]
            update = edit_update(doc, lambda d, chunk=chunk: d.append(chunk))
        group.meetings.write_minutes(event, update)
        typed += burst
        changesets += 1
    written_s = time.perf_counter() - started
    final = group.meetings.minutes_text(event)
    group.meetings.compact_minutes(event)
    stored = group.meetings.minutes_size(event)
    log_bytes = group.db.execute("SELECT sum(length(body)) FROM changes WHERE instr(body, ?) > 0",
                                 [b'["minutes",']).fetchone()[0]
    path = group.path
    group.close()
    opens = []
    for _ in range(5):
        minutes_store.forget_cache()
        reopened = open_group(path.parent.parent)
        begin = time.perf_counter()
        text = str(reopened.meetings.minutes_doc(event))
        opens.append((time.perf_counter() - begin) * 1000)
        assert text == final
        reopened.close()
    size = len(final.encode("utf-8"))
    return {"keystrokes": keystrokes, "changesets": changesets, "write_s": round(written_s, 1),
            "text_bytes": size, "stored_bytes_after_compaction": stored,
            "stored_over_text": round(stored / size, 2), "change_log_bytes": log_bytes,
            "open_ms_median": round(sorted(opens)[len(opens) // 2], 1), "open_ms_max": round(max(opens), 1)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.meeting")
    sub = parser.add_subparsers(dest="mode")
    node = sub.add_parser("node")
    node.add_argument("data_dir", type=Path)
    node.add_argument("--port", type=int, default=0)
    node.add_argument("--event", required=True)
    node.add_argument("--proposal", required=True)
    parser.add_argument("--keystrokes", type=int, default=300, help="keystrokes each of the two typists makes")
    parser.add_argument("--spacing", type=float, default=0.12, help="seconds between keystrokes")
    parser.add_argument("--votes", type=int, default=50)
    parser.add_argument("--long", type=int, default=50_000, help="keystrokes of the long minutes")
    parser.add_argument("--only", choices=["typing", "long"])
    args = parser.parse_args(argv)
    if args.mode == "node":
        asyncio.run(worker(args.data_dir, args.port, args.event, args.proposal))
        return 0
    results: dict[str, Any] = {"targets": {"visible_p50_ms": 300, "visible_p99_ms": 600, "open_ms": 100,
                                           "stored_over_text": 5, "vote_in_every_tally_ms": 50}}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        if args.only in (None, "long"):
            results["long_minutes"] = long_minutes(base, args.long)
        if args.only in (None, "typing"):
            from tests.net.netns import Lan, netns_unavailable

            reason = netns_unavailable()
            if reason:
                results["typing"] = {"skipped": reason}
            else:
                lan = Lan("orgm")
                try:
                    results["typing"] = typing(lan, base / "typing", args.keystrokes, args.spacing, args.votes)
                finally:
                    lan.close()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
