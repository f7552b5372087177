"""Whatever bytes arrive, readers either return items or raise FormatError (one sentence)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from organiser.formats.backup import read_backup
from organiser.formats.common import FormatError
from organiser.formats.csvfile import read_members_csv
from organiser.formats.ical import read_calendar
from organiser.formats.vcard import read_vcards

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VCARD_LINES = ["BEGIN:VCARD", "END:VCARD", "VERSION:2.1", "VERSION:3.0", "FN:Ana", "N:;;;;",
               "EMAIL:ana@example.org", "EMAIL:broken", "TEL;CELL:+34 600", "TEL:tel:+1-2;ext=3",
               "NOTE;ENCODING=QUOTED-PRINTABLE:caf=C3=A9=", "=C3", "=80", "CATEGORIES:A,B",
               "PHOTO;ENCODING=b:AAAA", " folded", "item1.X-ABLabel:x", "PROFILE:VCard", ""]
ICAL_LINES = ["BEGIN:VCALENDAR", "END:VCALENDAR", "BEGIN:VEVENT", "END:VEVENT", "BEGIN:VTODO", "END:VTODO",
              "DTSTART:20260101T100000Z", "DTSTART;VALUE=DATE:20260101", "DTSTART;TZID=Nowhere:20260101T100000",
              "DTEND:20250101T100000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=3", "RRULE:FREQ=NOPE",
              "EXDATE:2026", "SUMMARY:Plenum", "DUE:20260105", "PRIORITY:x", "RELATED-TO:abc",
              "RECURRENCE-ID:20260108T100000Z", "UID:1", " folded", ""]


def lines(choices: list[str]) -> st.SearchStrategy[bytes]:
    return st.lists(st.sampled_from(choices), max_size=30).map(lambda ls: "\r\n".join(ls).encode())


@FAST
@given(lines(VCARD_LINES) | st.binary(max_size=300))
def test_vcard_reader_never_crashes(data: bytes) -> None:
    try:
        read_vcards(data, "x.vcf")
    except FormatError:
        pass


@FAST
@given(lines(ICAL_LINES) | st.binary(max_size=300))
def test_calendar_reader_never_crashes(data: bytes) -> None:
    try:
        read_calendar(data, "x.ics")
    except FormatError:
        pass


@FAST
@given(st.text(alphabet=st.sampled_from(list('Name,;\t"\r\n E-mail@x.yPhone1\ufeff')), max_size=200))
def test_csv_reader_never_crashes(text: str) -> None:
    try:
        read_members_csv(text.encode("utf-8"), "x.csv")
    except FormatError:
        pass


@FAST
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_backup_reader_never_crashes(data: bytes) -> None:
    try:
        read_backup(data, "x.json")
    except FormatError:
        pass
