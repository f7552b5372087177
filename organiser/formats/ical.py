"""Events <-> VEVENT and tasks <-> VTODO, with the `icalendar` library doing the parsing.

An event's `start`/`end` are kept as wall-clock times in its IANA time zone (`tz`), as
the app shows them; all-day events keep midnight starts with `all_day` set. Recurrence
is kept as text in the event's `rrule` field: the bare RRULE value ("FREQ=WEEKLY;BYDAY=MO")
or, when the calendar also lists exceptions, RFC 5545 lines ("RRULE:...", "EXDATE:...")
whose times are wall-clock times in the event's zone.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from icalendar.timezone import tzp

from organiser.core.words import plural
from organiser.formats.common import OWN_UID, FormatError, ParsedFile, ParsedItem, decode_text
from organiser.formats.ical_broken import LIBRARY_FAULTS, first_unreadable_part
from organiser.formats.ical_cutoff import close_cut_off, mark_cut_off
from organiser.formats.ical_dates import DateLists, bound_date_lists, too_many_dates

# writing lives in ical_export; imported here so callers keep one module to import from
from organiser.formats.ical_export import PRODID, TASK_STATUS, write_calendar
from organiser.formats.recurrence import check_rule
from organiser.formats.rule_days import moved_rule
from organiser.formats.zones import iana_zone, zone_keeping_time_like

__all__ = ["PRODID", "TASK_STATUS", "iana_zone", "read_calendar", "write_calendar"]

_BEGIN = re.compile(r"^BEGIN:(VEVENT|VTODO)\s*$", re.IGNORECASE)

TODO_STATUS = {"NEEDS-ACTION": "todo", "IN-PROCESS": "doing", "COMPLETED": "done", "CANCELLED": "done"}


# ---- time zones ---------------------------------------------------------------------------

def _tzid_of(value: datetime, params: Mapping[str, Any]) -> str | None:
    tzid = params.get("TZID")
    if tzid:
        return str(tzid)
    key = getattr(value.tzinfo, "key", None)
    if key:
        return str(key)
    return None


def _is_utc(value: datetime) -> bool:
    name = str(getattr(value.tzinfo, "key", value.tzinfo))
    return value.utcoffset() == timedelta(0) and (value.tzinfo is UTC or name in ("UTC", "Etc/UTC", "UTC+00:00"))


class _Clock:
    """Turns DTSTART/DTEND/DUE values into the app's wall-clock form."""

    def __init__(self, default_zone: str | None, local_zone: tzinfo | None = None) -> None:
        self.default_zone = default_zone
        self.local_zone = local_zone  # the laptop's; None: the system's, as `astimezone()` finds it
        self.zones_like: dict[tuple[str | None, int], str | None] = {}  # a file's own zones, matched once

    def day(self, prop: Any) -> date:
        """The date of a date-bound value (a task's DUE): a UTC time is the date it is in the
        calendar's zone when the calendar names one, else on this laptop, as the person saw it
        in their client; a zoned or floating time is the date written."""
        value = prop.dt if hasattr(prop, "dt") else prop
        if isinstance(value, datetime) and value.tzinfo is not None and _is_utc(value) and not self.default_zone:
            return value.astimezone(self.local_zone).date()
        wall, _zone, _warning = self.wall(prop)
        return wall.date() if isinstance(wall, datetime) else wall

    def _zone_like(self, tzid: str | None, value: datetime) -> tuple[str, str]:
        """(zone, warning) for a zone the file defines under a name of its own (Outlook's
        "Customized Time Zone"): the IANA zone whose clock reads the same all year, so a weekly
        meeting keeps its hour across the clock changes; else UTC, the same instants."""
        key = (tzid, value.year)
        if key not in self.zones_like:
            preferred = (self.default_zone, getattr(self.local_zone, "key", None))
            assert value.tzinfo is not None
            self.zones_like[key] = zone_keeping_time_like(value.tzinfo, value.year, preferred)
        like = self.zones_like[key]
        if like is None:
            return "UTC", f"time zone '{tzid}' is not a known IANA zone; times were converted to UTC"
        return like, (f"time zone '{tzid}' is not a known IANA zone; its clock changes are {like}'s, so it was read "
                      f"as {like}")

    def wall(self, prop: Any, zone: str | None = None) -> tuple[datetime | date, str | None, str]:
        """(wall-clock value, IANA zone or None, warning) for one date or date-time."""
        value = prop.dt if hasattr(prop, "dt") else prop
        if not isinstance(value, datetime):
            return value, None, ""
        if value.tzinfo is None:
            return value, zone, ""
        params = getattr(prop, "params", {}) or {}
        warning = ""
        if zone is None:
            if _is_utc(value):  # an invite's UTC times, with no zone named: the laptop's, as its calendar shows them
                zone = self.default_zone or getattr(self.local_zone, "key", None) or "UTC"
            else:
                tzid = _tzid_of(value, params)
                zone = iana_zone(tzid)
                if zone is None:
                    zone, warning = self._zone_like(tzid, value)
        return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None), zone, warning


def _first(prop: Any) -> Any:
    return prop[0] if isinstance(prop, list) else prop


def _text(component: Any, name: str) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _iso(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    return f"{value.isoformat()}T00:00"


def _ical_time(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y%m%dT%H%M%S")
    return value.strftime("%Y%m%d")


# ---- reading ------------------------------------------------------------------------------

def read_calendar(data: bytes, source: str, local_zone: tzinfo | None = None) -> ParsedFile:
    """Read events and tasks from an iCalendar file; raise FormatError when it is none.
    `local_zone` is the laptop's zone (None: the system's), for the dates of UTC due times."""
    text = decode_text(data, source, folded=True)
    # icalendar keeps each zone a file defines by its TZID for the rest of the process, and an
    # earlier file's "Customized Time Zone" (Outlook's name for any zone of its own) then stood
    # for this file's: its times were read hours off. Choosing the provider again forgets them.
    tzp.use_zoneinfo()
    if "BEGIN:VCALENDAR" not in text.upper():
        raise FormatError(f"{source}: this is not an iCalendar file (no BEGIN:VCALENDAR line).")
    dates = bound_date_lists(text, source)  # before the library reads a date
    whole, closing = close_cut_off(dates.text)
    try:
        with warnings.catch_warnings():
            # vendor-prefixed TZIDs are mapped below; the library's guess warning is noise here
            warnings.simplefilter("ignore")
            calendars = [c for chunk in _chunks(whole) for c in icalendar.Calendar.from_ical(chunk, multiple=True)]
    except LIBRARY_FAULTS as exc:
        # a TZID such as "Europe" opens a folder of the zone database: not the library's path to show
        why = "a TZID names a time zone that is not one" if isinstance(exc, OSError) else str(exc)
        broken = first_unreadable_part(whole)
        where = f"line {broken[1]}: this {broken[0]} cannot be read, so " if broken else ""
        raise FormatError(f"{source}: {where}the calendar cannot be read ({why}).") from None
    try:
        parsed = _read_calendars(calendars, text, source, local_zone)  # lines as in the file
    except ValueError as exc:
        raise FormatError(f"{source}: the calendar cannot be read ({exc}).") from None
    mark_cut_off(parsed, closing)
    _set_aside_for_dates(parsed, dates)
    return parsed


def _set_aside_for_dates(parsed: ParsedFile, dates: DateLists) -> None:
    """Each event or task whose date lists were too long to read is invalid, and says why."""
    for item in parsed.items:
        count = dates.over.get(("VEVENT" if item.kind == "event" else "VTODO", item.number - 1))
        if count is not None:
            item.problems.append(too_many_dates(count))


CHUNK_COMPONENTS = 250
_TOP = re.compile(r"^(BEGIN|END):(VCALENDAR|VEVENT|VTODO|VTIMEZONE)\s*$", re.IGNORECASE)


def _chunks(text: str) -> list[str]:
    """A big single calendar as several smaller ones, each with the original's calendar
    properties and time zones and up to CHUNK_COMPONENTS events and tasks.

    The library runs regular expressions over the whole text in one go, holding the GIL, so
    a big calendar froze the window even with the work on a worker thread; in pieces the app
    keeps drawing between them (`python -m tests.perf.transfer`, `calendar_parse_*`).
    Small files, and anything but one balanced calendar, pass through unchanged.
    """
    lines = text.splitlines(keepends=True)
    marks = _top_marks(lines)
    calendars = sum(1 for _i, what, name in marks if what == "BEGIN" and name == "VCALENDAR")
    if len(lines) < 4000 or calendars != 1:
        return [text]
    parts = _parts(lines, marks)
    if parts is None:
        return [text]  # something unbalanced (or empty): let the library report it on the whole text
    return _calendars_of(*parts)


def _parts(lines: list[str], marks: list[tuple[int, str, str]]
           ) -> tuple[list[str], list[str], list[list[str]], list[str]] | None:
    """The calendar's head (its properties), time-zone lines, each event's or task's lines,
    and its tail (END:VCALENDAR on); None when a component is left open or there is none."""
    found = _blocks(marks)
    if found is None:
        return None
    blocks, end_calendar = found
    zones: list[str] = []
    pieces: list[list[str]] = []
    for start, end, name in blocks:
        if name == "VTIMEZONE":
            zones.extend(lines[start:end + 1])
        else:
            pieces.append(lines[start:end + 1])
    if not pieces:
        return None
    return lines[:blocks[0][0]], zones, pieces, lines[len(lines) if end_calendar is None else end_calendar:]


def _top_marks(lines: list[str]) -> list[tuple[int, str, str]]:
    """(line index, BEGIN or END, component) of every calendar, event, task and time-zone line."""
    return [(i, m.group(1).upper(), m.group(2).upper()) for i, line in enumerate(lines)
            if line[:1] in "BEbe" and (m := _TOP.match(line))]


def _blocks(marks: list[tuple[int, str, str]]) -> tuple[list[tuple[int, int, str]], int | None] | None:
    """(first line, last line, component) of each top-level event, task or time zone, and
    the line of the last END:VCALENDAR; None when a component is left open."""
    out: list[tuple[int, int, str]] = []
    open_at: tuple[int, str] | None = None
    end_calendar = None
    for i, what, name in marks:
        if name == "VCALENDAR":
            end_calendar = i if what == "END" else end_calendar
        elif what == "BEGIN" and open_at is None:
            open_at = (i, name)
        elif what == "END" and open_at is not None and open_at[1] == name:
            out.append((open_at[0], i, name))
            open_at = None
    return None if open_at is not None else (out, end_calendar)


def _calendars_of(head: list[str], zones: list[str], pieces: list[list[str]], tail: list[str]) -> list[str]:
    """Calendars of up to CHUNK_COMPONENTS components, each with the same head, zones and tail."""
    out = []
    for start in range(0, len(pieces), CHUNK_COMPONENTS):
        body = [line for block in pieces[start:start + CHUNK_COMPONENTS] for line in block]
        out.append("".join(head + zones + body + tail))
    return out


def _read_calendars(calendars: list[Any], text: str, source: str, local_zone: tzinfo | None) -> ParsedFile:
    begin_lines: dict[str, list[int]] = {"VEVENT": [], "VTODO": []}
    for number, line in enumerate(text.splitlines(), start=1):
        found = _BEGIN.match(line)
        if found:
            begin_lines[found.group(1).upper()].append(number)
    parsed = ParsedFile(source, "ics")
    seen = {"VEVENT": 0, "VTODO": 0}
    for calendar in calendars:
        zone = iana_zone(str(calendar.get("X-WR-TIMEZONE") or "")) or _only_zone(calendar)
        ours = str(calendar.get("PRODID") or "") == PRODID
        clock = _Clock(zone, local_zone)
        for component in calendar.walk():
            if component.name not in seen:
                continue
            index = seen[component.name]
            seen[component.name] += 1
            lines = begin_lines[component.name]
            line = lines[index] if index < len(lines) else None
            if component.name == "VEVENT":
                item = ParsedItem("event", index + 1, line, {}, unit="event")
                _guard(item, lambda c=component, i=item, k=clock: _read_event(c, i, k))
            else:
                item = ParsedItem("task", index + 1, line, {}, unit="task")
                _guard(item, lambda c=component, i=item, k=clock: _read_todo(c, i, k))
            if not ours and "description" in item.values:
                # Outlook ends every description with a line break, and writes an empty one as one;
                # a description typed in Organiser keeps its own
                item.values["description"] = item.values["description"].rstrip()
            parsed.items.append(item)
    _fold_overrides(parsed.items)
    return parsed


def _only_zone(calendar: Any) -> str | None:
    zones = {iana_zone(str(tz.get("TZID"))) for tz in calendar.walk("VTIMEZONE")}
    zones.discard(None)
    return zones.pop() if len(zones) == 1 else None


def _guard(item: ParsedItem, read: Any) -> None:
    try:
        read()
    except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
        item.problems.append(f"it cannot be read ({exc})")


def _read_title(component: Any, item: ParsedItem, untitled: str) -> None:
    """SUMMARY and DESCRIPTION; a missing title gets a placeholder and a warning."""
    item.values["title"] = _text(component, "SUMMARY").strip()
    if not item.values["title"]:
        item.values["title"] = untitled
        item.warnings.append(f"it has no title; it was called '{untitled}'")
    item.values["description"] = _text(component, "DESCRIPTION")


def _read_event(event: Any, item: ParsedItem, clock: _Clock) -> None:
    values = item.values
    _read_title(event, item, "Untitled event")
    values["location"] = _text(event, "LOCATION").strip()
    status = _text(event, "STATUS").strip().upper()
    values["status"] = "cancelled" if status == "CANCELLED" else "scheduled"
    if event.get("X-ORGANISER-CAPACITY") is not None:
        values["capacity"] = _text(event, "X-ORGANISER-CAPACITY").strip()
    _read_uid(event, item)
    if guests := len(_every(event, "ATTENDEE")):
        item.warnings.append(f"its {plural(guests, 'guest')} (ATTENDEE) {'was' if guests == 1 else 'were'} "
                             "not imported; RSVPs are recorded in Organiser")
    dtstart = _time_of(event, "DTSTART")
    if dtstart is None:
        item.problems.append("it has no start (DTSTART)")
        return
    start, zone, warning = clock.wall(dtstart)
    if warning:
        item.warnings.append(warning)
    all_day = not isinstance(start, datetime)
    values["start"] = _iso(start)
    values["tz"] = zone
    values["all_day"] = all_day
    end = _event_end(event, start, zone, clock)
    values["end"] = _iso(end) if end is not None else None
    values["rrule"] = _checked_recurrence(event, item, (dtstart.dt, start), zone, clock)
    recurrence_id = _time_of(event, "RECURRENCE-ID")
    if recurrence_id is not None:
        item.extra["recurrence_id"], _z, _w = clock.wall(recurrence_id, zone)


def _time_of(component: Any, name: str) -> Any:
    """The first value of a date or date-time property; None when it is absent or holds no time."""
    found = _first(component.get(name))
    return found if found is not None and hasattr(found, "dt") else None


def _every(component: Any, name: str) -> list[Any]:
    """Every value of a property that may appear once, many times, or not at all."""
    found = component.get(name)
    return found if isinstance(found, list) else [] if found is None else [found]


def _event_end(event: Any, start: datetime | date, zone: str | None, clock: _Clock) -> datetime | date | None:
    """DTEND, else start + DURATION, else the next day for an all-day event; of the same type as the start."""
    end: datetime | date | None = None
    dtend = _time_of(event, "DTEND")
    if dtend is not None:
        end, _zone, _w = clock.wall(dtend, zone)
    elif event.get("DURATION") is not None:
        end = start + _first(event.get("DURATION")).dt
    elif not isinstance(start, datetime):
        end = start + timedelta(days=1)
    if end is None or type(end) is type(start):
        return end
    # a date end for a date-time start, or the other way round
    return datetime.combine(end, datetime.min.time()) if not isinstance(end, datetime) else end.date()


def _checked_recurrence(event: Any, item: ParsedItem, starts: tuple[Any, datetime | date], zone: str | None,
                        clock: _Clock) -> str:
    """The event's recurrence, or "" (with a warning) when the app cannot expand it. `starts`:
    the start as the file wrote it, and as the event keeps it."""
    written, start = starts
    rule = _recurrence(event, start, zone, clock)
    if not rule:
        return ""
    all_day = not isinstance(start, datetime)
    first = datetime.combine(start, datetime.min.time()) if all_day else start
    try:
        if isinstance(written, datetime):
            rule = "\n".join(f"RRULE:{moved_rule(line[6:], written, start, zone)}" if line.startswith("RRULE:")
                              else moved_rule(line, written, start, zone) if ":" not in line else line
                              for line in rule.splitlines())
        check_rule(rule, first, None if all_day else zone)
    except ValueError as exc:
        item.warnings.append(f"{exc}; it was imported as a single event")
        return ""
    return rule


def _read_uid(component: Any, item: ParsedItem) -> None:
    """The UID finds the record again on the next import; another tool's is kept to be
    written back, so the other tool sees the same event, not a copy."""
    uid = _text(component, "UID").strip() or None
    item.extra["uid"] = uid
    if uid and not OWN_UID.match(uid):
        item.values["source_uid"] = uid


def _recurrence(event: Any, start: datetime | date, zone: str | None, clock: _Clock) -> str:
    lines = [f"RRULE:{r.to_ical().decode()}" for r in _every(event, "RRULE")]
    value = ";VALUE=DATE" if not isinstance(start, datetime) else ""
    for name in ("RDATE", "EXDATE"):
        for entry in _every(event, name):
            stamps = [_ical_time(clock.wall(_start_of(one), zone)[0]) for one in entry.dts]
            if stamps:
                lines.append(f"{name}{value}:{','.join(stamps)}")
    if not lines:
        return ""
    if len(lines) == 1 and lines[0].startswith("RRULE:"):
        return lines[0][len("RRULE:"):]
    return "\n".join(lines)


def _start_of(one: Any) -> Any:
    """An RDATE or EXDATE value; of an RDATE period, its start."""
    return one.dt[0] if isinstance(one.dt, tuple) else one


def _fold_overrides(items: list[ParsedItem]) -> None:
    """A changed occurrence of a recurring event (RECURRENCE-ID) becomes an event of its
    own, and the series skips that date, so the calendar shows what the source showed."""
    masters = {i.extra.get("uid"): i for i in items if _is_series(i)}
    for item in items:
        when = item.extra.get("recurrence_id")
        if item.kind != "event" or when is None:
            continue
        uid = item.extra.get("uid")
        item.extra["uid"] = f"{uid}/{_ical_time(when)}" if uid else None
        if uid:  # written back as the series' UID with this RECURRENCE-ID
            item.values["source_uid"] = uid
            item.values["source_recurrence"] = _ical_time(when)
        master = masters.get(uid)
        if master is not None:
            _skip_date(master, when)


def _is_series(item: ParsedItem) -> bool:
    return item.kind == "event" and not item.extra.get("recurrence_id") and bool(item.values.get("rrule"))


def _skip_date(series: ParsedItem, when: datetime | date) -> None:
    """The series leaves out its occurrence at `when` (an EXDATE beside its rule)."""
    rule = series.values["rrule"]
    if not rule.startswith("RRULE:"):
        rule = f"RRULE:{rule}"
    value = ";VALUE=DATE" if series.values.get("all_day") else ""
    series.values["rrule"] = f"{rule}\nEXDATE{value}:{_ical_time(when)}"


def _priority(number: int) -> int:
    """iCalendar's 1 (highest) to 9 (lowest), 0 undefined, as the app's 9 (highest) to 1, 0 none."""
    return 10 - number if 1 <= number <= 9 else 0


def _read_todo(todo: Any, item: ParsedItem, clock: _Clock) -> None:
    values = item.values
    _read_title(todo, item, "Untitled task")
    status = _text(todo, "STATUS").strip().upper()
    values["status"] = TODO_STATUS.get(status, "todo")
    if status == "CANCELLED":
        item.warnings.append("it was cancelled; it was imported as done")
    priority = todo.get("PRIORITY")
    if priority is not None:
        values["priority"] = _priority(int(priority))
    due = _time_of(todo, "DUE")
    if due is not None:
        values["due"] = clock.day(due).isoformat()
    _read_uid(todo, item)
    parents = [r for r in _every(todo, "RELATED-TO") if str(r.params.get("RELTYPE", "PARENT")).upper() == "PARENT"]
    if parents:
        item.extra["related_uid"] = str(parents[0]).strip()
    attendee = _first(todo.get("ATTENDEE"))
    if attendee is not None and str(attendee).lower().startswith("mailto:"):
        item.extra["assignee_email"] = str(attendee)[len("mailto:"):].strip()
