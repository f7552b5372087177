"""One laptop of the room and soak benchmarks: a SyncNode in its own process and network
namespace, that makes edits at given moments and answers questions on stdin.

    python -m tests.perf.roomnode DATA_DIR [--peer HOST:PORT]... [--no-discovery]

Commands (one a line) and answers (one line on stdout):
    go T0 EDITS SECONDS SEED   make EDITS edits at random moments in [T0, T0 + SECONDS)  -> GOING
    vector                      -> VECTOR <digest of the version vector> <wall time ... last stored ...>
    count                       -> COUNT <records> <wall time this node last stored a changeset>
    hash                        -> HASH <state hash> <wall time this node last stored a changeset>
    stats                       -> STATS <json: rss, SQLite's memory, cpu, fds, connections, table rows, ...>
    census                      -> CENSUS <json: live TLS/stream objects, what gc.collect() frees>
    trim                        malloc_trim(0) -> TRIMMED <rss kB before> <rss kB after>
    snap PATH                   with ROOMNODE_TRACEMALLOC=FRAMES: dump a tracemalloc snapshot -> SNAPPED
    report PATH                 write {edits: [[seq, t]], arrivals: {author: {seq: t}}} -> REPORTED
    quit
The edits are what a meeting makes: members added and edited, RSVPs, check-ins (and their
undo), tasks added and moved on the board.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import hashlib
import json
import os
import random
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

# Tables that grow with what people write: everything else must stay flat over an evening.
GROWS_WITH_EDITS = frozenset({"changes", "records", "versions", "search", "search_data", "search_idx",
                              "search_docsize", "search_config", "search_content", "conflicts"})


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _cpu_by_thread() -> dict[str, float]:
    """CPU seconds of each live thread, by its Python name (digits dropped, so a pool's threads
    add up): where an idle laptop's CPU goes (the loop, the apply worker, zeroconf's threads)."""
    tick = os.sysconf("SC_CLK_TCK")
    names = {t.native_id: "".join(c for c in t.name if not c.isdigit()).rstrip("_-") for t in threading.enumerate()}
    out: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        name = names.get(int(task.name), "other")
        out[name] = round(out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick, 2)
    return out


def _apply_transactions(node: Any) -> int:
    """The worker's transactions for peers' changesets so far (0 where the applier does not count:
    the code before combining, run by this benchmark for comparison)."""
    return getattr(getattr(node, "_applier", None), "combined_applies", 0)


def _established() -> int:
    """TCP connections established in this namespace (only this process lives in it)."""
    count = 0
    for name in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        count += sum(1 for line in lines if line.split()[3] == "01")
    return count


def _link_bytes() -> tuple[int, int]:
    base = Path("/sys/class/net/eth0/statistics")
    try:
        return int((base / "rx_bytes").read_text()), int((base / "tx_bytes").read_text())
    except OSError:
        return 0, 0


def _sqlite_memory() -> tuple[int, int]:
    """Bytes SQLite holds now (page caches, statements, schema) and at most so far, in this
    process: from the SQLite library sqlcipher3 carries, which exports sqlite3_status64."""
    import sqlcipher3._sqlite3 as native

    lib = ctypes.CDLL(native.__file__)
    now, high = ctypes.c_int64(), ctypes.c_int64()
    lib.sqlite3_status64(0, ctypes.byref(now), ctypes.byref(high), 0)  # SQLITE_STATUS_MEMORY_USED
    return now.value, high.value


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]


def _malloc_kb() -> dict[str, int]:
    """What glibc's malloc holds, over all its arenas (mallinfo2): in use by the program, free
    but kept, in mmapped chunks; and how many arenas (heaps) it made, one per thread at most:
    tells memory the program holds from memory the allocator keeps."""
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    with tempfile.NamedTemporaryFile(suffix=".xml") as xml:
        handle = libc.fopen(xml.name.encode(), b"w")
        libc.malloc_info(0, handle)
        libc.fclose(handle)
        heaps = Path(xml.name).read_text().count("<heap nr=")
    return {"in_use_kb": info.uordblks // 1024, "free_kb": info.fordblks // 1024,
            "mmapped_kb": info.hblkhd // 1024, "heaps": heaps}


def _pymalloc_kb() -> dict[str, int]:
    """Python's own small-object allocator (sys._debugmallocstats, printed on fd 2): its 1 MiB
    arenas now and at most, the bytes in live blocks and in free blocks and pools they keep."""
    with tempfile.TemporaryFile() as out:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        lines = out.read().decode(errors="replace").splitlines()
    wanted = {"# arenas allocated current": "arenas", "# arenas highwater mark": "arenas_most",
              "# bytes in allocated blocks": "live_kb", "# bytes in available blocks": "free_blocks_kb"}
    found: dict[str, int] = {}
    for line in lines:
        name, _, value = line.partition("=")
        key = wanted.get(name.strip())
        if key:
            number = int(value.strip().replace(",", ""))
            found[key] = number // 1024 if key.endswith("_kb") else number
    return found


def _smaps_kb() -> dict[str, int]:
    """Resident memory by kind (/proc/self/smaps_rollup): anonymous (the heap, arenas, thread
    stacks) against file-backed (libraries, SQLite's mmap)."""
    out = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        if name.rstrip(":") in ("Rss", "Anonymous", "Shared_Clean", "Private_Clean", "Private_Dirty"):
            out[name.rstrip(":").lower() + "_kb"] = int(value)
    return out


def _trim() -> tuple[int, int]:
    """Resident memory before and after handing glibc's free memory back (malloc_trim)."""
    before = _status_kb("VmRSS")
    ctypes.CDLL(None).malloc_trim(0)
    return before, _status_kb("VmRSS")


def _census() -> dict[str, Any]:
    """Live objects that hold C memory (TLS contexts and connections, transports, streams,
    sessions), then what a full collection frees: tells C memory kept by garbage cycles."""
    import gc

    watched = ("SSLContext", "SSLObject", "_SSLSocket", "MemoryBIO", "SSLProtocol", "_SSLProtocolTransport",
               "_SelectorSocketTransport", "StreamReader", "StreamWriter", "Session", "ZstdCompressor",
               "ZstdDecompressor")
    counts: dict[str, int] = {}
    for obj in gc.get_objects():
        name = type(obj).__name__
        if name in watched:
            counts[name] = counts.get(name, 0) + 1
    before = _malloc_kb()["in_use_kb"], _status_kb("VmRSS")
    gc.set_debug(gc.DEBUG_SAVEALL)
    freed = gc.collect()
    garbage: dict[str, int] = {}
    for obj in gc.garbage:
        name = type(obj).__name__
        if name == "frame":
            name = f"frame {obj.f_code.co_name} {Path(obj.f_code.co_filename).name}"
        elif isinstance(obj, BaseException):
            name = f"exception {name}: {str(obj)[:60]}"
        elif name == "coroutine":
            name = f"coroutine {obj.__qualname__}"
        garbage[name] = garbage.get(name, 0) + 1
    gc.set_debug(0)
    gc.garbage.clear()
    gc.collect()
    after = _malloc_kb()["in_use_kb"], _status_kb("VmRSS")
    return {"objects": counts, "collected": freed,
            "garbage": dict(sorted(garbage.items(), key=lambda kv: -kv[1])[:60]),
            "malloc_in_use_kb_before_after": [before[0], after[0]],
            "rss_kb_before_after": [before[1], after[1]], "gc_enabled": gc.isenabled(), "gc_counts": gc.get_count(),
            "gc_frozen": gc.get_freeze_count()}




def link_figures(node: Any) -> list[dict[str, Any]]:
    """Per conversation (open or ended since the last ask is not kept): who it is with, who dialled,
    the changesets and bytes it carried each way; where a room's bytes went (the Wi-Fi run)."""
    out = []
    for device, link in list(getattr(node, "_links", {}).items()):
        session, stats = link.session, link.session.stats
        out.append({"peer": device[:12], "dialled_by_me": link.initiator == node.device_id,
                    "state": session.state, "received": stats.received, "applied": stats.applied,
                    "sent": stats.sent, "bytes_in": stats.bytes_received, "bytes_out": stats.bytes_sent,
                    "skipping": len(session.skipping), "skipped_by_peer": len(session.skipped_by_peer),
                    "control_sent": dict(getattr(stats, "control_sent", {})),
                    "neighbours_dropped": getattr(stats, "neighbours_dropped", 0),
                    "asks_waited": getattr(stats, "asks_waited", 0)})
    return out


def table_rows(db: Any) -> dict[str, int]:
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


class Laptop:
    def __init__(self, group: Any, node: Any) -> None:
        self.group = group
        self.node = node
        self.me = group.device_id
        self.edits: list[tuple[int, float]] = []
        self.arrivals: dict[str, dict[int, float]] = {}
        self.vector = dict(group.replica.version_vector())
        self.last_stored = time.time()
        self.event_id = group.db.execute("SELECT id FROM records WHERE kind = 'event' AND deleted = 0 "
                                         "ORDER BY id LIMIT 1").fetchone()[0]
        self.mine: list[str] = []  # members and tasks this laptop added (it edits them later)
        self.tasks: list[str] = []

    def on_stored(self, _event: Any) -> None:
        now = time.time()
        vector = self.group.replica.version_vector()
        for author, seq in vector.items():
            had = self.vector.get(author, 0)
            if seq > had and author != self.me:
                arrived = self.arrivals.setdefault(author, {})
                for s in range(had + 1, seq + 1):
                    arrived[s] = now
                self.last_stored = now
        self.vector = dict(vector)

    def members(self) -> list[str]:
        return [r[0] for r in self.group.db.execute(
            "SELECT id FROM records WHERE kind = 'member' AND deleted = 0 ORDER BY id LIMIT 200")]

    def edit(self, rng: random.Random, number: int) -> None:
        group, kind = self.group, rng.choice(["member", "member-edit", "rsvp", "checkin", "task", "task-move"])
        members = self.members()
        if kind == "member" or not members:
            self.mine.append(group.members.add(f"Room {self.me[:6]} {number}", emails=[f"r{number}@example.org"]).id)
        elif kind == "member-edit":
            group.members.edit(rng.choice(self.mine or members), phones=[f"+44 20 7946 {rng.randrange(10000):04d}"])
        elif kind == "rsvp":
            group.events.rsvp(self.event_id, rng.choice(members), rng.choice(["yes", "no", "maybe"]))
        elif kind == "checkin":
            member = rng.choice(members)
            if group.events.rsvp_of(self.event_id, member).checked_in_at:
                group.events.undo_checkin(self.event_id, member)
            else:
                group.events.checkin(self.event_id, member)
        elif kind == "task" or not self.tasks:
            self.tasks.append(group.tasks.add(f"Task {self.me[:6]} {number}", event=self.event_id).id)
        else:
            group.tasks.move(rng.choice(self.tasks), rng.choice(["todo", "doing", "done"]))
        seq = group.replica.version_vector().get(self.me, 0)
        if not self.edits or seq > self.edits[-1][0]:
            self.edits.append((seq, time.time()))

    async def make_edits(self, t0: float, count: int, seconds: float, seed: int) -> None:
        rng = random.Random(seed)
        moments = sorted(t0 + rng.uniform(0, seconds) for _ in range(count))
        for number, moment in enumerate(moments):
            await asyncio.sleep(max(0.0, moment - time.time()))
            self.edit(rng, number)

    def stats(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        received, sent = _link_bytes()
        links = [p for p in self.node.peers() if p.connected]
        sqlite_now, sqlite_high = _sqlite_memory()
        return {"sqlite_kb": sqlite_now // 1024, "sqlite_hwm_kb": sqlite_high // 1024,
                "python_traced_kb": tracemalloc.get_traced_memory()[0] // 1024 if tracemalloc.is_tracing() else None,
                "tasks": len(asyncio.all_tasks()),"rss_kb": _status_kb("VmRSS"), "hwm_kb": _status_kb("VmHWM"),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 3), "cpu_by_thread": _cpu_by_thread(),
                "applies": _apply_transactions(self.node), "fds": len(os.listdir("/proc/self/fd")),
                "threads": threading.active_count(), "peers_connected": len(links),
                "device": self.me, "peers": sorted(p.device_id for p in links), "tcp_established": _established(),
                "rx_bytes": received, "tx_bytes": sent, "rows": table_rows(self.group.db),
                "db_bytes": sum(f.stat().st_size for f in self.group.path.glob("organiser.db*")),
                "edits": len(self.edits), "links": link_figures(self.node), "time": time.time(),
                "back_offs": len(getattr(getattr(self.node, "_routes", None), "backed_off", ())),
                "malloc": _malloc_kb(), "smaps": _smaps_kb(), "pymalloc": _pymalloc_kb()}


async def run(data_dir: Path, discovery: bool, peers: list[str], port: int) -> None:
    from organiser.core.bus import ChangesetsStored
    from organiser.net.invite_code import split_address
    from organiser.net.node import SyncNode
    from organiser.services.group import open_group

    group = open_group(data_dir)
    node = SyncNode(group, listen_port=port, discovery=discovery, static_peers=[split_address(p) for p in peers])
    laptop = Laptop(group, node)
    group.bus.subscribe(ChangesetsStored, laptop.on_stored)
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()

    def read_stdin() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(commands.put_nowait, line.strip())
        loop.call_soon_threadsafe(commands.put_nowait, "quit")

    threading.Thread(target=read_stdin, daemon=True).start()
    await node.start()
    print("STARTED", node.port, time.time(), flush=True)
    editing: set[asyncio.Task[None]] = set()
    try:
        while (command := await commands.get()) != "quit":
            verb, *args = command.split()
            if verb == "go":
                task = asyncio.create_task(laptop.make_edits(float(args[0]), int(args[1]), float(args[2]),
                                                             int(args[3])))
                editing.add(task)
                task.add_done_callback(editing.discard)
                print("GOING", flush=True)
            elif verb == "count":
                count = group.db.execute("SELECT count(*) FROM records").fetchone()[0]
                print("COUNT", count, laptop.last_stored, flush=True)
            elif verb == "vector":  # cheap: the benchmark polls this, and hashes only once all agree
                vector = sorted(group.replica.version_vector().items())
                print("VECTOR", hashlib.blake2b(repr(vector).encode(), digest_size=16).hexdigest(),
                      laptop.last_stored, flush=True)
            elif verb == "hash":
                print("HASH", group.replica.state_hash(), laptop.last_stored, flush=True)
            elif verb == "stats":
                print("STATS", json.dumps(laptop.stats()), flush=True)
            elif verb == "census":  # live TLS objects, then a full collection
                print("CENSUS", json.dumps(_census()), flush=True)
            elif verb == "trim":  # what of resident memory is free memory glibc keeps
                print("TRIMMED", *_trim(), flush=True)
            elif verb == "snap":  # ROOMNODE_TRACEMALLOC set: Python's allocations, to diff later
                tracemalloc.take_snapshot().dump(args[0])
                print("SNAPPED", flush=True)
            elif verb == "report":
                Path(args[0]).write_text(json.dumps({"device": laptop.me, "edits": laptop.edits,
                                                     "arrivals": laptop.arrivals}))
                print("REPORTED", flush=True)
    finally:
        for task in editing:
            task.cancel()
        await node.stop()
        group.close()


def _profiled(args: argparse.Namespace, path: str) -> None:
    """Run this laptop under cProfile timed by each thread's own CPU time: on a loaded machine
    wall time mostly measures the wait for a core. The loop's thread goes to PATH, the apply
    worker's to PATH.worker."""
    import cProfile
    from concurrent.futures import thread as futures_thread

    worker_profile = cProfile.Profile(timer=time.thread_time)
    plain_worker = futures_thread._worker

    def profiled_worker(*worker_args: Any) -> None:
        worker_profile.enable()
        try:
            plain_worker(*worker_args)
        finally:
            worker_profile.disable()
            worker_profile.dump_stats(path + ".worker")

    futures_thread._worker = profiled_worker  # type: ignore[attr-defined]
    main_profile = cProfile.Profile(timer=time.thread_time)
    main_profile.enable()
    try:
        asyncio.run(run(args.data_dir, not args.no_discovery, args.peer, args.port))
    finally:
        main_profile.disable()
        main_profile.dump_stats(path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.roomnode")
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--port", type=int, default=7000)
    parser.add_argument("--no-discovery", action="store_true")
    parser.add_argument("--peer", action="append", default=[])
    parser.add_argument("--plain", action="store_true", help="offer and use no codec (as the previous version)")
    args = parser.parse_args(argv)
    if os.environ.get("ROOMNODE_LOG"):  # INFO: every conversation's end and why, on stderr (the log)
        import logging

        logging.basicConfig(level=os.environ["ROOMNODE_LOG"], format="%(asctime)s %(name)s %(message)s")
        for name in filter(None, os.environ.get("ROOMNODE_DEBUG", "").split(",")):  # e.g. organiser.sync.skipping
            logging.getLogger(name).setLevel(logging.DEBUG)
    if args.plain:
        from organiser.sync import packing

        packing.available = lambda: ()  # type: ignore[assignment] # the previous version's HELLO
    if os.environ.get("ROOMNODE_TRACEMALLOC"):  # frames kept per allocation (memory and time cost)
        tracemalloc.start(int(os.environ["ROOMNODE_TRACEMALLOC"]))
    profile = os.environ.get("ROOMNODE_PROFILE")  # a path: where this laptop's cProfile goes
    if profile and args.data_dir.name == "h1":
        _profiled(args, profile)
        return 0
    asyncio.run(run(args.data_dir, not args.no_discovery, args.peer, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
