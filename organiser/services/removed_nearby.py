"""Laptops an admin removed that are still nearby: each time one tries to connect and a laptop of the
group refuses it (net/admission.py), that laptop notes when, so the Laptops view and `organiser status`
can say that the removed laptop is still in the room, and what that means for whoever uses it.

Kept in the database (the app and `organiser serve` may be two processes on one group), at most once a
minute per laptop, and shown for a day after its last try.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from organiser.services.group import Group

KNOCKS = "removed_knocks"  # meta: {device id: unix time of its latest try}
NOTED_EVERY = 60.0  # seconds: a removed laptop knocking in a loop costs one write a minute
SHOWN_FOR = 24 * 3600.0
MAX_NOTED = 200  # laptops kept; the oldest tries go first


@dataclass(frozen=True)
class RemovedNearby:
    device: str
    name: str
    tried_at: datetime

    def sentence(self) -> str:
        return (f"'{self.name}', which an admin removed from the group, was here at {self.tried_at:%H:%M} on "
                f"{self.tried_at:%-d %B}, trying to sync, and was refused. What is entered on it reaches no laptop "
                "of the group: ask whoever uses it to stop, and to hand over what they entered since (it lists them).")


def note_removed_knock(group: Group, device: str, now: float | None = None) -> bool:
    """A removed laptop tried to connect (or was connected when its removal arrived): note when.
    Whether that is news to show (its first try, or the first for a minute)."""
    now = time.time() if now is None else now
    knocks = _read(group)
    if now - knocks.get(device, 0.0) < NOTED_EVERY:
        return False
    knocks[device] = now
    kept = dict(sorted(knocks.items(), key=lambda item: item[1])[-MAX_NOTED:])
    group.replica.set_meta(KNOCKS, json.dumps(kept))
    return True


def removed_nearby(group: Group, now: float | None = None) -> list[RemovedNearby]:
    """The removed laptops that tried to connect within the last day, latest first."""
    now = time.time() if now is None else now
    names = {d.id: d.name for d in group.membership.list() if d.removed}
    return [RemovedNearby(device, names[device], datetime.fromtimestamp(at))
            for device, at in sorted(_read(group).items(), key=lambda item: -item[1])
            if device in names and now - at < SHOWN_FOR]


def _read(group: Group) -> dict[str, float]:
    try:
        found = json.loads(group.replica.meta(KNOCKS) or "{}")
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): float(v) for k, v in found.items() if isinstance(v, (int, float))}
