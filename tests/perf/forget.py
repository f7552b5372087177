"""Forgetting a member of the year-old group, on the door laptop, and hearing it on another. Prints JSON.

    python -m tests.perf.year --out /tmp/year-$$        # builds the group (about 8 min)
    python -m tests.perf.forget --year /tmp/year-$$

Copies of the door laptop's and laptop 2's folders are used (the year's folders are left as they
were). The member forgotten is the one written most often. Reported: seconds for the admin's
`forget` (order built, stubs written, records scrubbed, full-text index merged, the file
rebuilt), of which the rebuild alone (timed again after); how many changesets were rewritten;
seconds for laptop 2 to apply the order (a sync bringing only it); the database sizes; and
whether a raw byte search of each file still finds a phone number and a note written to the member
before (values found nowhere else: the demo's names and numbers repeat across members).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from organiser.services.group import Group, open_group
from organiser.store import erasure


def _most_written(group: Group) -> str:
    counts: dict[str, int] = {}
    for (body,) in group.db.execute("SELECT body FROM changes"):
        text = bytes(body)
        start = text.find(b'["member","')
        if start >= 0:
            member = text[start + 11:start + 43].decode()
            counts[member] = counts.get(member, 0) + 1
    return max(counts, key=lambda m: counts[m])


def _unique_values(door: Group, other: Group, member: str) -> list[bytes]:
    """A phone number and a note found nowhere in either file, written to the member and synced:
    the demo's names and numbers repeat across members (and a number once held by another
    member stays in that member's history), so only values known to be the member's alone can
    say whether a raw byte search still finds them."""
    raw = _raw(door) + _raw(other)
    for n in range(900000, 1000000):
        phone = f"+44 7700 {n}"
        if phone.encode() not in raw:
            break
    note = "the forgotten member's own note 6f1d2c"
    values = door.members.get(member)
    door.members.edit(member, phones=[*values.phones, phone], notes=note)
    other.replica.apply(door.replica.changes_since(other.replica.version_vector()))
    return [phone.encode(), note.encode()]


def _raw(group: Group) -> bytes:
    path = Path(group.replica.database_path())
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def _found(group: Group, secrets: list[bytes]) -> int:
    raw = _raw(group)
    return sum(s in raw for s in secrets)


def _size_mb(group: Group) -> float:
    path = Path(group.replica.database_path())
    return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--year", type=Path, required=True, help="the --out folder of tests.perf.year")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="forget-"))
    try:
        shutil.copytree(args.year / "door", work / "door")
        shutil.copytree(args.year / "laptop-2", work / "laptop-2")
        door, other = open_group(work / "door"), open_group(work / "laptop-2")
        member = _most_written(door)
        secrets = _unique_values(door, other, member)
        size_before = _size_mb(door)
        changesets = door.db.execute("SELECT count(*) FROM changes").fetchone()[0]
        began = time.perf_counter()
        done = door.forgetting.forget(member)
        forget_s = time.perf_counter() - began
        began = time.perf_counter()
        erasure.wipe_free_pages(door.db)
        rebuild_s = time.perf_counter() - began
        found_before_hearing = _found(other, secrets)
        began = time.perf_counter()
        other.replica.apply(door.replica.changes_since(other.replica.version_vector()))
        hear_s = time.perf_counter() - began
        print(json.dumps({
            "changesets_held": changesets,
            "records_forgotten": done.records,
            "changesets_rewritten": done.changesets,
            "forget_s": round(forget_s, 2),
            "file_rebuild_alone_s": round(rebuild_s, 2),
            "other_laptop_hears_s": round(hear_s, 2),
            "database_mb_before_after": [size_before, _size_mb(door)],
            "secrets_found_on_door_after": _found(door, secrets),
            "secrets_found_on_other_before_after_hearing": [found_before_hearing, _found(other, secrets)],
            "same_state": door.replica.state_hash() == other.replica.state_hash(),
        }, indent=2))
        door.close()
        other.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
