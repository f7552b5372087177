"""Folder sync benchmark. Prints JSON.

    python -m tests.perf.folder [--scale 1.0] [--skip-lan]

The LAN initial sync's data set (10,000 members + 5,000 events + 20,000 tasks: with the
group's founding and admissions, 35,003 changesets) is written by A to a shared folder and
applied from it by a new device C (admitted, holding only the membership log, as after its
invite). Compared, in the same run, with the LAN initial sync of the same records from A to a
fresh B (tests/perf/lan.py, over TLS inside network namespaces; skipped where they cannot be
made). Goals (issue 16): write + apply at most 2x the LAN sync; folder bytes at most 1.2x the
changesets' own bytes (body + signature).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def lan_sync_seconds(base: Path, a_dir: Path, b_dir: Path) -> dict[str, Any]:
    from tests.net.netns import Lan, netns_unavailable
    from tests.perf.lan import Host, wait

    reason = netns_unavailable()
    if reason:
        return {"skipped": reason}
    lan = Lan("orgfold")
    workers = []
    try:
        for name in ("fa", "fb"):
            lan.add_host(name)
        a = Host(lan, "fa", a_dir, "--port", "7000", "--no-discovery")
        workers.append(a)
        wait(lambda: a.port > 0, 60, "A to start")
        a.send("count")
        wait(lambda: a.count > 0, 20, "a count")
        expected = a.count
        b = Host(lan, "fb", b_dir, "--port", "7000", "--no-discovery", "--peer", f"{lan.hosts['fa']}:7000")
        workers.append(b)
        wait(lambda: b.count >= expected, 600, "B to hold everything")
        return {"records": expected, "sync_s": round(b.count_at - b.started_at, 3)}
    finally:
        for w in workers:
            w.quit()
        lan.close()


def folder_figures(a_dir: Path, c_dir: Path, shared: Path) -> dict[str, Any]:
    from organiser.services.folders import Folders
    from organiser.services.group import open_group

    a = open_group(a_dir)
    try:
        changesets, own_bytes = a.db.execute(
            "SELECT count(*), sum(length(body) + length(signature)) FROM changes").fetchone()
        Folders(a.replica).add(str(shared))
        started = time.perf_counter()
        written = Folders(a.replica).sync()[0]
        write_s = time.perf_counter() - started
        expected = a.replica.state_hash()
    finally:
        a.close()
    segments = [p for p in shared.rglob("*.seg")]
    folder_bytes = sum(p.stat().st_size for p in shared.rglob("*") if p.is_file())
    c = open_group(c_dir)
    try:
        Folders(c.replica).add(str(shared))
        started = time.perf_counter()
        read = Folders(c.replica).sync()[0]
        read_s = time.perf_counter() - started
        same = c.replica.state_hash() == expected
        records = c.db.execute("SELECT count(*) FROM records").fetchone()[0]
    finally:
        c.close()
    return {"changesets": changesets, "written": written.written, "applied": read.applied, "records": records,
            "segments": len(segments), "write_s": round(write_s, 3), "apply_s": round(read_s, 3),
            "folder_bytes": folder_bytes, "changeset_bytes": own_bytes,
            "bytes_ratio": round(folder_bytes / own_bytes, 3), "state_hash_equal": same}


def main(argv: list[str]) -> int:
    from tests.perf.lan import fill, make_devices

    parser = argparse.ArgumentParser(prog="python -m tests.perf.folder")
    parser.add_argument("--scale", type=float, default=1.0, help="scale the data set")
    parser.add_argument("--skip-lan", action="store_true", help="skip the LAN baseline")
    args = parser.parse_args(argv)
    s = args.scale
    results: dict[str, Any] = {"targets": {"folder_vs_lan_ratio": 2, "bytes_ratio": 1.2}}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        from organiser.services.group import open_group

        dirs = make_devices(base, 3)  # A fills; B syncs over the LAN; C through the folder
        a = open_group(dirs[0])
        fill(a, int(10_000 * s), int(5_000 * s), int(20_000 * s))
        a.close()
        shared = base / "shared"
        shared.mkdir()
        folder = folder_figures(dirs[0], dirs[2], shared)
        results["folder"] = folder
        if not args.skip_lan:
            lan = lan_sync_seconds(base, dirs[0], dirs[1])
            results["lan"] = lan
            if "sync_s" in lan:
                total = folder["write_s"] + folder["apply_s"]
                results["ratio_write_and_apply_vs_lan"] = round(total / lan["sync_s"], 2)
                results["ratio_apply_vs_lan"] = round(folder["apply_s"] / lan["sync_s"], 2)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
