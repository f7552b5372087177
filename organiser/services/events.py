"""Events, RSVPs and door check-in."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from organiser.core.errors import ValidationError
from organiser.core.records import DELETED, RSVP, complete, identity_id, require_complete, validate
from organiser.formats.recurrence import occurrences
from organiser.services.base import RecordService
from organiser.services.clock import local_tz_name, now_local_iso, today
from organiser.store import queries
from organiser.store.replica import LocalOp

SERIES_LOOKAHEAD = timedelta(days=5 * 366)


@dataclass(frozen=True)
class Event:
    id: str
    title: str
    start: str
    end: str | None = None
    tz: str | None = None
    description: str = ""
    location: str = ""
    capacity: int | None = None
    status: str = "scheduled"
    rrule: str = ""
    all_day: bool = False  # start and end are whole days

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def start_dt(self) -> datetime:
        return datetime.fromisoformat(self.start).replace(tzinfo=None)

    @classmethod
    def from_values(cls, event_id: str, v: Mapping[str, Any]) -> Event:
        return cls(id=event_id, title=v.get("title") or "", start=v.get("start") or "",
                   end=v.get("end"), tz=v.get("tz"), description=v.get("description") or "",
                   location=v.get("location") or "", capacity=v.get("capacity"),
                   status=v.get("status") or "scheduled", rrule=v.get("rrule") or "",
                   all_day=bool(v.get("all_day")))


# A new event is suggested for tomorrow, an hour on from the hour it is now, so an organiser
# entering events through the day gets different, plausible times. Late in the evening that gave
# 23:00 to 01:00, and in the small hours 03:00: hours a group's assembly, door shift or social
# never starts at. Outside DAYTIME_STARTS the suggestion is EVENING_START instead, when a group of
# people with day jobs usually meets: tomorrow's after 20:00, and in the small hours this coming
# evening's (the day that has just begun is the one people still call tomorrow until they have
# slept). An event suggested until 20:00 ends, two hours later, by 22:00 the same evening.
DAYTIME_STARTS = range(8, 21)  # hours a suggested start may fall on
EVENING_START = time(19, 0)


def suggested_start(now: datetime) -> datetime:
    """When a new event starts unless the organiser says otherwise (see DAYTIME_STARTS)."""
    hour = now.hour + 1
    if hour < DAYTIME_STARTS.start:
        return datetime.combine(now.date(), EVENING_START)
    tomorrow = now.date() + timedelta(days=1)
    if hour in DAYTIME_STARTS:
        return datetime.combine(tomorrow, time(hour, 0))
    return datetime.combine(tomorrow, EVENING_START)


def _not_over(event: Event, cutoff: datetime) -> bool:
    """Whether the event, or a later occurrence of a repeating one, ends at or after `cutoff`."""
    if (event.end and _naive(event.end) >= cutoff) or event.start_dt >= cutoff:
        return True
    # A series begun long ago may still have meetings ahead: look for one (a rule that has
    # none within SERIES_LOOKAHEAD is over, as far as anyone planning would care).
    return bool(event.rrule) and bool(occurrences(event.to_json(), cutoff, cutoff + SERIES_LOOKAHEAD))


def meets_on_another_day(event: Event, day: date) -> date | None:
    """The day `event` meets when it does not meet on `day`, else None: what the door tells a
    person checking someone in on the wrong day (the check-in is still written, with the time it
    is made). A meeting running past midnight meets on both days; a repeating event names its
    next meeting after `day`, or its first when none is to come within SERIES_LOOKAHEAD."""
    midnight = datetime.combine(day, time.min)
    values = event.to_json()
    if occurrences(values, midnight, midnight + timedelta(days=1)):
        return None
    if event.rrule:
        ahead = occurrences(values, midnight, midnight + SERIES_LOOKAHEAD)
        if ahead:
            return ahead[0].start.date()
    return event.start_dt.date()


@dataclass(frozen=True)
class Rsvp:
    id: str
    event: str
    member: str
    answer: str | None = None
    checked_in_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_values(cls, rsvp_id: str, v: Mapping[str, Any]) -> Rsvp:
        return cls(rsvp_id, v.get("event", ""), v.get("member", ""), v.get("answer"),
                   v.get("checked_in_at"))


@dataclass(frozen=True)
class Attendance:
    checked_in: int
    yes: int
    maybe: int
    no: int
    capacity: int | None

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.checked_in >= self.capacity


class Events(RecordService):
    """The group's events, their RSVPs and door check-in.

    Fields an event takes (`add` and `edit`, by keyword):
    `title` (text, required), `start` and `end` (ISO date and time, "2026-12-03T19:00", an
    offset allowed; the end not before the start), `tz` (an IANA time zone, default this
    laptop's), `description`, `location`, `capacity` (a whole number, 0 or more), `status`
    ("scheduled" or "cancelled"), `rrule` (an iCalendar repeat rule), `all_day` (bool).
    A bad value raises `ValidationError` naming the field; an unknown id, `NotFoundError`.
    """

    kind = "event"

    def add(self, title: str, start: str, **fields: Any) -> Event:
        """Add an event and return it. `fields`: any of the event fields above."""
        fields.setdefault("tz", local_tz_name())
        record_id, ops = self._create_ops({"title": title, "start": start, **fields})
        self.replica.commit(ops, fresh=(record_id,))
        return Event.from_values(record_id, {op.field: op.value for op in ops})

    def edit(self, event_id: str, **fields: Any) -> Event:
        """Change the given fields of an event (only those that differ are written); returns it."""
        ops = self.build_edit(event_id, fields)
        if ops:
            self.replica.commit(ops)
        return self.get(event_id)

    def get(self, event_id: str) -> Event:
        """The event with this id; `NotFoundError` if there is none (or it was deleted)."""
        return Event.from_values(event_id, require_complete("event", event_id, self._current(event_id)))

    def list(self, search: str | None = None, *, upcoming_from: str | None = None) -> list[Event]:
        """Events by start, or best match first for a `search` (words matched as prefixes in
        title, description, location); `upcoming_from` (ISO date) keeps those not over by then."""
        events = [Event.from_values(rid, v)
                  for rid, v in queries.list_records(self.db, "event", search=search or None)]
        if search:  # then the meetings whose minutes, agenda or proposals say it, newest first
            listed = {e.id for e in events}
            rows = queries.rows_by_ids(self.db, [rid for rid in queries.meetings_matching(self.db, search)
                                                 if rid not in listed])
            said = [Event.from_values(rid, row.values) for rid, row in rows.items() if not row.deleted]
            events += sorted(said, key=lambda e: e.start_dt, reverse=True)
        if upcoming_from:
            cutoff = datetime.fromisoformat(upcoming_from).replace(tzinfo=None)
            events = [e for e in events if _not_over(e, cutoff)]
        if not search:
            events.sort(key=lambda e: e.start_dt)
        return events

    # ---- RSVPs and check-in -------------------------------------------------------------

    def _rsvp_ops(self, event_id: str, member_id: str, values: Mapping[str, Any]) -> list[LocalOp]:
        links = {"event": event_id, "member": member_id}
        clean = validate("rsvp", {**links, **values}, exists=self._exists)
        rid = identity_id(RSVP, links)
        found = queries.get_record(self.db, rid)
        current = found.values if found else {}
        ops = [LocalOp("rsvp", rid, k, v) for k, v in clean.items() if current.get(k) != v]
        if found and found.deleted:
            ops.append(LocalOp("rsvp", rid, DELETED, False))
        return ops

    def rsvp(self, event_id: str, member_id: str, answer: str) -> Rsvp:
        """Record a member's answer ("yes", "maybe" or "no") for an event; `ValidationError`
        for another answer or an unknown event or member."""
        ops = self._rsvp_ops(event_id, member_id, {"answer": answer})
        if ops:
            self.replica.commit(ops)
        return self.rsvp_of(event_id, member_id)

    def checkin(self, event_id: str, member_id: str, when: str | None = None) -> Rsvp:
        """Check a member in at the door (`when`: ISO time, default now); checking in twice
        keeps the first time. `ValidationError` for an unknown event or member."""
        current = self.rsvp_of(event_id, member_id)
        if current.checked_in_at:
            return current
        ops = self._rsvp_ops(event_id, member_id, {"checked_in_at": when or now_local_iso()})
        self.replica.commit(ops)
        return self.rsvp_of(event_id, member_id)

    def undo_checkin(self, event_id: str, member_id: str) -> Rsvp:
        """Take back a check-in (a wrong click at the door); the answer given stays."""
        current = self.rsvp_of(event_id, member_id)
        if current.checked_in_at:
            self.replica.commit([LocalOp("rsvp", current.id, "checked_in_at", None)])
        return self.rsvp_of(event_id, member_id)

    def rsvp_of(self, event_id: str, member_id: str) -> Rsvp:
        """The member's RSVP for the event, empty (no answer, not checked in) when none."""
        rid = identity_id(RSVP, {"event": event_id, "member": member_id})
        found = queries.get_record(self.db, rid)
        if found is None or found.deleted or not complete("rsvp", found.values):
            return Rsvp(rid, event_id, member_id)
        return Rsvp.from_values(rid, found.values)

    def rsvps(self, event_id: str) -> list[Rsvp]:
        """Every RSVP of an event; `NotFoundError` for an unknown event."""
        self._current(event_id)
        return [Rsvp.from_values(rid, v) for rid, v in queries.list_records(self.db, "rsvp", link1=event_id)]

    def answers_of(self, member_id: str) -> list[Rsvp]:
        """The RSVPs one member gave (any event), for the member's pane."""
        return [Rsvp.from_values(rid, v) for rid, v in queries.list_records(self.db, "rsvp", link2=member_id)]

    def upcoming(self, limit: int = 50) -> list[Event]:
        """Events from today on, soonest first: what a member can still answer."""
        return self.list(upcoming_from=today().isoformat())[:limit]

    def contact_emails(self, event_id: str, *, who: str) -> list[str]:
        """Email addresses of the people who said yes (`who="yes"`) or were checked in
        (`who="checked_in"`), only of those who consented to be emailed, one per person."""
        chosen = _WHO.get(who)
        if chosen is None:
            raise ValidationError("who", f"who: '{who}' is not yes or checked_in.")
        rsvps = [r for r in self.rsvps(event_id) if chosen(r)]
        found = queries.rows_by_ids(self.db, [r.member for r in rsvps])
        emails = (_consented_email(found.get(r.member)) for r in rsvps)
        return [email for email in emails if email is not None]

    def attendance(self, event_id: str) -> Attendance:
        event = self.get(event_id)
        rsvps = self.rsvps(event_id)
        # RSVPs of deleted members do not count; only the members who answered are looked up.
        members = queries.visible_ids(self.db, "member", {r.member for r in rsvps})
        live = [r for r in rsvps if r.member in members]
        answers = Counter(r.answer for r in live)
        return Attendance(checked_in=sum(1 for r in live if r.checked_in_at), yes=answers["yes"],
                          maybe=answers["maybe"], no=answers["no"], capacity=event.capacity)


# Whose addresses `contact_emails` gives, by its `who`.
_WHO: dict[str, Callable[[Rsvp], bool]] = {
    "yes": lambda rsvp: rsvp.answer == "yes",
    "checked_in": lambda rsvp: bool(rsvp.checked_in_at),
}


def _consented_email(member: queries.StoredRow | None) -> str | None:
    """A member's first email address, if they consented to be emailed (None for a deleted member)."""
    if member is None or member.deleted or not member.values.get("consent_email"):
        return None
    emails = member.values.get("emails")
    return emails[0] if emails else None


def _naive(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=None)


__all__ = ["Attendance", "Event", "Events", "Rsvp", "ValidationError", "suggested_start"]
