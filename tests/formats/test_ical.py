"""Events and tasks <-> iCalendar, with calendars as Google, Thunderbird and Nextcloud write them."""

from __future__ import annotations

from datetime import datetime

import pytest

from organiser.formats.common import FormatError
from organiser.formats.ical import iana_zone, read_calendar, write_calendar
from organiser.formats.recurrence import occurrences
from tests.formats.helpers import ICALENDAR_CALENDARS, fixture


def events_of(name: str) -> list:
    return [i for i in read_calendar(fixture(name), name).items if i.kind == "event"]


def test_google_calendar_keeps_zone_wall_clock_times_and_converts_utc_to_the_calendar_zone():
    plenum, moved, weekend, cancelled = events_of("google_calendar.ics")
    assert (plenum.values["start"], plenum.values["end"], plenum.values["tz"]) == (
        "2026-10-07T19:00", "2026-10-07T21:00", "Europe/Berlin")
    # written in UTC (17:00Z), shown in the calendar's X-WR-TIMEZONE as a person would see it
    assert (cancelled.values["start"], cancelled.values["tz"]) == ("2026-12-03T18:00", "Europe/Berlin")
    assert cancelled.values["status"] == "cancelled"
    assert plenum.values["location"] == "Stadtteilladen, Schützenstraße 12, 44147 Dortmund, Deutschland"
    assert "ins Pad schreiben" in plenum.values["description"]  # folded line joined
    assert "Türkische und Arabische" in plenum.values["description"]
    assert weekend.values["all_day"] is True
    assert (weekend.values["start"], weekend.values["end"]) == ("2026-10-31T00:00", "2026-11-02T00:00")
    assert weekend.values["title"] == "Aktionswochenende 🏠"
    assert moved.values["title"] == "Plenum (später)"


def test_a_moved_occurrence_replaces_its_date_in_the_series():
    plenum, moved, _weekend, _cancelled = events_of("google_calendar.ics")
    window = (datetime(2026, 10, 1), datetime(2026, 12, 31))
    starts = [o.start for o in occurrences(plenum.values, *window)]
    # weekly on Wednesdays until 25 Nov, without 21 Oct (EXDATE) and 4 Nov (moved to 20:00)
    assert starts == [datetime(2026, 10, 7, 19), datetime(2026, 10, 14, 19), datetime(2026, 10, 28, 19),
                      datetime(2026, 11, 11, 19), datetime(2026, 11, 18, 19), datetime(2026, 11, 25, 19)]
    assert [o.start for o in occurrences(moved.values, *window)] == [datetime(2026, 11, 4, 20)]


def test_a_weekly_meeting_stays_at_its_local_time_across_the_daylight_saving_change():
    plenum = events_of("google_calendar.ics")[0]
    after_dst = [o for o in occurrences(plenum.values, datetime(2026, 11, 1), datetime(2026, 11, 30))]
    assert all(o.start.hour == 19 and o.end.hour == 21 for o in after_dst)


def test_thunderbird_tasks_carry_priority_status_due_and_their_event():
    parsed = read_calendar(fixture("thunderbird.ics"), "thunderbird.ics")
    event, posters, room, quote = parsed.items
    assert event.values["rrule"] == "FREQ=MONTHLY;COUNT=6;BYDAY=1TH"
    assert event.values["description"].splitlines()[2] == "2. Cajas de resistencia"
    assert len(occurrences(event.values, datetime(2026, 1, 1), datetime(2028, 1, 1))) == 6
    assert (posters.values["status"], posters.values["priority"], posters.values["due"]) == ("doing", 9, "2026-09-30")
    assert posters.extra["related_uid"] == event.extra["uid"]
    assert (room.values["priority"], room.values["due"], room.values["status"]) == (1, "2026-12-15", "todo")
    assert quote.values["status"] == "done"


def test_nextcloud_calendar_with_non_ascii_text_and_a_fortnightly_rule():
    meeting, action_day = events_of("nextcloud.ics")
    assert meeting.values["tz"] == "America/New_York"
    assert meeting.values["description"].endswith("Kreyòl ayisyen and 中文.")
    starts = [o.start for o in occurrences(meeting.values, datetime(2026, 10, 1), datetime(2026, 11, 30))]
    # every other Tuesday at 18:00 New York time, also after the 1 November clock change
    assert starts == [datetime(2026, 10, 20, 18), datetime(2026, 11, 3, 18), datetime(2026, 11, 17, 18)]
    assert action_day.values["title"] == "Day of action — Ημέρα δράσης"
    assert [o.start for o in occurrences(action_day.values, datetime(2026, 11, 14), datetime(2026, 11, 15))] == [
        datetime(2026, 11, 14)]


@pytest.mark.parametrize("path", sorted(ICALENDAR_CALENDARS.glob("*.ics")), ids=lambda p: p.name)
def test_every_calendar_shipped_with_icalendar_reads_or_is_refused_with_a_sentence(path):
    try:
        parsed = read_calendar(path.read_bytes(), path.name)
    except FormatError as exc:
        assert str(exc).startswith(path.name)
        return
    for item in parsed.items:
        assert item.problems or item.values["title"]
        if not item.problems and item.kind == "event":
            assert datetime.fromisoformat(item.values["start"])
            occurrences(item.values, datetime(1990, 1, 1), datetime(2040, 1, 1))


def test_shipped_calendars_with_custom_and_vendor_zone_ids_map_to_iana_zones():
    parsed = read_calendar((ICALENDAR_CALENDARS / "america_new_york.ics").read_bytes(), "ny.ics")
    assert parsed.items[0].values["tz"] == "America/New_York"
    assert iana_zone("/mozilla.org/20050126_1/Europe/Berlin") == "Europe/Berlin"
    assert iana_zone("W. Europe Standard Time") == "Europe/Berlin"
    assert iana_zone("Western/Central Europe") is None


def test_a_broken_recurrence_rule_is_dropped_with_a_warning_not_a_crash():
    parsed = read_calendar((ICALENDAR_CALENDARS / "issue_1081_invalid_rrule_freq.ics").read_bytes(), "bad.ics")
    (event,) = parsed.items
    assert event.values["rrule"] == ""
    assert any("recurrence rule" in w for w in event.warnings)


def test_an_event_without_start_is_reported_with_its_number_and_line():
    parsed = read_calendar((ICALENDAR_CALENDARS / "broken_ical.ics").read_bytes(), "broken.ics")
    (event,) = parsed.items
    assert event.problems == ["it has no start (DTSTART)"]
    assert event.where == "event 1 (line 2)"


def test_a_file_that_is_not_a_calendar_is_refused_naming_it():
    with pytest.raises(FormatError, match=r"^notes\.ics: this is not an iCalendar file"):
        read_calendar(b"shopping list\n", "notes.ics")


def test_events_and_tasks_round_trip_through_ics():
    events = [
        {"id": "a" * 32, "title": "Plenum, weekly", "start": "2026-10-07T19:00", "end": "2026-10-07T21:00",
         "tz": "Europe/Berlin", "location": "Hall; back room", "description": "Línea 1\nLine 2",
         "status": "scheduled", "capacity": 40, "all_day": False,
         "rrule": "RRULE:FREQ=WEEKLY;UNTIL=20261125T175959Z;BYDAY=WE\nEXDATE:20261021T190000"},
        {"id": "b" * 32, "title": "Camp", "start": "2026-07-01T00:00", "end": "2026-07-04T00:00", "tz": None,
         "all_day": True, "status": "cancelled", "rrule": "", "location": "", "description": ""},
    ]
    tasks = [{"id": "c" * 32, "title": "Posters", "status": "doing", "priority": 7, "due": "2026-10-01",
              "event": "a" * 32, "assignee": "d" * 32, "description": ""}]
    data = write_calendar(events, tasks, name="Union", member_emails={"d" * 32: ("Ana", "ana@example.org")})
    parsed = read_calendar(data, "export.ics")
    plenum, camp, posters = parsed.items
    for key in ("title", "start", "end", "tz", "location", "description", "status", "all_day"):
        assert plenum.values[key] == events[0][key], key
        assert camp.values[key] == events[1][key], key
    assert plenum.values["capacity"] == "40"
    assert plenum.extra["uid"] == "a" * 32 + "@organiser"
    window = (datetime(2026, 10, 1), datetime(2026, 12, 1))
    assert occurrences(plenum.values, *window) == occurrences(events[0], *window)
    assert (posters.values["status"], posters.values["priority"], posters.values["due"]) == ("doing", 7, "2026-10-01")
    assert posters.extra["related_uid"] == "a" * 32 + "@organiser"
    assert posters.extra["assignee_email"] == "ana@example.org"
    assert b"BEGIN:VTIMEZONE" in data and b"TZID:Europe/Berlin" in data


def test_a_big_calendar_read_in_pieces_gives_what_reading_it_whole_gives(monkeypatch):
    from organiser.formats import ical
    from tests.perf.transfer import calendar

    data = calendar(450)  # over 4,000 lines: read in pieces of 250 events
    assert len(ical._chunks(data.decode())) == 2
    pieces = read_calendar(data, "big.ics")
    monkeypatch.setattr(ical, "_chunks", lambda text: [text])
    whole = read_calendar(data, "big.ics")
    assert [(i.where, i.values, i.extra) for i in pieces.items] == [(i.where, i.values, i.extra) for i in whole.items]
    assert pieces.items[-1].where == "event 450 (line 5026)"
