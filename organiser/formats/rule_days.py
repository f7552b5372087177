"""A recurrence rule's days, when the calendar wrote its start in another zone than the one the
event is kept in.

A rule counts its days (BYDAY, BYMONTHDAY, ...) on the clock of its start. An invitation in UTC
('DTSTART:20261202T000000Z', 'BYDAY=WE') is kept at the laptop's time (Tuesday 19:00 in New York),
so the rule, read as written, put the meeting on Wednesdays: a day late in the month view. Days
of the week move with the start (WE becomes TU, and the week's first day with them); a rule that
counts days of the month or year, positions, or hours cannot be moved so, and the person is told
rather than shown the wrong days.
"""

from __future__ import annotations

from datetime import date, datetime

__all__ = ["moved_rule"]

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# parts that do not name a day or an hour: they mean the same on any clock
_SAME_ON_ANY_CLOCK = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY"}
_DAY_BY_DAY = {"SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY"}
_HOURS = {"BYHOUR", "BYMINUTE", "BYSECOND"}


def moved_rule(rule: str, written: datetime, kept: datetime | date, zone: str | None) -> str:
    """The RRULE value `rule`, whose start was written as `written` (on its own clock), for the
    start kept as `kept` (on the event's clock). Raise ValueError, with the sentence a person
    reads, when its days cannot be moved to that clock."""
    if not isinstance(kept, datetime) or written.tzinfo is None:
        return rule
    parts = [part.split("=", 1) for part in rule.split(";") if "=" in part]
    names = {name.upper() for name, _value in parts}
    shift = (kept.date() - written.date()).days
    hours_moved = (kept.hour, kept.minute) != (written.hour, written.minute)
    if names & _HOURS and hours_moved:
        raise ValueError(_cannot(rule, sorted(names & _HOURS), written, kept, zone))
    if shift == 0:
        return rule
    freq = next((value.upper() for name, value in parts if name.upper() == "FREQ"), "")
    if freq in _DAY_BY_DAY:  # days of the week move with the start; days of a month or year do not
        counted = sorted(names - _SAME_ON_ANY_CLOCK - _HOURS)
    else:  # a day of the month or year, named or the start's own
        counted = sorted(names - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"}) or [f"FREQ={freq}"]
    ordinal = any(name.upper() == "BYDAY" and not all(day.strip().isalpha() for day in value.split(","))
                  for name, value in parts)
    if counted or ordinal:
        raise ValueError(_cannot(rule, counted or ["BYDAY"], written, kept, zone))
    return ";".join(f"{name}={_moved_days(value, shift) if name.upper() in ('BYDAY', 'WKST') else value}"
                    for name, value in parts)


def _moved_days(value: str, shift: int) -> str:
    return ",".join(_WEEKDAYS[(_WEEKDAYS.index(day.strip().upper()) + shift) % 7] for day in value.split(","))


def _cannot(rule: str, names: list[str], written: datetime, kept: datetime, zone: str | None) -> str:
    where = str(getattr(written.tzinfo, "key", None) or written.tzname() or "its own zone")
    return (f"its recurrence rule ({rule[:120]}) counts its days by {', '.join(names)} in {where}, where it starts "
            f"{written:%a %-d %b %H:%M}, but it is kept at {kept:%a %-d %b %H:%M} ({zone}), and those days cannot "
            "be counted from there")
