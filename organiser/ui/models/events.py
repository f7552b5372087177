"""Events as an agenda (grouped by day), per-day lookups for the month view, and the RSVPs
of one event with their check-ins."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from sqlite_utils import Database

from organiser.core.bus import RecordsChanged
from organiser.formats.recurrence import MAX_OCCURRENCES, occurrences
from organiser.services import clock
from organiser.services.events import Event, Rsvp
from organiser.services.group import Group
from organiser.store import queries
from organiser.ui.bidi import day_text
from organiser.ui.bridge import changed_rows, vanished
from organiser.ui.models.live import FIRST_CUSTOM_ROLE, ID_ROLE, ROW_ROLE, LiveRows, LoadedOnce, TableColumns, sync_rows
from organiser.ui.models.name_order import name_order
from organiser.ui.models.names import NameLookup
from organiser.ui.overrides import guarded
from organiser.ui.wording import as_typed

Index = QModelIndex | QPersistentModelIndex
IS_DAY_ROLE = FIRST_CUSTOM_ROLE
EVENT_ROLE = FIRST_CUSTOM_ROLE + 1
DAY_ROLE = FIRST_CUSTOM_ROLE + 2


@dataclass(frozen=True, slots=True)
class AgendaRow:
    id: str  # the event id, or "day:YYYY-MM-DD" for a day heading
    day: date
    event: Event | None

    @property
    def key(self) -> tuple[Any, ...]:
        if self.event is None:
            return (self.day, 0, "", "")
        return (self.day, 1, self.event.start, self.event.title.casefold(), self.event.id)


def day_heading(day: date, today: date) -> str:
    delta = (day - today).days
    label = day.strftime("%A %-d %B %Y")
    if delta == 0:
        return f"Today · {label}"
    if delta == 1:
        return f"Tomorrow · {label}"
    return label


def time_range(event: Event) -> str:
    if event.all_day:
        return "All day" + _to_last_day(event)
    start = event.start_dt
    text = start.strftime("%H:%M")
    if event.end:
        end = datetime.fromisoformat(event.end).replace(tzinfo=None)
        text += "–" + (end.strftime("%H:%M") if end.date() == start.date() else day_text(end, "%-d %b %H:%M"))
    return text


def _to_last_day(event: Event) -> str:
    """", to Sun 13 Dec" for an all-day event over several days; its end (as calendars write
    it) is the day after its last."""
    if not event.end:
        return ""
    last = datetime.fromisoformat(event.end).date() - timedelta(days=1)
    return f", to {day_text(last, '%a %-d %b')}" if last > event.start_dt.date() else ""


HORIZON_DAYS = 366  # how far ahead (and, with past events shown, back) repeats are listed


def days_of(event: Event) -> list[date]:
    """The days a one-off event is on: from its start's day to the day of its last minute (an
    all-day event's end is the next midnight), at most HORIZON_DAYS of them."""
    start = event.start_dt.date()
    if not event.end:
        return [start]
    last = (datetime.fromisoformat(event.end).replace(tzinfo=None) - timedelta(minutes=1)).date()
    return [start + timedelta(days=n) for n in range(max(1, min((last - start).days + 1, HORIZON_DAYS)))]


def showings(event: Event, first: date, last: date) -> list[Event]:
    """The event as it shows between two days (inclusive): itself, or, for a repeating
    event, each occurrence in that range with its own start and end."""
    if not event.rrule:
        return [event]
    found = occurrences(event.to_json(), datetime.combine(first, time.min), datetime.combine(last, time.max))
    return [replace(event, start=o.start.isoformat(timespec="minutes"),
                    end=o.end.isoformat(timespec="minutes") if o.end else None) for o in found]


def read_events(db: Database) -> dict[str, Event]:
    return {rid: Event.from_values(rid, v) for _r, rid, v in queries.visible_rows(db, "event")}


@dataclass(frozen=True)
class DayIndex:
    """Events by each day they are on, and the repeating ones (which show on many days)."""

    one_off: dict[date, list[Event]]
    repeating: list[Event]

    @classmethod
    def of(cls, events: Iterable[Event]) -> DayIndex:
        one_off: dict[date, list[Event]] = {}
        repeating: list[Event] = []
        for event in events:
            if event.rrule:
                repeating.append(event)
            else:
                for day in days_of(event):
                    one_off.setdefault(day, []).append(event)
        return cls(one_off, repeating)


SIX_WEEKS = timedelta(days=42)


@dataclass(frozen=True)
class RepeatsByDay:
    """The repeating events' showings on each day from `first` to `last`, expanded once. The
    month grid shows 42 days and paints them in order: six weeks either side of the day first
    asked for hold every day of its page, and the page before or after it in two expansions."""

    first: date
    last: date
    on: dict[date, list[Event]]
    # Series with more showings in those weeks than one expansion gives (MAX_OCCURRENCES): the
    # days after the last one given would show none, so these are still expanded day by day.
    dense: list[Event]

    @classmethod
    def around(cls, day: date, repeating: Iterable[Event]) -> RepeatsByDay:
        first = day - SIX_WEEKS if day > date.min + SIX_WEEKS else date.min
        last = day + SIX_WEEKS if day < date.max - SIX_WEEKS else date.max
        on: dict[date, list[Event]] = {}
        dense: list[Event] = []
        for event in repeating:
            found = showings(event, first, last)
            if len(found) >= MAX_OCCURRENCES:
                dense.append(event)
                continue
            for showing in found:
                for shown in days_of(showing):
                    if first <= shown <= last:
                        on.setdefault(shown, []).append(showing)
        return cls(first, last, on, dense)

    def showings_on(self, day: date) -> list[Event]:
        return [*self.on.get(day, ()), *(o for e in self.dense for o in showings(e, day, day))]


def _event_line(ev: Event) -> str:
    """'19:00–21:00  General meeting (cancelled) · Hall B'."""
    where = f" · {ev.location}" if ev.location else ""
    cancelled = " (cancelled)" if ev.status == "cancelled" else ""
    return f"{time_range(ev)}  {ev.title}{cancelled}{where}"


class AgendaModel(LoadedOnce, LiveRows[AgendaRow], QAbstractListModel):
    """Upcoming events (from the start of today), with a heading row before each day."""

    ready = Signal()
    missed_kinds = frozenset({"event"})
    read_all = staticmethod(read_events)

    def __init__(self, group: Group, parent: Any = None, *, today: date | None = None) -> None:
        QAbstractListModel.__init__(self, parent)
        self._init_rows(lambda r: r.id, lambda r: r.key)
        self.group = group
        self.today = today or clock.today()
        self.show_past = False
        self.only: set[str] | None = None  # a search's events (past ones too), or None for all
        self.events: dict[str, Event] = {}
        self._init_loading()
        self._occurrence_rows: dict[str, list[str]] = {}  # repeating event id -> its row ids
        self._days: DayIndex | None = None  # built when the month grid asks, dropped on a change
        self._repeats: RepeatsByDay | None = None  # of the weeks the grid shows; dropped with _days

    def _take(self, events: dict[str, Event]) -> None:
        self.events = events
        self._days = self._repeats = None
        self.replace_rows(self._wanted_rows(self.events.values()))

    def set_show_past(self, show: bool) -> None:
        self.show_past = show
        if self.loaded:
            self.replace_rows(self._wanted_rows(self.events.values()))

    def set_today(self, today: date) -> None:
        """Midnight while the app is open: yesterday's events go among the past ones, and the
        headings say Today and Tomorrow of the new day."""
        self.today = today
        if self.loaded:
            self.replace_rows(self._wanted_rows(self.events.values()))
            if self.rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, 0))

    def set_only(self, ids: set[str] | None) -> None:
        """Show only these events, past ones too (what a search found); None: all again."""
        self.only = ids
        if self.loaded:
            self.replace_rows(self._wanted_rows(self.events.values()))

    def _shows(self, event: Event) -> bool:
        if self.only is not None:
            return event.id in self.only
        return self.show_past or event.start_dt.date() >= self.today

    def _event_rows(self, event: Event) -> list[AgendaRow]:
        """One row per showing: the event, or each occurrence of a repeat (row id event@day)."""
        if not event.rrule:
            return [AgendaRow(event.id, event.start_dt.date(), event)] if self._shows(event) else []
        if self.only is not None and event.id not in self.only:
            return []
        back = self.show_past or self.only is not None
        first = self.today - timedelta(days=HORIZON_DAYS if back else 0)
        rows = [AgendaRow(f"{event.id}@{o.start_dt.date().isoformat()}", o.start_dt.date(), o)
                for o in showings(event, first, self.today + timedelta(days=HORIZON_DAYS))]
        self._occurrence_rows[event.id] = [r.id for r in rows]
        return rows

    def _wanted_rows(self, events: Any) -> list[AgendaRow]:
        self._occurrence_rows = {}
        rows = [row for e in events for row in self._event_rows(e)]
        days = {r.day for r in rows}
        return rows + [AgendaRow(f"day:{d.isoformat()}", d, None) for d in days]

    def row_of_event(self, event_id: str) -> int:
        """Where an event shows: its row, or for a repeating one its next showing from today (its
        first when all are past); -1 if none."""
        p = self.row_of(event_id)
        showings = self._occurrence_rows.get(event_id, [])
        if p >= 0 or not showings:
            return p
        today = self.today.isoformat()
        return self.row_of(next((r for r in showings if r.rsplit("@", 1)[1] >= today), showings[0]))

    def events_on(self, day: date) -> list[Event]:
        """The showings on `day`: each event that starts on it or runs through it (a weekend's
        Sunday). The month grid asks for each of its 42 days at every repaint: going through
        every event each time took 100-175 ms a month with 400 events, and expanding each
        repeating event's rule for each day took 2-5 s a repaint with one peer's rule of 12,000
        dates; the repeats are expanded once for the weeks around the day instead."""
        if self._days is None:
            self._days = DayIndex.of(self.events.values())
        if self._repeats is None or not self._repeats.first <= day <= self._repeats.last:
            self._repeats = RepeatsByDay.around(day, self._days.repeating)
        found = [*(o for e in self._days.one_off.get(day, ()) for o in showings(e, day, day)),
                 *self._repeats.showings_on(day)]
        return sorted(found, key=lambda e: e.start)

    def on_records_changed(self, event: RecordsChanged) -> None:
        if "event" not in event.kinds or self._not_ready(event):
            return
        found = changed_rows(self.group.db, event)
        changed: dict[str, AgendaRow | None] = {}
        days: set[date] = set()
        for rid, (_rowid, kind, values, deleted) in found.items():
            if kind != "event" or rid not in event.ids:
                continue
            self._drop_event(rid, changed, days)
            self._days = self._repeats = None
            if not deleted:
                new = self.events[rid] = Event.from_values(rid, values)
                for row in self._event_rows(new):
                    changed[row.id] = row
                    days.add(row.day)
        for rid in vanished(event, found) & self.events.keys():
            self._drop_event(rid, changed, days)
        self._mark_days(changed, days)
        self.apply_rows(changed)

    def _drop_event(self, rid: str, changed: dict[str, AgendaRow | None], days: set[date]) -> None:
        """The event's rows (a repeat's showings too) go; the days they were on are noted."""
        old = self.events.pop(rid, None)
        if old is not None:
            days.add(old.start_dt.date())
        changed[rid] = None
        for row_id in self._occurrence_rows.pop(rid, []):
            changed[row_id] = None
            days.add(date.fromisoformat(row_id.rsplit("@", 1)[1]))

    def _mark_days(self, changed: dict[str, AgendaRow | None], days: set[date]) -> None:
        """A day's heading row stays while an event shows on it, and goes with its last one."""
        present = {r.day for r in self.rows if r.event is not None and r.id not in changed}
        present |= {r.day for r in changed.values() if r is not None}
        for day in days:
            changed[f"day:{day.isoformat()}"] = AgendaRow(f"day:{day.isoformat()}", day, None) \
                if day in present else None

    @guarded(fallback=0)
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    @guarded
    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if self.rows[index.row()].event is None:
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    @guarded
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        row = self.rows[index.row()]
        ev = row.event
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            line = day_heading(row.day, self.today) if ev is None else _event_line(ev)
            return as_typed(line) if role == Qt.ItemDataRole.ToolTipRole else line
        if role == ID_ROLE:
            return ev.id if ev else None
        if role in (ROW_ROLE, EVENT_ROLE):
            return ev
        if role == IS_DAY_ROLE:
            return ev is None
        if role == DAY_ROLE:
            return row.day.isoformat()
        return None

    @guarded
    def roleNames(self) -> dict[int, bytes]:
        names = dict(super().roleNames())
        names.update({ID_ROLE: b"eventId", EVENT_ROLE: b"event", ROW_ROLE: b"row", IS_DAY_ROLE: b"isDay",
                      DAY_ROLE: b"day"})
        return names


@dataclass(frozen=True, slots=True)
class RsvpRow:
    rsvp: Rsvp
    name: str

    @property
    def id(self) -> str:
        return self.rsvp.id


RSVP_COLUMNS = ("Member", "Answer", "Checked in")


def _arrived(row: RsvpRow) -> str:
    when = row.rsvp.checked_in_at
    return datetime.fromisoformat(when).strftime("%H:%M") if when else ""


# The RSVP table's columns: who, their answer, when they were checked in.
_RSVP_CELLS: tuple[Callable[[RsvpRow], str], ...] = (
    lambda row: row.name, lambda row: row.rsvp.answer or "—", _arrived)


class RsvpModel(LiveRows[RsvpRow], TableColumns):
    """The RSVPs of one event: who answered what, and who is checked in."""

    columns = tuple(RSVP_COLUMNS)

    def __init__(self, group: Group, parent: Any = None) -> None:
        QAbstractTableModel.__init__(self, parent)
        self._init_rows(lambda r: r.id, lambda r: (name_order(r.name), r.id))
        self.group = group
        self.names = NameLookup(group, "name")
        self.event_id: str | None = None
        self._answered: set[str] = set()  # the event's RSVPs and the members who gave them

    def set_event(self, event_id: str | None) -> None:
        self.event_id = event_id
        self.replace_rows(self._current())

    def _current(self) -> list[RsvpRow]:
        if not self.event_id:
            self._answered = set()
            return []
        rows = queries.list_records(self.group.db, "rsvp", link1=self.event_id)
        out = []
        self._answered = {rid for rid, _values in rows}
        for rid, values in rows:
            rsvp = Rsvp.from_values(rid, values)
            self._answered.add(rsvp.member)
            name = self.names.get(rsvp.member)
            if name != "(deleted)":
                out.append(RsvpRow(rsvp, name))
        return out

    def on_records_changed(self, event: RecordsChanged) -> None:
        self.names.on_records_changed(event)
        if self.event_id and event.kinds & {"rsvp", "member", "event"} and self._touched(event):
            sync_rows(self, self._current(), lambda r: r.id)

    def _touched(self, event: RecordsChanged) -> bool:
        """Whether a change can alter this event's list: the event itself, a member who
        answered it, or one of its RSVPs (not every member a peer's sync brings in)."""
        if self.event_id in event.ids or event.ids & self._answered:
            return True
        if "rsvp" not in event.kinds:
            return False
        found = changed_rows(self.group.db, event)
        return any(found[rid].kind == "rsvp" and found[rid].values.get("event") == self.event_id
                   for rid in event.ids if rid in found)

    @guarded
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _RSVP_CELLS[index.column()](row) if index.column() < len(_RSVP_CELLS) else None
        if role == ID_ROLE:
            return row.rsvp.member
        if role == ROW_ROLE:
            return row.rsvp
        return None

    @guarded
    def roleNames(self) -> dict[int, bytes]:
        names = dict(super().roleNames())
        names.update({ID_ROLE: b"memberId", ROW_ROLE: b"rsvp"})
        return names
