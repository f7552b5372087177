"""Repeats a calendar handed over can hold that made every day of the month view step through
hundreds of thousands of occurrences (seconds a day, the window frozen): a rule repeating every
second, and a daily series begun in the year 1."""

from __future__ import annotations

from datetime import datetime

from organiser.formats.ical import read_calendar
from organiser.formats.recurrence import occurrences


def event(start: str, rule: str, tz: str | None = "Europe/Berlin") -> dict[str, object]:
    return {"start": start, "end": None, "tz": tz, "rrule": rule, "all_day": False}


def shown(values: dict[str, object], first: datetime, last: datetime) -> list[str]:
    return [f"{o.start:%Y-%m-%d %H:%M}" for o in occurrences(values, first, last)]


def test_a_daily_series_begun_in_the_year_1_is_shown_on_each_day_of_this_month():
    for tz in ("Europe/Berlin", None):
        assert shown(event("0001-01-01T10:00", "FREQ=DAILY", tz), datetime(2026, 1, 19), datetime(2026, 1, 22)) == [
            "2026-01-19 10:00", "2026-01-20 10:00", "2026-01-21 10:00"]


def test_an_hourly_series_from_1900_and_a_fortnightly_one_from_1950_are_where_their_rules_put_them():
    hourly = shown(event("1900-01-01T10:30", "FREQ=HOURLY;INTERVAL=5"), datetime(2026, 1, 19), datetime(2026, 1, 20))
    # 04:30 on 19 January 2026 is 1,104,930 wall-clock hours on (dateutil steps the clock, not UTC): 220,986 fives
    assert hourly == ["2026-01-19 04:30", "2026-01-19 09:30", "2026-01-19 14:30", "2026-01-19 19:30"]
    # 1950-01-02 was a Monday; 2026-01-19 is 3,964 weeks on, an even number: a week it meets
    fortnightly = event("1950-01-02T19:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20300101T000000Z")
    assert shown(fortnightly, datetime(2026, 1, 19), datetime(2026, 2, 2)) == ["2026-01-19 19:00",
                                                                              "2026-01-22 19:00"]


def test_a_rule_repeating_more_than_hourly_shows_the_event_once_and_is_dropped_on_import():
    for rule in ("FREQ=SECONDLY", "FREQ=MINUTELY;INTERVAL=30",
                 "FREQ=DAILY;BYHOUR=19;BYMINUTE=" + ",".join(str(m) for m in range(60))):
        assert shown(event("2026-01-01T10:00", rule), datetime(2026, 1, 1), datetime(2026, 1, 2)) == [
            "2026-01-01 10:00"], rule
        assert shown(event("2026-01-01T10:00", rule), datetime(2026, 1, 20), datetime(2026, 1, 21)) == [], rule
    calendar = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:every-second\r\n"
                b"DTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nRRULE:FREQ=SECONDLY\r\nSUMMARY:Tick\r\n"
                b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    [item] = read_calendar(calendar, "old-union.ics").items
    assert (item.values["rrule"], item.warnings) == ("", [
        "the recurrence rule 'FREQ=SECONDLY' repeats more than 24 times a day, which no meeting does; it was "
        "imported as a single event"])


def test_an_hourly_rule_is_still_a_rule():
    assert len(shown(event("2026-01-01T00:00", "FREQ=HOURLY"), datetime(2026, 1, 5), datetime(2026, 1, 6))) == 24


def test_a_counted_daily_series_from_the_year_1_is_shown_while_its_count_lasts():
    days = (datetime(2026, 1, 19), datetime(2026, 1, 22))
    assert shown(event("0001-01-01T10:00", "FREQ=DAILY;COUNT=100000000"), *days) == [
        "2026-01-19 10:00", "2026-01-20 10:00", "2026-01-21 10:00"]
    # 2026-01-19 is 739,634 days after 1 January of the year 1: the 739,635th occurrence, the last of that count
    assert shown(event("0001-01-01T10:00", "FREQ=DAILY;COUNT=739635"), *days) == ["2026-01-19 10:00"]
    assert shown(event("0001-01-01T10:00", "FREQ=DAILY;COUNT=3"), *days) == []
