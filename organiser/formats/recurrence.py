"""Expanding a recurring event into the occurrences a calendar view shows.

The event keeps its recurrence as text (see `organiser.formats.ical`); `dateutil.rrule`
does the expansion. Occurrences are computed in the event's own time zone, so a weekly
meeting at 19:00 stays at 19:00 across a daylight-saving change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule as du_rrule

# A calendar view never needs more; it also stops a rule like FREQ=SECONDLY from hanging.
MAX_OCCURRENCES = 5000
_UNTIL_UTC = re.compile(r"(UNTIL=\d{8}(?:T\d{6})?)Z", re.IGNORECASE)


@dataclass(frozen=True)
class Occurrence:
    """One showing of an event, in wall-clock time of the event's zone."""

    start: datetime
    end: datetime | None
    recurring: bool


def _rule_text(rule: str) -> str:
    rule = rule.strip()
    if not rule.upper().startswith(("RRULE", "EXDATE", "RDATE")):
        rule = f"RRULE:{rule}"
    return rule


def rule_set(rule: str, start: datetime, zone: str | None) -> du_rrule.rruleset:
    """The dateutil rule set of an event's `rrule` text; raise ValueError when it is not one.

    With a known zone the expansion is tz-aware (so a UNTIL in UTC compares right); without
    one (floating or all-day events) a UTC UNTIL is read as wall-clock time.
    """
    text = _rule_text(rule)
    if zone:
        dtstart = start.replace(tzinfo=ZoneInfo(zone))
    else:
        dtstart = start.replace(tzinfo=None)
        text = _UNTIL_UTC.sub(r"\1", text)
    rules, dates = _split_dates(_unfolded(text))
    try:
        found = (du_rrule.rrulestr("\n".join(rules), dtstart=dtstart, forceset=True, unfold=True) if rules
                 else du_rrule.rruleset())
        assert isinstance(found, du_rrule.rruleset)
        for line in dates:
            _add_dates(found, line, zone)
    except (ValueError, TypeError, KeyError, IndexError, OSError) as exc:
        raise ValueError(f"the recurrence rule '{rule[:200]}' cannot be read ({exc})") from None
    _not_denser_than_hourly(found, rule)
    return found


def _unfolded(text: str) -> list[str]:
    lines: list[str] = []
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line[1:]
        elif line.strip():
            lines.append(line.strip())
    return lines


def _split_dates(lines: list[str]) -> tuple[list[str], list[str]]:
    """(the rule lines, the RDATE and EXDATE lines)."""
    rules: list[str] = []
    dates: list[str] = []
    for line in lines:
        name = line.split(":", 1)[0].split(";", 1)[0].upper()
        (dates if name in ("RDATE", "EXDATE") else rules).append(line)
    return rules, dates


_STAMP = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?", re.IGNORECASE)


def _add_dates(found: du_rrule.rruleset, line: str, zone: str | None) -> None:
    """An RDATE or EXDATE line's dates into the set, read here: dateutil reads each date with its
    general date parser (~80 µs a date: 0.8 s an event for 10,000 dates left out, at each repaint
    of the month), and refuses an RDATE with a TZID. Times without a zone are wall-clock times
    of the event's zone."""
    head, _sep, value = line.partition(":")
    name, *params = head.split(";")
    tz: tzinfo | None = ZoneInfo(zone) if zone else None
    for param in params:
        key, _eq, param_value = param.partition("=")
        if key.upper() == "TZID":
            tz = ZoneInfo(param_value.strip('"'))
        elif key.upper() != "VALUE" or param_value.upper() not in ("DATE", "DATE-TIME"):
            raise ValueError(f"unsupported {name.upper()} parameter: {param}")
    add = found.exdate if name.upper() == "EXDATE" else found.rdate
    for stamp in value.split(","):
        add(_date_of(stamp.strip(), tz))


def _date_of(stamp: str, tz: tzinfo | None) -> datetime:
    found = _STAMP.fullmatch(stamp)
    if found is None:
        raise ValueError(f"'{stamp[:40]}' is not a date")
    year, month, day, hour, minute, second, utc = found.groups()
    when = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    if utc:
        return when.replace(tzinfo=UTC).astimezone(tz) if tz else when
    return when.replace(tzinfo=tz)  # a date (VALUE=DATE) is its midnight


# A meeting repeats at most hourly. A rule that repeats every minute or second (FREQ=SECONDLY,
# or DAILY with sixty BYMINUTEs) made each day of the month view step through hundreds of
# thousands of occurrences, for seconds a day: a calendar handed over froze the window.
MOST_A_DAY = 24


def _not_denser_than_hourly(found: du_rrule.rruleset, rule: str) -> None:
    first: list[datetime] = []
    for when in found:
        first.append(when)
        if len(first) > MOST_A_DAY:
            break
    if len(first) > MOST_A_DAY and first[-1] - first[0] < timedelta(days=1):
        raise ValueError(f"the recurrence rule '{rule[:80]}' repeats more than {MOST_A_DAY} times a day, which "
                         "no meeting does")


_RULE_PART = re.compile(r"(?:^|[;:])([A-Z]+)=([^;]*)", re.IGNORECASE)
_STEP = {"HOURLY": timedelta(hours=1), "DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1)}
_COUNT = re.compile(r"(?<=[;:])COUNT=\d+", re.IGNORECASE)


def _moved_near(start: datetime, rule: str, lo: datetime) -> tuple[datetime, str]:
    """The series' start moved forward by whole repeats to just before `lo`, and the rule with
    what COUNT has left by then, when that changes no occurrence: one RRULE of hours, days or
    weeks, without BYSETPOS, and without any BY part when it has a COUNT (each repeat is then one
    occurrence). A daily series from the year 1 was stepped through 740,000 days for each day
    shown, and came out empty when the steps ran out."""
    lines = [line for line in _rule_text(rule).splitlines() if line.strip()]
    rrules = [line for line in lines if line.upper().startswith("RRULE")]
    if len(rrules) != 1:
        return start, rule
    parts = {name.upper(): value.upper() for name, value in _RULE_PART.findall(rrules[0])}
    step = _STEP.get(parts.get("FREQ", ""))
    counted = "COUNT" in parts
    if step is None or "BYSETPOS" in parts or (counted and any(name.startswith("BY") for name in parts)):
        return start, rule
    try:
        step *= max(1, int(parts.get("INTERVAL", "1")))
        count = int(parts.get("COUNT", "0"))
    except (ValueError, OverflowError):
        return start, rule
    repeats = (lo - start) // step - 1  # one whole repeat to spare before the window
    if counted:
        repeats = min(repeats, count - 1)  # the last of the count stays in the series
    if repeats <= 0:
        return start, rule
    if counted:
        left = _COUNT.sub(f"COUNT={count - repeats}", rrules[0])
        rule = "\n".join(left if line == rrules[0] else line for line in lines)
    return start + repeats * step, rule


def check_rule(rule: str, start: datetime, zone: str | None) -> None:
    """Raise ValueError when `rule` cannot be expanded from `start`."""
    found = rule_set(rule, start, zone)
    next(iter(found), None)


def expand(start: datetime, end: datetime | None, rule: str, zone: str | None,
           window_start: datetime, window_end: datetime) -> list[Occurrence]:
    """Occurrences that overlap [window_start, window_end) (naive wall-clock datetimes)."""
    start = start.replace(tzinfo=None)
    length = (end.replace(tzinfo=None) - start) if end is not None else timedelta(0)
    if not rule.strip():
        return _single(start, end, length, window_start, window_end)
    lo = window_start - length
    rule_set(rule, start, zone)  # a rule too dense is refused from the series' own start
    apart, shown = _start_apart(rule, start, zone)
    if apart:  # COUNT counts the start, even one an EXDATE leaves out
        rule = _COUNT.sub(lambda found: f"COUNT={max(0, int(found.group()[6:]) - 1)}", rule)
    near, rule_left = _moved_near(start, rule, lo)
    found = rule_set(rule_left, near, zone)
    if shown is not None:
        found.rdate(shown)
    tz = ZoneInfo(zone) if zone else None
    out: list[Occurrence] = []
    for when in _between(found, lo.replace(tzinfo=tz), window_end.replace(tzinfo=tz)):
        wall = when.astimezone(tz).replace(tzinfo=None) if tz else when.replace(tzinfo=None)
        if wall + length <= window_start and wall < window_start:
            continue
        out.append(Occurrence(wall, wall + length if end is not None else None, True))
        if len(out) >= MAX_OCCURRENCES:
            break
    return out


def _start_apart(rule: str, start: datetime, zone: str | None) -> tuple[bool, datetime | None]:
    """Whether the series' rule does not give its start, and the start to show then (None when an
    EXDATE leaves it out). The start is a series' first meeting (RFC 5545 3.8.5.3, and COUNT counts
    it), as other calendars show it: a Tuesday start with BYDAY=MO,WE showed on Tuesday in the
    event's own page and nowhere in the month; dateutil gives only what the rule gives."""
    rules, dates = _split_dates(_unfolded(_rule_text(rule)))
    dtstart = start.replace(tzinfo=ZoneInfo(zone) if zone else None)
    if rules and next(iter(rule_set("\n".join(rules), start, zone)), None) == dtstart:
        return False, None
    left_out = [line for line in dates if line.upper().startswith("EXDATE")]
    if not left_out:
        return True, dtstart
    only = rule_set("\n".join(left_out), start, zone)
    only.rdate(dtstart)
    return True, next(iter(only), None)


def _single(start: datetime, end: datetime | None, length: timedelta,
            window_start: datetime, window_end: datetime) -> list[Occurrence]:
    """An event that does not repeat: itself, if it overlaps the window (or starts in it)."""
    if start < window_end and (start + length > window_start or start >= window_start):
        return [Occurrence(start, end.replace(tzinfo=None) if end else None, False)]
    return []


def _between(found: du_rrule.rruleset, lo: datetime, hi: datetime) -> Iterator[datetime]:
    for steps, when in enumerate(found):
        if when >= hi or steps > 50 * MAX_OCCURRENCES:
            return
        if when >= lo:
            yield when


def occurrences(event: Mapping[str, Any], window_start: datetime, window_end: datetime) -> list[Occurrence]:
    """Occurrences of an event (a record's values, or `Event.to_json()`) in a date range,
    for calendar views. A broken rule shows the first occurrence only."""
    start = datetime.fromisoformat(str(event["start"])).replace(tzinfo=None)
    end = datetime.fromisoformat(str(event["end"])).replace(tzinfo=None) if event.get("end") else None
    zone = None if event.get("all_day") else event.get("tz")
    try:
        return expand(start, end, str(event.get("rrule") or ""), zone, window_start, window_end)
    except ValueError:
        return expand(start, end, "", zone, window_start, window_end)
