"""A meeting on top of an event: its agenda, the current item and its timer, the minutes
written together, who attended, and the action items it made.

    meetings.add_item(event, title, minutes=10, presenter=member_id)   -> AgendaItem
    meetings.items(event)                                              -> agenda in order
    meetings.edit_item(item, title=, minutes=)                         -> rename, change the time box
    meetings.delete_item(item)                                         -> remove it (a tombstone, as any delete)
    meetings.move_item(item, to_index)                                 -> reorder (one write)
    meetings.advance(event[, to_item])                                 -> make an item current
    meetings.minutes_text(event) / append_minutes(event, text)         -> the minutes
    meetings.write_minutes(event, update)                              -> an editor's burst of typing
    meetings.make_task(event, title, assignee=, due=, item=)           -> an action item
Proposals and votes: services/proposals.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from organiser.core.errors import ValidationError
from organiser.core.meeting_rules import MAX_MINUTES_APPEND, MAX_MINUTES_UPDATE, MINUTES_PIECE
from organiser.core.minutes import MinutesDoc, MinutesUpdate, edit_update
from organiser.core.records import DELETED, MEETING, identity_id, validate
from organiser.services import clock
from organiser.services.base import RecordService
from organiser.services.proposals import check_item_of_event
from organiser.services.tasks import Task, Tasks
from organiser.store import minutes as minutes_store
from organiser.store import queries
from organiser.store.replica import LocalOp

OVER_AFTER = timedelta(hours=12)  # a meeting this long past its planned end is over (not just running late)
GAP = 1024  # between agenda positions, so moving an item writes only its own position


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.astimezone()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _number(value: Any) -> int:
    return value if type(value) is int else 0


@dataclass(frozen=True)
class AgendaItem:
    id: str
    event: str
    title: str
    presenter: str | None = None
    minutes: int | None = None  # the time box
    notes: str = ""
    position: int = 0
    used_seconds: int = 0  # before it last became current

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_values(cls, item_id: str, v: Mapping[str, Any]) -> AgendaItem:
        # Any field may be missing or odd (a peer's change can arrive before the one creating
        # the record): shown with what there is, never an error.
        minutes = v.get("minutes")
        return cls(item_id, _text(v.get("event")), _text(v.get("title")), _text(v.get("presenter")) or None,
                   minutes if type(minutes) is int and minutes > 0 else None, _text(v.get("notes")),
                   _number(v.get("position")), max(0, _number(v.get("used_seconds"))))


@dataclass(frozen=True)
class MeetingState:
    event: str
    current_item: str | None = None
    item_since: str | None = None  # when the current item became current (ISO, with offset)
    event_end: datetime | None = None  # when the event was planned to end (with its zone)

    def over(self, now: datetime | None = None) -> bool:
        """Whether the meeting is over: its planned end is more than OVER_AFTER ago. A meeting
        left on an item (nobody pressed Next) stops counting then, at its planned end."""
        moment = _aware(now or clock.now())
        return self.event_end is not None and moment - self.event_end > OVER_AFTER

    def seconds_used(self, item: AgendaItem, now: datetime | None = None) -> int:
        """Time spent on an item: before, plus since it became current if it is (until the
        event's planned end, once the meeting is over: not until the day someone looks)."""
        used = item.used_seconds
        if item.id == self.current_item and isinstance(self.item_since, str) and self.item_since:
            moment = now or clock.now().astimezone()
            if self.event_end is not None and self.over(moment):
                moment = self.event_end
            try:
                since = datetime.fromisoformat(self.item_since)
            except ValueError:
                return used
            if since.tzinfo is None:  # a peer's time without an offset: read as this laptop's local time
                since = since.astimezone()
            if moment.tzinfo is None:
                moment = moment.astimezone()
            used += max(0, int((moment - since).total_seconds()))
        return used


def _numbered_again(order: list[AgendaItem]) -> list[LocalOp]:
    """The ops that space the agenda's positions GAP apart again, in this order."""
    return [LocalOp("agenda_item", item.id, "position", (n + 1) * GAP) for n, item in enumerate(order)
            if item.position != (n + 1) * GAP]


def _next_item(items: list[AgendaItem], current: str | None, removed_at: int | None = None) -> str | None:
    """The item after the current one (the first when none is); None past the last. A current
    item that was removed stood at position `removed_at`: the next is the first after it."""
    ids = [i.id for i in items]
    if current in ids:
        at = ids.index(current) + 1
    elif removed_at is not None:
        at = next((n for n, i in enumerate(items) if i.position > removed_at), len(items))
    else:
        at = 0
    return ids[at] if at < len(ids) else None


def _check_time_box(clean: Mapping[str, Any]) -> None:
    if clean.get("minutes") is not None and not 0 < clean["minutes"] <= 24 * 60:
        raise ValidationError("minutes", f"minutes: a time box of {clean['minutes']} minutes is not between "
                                         "1 and 1440.")


def _between(before: int | None, after: int | None) -> int | None:
    """A position between two neighbours' (either may be missing: the agenda's start or
    end), or None when there is no room left between them."""
    if before is None:
        return None if after is None else after - GAP
    if after is None:
        return before + GAP
    position = (before + after) // 2
    return None if after - before < 2 or position in (before, after) else position


class Meetings(RecordService):
    """An event's meeting: its agenda (items with a time box, in an order people drag), the
    item being discussed, the minutes written together, action items.

    Raises `NotFoundError` for an unknown event or item id and `ValidationError` naming the
    field for a bad value (a time box outside 1-1440 minutes, a presenter who is no member).
    """

    kind = "agenda_item"

    # ---- agenda ---------------------------------------------------------------------------

    def add_item(self, event: str, title: str, *, minutes: int | str | None = None,
                 presenter: str | None = None, notes: str = "") -> AgendaItem:
        """Add an item at the end of the event's agenda. `minutes`: its time box (1-1440);
        `presenter`: a member's id."""
        self._current(event, "event")
        values: dict[str, Any] = {"event": event, "title": title, "notes": notes}
        if minutes not in (None, ""):
            values["minutes"] = minutes
        if presenter:
            values["presenter"] = presenter
        clean = validate("agenda_item", values, exists=self._exists)
        _check_time_box(clean)
        items = self.items(event)
        clean["position"] = (items[-1].position + GAP) if items else GAP
        record_id, ops = self._create_ops(clean)
        self.replica.commit(ops, fresh=(record_id,))
        return AgendaItem.from_values(record_id, {op.field: op.value for op in ops})

    def items(self, event: str) -> list[AgendaItem]:
        """The event's agenda, in order."""
        found = [AgendaItem.from_values(rid, v) for rid, v in queries.list_records(self.db, "agenda_item", link1=event)]
        return sorted(found, key=lambda i: (i.position, i.id))

    def item(self, item_id: str) -> AgendaItem:
        """One agenda item; `NotFoundError` if there is none."""
        return AgendaItem.from_values(item_id, self._current(item_id))

    def edit_item(self, item_id: str, **fields: Any) -> AgendaItem:
        """Change an item's `title`, `minutes` (time box, 1-1440; None takes it away),
        `presenter` (member id), `notes` (or `used_seconds`, as the demo sets it); one changeset
        of what changes. `NotFoundError` for an id that is no agenda item (or a removed one);
        `ValidationError` naming the field for an empty title, a time box out of range, or
        another `event` (an item stays on its meeting's agenda). Nothing is written when refused."""
        current = self._current(item_id)
        if "event" in fields and fields["event"] != current.get("event"):
            raise ValidationError("event", "event: an agenda item stays on its own meeting's agenda; add it to "
                                           "the other meeting instead.")
        clean = validate("agenda_item", fields, current=current, exists=self._exists)
        _check_time_box(clean)
        ops = self.build_edit(item_id, clean)
        if ops:
            self.replica.commit(ops)
        return self.item(item_id)

    def delete_item(self, item_id: str) -> AgendaItem:
        """Remove an item from its agenda, on every laptop: a tombstone, as any delete (undone
        by `restore`). When it is the item being discussed, the meeting moves on to the item
        after it in the same changeset, as Next item would (to none past the last). Proposals,
        votes and tasks made under it stay with the meeting, still naming it. Returns the item
        as it was; `NotFoundError` for an id that is no agenda item (or a removed one)."""
        item = self.item(item_id)
        ops = [LocalOp("agenda_item", item.id, DELETED, True)]
        state = self.state(item.event)
        if state.current_item == item.id:
            items = self.items(item.event)
            ops += self._advance_ops(item.event, _next_item(items, item.id), state, items)
        self.replica.commit(ops)
        return item

    def move_item(self, item_id: str, to_index: int) -> list[AgendaItem]:
        """Put an item at `to_index` of the agenda (as a drop does); return the new order.
        Usually one write (a position between its new neighbours); when there is no room
        left between them, the whole agenda is numbered again in the same changeset."""
        moving = self.item(item_id)
        others = [i for i in self.items(moving.event) if i.id != item_id]
        to_index = max(0, min(to_index, len(others)))
        before = others[to_index - 1].position if to_index > 0 else None
        after = others[to_index].position if to_index < len(others) else None
        if before is None and after is None:
            return [moving]
        position = _between(before, after)
        if position is None:
            ops = _numbered_again([*others[:to_index], moving, *others[to_index:]])
        else:
            ops = [LocalOp("agenda_item", item_id, "position", position)]
        if ops:
            self.replica.commit(ops)
        return self.items(moving.event)

    # ---- the running meeting ---------------------------------------------------------------

    def held(self) -> list[str]:
        """The events that held a meeting (minutes, an agenda or a proposal), by start."""
        ids = queries.events_with_meetings(self.db)
        starts = {rid: str(row.values.get("start") or "") for rid, row in queries.rows_by_ids(self.db, ids).items()}
        return sorted(ids, key=lambda rid: (starts.get(rid, ""), rid))

    def state(self, event: str) -> MeetingState:
        """The running meeting of `event`: its current agenda item and since when (both None
        before the meeting starts, past its last item, or for an unknown event). Never raises."""
        found = queries.get_record(self.db, identity_id(MEETING, {"event": event}))
        if found is None or found.deleted:
            return MeetingState(event)
        values = found.values
        return MeetingState(event, _text(values.get("current_item")) or None, _text(values.get("item_since")) or None,
                            self._planned_end(event))

    def _planned_end(self, event: str) -> datetime | None:
        found = queries.get_record(self.db, event)
        end, tz = (found.values.get("end"), found.values.get("tz")) if found is not None else (None, None)
        try:
            moment = datetime.fromisoformat(end) if isinstance(end, str) and end else None
            zone = ZoneInfo(tz) if isinstance(tz, str) and tz else None
        except (ValueError, ZoneInfoNotFoundError):  # stored values are checked; a bad one means no end known
            return None
        if moment is None or moment.tzinfo is not None:
            return moment
        return moment.replace(tzinfo=zone) if zone else moment.astimezone()

    def advance(self, event: str, to_item: str | None = None) -> MeetingState:
        """Make the next item of the agenda current (the first if none is), or the item id
        `to_item`; the time spent on the one current before is added to its `used_seconds`.
        Past the last item, the meeting has no current item. Returns the new state.
        `NotFoundError` for an unknown event; `ValidationError` (field "item") when `to_item` is
        not on this event's agenda."""
        self._current(event, "event")
        state = self.state(event)
        items = self.items(event)
        if to_item is None:
            to_item = _next_item(items, state.current_item, self._removed_position(state.current_item))
        elif to_item not in {i.id for i in items}:
            raise ValidationError("item", f"item: '{to_item}' is not on this event's agenda.")
        self.replica.commit(self._advance_ops(event, to_item, state, items))
        return self.state(event)

    def _advance_ops(self, event: str, to_item: str | None, state: MeetingState,
                     items: list[AgendaItem]) -> list[LocalOp]:
        """The writes that make `to_item` current (None: no item), adding the time spent on the
        item current before (`state`, of the agenda `items`) to its `used_seconds`."""
        now = clock.now().astimezone()
        meeting_id = identity_id(MEETING, {"event": event})
        ops = [LocalOp("meeting", meeting_id, "event", event),
               LocalOp("meeting", meeting_id, "current_item", to_item),
               LocalOp("meeting", meeting_id, "item_since", now.isoformat(timespec="seconds") if to_item else None)]
        previous = next((i for i in items if i.id == state.current_item), None)
        if previous is not None:
            ops.append(LocalOp("agenda_item", previous.id, "used_seconds", state.seconds_used(previous, now)))
        return ops

    def _removed_position(self, item_id: str | None) -> int | None:
        """Where a removed item stood (the current item removed on another laptop while this one
        made another current), so Next item goes on from there; None for a visible or no item."""
        found = queries.get_record(self.db, item_id) if item_id else None
        if found is None or not found.deleted or found.kind != "agenda_item":
            return None
        return _number(found.values.get("position"))

    # ---- minutes ---------------------------------------------------------------------------

    def minutes_text(self, event: str) -> str:
        """The event's minutes as text, merged from every device's typing ("" when none)."""
        return minutes_store.text(self.db, event)

    def minutes_doc(self, event: str) -> MinutesDoc:
        """A document of its own holding the event's minutes as stored (an editor types into it;
        empty when none). Changes to it are stored only through `write_minutes`."""
        return MinutesDoc(minutes_store.load(self.db, event).snapshot())

    def minutes_held(self, event: str) -> dict[int, int]:
        """What the stored minutes of `event` hold: {Yrs client id: characters}, as state vectors count."""
        return minutes_store.load(self.db, event).held()

    def catch_up(self, event: str, doc: MinutesDoc, origin: str = "remote") -> None:
        """Bring an editor's document `doc` up to what is stored for `event` (peers' typing), as
        one update applied with `origin` (so the editor can tell it from its own typing)."""
        stored = minutes_store.load(self.db, event)
        missing = stored.update_since(doc.state())
        doc.apply(missing, origin=origin)

    def write_minutes(self, event: str, update: MinutesUpdate) -> None:
        """Store (and so send) one burst of an editor's typing, `update` (made by `edit_update`).
        `NotFoundError` for an unknown event; `ValidationError` (field "minutes") for an update
        over MAX_MINUTES_UPDATE (256 KiB as base64 text: store it in pieces) or one that is not a
        well-formed update. Nothing is stored when refused."""
        self._current(event, "event")
        self.replica.commit([self._minutes_op(event, update)])

    def _minutes_op(self, event: str, update: MinutesUpdate) -> LocalOp:
        value = update.to_value()
        if len(value["update"]) > MAX_MINUTES_UPDATE:
            stored = len(value["update"])
            raise ValidationError("minutes", f"minutes: one change of {stored:,} bytes (as stored) is more than "
                                             f"one changeset carries; store it in pieces of at most "
                                             f"{MINUTES_PIECE:,} characters.")
        clean = validate("minutes", {"update": value})
        return LocalOp("minutes", event, "update", clean["update"])

    def append_minutes(self, event: str, text: str) -> str:
        """Add `text` as a paragraph (on a line of its own) at the end of the event's minutes;
        return the whole text. A long text is stored as pieces of MINUTES_PIECE characters, one
        changeset each, all in one transaction (stored whole or not at all). `ValidationError`
        (field "text") for blank text or text over MAX_MINUTES_APPEND characters; `NotFoundError`
        for an unknown event."""
        if not text.strip():
            raise ValidationError("text", "text: there is nothing to append.")
        if len(text) > MAX_MINUTES_APPEND:
            raise ValidationError("text", f"text: {len(text):,} characters is more than the {MAX_MINUTES_APPEND:,} "
                                          "one append takes; append it in parts.")
        self._current(event, "event")
        doc = self.minutes_doc(event)
        current = str(doc)
        whole = ("" if not current or current.endswith("\n") else "\n") + text + "\n"
        pieces = [whole[at:at + MINUTES_PIECE] for at in range(0, len(whole), MINUTES_PIECE)]
        ops = [[self._minutes_op(event, edit_update(doc, lambda d, piece=piece: d.append(piece)))] for piece in pieces]
        self.replica.commit_batch(ops)
        return self.minutes_text(event)

    def writers_since(self, event: str, after: int) -> tuple[int, list[str]]:
        """Other devices that wrote these minutes since local change number `after`, by device
        name, and the number to ask from next time (who else is typing)."""
        newest, authors = minutes_store.writers_since(self.db, event, after)
        names = [name or author[:8] for author, name in authors if author != self.replica.device_id]
        return newest, sorted(names, key=str.casefold)

    def compact_minutes(self, event: str) -> bool:
        """Fold the event's stored updates into one snapshot (the text is unchanged); True when
        it did, False (nothing changed) when a stored update may still wait for one it follows."""
        return minutes_store.compact(self.db, event)

    def minutes_size(self, event: str) -> int:
        """Bytes the event's minutes take in the database (snapshot plus updates not yet compacted)."""
        return minutes_store.stored_size(self.db, event)

    # ---- who came, what follows ------------------------------------------------------------

    def attendees(self, event: str) -> list[tuple[str, str]]:
        """(member id, name) of those checked in, by name."""
        checked = [v["member"] for _rid, v in queries.list_records(self.db, "rsvp", link1=event)
                   if v.get("checked_in_at") and isinstance(v.get("member"), str)]
        rows = queries.rows_by_ids(self.db, checked)
        people = [(m, _text(rows[m].values.get("name"))) for m in checked
                  if m in rows and rows[m].kind == "member" and not rows[m].deleted]
        return sorted(people, key=lambda p: p[1].casefold())

    def make_task(self, event: str, title: str, *, assignee: str | None = None, due: str | None = None,
                  item: str | None = None, description: str = "") -> Task:
        """An action item linked to the meeting (and its agenda item `item`), in one step; returns
        the task. `assignee`: a member id; `due`: an ISO date. `NotFoundError` for an unknown
        event; `ValidationError` naming the field for a bad title, assignee, due date or item."""
        self._current(event, "event")
        if item:
            check_item_of_event(self.db, item, event)
        fields: dict[str, Any] = {"event": event, "description": description}
        for name, value in (("assignee", assignee), ("due", due), ("agenda_item", item)):
            if value:
                fields[name] = value
        return Tasks(self.replica).add(title, **fields)

    def tasks(self, event: str) -> list[Task]:
        """The action items linked to the event."""
        return Tasks(self.replica).list(event=event)

    def member_name(self, member: str | None) -> str:
        """The name of the member with id `member`; "" for None or an id that names no member record."""
        if not member:
            return ""
        found = queries.get_record(self.db, member)
        return _text(found.values.get("name")) if found and found.kind == "member" else ""
