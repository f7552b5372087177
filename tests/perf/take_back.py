"""A removal with "take back what it wrote since" after an infiltrator rewrote long minutes, and
`history` of that meeting. No network. Prints JSON.

    python -m tests.perf.take_back [--members 5000] [--bursts 2000]

A group of MEMBERS members; the minutes laptop types BURSTS bursts of one word each; the
infiltrator's laptop replaces most of it; 200 more bursts are typed on top; the admin removes
the infiltrator taking back all it wrote (the minutes merged again on the admin's laptop, the
stranded words typed again). Reported: seconds for the removal and for `history` of the event.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from organiser.core.minutes import MinutesDoc, edit_update
from organiser.services.group import Group, create_group
from organiser.store.replica import LocalOp
from tests.conftest import add_device, sync_all

WORDS = "the rent strike starts in january unless the landlord makes the repairs ".split()


def _type(group: Group, event: str, doc: MinutesDoc, bursts: int) -> None:
    for i in range(bursts):
        word = WORDS[i % len(WORDS)] + " "
        group.meetings.write_minutes(event, edit_update(doc, lambda d, w=word: d.append(w)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--bursts", type=int, default=2000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp())
    door = create_group(root / "door", "Tenants Union", "door laptop")
    minutes = add_device(door, root / "minutes", "minutes laptop")
    mole = add_device(door, root / "mole", "Sam's laptop")
    door.replica.commit_batch([[LocalOp("member", f"{i:032x}", "name", f"Member {i}")] for i in range(args.members)])
    event = door.events.add("General assembly", "2026-12-02T19:00").id
    sync_all([door, minutes, mole])
    doc = minutes.meetings.minutes_doc(event)
    _type(minutes, event, doc, args.bursts)
    sync_all([door, minutes, mole])
    rewrite = mole.meetings.minutes_doc(event)
    mole.meetings.write_minutes(event, edit_update(rewrite, lambda d: d.replace(100, len(str(d)) - 100,
                                                                                 "Strike called off. ")))
    sync_all([door, minutes, mole])
    _type(minutes, event, doc, 200)
    sync_all([door, minutes])
    began = time.perf_counter()
    history = door.history.of_record(event)
    history_s = time.perf_counter() - began
    began = time.perf_counter()
    door.membership.remove(mole.device_id, undo_since=datetime.fromtimestamp(0, UTC))
    remove_s = time.perf_counter() - began
    text = door.meetings.minutes_text(event)
    (changesets,) = door.db.execute("SELECT count(*) FROM changes").fetchone()
    print(json.dumps({"members": args.members, "bursts": args.bursts + 200, "changesets": changesets,
                      "history_of_event_s": round(history_s, 3), "history_writes": len(history),
                      "remove_with_take_back_s": round(remove_s, 3), "minutes_chars": len(text),
                      "rewrite_taken_back": "Strike called off" not in text}))
    for group in (door, minutes, mole):
        group.close()


if __name__ == "__main__":
    main()
