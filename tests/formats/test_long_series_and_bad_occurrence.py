"""A series kept for long in another calendar, with many exceptions, comes in and syncs; an
occurrence or recurrence line no calendar can carry never stops an .ics export."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from organiser.core.errors import ValidationError
from organiser.formats.ical import read_calendar, write_calendar
from tests.cli_in_process import cli_in_process
from tests.conftest import sync_pair

ROOT = Path(__file__).resolve().parents[2]
FIRST = date(2026, 1, 5)


def _khal_series(exceptions: int) -> bytes:
    """A weekly meeting as khal writes it after a year of skipped weeks: one EXDATE each."""
    skipped = "".join(f"EXDATE;TZID=Europe/Berlin:{FIRST + timedelta(weeks=n):%Y%m%d}T190000\r\n"
                      for n in range(1, 2 * exceptions, 2))
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//PIMUTILS.ORG//NONSGML khal / icalendar //EN\r\n"
            "BEGIN:VEVENT\r\nSUMMARY:Tenants' assembly\r\n"
            f"DTSTART;TZID=Europe/Berlin:{FIRST:%Y%m%d}T190000\r\nDTEND;TZID=Europe/Berlin:{FIRST:%Y%m%d}T210000\r\n"
            "DTSTAMP:20260101T120000Z\r\nUID:assembly-series@khal\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\n"
            f"{skipped}END:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORGANISER_", "XDG_"))}
    env["ORGANISER_SYSTEM_CONFIG"] = str(data_dir / "no-config.toml")
    return subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)


def test_a_series_with_60_exception_dates_imports_syncs_and_exports_whole(two_devices, tmp_path):
    a, b = two_devices
    source = tmp_path / "assembly.ics"
    source.write_bytes(_khal_series(60))
    code, _out, err = cli_in_process(a.path.parents[1], "import", str(source))  # the export: a real process
    assert code == 0, err
    sync_pair(a, b)
    assert not b.incidents()  # the receiving laptop took it like any edit
    (series,) = b.events.list()
    assert series.title == "Tenants' assembly" and series.rrule.count("EXDATE") == 60
    assert len(series.rrule) > 1_000  # more than a one-line field holds
    exported = _cli(b.path.parents[1], "export", "--format", "ics")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.count("EXDATE") == 60 and "RRULE:FREQ=WEEKLY;BYDAY=MO" in exported.stdout


def test_an_unreadable_occurrence_is_left_out_of_the_export_with_a_warning(caplog):
    events = [
        {"id": "a" * 32, "title": "Moved assembly", "start": "2026-12-10T19:00", "tz": "Europe/Berlin",
         "source_uid": "series@example.org", "source_recurrence": "next tuesday"},
        {"id": "b" * 32, "title": "Picnic", "start": "2026-12-12T12:00", "tz": "Europe/Berlin",
         "rrule": "RRULE:FREQ=NOPE\nEXDATE:20261219T120000"},
        {"id": "c" * 32, "title": "Flyering", "start": "2026-12-14T10:00", "tz": "Europe/Berlin"},
    ]
    with caplog.at_level(logging.WARNING, logger="organiser.formats.ical_export"):
        data = write_calendar(events)
    parsed = read_calendar(data, "out.ics")
    assert sorted(i.values["title"] for i in parsed.items) == ["Flyering", "Moved assembly", "Picnic"]
    assert b"RECURRENCE-ID" not in data and b"EXDATE" in data
    assert "next tuesday" in caplog.text and "FREQ=NOPE" in caplog.text


def test_a_person_cannot_store_an_occurrence_that_is_not_an_ical_time(two_devices):
    a, _b = two_devices
    with pytest.raises(ValidationError, match="is not an iCalendar date"):
        a.events.add("Moved", "2026-12-10T19:00", source_recurrence="next tuesday")
    for when in ("20261210", "20261210T190000", "20261210T180000Z"):
        assert a.events.add("Moved", "2026-12-10T19:00", source_recurrence=when)


def test_phone_and_email_types_are_capped_like_the_lists_they_label(two_devices):
    a, _b = two_devices
    with pytest.raises(ValidationError, match="60 entries is more than the 50 allowed"):
        a.members.add("Ana", phone_types={f"+49 30 {n:04d}": ["cell"] for n in range(60)})
    with pytest.raises(ValidationError, match="2,000 characters is too long"):
        a.members.add("Ana", phone_types={"1" * 2_000: ["cell"]})
    with pytest.raises(ValidationError, match="60 types of one entry"):
        a.members.add("Ana", email_types={"ana@example.org": [f"x-{n}" for n in range(60)]})
    ana = a.members.add("Ana", phones=["+49 30 1234"], phone_types={"+49 30 1234": ["cell", "pref"]})
    assert ana.phone_types == {"+49 30 1234": ["cell", "pref"]}
