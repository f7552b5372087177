"""Deleted items: what was deleted, by which device and when, and bringing one back.

A delete writes only the record's tombstone field (`deleted`), so all it held is still stored
on every laptop: bringing it back writes `deleted = false`, which syncs like any edit (an
event comes back with its RSVPs, check-ins, agenda and minutes). A member deleted in bad faith,
or an event deleted by mistake after the question, is one click away. Only what would show again
is listed: not forgotten members (their values are gone for good, docs/erasure.md), nor a record
lacking a field its kind needs (an event whose start a removal took back with what the removed
laptop wrote, or one whose creation has not arrived here yet).
"""

from __future__ import annotations

import string
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlite_utils import Database

from organiser.core.device_name import one_line
from organiser.core.errors import NotFoundError, ValidationError
from organiser.core.hlc import physical_ms
from organiser.core.letters import plain
from organiser.core.records import DELETED, KINDS, complete
from organiser.services.base import RecordService
from organiser.services.naming import NAMED_BY
from organiser.store.materialise import unpack_versions

KINDS_BROUGHT_BACK = ("event", "task", "member")  # what people delete; the rest goes with them


@dataclass(frozen=True)
class DeletedItem:
    id: str
    kind: str
    name: str
    device: str  # the device that deleted it
    device_name: str
    hlc: int  # when: the delete's clock stamp (orders two deletes made in one millisecond too)
    start: str | None = None  # an event's start (local time, e.g. 2026-12-06T18:30): which "General assembly"

    @property
    def at_ms(self) -> int:
        """When, by the deleting device's clock (ms since the epoch)."""
        return physical_ms(self.hlc)

    @property
    def at(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.at_ms / 1000))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "name": self.name, "start": self.start, "deleted_at": self.at,
                "deleted_by": {"id": self.device, "name": self.device_name}}

    def line(self) -> str:
        """One line of `deleted list`. The name's line breaks and direction overrides show as
        codes: a title can be anything a member typed, and one holding a line break forged a
        line saying another laptop deleted something."""
        name = f"{self.name} ({self.start.replace('T', ' ')})" if self.start else self.name
        return (f"{self.at}  {KINDS[self.kind].label:<6}  {self.id[:8]}  {one_line(name)}  "
                f"(deleted by {one_line(self.device_name)})")


class Deleted:
    """`Group.deleted`: deleted events, tasks and members, the latest deleted first."""

    def __init__(self, db: Database, device_names: Callable[[], dict[str, str]],
                 services: Mapping[str, RecordService]) -> None:
        self.db = db
        self._names = device_names
        self._services = services

    def list(self, kind: str | None = None) -> list[DeletedItem]:
        """Every deleted record of `kind` (event, task or member; None: all three)."""
        if kind is not None and kind not in KINDS_BROUGHT_BACK:
            raise ValidationError("kind", f"'{kind}' is not one of {', '.join(KINDS_BROUGHT_BACK)}.")
        return self._items("", [kind] if kind else list(KINDS_BROUGHT_BACK))

    def _items(self, and_where: str, kinds: list[str], params: list[Any] | None = None) -> list[DeletedItem]:
        names = self._names()
        rows = self.db.execute(
            f"SELECT id, kind, data, versions FROM records WHERE deleted = 1 AND kind IN "
            f"({', '.join('?' * len(kinds))}){and_where}", [*kinds, *(params or [])]).fetchall()
        found = []
        for record_id, record_kind, data, versions in rows:
            values = orjson.loads(data)
            name = values.get(NAMED_BY[record_kind])
            if not complete(record_kind, values) or not isinstance(name, str):  # forgotten, or would not show
                continue
            version = unpack_versions(orjson.loads(versions), values).get(DELETED)
            if version is None:  # a peer's record still lacking fields, not a delete
                continue
            found.append(DeletedItem(record_id, record_kind, name, version[1], names.get(version[1], version[1][:8]),
                                     version[0], _text(values.get("start"))))
        return sorted(found, key=lambda item: (-item.hlc, item.id))

    def find(self, text: str) -> DeletedItem:
        """The deleted record with this id, an unambiguous start of it (four characters at least),
        or this name or title (case and accents aside): one, or `NotFoundError` saying why not."""
        text = text.strip()
        # A peer may name a record with any ASCII letters and digits (store/checks.py): its whole
        # id, as the dialog passes it, names it whatever its letters.
        whole = self._items(" AND id = ?", list(KINDS_BROUGHT_BACK), [text]) if text.isalnum() else []
        if whole:
            return whole[0]
        start = text.lower()
        if len(start) >= 4 and not start.strip(string.hexdigits):
            matches = self._items(" AND id LIKE ?", list(KINDS_BROUGHT_BACK), [start + "%"])
            if len(matches) == 1:
                return matches[0]
            if matches:
                raise NotFoundError(f"'{text}' starts the ids of {len(matches)} deleted items; type more of it.")
        named = [item for item in self.list() if plain(item.name) == plain(text)]
        if len(named) == 1:
            return named[0]
        if named:  # a weekly assembly deleted twice: never a guess
            which = ", ".join(f"{item.id[:8]} ({item.start[:10] if item.start else item.kind})" for item in named)
            raise NotFoundError(f"{len(named)} deleted items are called '{one_line(text)}' ({which}); give the id "
                                "of the one you mean.")
        raise NotFoundError(f"no deleted event, task or member has the id or the name '{one_line(text)}' "
                            "('organiser deleted list' shows them).")

    def bring_back(self, record_id: str) -> DeletedItem:
        """Undo the delete of an event, task or member on every device. `NotFoundError` when
        `record_id` is not a deleted one."""
        item = self.find(record_id)
        self._services[item.kind].restore(item.id)
        return item


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
