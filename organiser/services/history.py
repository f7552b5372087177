"""Who changed what, and when, read from the signed change log.

Every write is kept in the change log as its author signed it, so the history of a record is
there already: each field written, by which device, at which clock stamp. A record's history
takes in the records made under it (an event's RSVPs and check-ins, agenda items, proposals
and tasks; a proposal's votes): what a chair asks after a meeting is "who touched this
meeting", not one vote's id. A device's history is what it wrote since a time: what a removal
with "take back what it wrote since" would take back. Changesets a removal took back are
listed too, marked so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from organiser.core.changeset import Op, decode_changeset
from organiser.core.erasure import ERASURE_KIND, describe
from organiser.core.errors import NotFoundError
from organiser.core.hlc import make_stamp, physical_ms
from organiser.services.naming import LISTED, NAMED_BY, by_name, said
from organiser.store import queries
from organiser.store.mentions import catch_up, changes_naming

MINUTES_TYPED = "(typed in the minutes)"
Row = tuple[str, int, int, bytes, bytes, bool]  # author, seq, clock stamp, body, signature, taken back


@dataclass(frozen=True)
class Write:
    """One field written by one device."""

    at: str  # the clock stamp as UTC, e.g. 2026-12-02T19:12:03Z
    device: str
    device_name: str
    change: int  # the number of the device's changeset that wrote it
    kind: str
    record: str
    field: str
    value: Any
    taken_back: bool  # withdrawn by a removal: shown nowhere now
    record_name: str = ""  # the record's name or title, or for a vote or RSVP its member's name
    value_name: str = ""  # when the value is a record's id: that record's name or title
    event_name: str = ""  # for an RSVP or check-in, its event's title: a check-in alone does not name it

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "device": self.device, "device_name": self.device_name, "change": self.change,
                "kind": self.kind, "record": self.record, "record_name": self.record_name, "field": self.field,
                "value": self.value, "value_name": self.value_name, "taken_back": self.taken_back}

    def line(self) -> str:
        value = self.value_name or (self.value if isinstance(self.value, str) else repr(self.value))
        mark = "  (taken back)" if self.taken_back else ""
        name = f" '{self.record_name}'" if self.record_name else ""
        return f"{self.at}  {self.device_name}  {self.kind} {self.record[:8]}{name}  {self.field} = {value}{mark}"


def _when(hlc: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(physical_ms(hlc) / 1000))


class History:
    """`Group.history`: the writes of a record, or of a device, oldest first."""

    def __init__(self, db: Database, device_names: Callable[[], dict[str, str]]) -> None:
        self.db = db
        self._names = device_names

    def device_names(self) -> dict[str, str]:
        """Each device's name by its id, for a `History` over another connection to read with."""
        return self._names()

    def _rows(self, where: str = "", params: Iterable[Any] = ()) -> list[Row]:
        held = self.db.execute(f"SELECT author, seq, hlc, body, signature, 0 FROM changes {where}",
                               list(params)).fetchall()
        taken = self.db.execute(f"SELECT author, seq, hlc, body, signature, 1 FROM withdrawn_changes {where}",
                                list(params)).fetchall()
        return sorted(held + taken, key=lambda row: (row[2], row[0], row[1]))

    def _name(self, record_id: Any, names: dict[str, str]) -> str:
        """A record's name or title ("" for none, or for a value that is no record's id)."""
        if not isinstance(record_id, str) or len(record_id) != 32:
            return ""
        if record_id not in names:
            found = queries.get_record(self.db, record_id)
            values = found.values if found else {}
            title = values.get("name") or values.get("title")
            if not title and found and found.kind in ("vote", "rsvp"):
                title = self._name(values.get("member"), names)
            names[record_id] = title if isinstance(title, str) else ""
        return names[record_id]

    def _writes(self, rows: Iterable[Row],
                wanted: Callable[[Any], bool]) -> list[Write]:
        names = self._names()
        labels: dict[str, str] = {}
        found = []
        for author, seq, hlc, body, signature, taken in rows:
            for op in decode_changeset(bytes(body), bytes(signature)).ops:
                if wanted(op):
                    value = (MINUTES_TYPED if op.kind == "minutes" else describe(op.value) if op.kind == ERASURE_KIND
                             else op.value)
                    found.append(Write(_when(hlc), author, names.get(author, author[:8]), seq, op.kind, op.record,
                                       op.field, value, bool(taken), self._name(op.record, labels),
                                       self._name(value, labels),
                                       self._event_of(op.record, labels) if op.kind == "rsvp" else ""))
        return found

    def _event_of(self, rsvp_id: str, names: dict[str, str]) -> str:
        """The title of the event an RSVP (or check-in) is for ("" if it cannot be read)."""
        key = f"event of {rsvp_id}"  # read once a record: an evening's history holds many check-ins
        if key not in names:
            found = queries.get_record(self.db, rsvp_id)
            names[key] = self._name(found.values.get("event"), names) if found else ""
        return names[key]

    def resolve(self, text: str) -> str:
        """The id of a record of any kind, a removed one too, from its id or an unambiguous start
        of one (four characters at least); else of the one member, event or task it names by name
        or title (services/naming.py). `NotFoundError` with a sentence otherwise."""
        typed = text.strip()
        text = typed.lower()
        if len(text) >= 4:
            rows = self.db.execute("SELECT id FROM records WHERE id = ? OR id LIKE ? LIMIT 2",
                                   [text, text + "%"]).fetchall()
            exact = [row[0] for row in rows if row[0] == text]
            if exact or len(rows) == 1:
                return exact[0] if exact else rows[0][0]
        named = {kind: found for kind in NAMED_BY if (found := by_name(self.db, kind, typed, exactly=True))} or \
            {kind: found for kind in NAMED_BY if (found := by_name(self.db, kind, typed, exactly=False))}
        every = [(kind, n) for kind, found in named.items() for n in found.values()]
        if len(every) == 1:
            return every[0][1].id
        if every:
            listed = ", ".join(f"{kind} {said(kind, n)}" for kind, n in every[:LISTED])
            more = f" and {len(every) - LISTED} more" if len(every) > LISTED else ""
            raise NotFoundError(f"{len(every)} records match '{typed}' ({listed}{more}); give the id, or its first "
                                "characters, of the one you mean.")
        raise NotFoundError(f"there is no record with id '{text}' and no member, event or task is called "
                            f"'{typed}' (an id or its first characters, as the lists show them).")

    def of_record(self, record: str) -> list[Write]:
        """Every write of the record and of the records made under it (whose fields name it, or
        name a record made under it: a vote names its proposal, which names the event).

        Read through the index of the records each changeset names (store/mentions.py), a round
        for each generation of records made under it; only changesets a removal took back are
        read whole (few). Those found are then taken in order, as the whole log was before:
        a record joins when a changeset naming one already in names it."""
        catch_up(self.db)
        found = [*self._naming(record).values(), *[(row, self._ops(row)) for row in self._rows_withdrawn()]]
        found.sort(key=lambda item: (item[0][2], item[0][0], item[0][1]))
        ids = {record}
        rows = []
        for row, ops in found:
            body = bytes(row[3])
            if not any(rid.encode() in body for rid in ids):
                continue
            rows.append(row)
            for op in ops:
                if isinstance(op.value, str) and op.value in ids and op.kind != "membership":
                    ids.add(op.record)  # an RSVP naming the event, a vote naming its proposal, ...
        return self._writes(rows, lambda op: op.record in ids)

    def _naming(self, record: str) -> dict[int, tuple[Row, tuple[Op, ...]]]:
        """The held changesets naming the record, or a record naming it, and so on: all that the
        walk in order may take in (and a few it will not)."""
        ids = {record}
        held: dict[int, tuple[Row, tuple[Op, ...]]] = {}
        asked: set[str] = set()
        while new := ids - asked:
            asked |= new
            wanted = [change for change in changes_naming(self.db, new) if change not in held]
            for change, row in self._held(wanted):
                held[change] = (row, self._ops(row))
            ids |= {op.record for _row, ops in held.values() for op in ops
                    if isinstance(op.value, str) and op.value in ids and op.kind != "membership"}
        return held

    @staticmethod
    def _ops(row: Row) -> tuple[Op, ...]:
        return decode_changeset(bytes(row[3]), bytes(row[4])).ops

    def _rows_withdrawn(self) -> list[Row]:
        return self.db.execute("SELECT author, seq, hlc, body, signature, 1 FROM withdrawn_changes").fetchall()

    def _held(self, changes: list[int]) -> list[tuple[int, Row]]:
        """(id, row) of the held changesets with these `change_log` ids."""
        found = []
        for start in range(0, len(changes), 500):
            part = changes[start:start + 500]
            marks = ", ".join("?" * len(part))
            found += [(row[0], tuple(row[1:])) for row in self.db.execute(
                f"SELECT id, author, seq, hlc, body, signature, 0 FROM changes WHERE id IN ({marks})", part)]
        return found

    def by_device(self, device: str, since: datetime | None = None) -> list[Write]:
        """Every write of one device, from `since` on (all when None)."""
        stamp = make_stamp(int(since.timestamp() * 1000)) if since is not None else 0
        return self._writes(self._rows("WHERE author = ? AND hlc >= ?", [device, stamp]), lambda op: True)


# How a summary names each kind of record, one and several.
_KIND_WORDS = {"member": ("member", "members"), "member_role": ("role", "roles"), "member_skill": ("skill", "skills"),
               "event": ("event", "events"), "rsvp": ("RSVP or check-in", "RSVPs or check-ins"),
               "task": ("task", "tasks"), "agenda_item": ("agenda item", "agenda items"),
               "meeting": ("running meeting", "running meetings"), "proposal": ("proposal", "proposals"),
               "vote": ("vote", "votes"), "hand_count": ("show of hands", "shows of hands"),
               "minutes": ("meeting's minutes", "meetings' minutes")}


def summary(writes: Iterable[Write]) -> str:
    """What the writes touched, by kind, in a few words: "the minutes of 1 meeting, 2 agenda
    items, 4 votes" ("nothing" when there are none). Membership entries are not counted."""
    touched: dict[str, set[str]] = {}
    for write in writes:
        if write.kind != "membership":
            touched.setdefault(write.kind, set()).add(write.record)
    parts = []
    for kind, records in sorted(touched.items(), key=lambda item: (-len(item[1]), item[0])):
        one, several = _KIND_WORDS.get(kind, (kind, kind + " records"))
        parts.append(f"{len(records)} {one if len(records) == 1 else several}")
    return ", ".join(parts) or "nothing"
