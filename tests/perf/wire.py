"""Bytes on the wire for a first sync of 35,002 records, plain and packed. Prints JSON.

    python -m tests.perf.wire [--scale 1.0] [--skip-lan]

- codecs: the CHANGES payloads a node streams for a first sync (read from the change log
  and cut into frames exactly as a session does), packed with zlib (levels 1, 6) and
  zstandard (levels 1, 3, 9): bytes, and seconds to pack and to unpack them all;
- baseline: the JSON backup of the same group (`organiser export --format json`, records
  and their signed change log) and the records alone as JSON, each gzipped (level 6);
- on_wire (root): a real first sync A -> B over TLS inside network namespaces, once with
  packing turned off on both nodes (as two nodes of the previous version talk) and once
  with it; the bytes both ways on B's interface, and the seconds until B holds everything.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import zstandard

from tests.perf.lan import Host, fill, make_devices, wait


def frame_payloads(group: Any) -> list[bytes]:
    """The CHANGES payloads a session streams to a peer that holds nothing."""
    from organiser.sync import outbox
    from organiser.sync import protocol as p

    payloads, after = [], 0
    while True:
        after, batch = outbox.missing(group.db, {}, after, 2000)
        if not batch:
            return payloads
        payloads += [p.changes_payload(part) for part in p.batches([(cs.body, cs.signature) for cs in batch])]


def codec_sizes(payloads: list[bytes]) -> dict[str, Any]:
    header = 6 * len(payloads)
    out: dict[str, Any] = {"frames": len(payloads), "plain_bytes": sum(map(len, payloads)) + header}
    packers = {
        "zlib_1": (lambda b: zlib.compress(b, 1), zlib.decompress),
        "zlib_6": (lambda b: zlib.compress(b, 6), zlib.decompress),
        **{f"zstd_{level}": (zstandard.ZstdCompressor(level=level).compress, zstandard.ZstdDecompressor().decompress)
           for level in (1, 3, 9)},
    }
    for name, (pack, unpack) in packers.items():
        started = time.perf_counter()
        packed = [pack(b) for b in payloads]
        packing_s = time.perf_counter() - started
        started = time.perf_counter()
        for b in packed:
            unpack(b)
        out[name] = {"bytes": sum(map(len, packed)) + 7 * len(packed), "pack_s": round(packing_s, 3),
                     "unpack_s": round(time.perf_counter() - started, 3)}
    return out


def baselines(group: Any) -> dict[str, Any]:
    from organiser.formats.backup import write_backup
    from organiser.services.backup import build_backup

    backup = build_backup(group)
    whole = write_backup(backup)
    records = json.dumps(backup.records, separators=(",", ":")).encode()
    return {"records": len(backup.records), "changesets": len(backup.changes),
            "backup_json_bytes": len(whole), "backup_json_gzip_bytes": len(gzip.compress(whole, 6)),
            "records_json_bytes": len(records), "records_json_gzip_bytes": len(gzip.compress(records, 6))}


def on_wire(lan: Any, base: Path, source: Path, packed: bool) -> dict[str, Any]:
    import shutil

    dirs = {"a": base / "a", "b": base / "b"}
    for name, path in dirs.items():
        shutil.copytree(source / name, path)
    tag = "p" if packed else "u"
    hosts = [f"w{tag}a", f"w{tag}b"]
    for host in hosts:
        lan.add_host(host)
    flags = [] if packed else ["--plain"]
    a = Host(lan, hosts[0], dirs["a"], "--port", "7000", "--no-discovery", *flags, module="tests.perf.wire")
    workers = [a]
    try:
        wait(lambda: a.port > 0, 60, "A to start")
        a.send("count")
        wait(lambda: a.count > 0, 30, "a count")
        expected = a.count
        before = lan.link_bytes(hosts[1])
        b = Host(lan, hosts[1], dirs["b"], "--port", "7000", "--no-discovery", *flags,
                 "--peer", f"{lan.hosts[hosts[0]]}:7000", module="tests.perf.wire")
        workers.append(b)
        wait(lambda: b.count >= expected, 600, "B to hold everything")
        synced = b.count_at - b.started_at
        time.sleep(0.5)  # the last acknowledgements
        after = lan.link_bytes(hosts[1])
    finally:
        for w in workers:
            w.quit()
    received, sent = after[0] - before[0], after[1] - before[1]
    return {"packed": packed, "records": expected, "sync_s": round(synced, 2), "b_received_bytes": received,
            "b_sent_bytes": sent, "total_bytes": received + sent}


def prepare(base: Path, scale: float) -> Path:
    from organiser.services.group import open_group

    dirs = make_devices(base, 2)
    founder = open_group(dirs[0])
    fill(founder, int(10_000 * scale), int(5_000 * scale), int(20_000 * scale))
    founder.close()
    for i, path in enumerate(dirs):
        path.rename(base / "ab"[i])
    return base


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.wire")
    sub = parser.add_subparsers(dest="mode")
    node = sub.add_parser("node")
    node.add_argument("data_dir", type=Path)
    node.add_argument("--port", type=int, default=0)
    node.add_argument("--no-discovery", action="store_true")
    node.add_argument("--plain", action="store_true", help="offer and use no codec (as the previous version)")
    node.add_argument("--peer", action="append", default=[])
    parser.add_argument("--scale", type=float, default=1.0, help="scale the data set (1.0: 35,000 records)")
    parser.add_argument("--skip-lan", action="store_true", help="only the sizes, no namespaces")
    args = parser.parse_args(argv)
    if args.mode == "node":
        from organiser.sync import packing
        from tests.perf.lan import worker

        if args.plain:
            packing.available = lambda: ()  # type: ignore[assignment] # the previous version's HELLO
        asyncio.run(worker(args.data_dir, args.port, not args.no_discovery, args.peer))
        return 0

    from organiser.services.group import open_group

    results: dict[str, Any] = {"target": "packed first sync <= 1.5x the gzipped JSON backup"}
    with tempfile.TemporaryDirectory() as tmp:
        source = prepare(Path(tmp) / "src", args.scale)
        group = open_group(source / "a")
        try:
            results["codecs"] = codec_sizes(frame_payloads(group))
            results["baseline"] = baselines(group)
        finally:
            group.close()
        chosen = results["codecs"]["zstd_3"]["bytes"]
        results["ratio_packed_to_backup_gzip"] = round(chosen / results["baseline"]["backup_json_gzip_bytes"], 2)
        results["ratio_packed_to_records_gzip"] = round(chosen / results["baseline"]["records_json_gzip_bytes"], 2)
        results["ratio_plain_to_backup_gzip"] = round(results["codecs"]["plain_bytes"]
                                                      / results["baseline"]["backup_json_gzip_bytes"], 2)
        if not args.skip_lan:
            from tests.net.netns import Lan, netns_unavailable

            reason = netns_unavailable()
            if reason:
                results["on_wire"] = {"skipped": reason}
            else:
                lan = Lan("orgw")
                try:
                    results["on_wire"] = [on_wire(lan, Path(tmp) / f"run{i}", source, packed)
                                          for i, packed in enumerate((False, True))]
                finally:
                    lan.close()
                plain, packed = results["on_wire"]
                results["on_wire_ratio_packed_to_plain"] = round(packed["total_bytes"] / plain["total_bytes"], 3)
                results["on_wire_ratio_packed_to_backup_gzip"] = round(
                    packed["total_bytes"] / results["baseline"]["backup_json_gzip_bytes"], 2)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
