"""A long evening: 10 laptops editing for hours, compressed into minutes (root). Prints JSON.

    python -m tests.perf.soak [--minutes 10] [--nodes 10] [--rate 0.5] [--cut-every 60]

Each laptop (a `tests.perf.roomnode` process in its own namespace, found by mDNS) makes
RATE edits a second for MINUTES (a 4-hour evening of 10 laptops makes a few thousand edits;
at 0.5 a second each, 10 minutes make 3,000). Every CUT_EVERY seconds one laptop's cable is
pulled for 15 s and plugged back (a lid closed, a walk to the kitchen), so reconnections,
dialers and peer bookkeeping are exercised. Every laptop is sampled through the evening:
resident memory, open files, TCP connections, threads, the rows of every table, the size of
its database and its log. Reported: growth from the first sample after warm-up to the last,
tables that must stay flat but grew, and whether all ended with the same state hash.

Where memory went, per laptop: glibc's malloc (in use, free but kept, arenas), Python's
small-object arenas, anonymous against file-backed pages; at the end what `malloc_trim`
gives back. SOAK_CENSUS=1 adds, at the end, the live TLS connections, sessions and streams
of each laptop and what a full collection finds (garbage cycles keeping dead connections).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.perf.room import converged, make_room, mesh_connected, start_room, wait

# Tables that grow with what people write (the signed change log and what it materialises).
GROWS_WITH_EDITS = frozenset({"changes", "change_log", "records", "records_fts", "records_fts_data",
                              "records_fts_docsize", "records_fts_idx", "conflicts", "settled",
                              "search_pending"})  # one row per edited record at most: bounded by the records


def sample(laptops: list[Any], base: Path) -> list[dict[str, Any]]:
    out = []
    for lp in laptops:
        stats = lp.stats()
        log = base / f"{lp.host}.log"
        stats["log_bytes"] = log.stat().st_size if log.exists() else 0
        out.append(stats)
    return out


def flat(stats: list[dict[str, Any]], group: str) -> list[dict[str, Any]]:
    """The samples with one nested group of figures (malloc, smaps) lifted to the top."""
    return [{**s, **s[group]} for s in stats]


def growth(first: list[dict[str, Any]], last: list[dict[str, Any]], key: str) -> dict[str, Any]:
    pct = [100.0 * (b[key] - a[key]) / a[key] for a, b in zip(first, last, strict=True) if a[key]]
    return {"first": [a[key] for a in first], "last": [b[key] for b in last],
            "growth_pct_max": round(max(pct), 1) if pct else None,
            "growth_pct_median": round(statistics.median(pct), 1) if pct else None}


def traced_growth(first: list[dict[str, Any]], last: list[dict[str, Any]]) -> dict[str, Any] | None:
    return growth(first, last, "python_traced_kb") if first[0].get("python_traced_kb") is not None else None


def table_growth(samples: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Per table, rows (max over laptops) at warm-up, halfway and the end; flags a table that
    must stay flat but still grew in the second half."""
    marks = {"warm": samples[0], "half": samples[len(samples) // 2], "end": samples[-1]}
    tables = sorted({t for s in samples[-1] for t in s["rows"]})
    out: dict[str, Any] = {}
    grew = []
    for table in tables:
        rows = {name: max(s["rows"].get(table, 0) for s in sample_) for name, sample_ in marks.items()}
        out[table] = rows
        if table not in GROWS_WITH_EDITS and rows["end"] > rows["half"]:
            grew.append(table)
    return {"rows": out, "flat_tables_that_grew_in_the_second_half": grew}


def control_frames(last: list[dict[str, Any]]) -> dict[str, Any]:
    """At the end, on the open links (what closed links sent is gone with them): control frames
    sent per link by type, the peers' NEIGHBOURS beyond the rate, and the tree's back-offs
    (sync/routes.py: a kept peer passed over for an author; an honest room should have few)."""
    links = [link for s in last for link in s["links"]]
    kinds = sorted({k for link in links for k in link.get("control_sent", {})})
    return {"per_link_max": {k: max(link.get("control_sent", {}).get(k, 0) for link in links) for k in kinds},
            "per_link_mean": {k: round(sum(link.get("control_sent", {}).get(k, 0) for link in links) / len(links), 1)
                              for k in kinds} if links else {},
            "neighbours_dropped": sum(link.get("neighbours_dropped", 0) for link in links),
            "back_offs_per_laptop": [s.get("back_offs") for s in last]}


def snap_all(laptops: list[Any], base: Path, label: str) -> list[Path]:
    """With ROOMNODE_TRACEMALLOC set, every laptop dumps its Python allocations."""
    if not os.environ.get("ROOMNODE_TRACEMALLOC"):
        return []
    paths = [base / f"{lp.host}-{label}.snap" for lp in laptops]
    for lp, path in zip(laptops, paths, strict=True):
        lp.ask(f"snap {path}")
    return paths


def top_growth(first: Path, last: Path, lines: int = 12) -> list[str]:
    """Where Python's allocations grew most between two snapshots (file:line, KB, count)."""
    import tracemalloc

    diff = tracemalloc.Snapshot.load(str(last)).compare_to(tracemalloc.Snapshot.load(str(first)), "traceback")
    out = []
    for stat in diff[:lines]:
        where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in list(stat.traceback)[-4:])
        out.append(f"{stat.size_diff / 1024:+.0f} KB ({stat.count_diff:+d} blocks) {where}")
    return out


def soak(lan: Any, base: Path, nodes: int, minutes: float, rate: float, cut_every: float) -> dict[str, Any]:
    dirs = make_room(base, nodes)
    laptops = start_room(lan, base, dirs, "s")
    seconds = minutes * 60
    try:
        met = wait(lambda: mesh_connected([lp.stats() for lp in laptops]), 120, 1.0)
        t0 = time.time() + 1.0
        for i, lp in enumerate(laptops):
            lp.ask(f"go {t0} {int(rate * seconds)} {seconds} {7000 + i}")
        samples: list[list[dict[str, Any]]] = []
        first_snaps: list[Path] = []
        sample_every = max(10.0, seconds / 20)
        warm_up = t0 + min(60.0, seconds / 10)
        next_sample, next_cut, cuts = warm_up, t0 + cut_every, 0
        pulled: list[tuple[int, int]] = []  # (laptop, seconds after the start)
        while time.time() < t0 + seconds:
            now = time.time()
            if now >= next_cut and now + 20 < t0 + seconds:
                host = laptops[1 + cuts % (nodes - 1)].host
                pulled.append((1 + cuts % (nodes - 1), round(now - t0)))
                lan.cut(host)
                time.sleep(15)
                lan.plug(host)
                cuts += 1
                next_cut = time.time() + cut_every
            if time.time() >= next_sample:
                samples.append(sample(laptops, base))
                if len(samples) == 1:
                    first_snaps = snap_all(laptops, base, "first")
                next_sample += sample_every
            time.sleep(0.5)
        same = wait(lambda: converged(laptops)[0], 180, 1.0)
        wait(lambda: mesh_connected([lp.stats() for lp in laptops]), 60, 1.0)
        time.sleep(3)
        samples.append(sample(laptops, base))
        last_snaps = snap_all(laptops, base, "last")
        census = [json.loads(" ".join(lp.ask("census")[1:])) for lp in laptops] if os.environ.get("SOAK_CENSUS") else []
        trimmed = [[int(x) for x in lp.ask("trim")[1:]] for lp in laptops]
    finally:
        for lp in laptops:
            lp.quit()
    first, last = samples[0], samples[-1]
    grew = growth(first, last, "rss_kb")
    worst = max(range(nodes), key=lambda i: last[i]["rss_kb"] - first[i]["rss_kb"])
    traced = {f"python_allocations_that_grew_laptop_{worst}": top_growth(first_snaps[worst], last_snaps[worst])} \
        if first_snaps and last_snaps else {}
    return {
        "nodes": nodes, "minutes": minutes, "edits_per_second_per_node": rate, "all_connected_at_start": met,
        "cable_pulls": cuts, "cables_pulled_laptop_and_s": pulled,
        "samples": len(samples), "changesets_made": sum(s["edits"] for s in last),
        "converged_at_end": same,
        "rss_kb": grew,
        # What SQLite holds (page caches of the app's and the applier's connections, statements):
        # tells caches filling as the database grows from a leak in Python.
        "sqlite_kb": growth(first, last, "sqlite_kb"), "python_traced_kb": traced_growth(first, last),
        "asyncio_tasks": growth(first, last, "tasks"),
        # A leak keeps growing; warm-up (caches filling as the database grows) shows as a first step.
        "rss_kb_second_half": growth(samples[len(samples) // 2], last, "rss_kb"),
        "fds": growth(first, last, "fds"),
        "tcp_established": growth(first, last, "tcp_established"), "threads": growth(first, last, "threads"),
        # Where resident memory went: glibc's malloc (in use by the program, free but kept, its
        # arenas) and the kinds of mapping; then what malloc_trim gives back at the end.
        "malloc_in_use_kb": growth(flat(first, "malloc"), flat(last, "malloc"), "in_use_kb"),
        "malloc_free_kb": growth(flat(first, "malloc"), flat(last, "malloc"), "free_kb"),
        "malloc_heaps": growth(flat(first, "malloc"), flat(last, "malloc"), "heaps"),
        "pymalloc_arenas": growth(flat(first, "pymalloc"), flat(last, "pymalloc"), "arenas"),
        "pymalloc_live_kb": growth(flat(first, "pymalloc"), flat(last, "pymalloc"), "live_kb"),
        "anonymous_kb": growth(flat(first, "smaps"), flat(last, "smaps"), "anonymous_kb"),
        "rss_kb_before_and_after_malloc_trim": trimmed,
        **({"census_at_end": census} if census else {}),
        "db_bytes": growth(first, last, "db_bytes"), "log_bytes": growth(first, last, "log_bytes"),
        "rss_kb_over_time_laptop_1": [s[1]["rss_kb"] for s in samples],
        "fds_over_time_laptop_1": [s[1]["fds"] for s in samples],
        "sqlite_kb_over_time_laptop_1": [s[1]["sqlite_kb"] for s in samples],
        f"rss_kb_over_time_laptop_{worst}": [s[worst]["rss_kb"] for s in samples],
        f"sqlite_kb_over_time_laptop_{worst}": [s[worst]["sqlite_kb"] for s in samples],
        f"malloc_over_time_laptop_{worst}": [s[worst]["malloc"] for s in samples],
        f"pymalloc_over_time_laptop_{worst}": [s[worst]["pymalloc"] for s in samples],
        f"anonymous_kb_over_time_laptop_{worst}": [s[worst]["smaps"]["anonymous_kb"] for s in samples],
        "sample_times_s": [round(s[0]["time"] - t0) for s in samples],
        **traced,
        "tables": table_growth(samples),
        "control": control_frames(last),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.soak")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--rate", type=float, default=0.5, help="edits a second per laptop")
    parser.add_argument("--cut-every", type=float, default=60.0, help="seconds between two pulled cables")
    args = parser.parse_args(argv)

    from tests.net.netns import Lan, netns_unavailable

    reason = netns_unavailable()
    if reason:
        print(json.dumps({"skipped": reason}))
        return 0
    load_at_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:  # ROOMNODE_TRACEMALLOC=FRAMES: where Python's memory grew
        lan = Lan("orgsoak")
        try:
            result = soak(lan, Path(tmp), args.nodes, args.minutes, args.rate, args.cut_every)
        finally:
            lan.close()
    result["load_average_at_start"] = load_at_start
    result["load_average_at_end"] = os.getloadavg()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
