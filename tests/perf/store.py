"""Store benchmark: prints JSON. Run with `python -m tests.perf.store` (or `make bench`).

- write_overhead: creating members through the service, one transaction (and one signed
  changeset) each, divided by inserting the same rows (ids of the same random form) with
  plain sqlite3, one transaction each, with the same pragmas, in the same run. Reported
  with the store's own durability setting (synchronous=FULL, an fsync per commit) and with
  synchronous=NORMAL (no fsync), which shows the CPU cost of the bookkeeping alone.
  stored_rows_floor: the rows those writes stored (changeset, record) inserted with plain
  sqlite3, one transaction each: the share of the overhead that is disk, not Python.
- apply: applying another device's changesets for members + events + tasks into an empty
  store, divided by a plain executemany insert of the same rows in one transaction.
  stored_rows_floor: executemany of exactly what the apply stored (signed change log in its stored form,
  records with their versions, full-text index) into an empty store: no decoding, no
  checks, no merging. Its ratio is the least any apply could reach with this schema.
  least_ratio_to_floor_with_this_python: floor + the apply's Python time, over the floor: the
  least a one-threaded apply doing this Python could reach. least_ratio_with_sqlite_on_another_core:
  the larger of the two shares over the floor, as if SQLite ran wholly beside Python on the
  second core (see tests/perf/beside.py for whether it can).
  checks: the same apply into another empty store with the checks on receipt turned off
  (store/checks.py `screen` passed through), alternating with the real one, and the time
  `screen` alone takes over all the changesets: what checking a peer's changesets like a
  person's edit costs, as a share of the apply.
  decode_fast_path: decoding every changeset's ops with core/changeset.py `_decode_ops`
  (a first write with no base skips the general parser) against `Op.from_json` for each op:
  what the fast path saves on a first sync.
- at_rest: an encrypted group against a plain one in this same run (writes, apply, unlock, and
  the wipe of a 50,000-member group); see tests/perf/atrest.py. `--only-at-rest` runs just these.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from organiser.core.changeset import decode_changeset
from organiser.core.gcpause import gc_paused
from organiser.core.keys import public_key_hex
from organiser.services.group import Group, create_group, join_group, prepare_join
from organiser.store import changelog, membership
from organiser.store.database import connect
from tests.perf.speed import STEPS, python_loop_s

FIRST = ["Ana", "Bilal", "Chloé", "Dmitri", "Eilidh", "Fatima", "Gustavo", "Hana", "Ivo", "Jonas"]
LAST = ["López", "Okafor", "Nguyen", "Schmidt", "Kowalski", "Haddad", "Silva", "Murphy", "Ito"]
ROLES = ["Outreach", "Door", "Minutes", "Legal", "Childcare", "Treasury"]


def member_values(i: int, rng: random.Random) -> dict[str, Any]:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
    return {"name": name, "emails": [f"member{i}@example.org"], "phones": [f"+44 7700 {i:06d}"],
            "notes": "", "consent_email": True, "consent_phone": i % 2 == 0,
            "consent_date": "2026-01-15", "joined": "2025-06-01"}


def event_values(i: int) -> dict[str, Any]:
    day = 1 + i % 28
    return {"title": f"Meeting {i}", "description": "Agenda: rent strike, repairs.",
            "start": f"2026-12-{day:02d}T19:00", "end": f"2026-12-{day:02d}T21:00",
            "tz": "Europe/London", "location": "Church hall", "capacity": 40, "status": "scheduled"}


def task_values(i: int, members: list[str], events: list[str]) -> dict[str, Any]:
    return {"title": f"Task {i}", "description": "Follow up", "status": ("todo", "doing", "done")[i % 3],
            "assignee": members[i % len(members)], "due": "2026-12-20", "priority": i % 4,
            "event": events[i % len(events)]}


def plain_db(path: Path, synchronous: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.executescript(
        "CREATE TABLE members (id TEXT PRIMARY KEY, name TEXT, emails TEXT, phones TEXT, notes TEXT,"
        " consent_email INT, consent_phone INT, consent_date TEXT, joined TEXT);"
        "CREATE TABLE events (id TEXT PRIMARY KEY, title TEXT, description TEXT, start TEXT, end TEXT,"
        " tz TEXT, location TEXT, capacity INT, status TEXT);"
        "CREATE TABLE tasks (id TEXT PRIMARY KEY, title TEXT, description TEXT, status TEXT,"
        " assignee TEXT, due TEXT, priority INT, event TEXT);"
    )
    return conn


MEMBER_SQL = "INSERT INTO members VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
EVENT_SQL = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
TASK_SQL = "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?)"


def member_row(i: int, v: dict[str, Any]) -> tuple:
    return (f"m{i}", v["name"], json.dumps(v["emails"]), json.dumps(v["phones"]), v["notes"],
            v["consent_email"], v["consent_phone"], v["consent_date"], v["joined"])


def bench_writes(tmp: Path, n: int, synchronous: str, rounds: int = 10) -> dict[str, float]:
    """Plain and organiser writes alternate in rounds, so a busy moment of the machine
    weighs on both sides alike."""
    rng = random.Random(1)
    values = [member_values(i, rng) for i in range(n)]
    # The same rows: with ids like the store's (random 128-bit hex), not a counter.
    id_rng = random.Random(4)
    rows = [(id_rng.randbytes(16).hex(), *member_row(i, v)[1:]) for i, v in enumerate(values)]
    conn = plain_db(tmp / f"plain-{synchronous}.db", synchronous)
    group = create_group(tmp / f"store-{synchronous}", "Bench", "bench laptop")
    group.db.execute(f"PRAGMA synchronous={synchronous}")
    plain = ours = 0.0
    step = max(1, n // rounds)
    for start in range(0, n, step):
        t0 = time.perf_counter()
        for row in rows[start:start + step]:
            conn.execute("BEGIN")
            conn.execute(MEMBER_SQL, row)
            conn.execute("COMMIT")
        plain += time.perf_counter() - t0
        t0 = time.perf_counter()
        for v in values[start:start + step]:
            group.members.add(v.pop("name"), **v)
        ours += time.perf_counter() - t0
    conn.close()
    floor = write_floor(tmp, group, synchronous, rows=n)
    group.close()
    return {"plain_s": round(plain, 3), "organiser_s": round(ours, 3),
            "per_write_us": round(ours / n * 1e6, 1), "ratio": round(ours / plain, 2),
            "stored_rows_floor_s": round(floor, 3), "stored_rows_floor_ratio": round(floor / plain, 2)}


def write_floor(tmp: Path, group: Group, synchronous: str, rows: int) -> float:
    """The least a local write can take with this schema: the rows each write stored (its
    changeset in the change log, its record), inserted with plain sqlite3, one transaction
    each, into an empty store: no validation, signing, encoding or merging."""
    # The change log's stored form (store/changelog.py), and the signed body to find the record.
    logged = group.db.execute(
        "SELECT l.author, l.seq, l.hlc, l.prev, l.hash, l.head, l.ops, l.body, l.signature, c.body "
        "FROM change_log l JOIN changes c ON c.id = l.id ORDER BY l.id DESC LIMIT ?", [rows]
    ).fetchall()[::-1]
    records = {rid: row for rid, *row in group.db.execute(
        "SELECT id, id, kind, data, versions, deleted, search, link1, link2 FROM records WHERE kind = 'member'")}
    db = connect(tmp / f"floor-{synchronous}.db")
    db.execute(f"PRAGMA synchronous={synchronous}")
    conn = db.conn
    pairs = [(row[:9], records[json.loads(row[9])["o"][0][1]]) for row in logged]
    t0 = time.perf_counter()
    for change, record in pairs:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(changelog.INSERT, change)
        conn.execute("INSERT INTO records (id, kind, data, versions, deleted, search, link1, link2) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", record)
        conn.execute("COMMIT")
    floor = time.perf_counter() - t0
    db.close()
    return floor


def make_source(tmp: Path, members: int, events: int, tasks: int) -> Group:
    """A device holding members + events + tasks, written in big batches."""
    rng = random.Random(2)
    source = create_group(tmp / "source", "Bench", "source laptop")
    source.db.execute("PRAGMA synchronous=OFF")
    member_ids: list[str] = []
    event_ids: list[str] = []
    for start in range(0, members, 2000):
        batch = [source.members.build_add(member_values(i, rng))
                 for i in range(start, min(members, start + 2000))]
        source.replica.commit_batch([ops for _id, ops in batch])
        member_ids += [rid for rid, _ops in batch]
    for start in range(0, events, 2000):
        batch = [source.events.build_add(event_values(i)) for i in range(start, min(events, start + 2000))]
        source.replica.commit_batch([ops for _id, ops in batch])
        event_ids += [rid for rid, _ops in batch]
    for start in range(0, tasks, 2000):
        batch = [source.tasks.build_add(task_values(i, member_ids, event_ids))
                 for i in range(start, min(tasks, start + 2000))]
        source.replica.commit_batch([ops for _id, ops in batch])
    return source


def fresh_target(tmp: Path, source: Group, name: str) -> Group:
    _path, public = prepare_join(tmp / name, source.id)
    source.admit_device(public, name)
    return join_group(tmp / name, source.credentials(), name)


def timed_apply(target: Group, wire: list[tuple[bytes, bytes]], chunk: int) -> float:
    t0 = time.perf_counter()
    for start in range(0, len(wire), chunk):
        with gc_paused():
            changes = [decode_changeset(body, sig) for body, sig in wire[start:start + chunk]]
        assert not target.replica.apply(changes).refused
    return time.perf_counter() - t0


def bench_checks(tmp: Path, source: Group, wire: list[tuple[bytes, bytes]], chunk: int,
                 rounds: int = 3) -> dict[str, Any]:
    """Apply with and without the checks on receipt, alternately, into fresh stores; and the
    checks alone right after each, so each round's share is taken under the same load."""
    from organiser.store import checks

    real_screen = checks.screen
    with_checks: list[float] = []
    without: list[float] = []
    alone: list[float] = []
    shares: list[float] = []
    with gc_paused():
        decoded = [decode_changeset(body, sig) for body, sig in wire]
    for n in range(rounds):
        target = fresh_target(tmp, source, f"checked-{n}")
        with_checks.append(timed_apply(target, wire, chunk))
        t0 = time.perf_counter()
        good, refused = real_screen(target.db, decoded, target.replica.clock.wall_ms())
        alone.append(time.perf_counter() - t0)
        assert not refused and len(good) == len(decoded)
        target.close()
        checks.screen = lambda _db, batch, _now: (batch, [])  # type: ignore[assignment]
        try:
            target = fresh_target(tmp, source, f"unchecked-{n}")
            without.append(timed_apply(target, wire, chunk))
            target.close()
        finally:
            checks.screen = real_screen
        shares.append(alone[-1] / without[-1])
    best_with, best_without = min(with_checks), min(without)
    return {"apply_with_checks_s": round(best_with, 3), "apply_without_checks_s": round(best_without, 3),
            "checks_alone_s": round(min(alone), 3), "checks_share_of_apply": round(sorted(shares)[len(shares) // 2], 3),
            "checks_share_per_round": [round(x, 3) for x in shares],
            "difference_share": round((best_with - best_without) / best_without, 3),
            "rounds": rounds, "target_share": 0.10}


def bench_apply(tmp: Path, members: int, events: int, tasks: int, chunk: int, *,
                with_checks: bool = True) -> dict[str, Any]:
    speed_at_start = python_loop_s()
    source = make_source(tmp, members, events, tasks)
    _path, public = prepare_join(tmp / "target", source.id)
    source.admit_device(public, "target laptop")
    # A group that has removed a device: every changeset that arrives is checked against it.
    source.admit_device(public_key_hex(Ed25519PrivateKey.generate()), "lost laptop")
    source.membership.remove("lost laptop")
    target = join_group(tmp / "target", source.credentials(), "target laptop")
    # What arrives over the network: the stored bytes of each changeset.
    wire = [(body, sig) for _id, body, sig in source.replica.raw_changes_after(0, limit=10**9)]
    total = len(wire)

    # Baseline: the same rows, plain executemany in one transaction, same pragmas.
    # Same ids as the store's (random 128-bit hex), inserted in the order they come.
    rng = random.Random(2)
    id_rng = random.Random(3)
    ids = iter(id_rng.randbytes(16).hex() for _ in range(members + events + tasks))
    conn = plain_db(tmp / "plain-apply.db", "FULL")
    member_rows = [(next(ids), *member_row(i, member_values(i, rng))[1:]) for i in range(members)]
    event_rows = [(next(ids), *event_values(i).values()) for i in range(events)]
    member_ids = [r[0] for r in member_rows]
    event_ids = [r[0] for r in event_rows]
    task_rows = [(next(ids), *task_values(i, member_ids, event_ids).values()) for i in range(tasks)]
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(MEMBER_SQL, member_rows)
    conn.executemany(EVENT_SQL, event_rows)
    conn.executemany(TASK_SQL, task_rows)
    conn.execute("COMMIT")
    plain = time.perf_counter() - t0
    conn.close()

    timed = SqliteTime(target.db.conn)
    target.db.conn = timed
    t0 = time.perf_counter()
    longest = 0.0
    decoding = 0.0
    for start in range(0, total, chunk):
        c0 = time.perf_counter()
        with gc_paused():  # as the sync session decodes what arrives
            changes = [decode_changeset(body, sig) for body, sig in wire[start:start + chunk]]
        decoding += time.perf_counter() - c0
        result = target.replica.apply(changes)
        longest = max(longest, time.perf_counter() - c0)
        assert not result.refused, result.refused[:3]
    ours = time.perf_counter() - t0
    target.db.conn = timed.conn
    same = source.replica.state_hash() == target.replica.state_hash()
    check_us = membership_check_us(target, [decode_changeset(body, sig) for body, sig in wire])
    fast_path = decode_fast_path(wire)
    floor_runs = stored_rows_floor(tmp, target)
    floor = min(floor_runs)
    stored = stored_bytes(target, total)
    target.close()
    checked = bench_checks(tmp, source, wire, chunk) if with_checks else None
    source.close()
    return {"checks_on_receipt": checked,
            "changesets": total, "plain_executemany_s": round(plain, 3), "organiser_apply_s": round(ours, 3),
            "ratio": round(ours / plain, 2), "decode_s": round(decoding, 3),
            "inside_sqlite_s": round(timed.seconds, 3), "python_s": round(ours - timed.seconds, 3),
            "least_ratio_to_floor_with_this_python": round((floor + ours - timed.seconds) / floor, 2),
            "least_ratio_with_sqlite_on_another_core": round(max(ours - timed.seconds, timed.seconds) / floor, 2),
            "stored_rows_floor_s": round(floor, 3), "stored_rows_floor_ratio": round(floor / plain, 2),
            "stored_rows_floor_runs_s": [round(t, 3) for t in floor_runs],
            "chunk": chunk, "longest_chunk_ms": round(longest * 1000, 1),
            "changesets_per_s": round(total / ours), "state_hash_equal": same,
            "membership_check_us_per_changeset": check_us, "decode_fast_path": fast_path,
            "stored_bytes_per_changeset": stored,
            # How fast a core was (tests/perf/speed.py): apply and floor follow it apart.
            "python_loop_cpu_s": {"start": speed_at_start, "end": python_loop_s(), "steps": STEPS}}


class SqliteTime:
    """A connection that adds up the time its statements spend inside SQLite (a statement's
    first step runs in `execute`; the apply's reads are few and small), so the apply's
    Python share is what is left: no apply doing that Python work on one thread can get
    nearer its floor than floor + that share."""

    def __init__(self, conn: Any) -> None:
        self.conn, self.seconds = conn, 0.0

    def _timed(self, call: Any, *args: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return call(*args)
        finally:
            self.seconds += time.perf_counter() - t0

    def execute(self, *args: Any) -> Any:
        return self._timed(self.conn.execute, *args)

    def executemany(self, *args: Any) -> Any:
        return self._timed(self.conn.executemany, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


def decode_fast_path(wire: list[tuple[bytes, bytes]], rounds: int = 3) -> dict[str, Any]:
    """Seconds to turn every changeset's ops into Op tuples, the fast path against the general
    parser alone (best of `rounds`, alternating), the JSON parsing left out of both."""
    import orjson

    from organiser.core.changeset import Op, _decode_ops

    op_lists = [orjson.loads(body)["o"] for body, _sig in wire]
    fast, general = [], []
    for _ in range(rounds):
        with gc_paused():
            t0 = time.perf_counter()
            for items in op_lists:
                _decode_ops(items)
            fast.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for items in op_lists:
                tuple(Op.from_json(item) for item in items)
            general.append(time.perf_counter() - t0)
    ops = sum(len(items) for items in op_lists)
    return {"ops": ops, "fast_s": round(min(fast), 3), "general_s": round(min(general), 3),
            "saved_share": round(1 - min(fast) / min(general), 2)}


def stored_bytes(target: Group, changesets: int) -> dict[str, int]:
    """What the apply stored per changeset: its change log row (columns and body as stored),
    and the whole database file after VACUUM (records, indexes, full-text index too)."""
    (log_bytes,) = target.db.execute(
        "SELECT sum(length(author) + 8 + 8 + length(prev) + length(hash) + coalesce(length(head), 0) "
        "+ coalesce(length(ops), 0) "
        "+ coalesce(length(body), 0) + length(signature)) FROM change_log").fetchone()
    target.db.execute("VACUUM")
    (pages,) = target.db.execute("PRAGMA page_count").fetchone()
    (page_size,) = target.db.execute("PRAGMA page_size").fetchone()
    return {"change_log_row": round(log_bytes / changesets), "database_file": round(pages * page_size / changesets)}


def membership_check_us(target: Group, changes: list) -> float:
    """What the membership rules add to applying one changeset: looking for membership entries
    among its ops, and setting aside a removed device's later changesets (the roster holds one)."""
    assert target.replica.roster().limits, "the benchmark group should have removed a device"
    rounds = 5
    t0 = time.perf_counter()
    for _ in range(rounds):
        membership.has_entries(changes)
        ready, _beyond = target.replica.split_by_membership(changes)
    elapsed = time.perf_counter() - t0
    assert len(ready) == len(changes)
    return round(elapsed / rounds / len(changes) * 1e6, 3)


def stored_rows_floor(tmp: Path, target: Group, rounds: int = 3) -> list[float]:
    """The least any apply can take with this schema: executemany of exactly the rows the
    apply stored (change log, records, full-text index) into an empty store, no Python work.
    Seconds of each of `rounds` runs, each into a new store: the commit's fsync makes one run
    vary by half with the disk, so the ratio is taken against the best."""
    changes = target.db.execute(
        "SELECT author, seq, hlc, prev, hash, head, ops, body, signature FROM change_log ORDER BY id").fetchall()
    records = sorted(target.db.execute(
        "SELECT id, kind, data, versions, deleted, search, link1, link2 FROM records ORDER BY rowid").fetchall())
    times = []
    for n in range(rounds):
        db = connect(tmp / f"floor-{n}.db")
        conn = db.conn
        t0 = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(changelog.INSERT, changes)
        conn.executemany("INSERT INTO records (id, kind, data, versions, deleted, search, link1, link2) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", records)
        conn.execute("INSERT INTO records_fts (rowid, search) SELECT rowid, search FROM records WHERE search != ''")
        conn.execute("COMMIT")
        times.append(time.perf_counter() - t0)
        db.close()
    return times


def bench_at_rest(tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Encrypted against plain, in this same run (tests/perf/atrest.py)."""
    from tests.perf import atrest

    rng = random.Random(1)
    values = [member_values(i, rng) for i in range(args.writes)]
    source = make_source(tmp / "at-rest", args.members, args.events, args.tasks)
    try:
        apply = atrest.bench_encrypted_apply(tmp / "at-rest", source, args.chunk)
    finally:
        source.close()
    return {"encrypted_write": atrest.bench_encrypted_writes(tmp / "at-rest", args.writes, values),
            "encrypted_apply": apply, "unlock": atrest.bench_unlock(tmp / "at-rest"),
            "wipe": atrest.bench_wipe(tmp / "at-rest", args.wipe_members, member_values)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=35_000, help="changesets per apply() call")
    parser.add_argument("--wipe-members", type=int, default=50_000, help="members in the group the wipe destroys")
    parser.add_argument("--only-at-rest", action="store_true", help="run only the encryption-at-rest figures")
    parser.add_argument("--skip-at-rest", action="store_true", help="leave the encryption-at-rest figures out")
    parser.add_argument("--only", choices=["apply"],
                        help="apply: only the apply figures and their floor (no checks rounds, writes or at-rest)")
    args = parser.parse_args(argv)
    if args.only == "apply":
        with tempfile.TemporaryDirectory() as tmp_name:
            report = {"apply": bench_apply(Path(tmp_name), args.members, args.events, args.tasks, args.chunk,
                                           with_checks=False)}
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0
    if args.only_at_rest:
        with tempfile.TemporaryDirectory() as tmp_name:
            report = {"at_rest": bench_at_rest(Path(tmp_name), args)}
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        report = {
            "write_overhead_synchronous_full": bench_writes(tmp, args.writes, "FULL"),
            "write_overhead_synchronous_normal": bench_writes(tmp, args.writes, "NORMAL"),
            "apply": bench_apply(tmp, args.members, args.events, args.tasks, args.chunk),
            "at_rest": None if args.skip_at_rest else bench_at_rest(tmp, args),
            "targets": {"write_overhead_ratio": 2.5, "apply_ratio": 3.0, "encrypted_write_ratio": 1.5,
                        "encrypted_apply_ratio": 1.5, "unlock_added_s": 1.0, "wipe_s": 1.0},
        }
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
