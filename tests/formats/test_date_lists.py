"""An event that lists more dates to add or leave out (RDATE/EXDATE) than any group's calendar
does is set aside, said where, before its dates are read; a calendar that lists too many in all
is refused; what is within the bound is read and shown."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from organiser.formats.common import FormatError
from organiser.formats.ical import read_calendar
from organiser.formats.ical_dates import MAX_DATES_PER_EVENT, MAX_DATES_PER_FILE
from organiser.formats.recurrence import occurrences
from tests.perf.date_lists import calendar

ROOT = Path(__file__).resolve().parents[2]


def organiser(data_dir: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(data_dir), *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_an_event_listing_more_dates_than_the_bound_is_invalid_and_says_how_many() -> None:
    parsed = read_calendar(calendar([3, MAX_DATES_PER_EVENT + 1]).encode(), "big.ics")
    fine, big = parsed.items
    assert fine.problems == []
    assert big.where == "event 2 (line 12)"
    assert big.problems == ["it lists 10,001 dates to add or leave out (RDATE/EXDATE), more than the 10,000 an "
                            "event may list; its dates were not read"]


def test_a_calendar_listing_more_dates_than_the_bound_in_all_is_refused() -> None:
    per_event = MAX_DATES_PER_FILE // 20
    with pytest.raises(FormatError) as refused:
        read_calendar(calendar([per_event] * 20 + [1]).encode(), "shared.ics")
    assert str(refused.value) == ("shared.ics: its events list 100,001 dates to add or leave out (RDATE/EXDATE) in "
                                  "all, more than the 100,000 a calendar may list; nothing was imported.")


def test_the_command_line_refuses_an_event_of_a_million_dates_with_exit_2_and_stores_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert organiser(data, "init", "--group", "Tenants Union", "--device-name", "door").returncode == 0
    before = json.loads(organiser(data, "status", "--json").stdout)["state_hash"]
    hostile = tmp_path / "hostile.ics"
    hostile.write_text(calendar([1_000_000]), encoding="utf-8")  # 17 MB; took 47 s to be refused
    run = organiser(data, "import", hostile, "--skip-invalid")
    assert run.returncode == 0, run.stderr  # skipped: the file holds nothing else
    run = organiser(data, "import", hostile)
    assert run.returncode == 2
    assert (f"{hostile}: event 1 (line 4): it lists 1,000,000 dates to add or leave out (RDATE/EXDATE), more than "
            "the 10,000 an event may list") in run.stderr
    assert json.loads(organiser(data, "status", "--json").stdout)["state_hash"] == before


def test_a_zoned_series_with_an_added_date_and_a_utc_date_left_out_shows_both() -> None:
    # dateutil refused any RDATE with a time zone: the series came in as its first meeting only
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\n"
            "BEGIN:VEVENT\r\nUID:assembly@thunderbird\r\nSUMMARY:Assembly\r\n"
            "DTSTART;TZID=Europe/Berlin:20261201T190000\r\nDTEND;TZID=Europe/Berlin:20261201T210000\r\n"
            "RRULE:FREQ=WEEKLY;COUNT=3\r\nRDATE;TZID=Europe/Berlin:20261219T110000\r\n"
            "EXDATE:20261208T180000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    event = read_calendar(text.encode(), "assembly.ics").items[0]
    assert event.warnings == []
    shown = occurrences(event.values, datetime(2026, 11, 30), datetime(2027, 1, 1))
    assert [o.start for o in shown] == [datetime(2026, 12, 1, 19), datetime(2026, 12, 15, 19),
                                        datetime(2026, 12, 19, 11)]


def test_a_month_of_a_series_with_ten_thousand_dates_left_out_shows_the_others() -> None:
    first = datetime(2026, 1, 1, 19)
    skipped = ",".join(f"{first + timedelta(days=n):%Y%m%dT%H%M%S}" for n in range(0, 2 * MAX_DATES_PER_EVENT, 2))
    event = {"start": "2026-01-01T19:00", "end": "2026-01-01T20:00", "tz": "Europe/Berlin",
             "rrule": f"RRULE:FREQ=DAILY\nEXDATE:{skipped}"}
    shown = occurrences(event, datetime(2026, 12, 1), datetime(2026, 12, 8))
    assert [o.start.day for o in shown] == [2, 4, 6]  # 1 Dec is day 334 of the series: left out


@pytest.mark.parametrize("hide", [
    lambda text: text.replace("EXDATE:", "EXD\r\n ATE:"),  # a fold inside the name
    lambda text: text.replace("EXDATE:", "EX\r\n\r\n\tDATE:"),  # blank lines before the fold: the library's fold too
    lambda text: text.replace("EXDATE:", "EXDATE;X-A=\x0c:"),  # a form feed: no line's end to the library
], ids=["folded-name", "blank-lines-then-fold", "form-feed"])
def test_a_date_list_hidden_from_the_count_is_counted_as_the_library_reads_it(hide: Any) -> None:
    """Written so that the count did not see it, the list was read date by date: a million took 47 s."""
    text = hide(calendar([3, MAX_DATES_PER_EVENT + 1]))
    assert text != calendar([3, MAX_DATES_PER_EVENT + 1])
    fine, big = read_calendar(text.encode(), "hidden.ics").items
    assert fine.problems == []
    assert big.problems == ["it lists 10,001 dates to add or leave out (RDATE/EXDATE), more than the 10,000 an "
                            "event may list; its dates were not read"]
