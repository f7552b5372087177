"""A new laptop joins a year-old group over the LAN (root: network namespaces). Prints JSON.

    python -m tests.perf.year_join --group DIR   (DIR: a data folder `tests.perf.year` built)

A copy of the group's door laptop runs its sync node on one host of a bridge; a new laptop,
admitted as an invite admits it (holding nothing yet), starts its node on another host and
finds the door laptop by mDNS. Reported: the time from the new node's start until it found a
peer and until it holds every record, the changesets and records it received, and the bytes
on its cable both ways (as its interface counts them).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.perf.lan import Host, wait


def prepare(group_dir: Path, base: Path) -> tuple[Path, Path, int]:
    from organiser.core.membership import MEMBERSHIP_KIND
    from organiser.services.group import join_group, open_group, prepare_join

    door = base / "door"
    shutil.copytree(group_dir, door)
    founder = open_group(door)
    _path, public = prepare_join(base / "new", founder.id)
    founder.admit_device(public, "laptop bought this year")
    joined = join_group(base / "new", founder.credentials(), "laptop bought this year")
    # What the invite's handshake brings (as tests/perf/lan.py's join): the membership log, which
    # holds the discovery key; the year's records come over the LAN.
    joined.replica.apply([cs for cs in founder.replica.iter_changes_since({})
                          if cs.ops[0].kind == MEMBERSHIP_KIND])
    joined.close()
    changesets = founder.replica.last_change_id()
    founder.close()
    return door, base / "new", changesets


def year_join(lan: Any, group_dir: Path, base: Path) -> dict[str, Any]:
    door, new_dir, changesets = prepare(group_dir, base)
    lan.add_host("door")
    lan.add_host("new")
    hosts = [Host(lan, "door", door, "--port", "7000")]
    try:
        wait(lambda: hosts[0].port > 0, 60, "the door laptop to start")
        hosts[0].send("count")
        wait(lambda: hosts[0].count > 0, 30, "a count")
        expected = hosts[0].count
        before = lan.link_bytes("new")
        new = Host(lan, "new", new_dir, "--port", "7000")
        hosts.append(new)
        wait(lambda: new.count >= expected and new.first_peer_at is not None, 900, "the new laptop to sync")
        received, sent = (a - b for a, b in zip(lan.link_bytes("new"), before, strict=True))
        return {"changesets": changesets, "records": expected,
                "found_peer_s": round(new.first_peer_at - new.started_at, 2),
                "synced_s": round(new.count_at - new.started_at, 2),
                "synced_from_process_start_s": round(new.count_at - new.spawned, 2),
                "bytes_received": received, "bytes_sent": sent,
                "bytes_per_changeset": round(received / changesets, 1),
                "door_db_bytes": sum(p.stat().st_size for p in door.rglob("*.db")),
                "load_average": os.getloadavg()}
    finally:
        for host in hosts:
            host.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", type=Path, required=True)
    args = parser.parse_args(argv)
    from tests.net.netns import Lan, netns_unavailable

    reason = netns_unavailable()
    if reason:
        print(json.dumps({"skipped": reason}))
        return 0
    started = time.time()
    with tempfile.TemporaryDirectory(dir=os.environ.get("YEAR_TMP")) as tmp:
        lan = Lan("oyj")
        try:
            result = year_join(lan, args.group, Path(tmp))
        finally:
            lan.close()
    print(json.dumps({**result, "wall_s": round(time.time() - started, 1)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
