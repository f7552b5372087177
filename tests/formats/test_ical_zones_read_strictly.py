"""The group's calendar as a strict client reads it: each time in the zone its own VTIMEZONE
describes (RFC 5545 3.6.5, as Outlook builds its zone from the file), not in the zone database
the reader happens to have. Checked with the `icalendar` library and by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import icalendar

from organiser.formats.ical_export import write_calendar

STAMP = datetime(2026, 12, 1, 12, 0)


def event(n: int, start: str, end: str, *, all_day: bool = False, rrule: str = "") -> dict[str, object]:
    return {"id": f"{n:032x}", "title": f"Meeting {n}", "start": start, "end": end, "tz": "Europe/Berlin",
            "all_day": all_day, "rrule": rrule, "status": "scheduled", "location": "", "description": ""}


def offset_per_vtimezone(zone: icalendar.Timezone, local: datetime) -> timedelta:
    """The UTC offset the VTIMEZONE gives a local time: that of the latest change at or before it."""
    changes: list[tuple[datetime, timedelta]] = []
    for part in zone.walk():
        if part.name not in ("STANDARD", "DAYLIGHT"):
            continue
        to = part.decoded("TZOFFSETTO")
        onsets = [part.decoded("DTSTART")]
        rdates = part.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            onsets += [d.dt for d in rdate.dts]
        assert "RRULE" not in part  # what icalendar writes; a rule would need expanding here
        changes += [(onset.replace(tzinfo=None), to) for onset in onsets]
    before = [change for change in changes if change[0] <= local]
    assert before, f"the VTIMEZONE says nothing of {local}"
    return max(before)[1]


def read(data: bytes) -> tuple[dict[str, icalendar.Timezone], dict[str, icalendar.Event]]:
    calendar = icalendar.Calendar.from_ical(data)
    zones = {str(z["TZID"]): z for z in calendar.walk("VTIMEZONE")}
    return zones, {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def test_times_across_the_clock_changes_are_where_the_files_own_zone_puts_them():
    data = write_calendar([
        event(1, "2026-03-28T19:00", "2026-03-28T21:00"),  # the evening before summer time
        event(2, "2026-03-29T19:00", "2026-03-29T21:00"),  # the evening after
        event(3, "2026-10-24T22:00", "2026-10-25T03:30"),  # a party past midnight into winter time
        event(4, "2026-10-24", "2026-10-26", all_day=True),  # a weekend
        event(5, "2026-03-12T19:00", "2026-03-12T21:00", rrule="RRULE:FREQ=WEEKLY;COUNT=6"),
    ], stamp=STAMP)
    assert b"\r\n" in data and all(len(line) <= 75 for line in data.split(b"\r\n"))  # folded as RFC 5545 says
    zones, events = read(data)
    berlin = zones["Europe/Berlin"]
    expected = {"Meeting 1": ("2026-03-28 19:00", 1), "Meeting 2": ("2026-03-29 19:00", 2),
                "Meeting 3": ("2026-10-24 22:00", 2), "Meeting 5": ("2026-03-12 19:00", 1)}
    for title, (start, hours) in expected.items():
        dtstart = events[title].decoded("DTSTART")
        assert (f"{dtstart:%Y-%m-%d %H:%M}", events[title]["DTSTART"].params["TZID"]) == (start, "Europe/Berlin")
        assert offset_per_vtimezone(berlin, dtstart.replace(tzinfo=None)) == timedelta(hours=hours), title
    party_ends = events["Meeting 3"].decoded("DTEND").replace(tzinfo=None)
    assert party_ends == datetime(2026, 10, 25, 3, 30)
    assert offset_per_vtimezone(berlin, party_ends) == timedelta(hours=1)
    weekend = events["Meeting 4"]
    assert (weekend.decoded("DTSTART"), weekend.decoded("DTEND")) == (date(2026, 10, 24), date(2026, 10, 26))
    assert "TZID" not in weekend["DTSTART"].params  # a date has no zone
    series = events["Meeting 5"]
    assert series["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=6"
    occurrences = [series.decoded("DTSTART") + timedelta(weeks=n) for n in range(6)]
    # the fourth falls after the change to summer time: 19:00 still, two hours ahead of UTC
    assert [offset_per_vtimezone(berlin, o.replace(tzinfo=None)).seconds // 3600 for o in occurrences] == \
        [1, 1, 1, 2, 2, 2]


def test_a_summer_meeting_years_ahead_is_not_read_an_hour_off():
    data = write_calendar([event(1, "2040-07-05T19:00", "2040-07-05T21:00"),
                           event(2, "2026-07-02T19:00", "2026-07-02T21:00", rrule="RRULE:FREQ=WEEKLY")],
                          stamp=STAMP)
    zones, _events = read(data)
    berlin = zones["Europe/Berlin"]
    assert offset_per_vtimezone(berlin, datetime(2040, 7, 5, 19, 0)) == timedelta(hours=2)
    # the weekly meeting repeats with no end: its summers decades on are still summer time
    assert offset_per_vtimezone(berlin, datetime(2099, 7, 2, 19, 0)) == timedelta(hours=2)
    assert offset_per_vtimezone(berlin, datetime(2099, 12, 3, 19, 0)) == timedelta(hours=1)
