"""Events -> VEVENT and tasks -> VTODO: writing the iCalendar files `organiser.formats.ical` reads.

Times are written in the event's IANA zone (`tz`), with a VTIMEZONE for each zone used; an
event's recurrence text (RRULE and EXDATE lines, see `organiser.formats.ical`) becomes the
RRULE and EXDATE properties, and a changed occurrence of another tool's series is written
under the series' UID with its RECURRENCE-ID.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from organiser.formats.common import own_uid

log = logging.getLogger(__name__)

PRODID = "-//Organiser//Organiser//EN"
# iCalendar PRIORITY is 1 (most urgent) .. 9 (least), 0 undefined; a task's priority is
# "higher is more urgent", 0 meaning none.
TASK_STATUS = {"todo": "NEEDS-ACTION", "doing": "IN-PROCESS", "done": "COMPLETED"}


def write_calendar(
    events: Iterable[Mapping[str, Any]],
    tasks: Iterable[Mapping[str, Any]] = (),
    *,
    name: str = "",
    member_emails: Mapping[str, tuple[str, str]] | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """An iCalendar file with a VEVENT per event and a VTODO per task, and a VTIMEZONE
    for every zone used. `member_emails` maps a member id to (name, email) for assignees."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if name:
        calendar.add("x-wr-calname", name)
    stamp = stamp or datetime.now(UTC).replace(microsecond=0)
    events, tasks = list(events), list(tasks)
    uids = {e["id"]: _uid(e) for e in events}
    # Dates of a series that a changed occurrence replaces: written as that occurrence
    # (RECURRENCE-ID), not also excluded, as the tool they came from wrote them.
    replaced: dict[str, set[str]] = {}
    for e in events:
        if e.get("source_recurrence"):
            replaced.setdefault(_uid(e), set()).add(e["source_recurrence"])
    for values in events:
        calendar.add_component(_event_component(values, stamp, replaced))
    for values in tasks:
        calendar.add_component(_todo_component(values, stamp, member_emails or {}, uids))
    calendar.add_missing_timezones(*_zone_years(events, tasks))
    return calendar.to_ical()


# A VTIMEZONE lists the zone's changes between two dates; a client that reads it as RFC 5545
# says (Outlook builds its zone from it) takes the last change listed for any time after them.
# icalendar lists 1970 to 2038 by default, so a summer meeting in 2040, or a weekly one
# repeating on, was read an hour off there. The list now runs from the earliest year used to
# decades past the latest (a few kB per zone), within years any calendar means.
_ZONE_YEARS_AHEAD = 75
_FIRST_ZONE_YEAR, _LAST_ZONE_YEAR = 1900, 2300


def _zone_years(events: Iterable[Mapping[str, Any]], tasks: Iterable[Mapping[str, Any]]) -> tuple[date, date]:
    years = [int(str(v)[:4]) for item in (*events, *tasks) for k in ("start", "end", "due")
             if (v := item.get(k)) and str(v)[:4].isdigit()]
    first = max(_FIRST_ZONE_YEAR, min([1970, *years]))
    last = min(_LAST_ZONE_YEAR, max([2038, *years]) + _ZONE_YEARS_AHEAD)
    return date(first, 1, 1), date(last, 1, 1)


def _aware(text: str, zone: str | None) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None and zone:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value


def _uid(values: Mapping[str, Any]) -> str:
    return values.get("source_uid") or own_uid(values["id"])


def _event_component(values: Mapping[str, Any], stamp: datetime,
                     replaced: Mapping[str, set[str]]) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", _uid(values))
    event.add("dtstamp", stamp)
    event.add("summary", values.get("title") or "")
    zone = values.get("tz")
    all_day = bool(values.get("all_day"))
    _add_times(event, values, zone, all_day)
    _add_texts(event, values, ("location", "description"))
    event.add("status", "CANCELLED" if values.get("status") == "cancelled" else "CONFIRMED")
    if values.get("capacity") is not None:
        event.add("x-organiser-capacity", str(values["capacity"]))
    when = _occurrence(values)
    if when is not None:
        event.add("recurrence-id", _in_zone(when, zone, all_day))
    else:
        _add_recurrence(event, values.get("rrule") or "", zone, all_day, replaced.get(_uid(values), set()))
    return event


def _add_times(event: icalendar.Event, values: Mapping[str, Any], zone: str | None, all_day: bool) -> None:
    """DTSTART and DTEND: dates for an all-day event, else times in the event's zone."""
    start = _aware(values["start"], zone)
    event.add("dtstart", start.date() if all_day else start)
    if values.get("end"):
        event.add("dtend", datetime.fromisoformat(values["end"]).date() if all_day else _aware(values["end"], zone))


def _add_texts(component: icalendar.Component, values: Mapping[str, Any], names: tuple[str, ...]) -> None:
    """Text properties named as the fields, for those that are not empty."""
    for name in names:
        if values.get(name):
            component.add(name, values[name])


def _in_zone(when: date | datetime, zone: str | None, all_day: bool) -> date | datetime:
    """A floating time of a timed event, placed in the event's zone; anything else as it is."""
    if isinstance(when, datetime) and when.tzinfo is None and zone and not all_day:
        return when.replace(tzinfo=ZoneInfo(zone))
    return when


def _occurrence(values: Mapping[str, Any]) -> date | datetime | None:
    """Which occurrence of another tool's series the event replaces (its RECURRENCE-ID), or
    None. One the file cannot carry (written before the field was checked) is left out with
    a warning, and the event is written as one of its own: one record must not stop the
    export of all the others."""
    occurrence = values.get("source_recurrence")
    if not occurrence:
        return None
    try:
        return icalendar.vDDDTypes.from_ical(str(occurrence))
    except ValueError:
        log.warning("event %s: the occurrence it replaces (%r) is not an iCalendar date; "
                    "exported as an event of its own", values.get("id"), str(occurrence)[:40])
        return None


def _add_recurrence(event: icalendar.Event, rule: str, zone: str | None, all_day: bool,
                    replaced: set[str]) -> None:
    rule = rule.strip()
    if not rule:
        return
    if not rule.upper().startswith(("RRULE", "EXDATE", "RDATE")):
        rule = f"RRULE:{rule}"
    for line in rule.splitlines():
        try:
            _add_rule_line(event, line, zone, all_day, replaced)
        except ValueError:  # a line no calendar could read: the others, and the other events, still go out
            log.warning("event %s: recurrence line %r is not one iCalendar can carry; left out",
                        event.get("uid"), line[:60])


def _add_rule_line(event: icalendar.Event, line: str, zone: str | None, all_day: bool,
                   replaced: set[str]) -> None:
    head, _sep, value = line.partition(":")
    name = head.split(";", 1)[0].strip().upper()
    if name == "RRULE":
        event.add("rrule", icalendar.vRecur.from_ical(value.strip()))
    elif name in ("EXDATE", "RDATE"):
        # An EXDATE of an occurrence another event replaces is left out: that event says so itself.
        kept = [one.strip() for one in value.split(",") if not (name == "EXDATE" and one.strip() in replaced)]
        stamps = [_in_zone(icalendar.vDDDTypes.from_ical(one), zone, all_day) for one in kept]
        if stamps:
            event.add(name.lower(), stamps)


def _todo_component(values: Mapping[str, Any], stamp: datetime,
                    member_emails: Mapping[str, tuple[str, str]], event_uids: Mapping[str, str]) -> icalendar.Todo:
    todo = icalendar.Todo()
    todo.add("uid", _uid(values))
    todo.add("dtstamp", stamp)
    todo.add("summary", values.get("title") or "")
    _add_texts(todo, values, ("description",))
    todo.add("status", TASK_STATUS.get(values.get("status") or "todo", "NEEDS-ACTION"))
    priority = int(values.get("priority") or 0)
    if priority > 0:  # the app's higher-is-sooner as iCalendar's 1 (highest) to 9
        todo.add("priority", max(1, 10 - min(priority, 9)))
    if values.get("due"):
        todo.add("due", date.fromisoformat(values["due"]))
    _add_links(todo, values, member_emails, event_uids)
    return todo


def _add_links(todo: icalendar.Todo, values: Mapping[str, Any], member_emails: Mapping[str, tuple[str, str]],
               event_uids: Mapping[str, str]) -> None:
    """The task's event as its parent (RELATED-TO), and its assignee (ATTENDEE) when they have an email."""
    if values.get("event"):
        todo.add("related-to", event_uids.get(values["event"]) or own_uid(values["event"]),
                 parameters={"RELTYPE": "PARENT"})
    assignee = member_emails.get(values.get("assignee") or "")
    if assignee and assignee[1]:
        todo.add("attendee", f"mailto:{assignee[1]}", parameters={"CN": assignee[0]})
