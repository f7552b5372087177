"""Can the store's SQLite work run on the second core while Python works? Prints JSON.

    python -m tests.perf.beside [--rows 35000]

The apply's Python (decoding, checks, materialising) and its SQLite writes could overlap only
if SQLite ran without holding the interpreter lock. This inserts ROWS rows the way the store
writes (executemany, one row bound at a time) and as one `INSERT ... SELECT FROM json_each(?)`
statement, each alone and then beside a thread that keeps Python busy, into an empty table in
one transaction that is rolled back. Reported for each: seconds alone, seconds beside the busy
thread, and the share of its own speed the busy thread kept. executemany beside Python is
measured on ROWS / 50 rows (it is far slower) and scaled to ROWS.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from organiser.store.database import connect

TABLE = "CREATE TABLE t (id TEXT PRIMARY KEY, data TEXT, signature BLOB, seq INTEGER)"
ONE_STATEMENT = ("INSERT INTO t SELECT value->>0, value->>1, unhex(value->>2), value->>3 "
                 "FROM json_each(?)")


def python_work(stop: threading.Event) -> int:
    """Units of plain interpreter work done until `stop`."""
    done = 0
    while not stop.is_set():
        sum(range(1000))
        done += 1
    return done


def units_per_second(seconds: float = 1.0) -> float:
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    t0 = time.perf_counter()
    done = python_work(stop)
    return done / (time.perf_counter() - t0)


def timed(conn: sqlite3.Connection, write: Callable[[], object]) -> float:
    conn.execute("BEGIN")
    t0 = time.perf_counter()
    write()
    elapsed = time.perf_counter() - t0
    conn.execute("ROLLBACK")
    return elapsed


def beside_python(conn: sqlite3.Connection, write: Callable[[], object], rate: float) -> tuple[float, float]:
    """(seconds of the write, share of its own rate the busy Python thread kept meanwhile)."""
    result: dict[str, float] = {}
    stop = threading.Event()

    def writer() -> None:
        result["seconds"] = timed(conn, write)
        stop.set()

    thread = threading.Thread(target=writer)
    t0 = time.perf_counter()
    thread.start()
    done = python_work(stop)
    thread.join(timeout=600)
    return result["seconds"], done / (time.perf_counter() - t0) / rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=35_000)
    args = parser.parse_args(argv)
    rows = [(os.urandom(16).hex(), "x" * 300, os.urandom(64), i) for i in range(args.rows)]
    few = rows[: max(1, args.rows // 50)]
    text = orjson.dumps([[r[0], r[1], r[2].hex(), r[3]] for r in rows]).decode()
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(Path(tmp) / "beside.db")
        conn = db.conn
        conn.execute(TABLE)
        rate = units_per_second()
        many_alone = timed(conn, lambda: conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows))
        many_beside, many_kept = beside_python(
            conn, lambda: conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", few), rate)
        one_alone = timed(conn, lambda: conn.execute(ONE_STATEMENT, [text]))
        one_beside, one_kept = beside_python(conn, lambda: conn.execute(ONE_STATEMENT, [text]), rate)
        db.close()
    report: dict[str, Any] = {
        "rows": args.rows, "cores": os.cpu_count(), "load_average": os.getloadavg()[0],
        "executemany": {"alone_s": round(many_alone, 3),
                        "beside_python_s": round(many_beside * len(rows) / len(few), 1),
                        "measured_on_rows": len(few), "python_kept_share": round(many_kept, 2)},
        "one_statement_json_each": {"alone_s": round(one_alone, 3), "beside_python_s": round(one_beside, 3),
                                    "python_kept_share": round(one_kept, 2)},
    }
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
