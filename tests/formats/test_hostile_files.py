"""Files written to hurt the import: each is read, or refused with one sentence, in bounded time.

The time bound is ten times what the readers need and well under what the quadratic work it
guards against took (minutes to hours), so it neither fails on a busy machine nor passes by luck.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from organiser.formats.common import FormatError, detect_format
from organiser.formats.csvfile import read_members_csv
from organiser.formats.ical import read_calendar
from organiser.formats.vcard import read_vcards
from organiser.services.transfer import read_file

BOUND_SECONDS = 60


def finishes(code: str) -> str:
    """What `code`, run in a fresh interpreter, prints; asserting it finished within
    BOUND_SECONDS (the regular-expression engine holds the GIL, so a thread cannot be timed)."""
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=BOUND_SECONDS,
                              check=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still working after {BOUND_SECONDS} s")
    return done.stdout.strip()


def test_a_zone_name_of_a_hundred_thousand_spaces_is_not_a_zone_and_does_not_hang() -> None:
    # older Outlook's "(UTC+01:00) Amsterdam, Berlin" shape, the city list padded with spaces
    assert finishes("from organiser.formats.zones import iana_zone\n"
                    "print(iana_zone('(UTC+01:00) Nowhere' + ' ' * 300_000 + 'Else'))") == "None"


def test_a_calendar_of_unmatched_begin_and_end_lines_is_read_in_bounded_time() -> None:
    assert finishes("from organiser.formats.ical import read_calendar\n"
                    "n = 80_000\n"
                    "text = 'BEGIN:VCALENDAR\\r\\nVERSION:2.0\\r\\n' + 'BEGIN:X-A\\r\\n' * n + 'END:X-B\\r\\n' * n"
                    " + 'END:VCALENDAR\\r\\n'\n"
                    "print(len(read_calendar(text.encode(), 'x.ics').items))") == "0"


def test_a_sheet_of_only_excels_sep_line_is_refused_as_empty() -> None:
    with pytest.raises(FormatError, match="no rows|empty"):
        read_members_csv(b"sep=;\r\n", "x.csv")


def test_a_quote_never_closed_is_found_after_a_stray_quote_earlier() -> None:
    data = (b'name,email\n"Anna" Smith,anna@example.org\nBob,bob@example.org\n'
            b'"Carl,carl@example.org\nDora,dora@example.org\nEve,eve@example.org\n')
    with pytest.raises(FormatError, match="never closed"):
        read_members_csv(data, "x.csv")


def test_a_stray_quote_alone_still_reads() -> None:
    # the csv module's lenient reading of `"Anna" Smith` is kept: one odd row is not a cut-off file
    parsed = read_members_csv(b'name,email\n"Anna" Smith,anna@example.org\nBob "B,bob@example.org\n', "x.csv")
    assert [item.values["name"] for item in parsed.items] == ["Anna Smith", 'Bob "B']


def test_a_contact_cut_off_where_the_next_begins_is_shown_cut_off_not_dropped() -> None:
    # a cut-off export with another appended after it: Anna's card never ends
    data = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna Cut\r\nEMAIL:anna@example.org\r\n"
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob Whole\r\nEND:VCARD\r\n")
    parsed = read_vcards(data, "x.vcf")
    assert [(item.line, item.values.get("name")) for item in parsed.items] == [(1, "Anna Cut"), (5, "Bob Whole")]
    anna, bob = parsed.items
    assert anna.problems == ["the next contact begins inside it (no END:VCARD): the file looks cut off there"]
    assert bob.problems == []


def test_an_event_cut_off_where_the_next_begins_is_shown_cut_off_and_the_next_is_read() -> None:
    # both events vanished without a word: the library read no calendar at all
    data = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Someone//EN\r\n"
            b"BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20270101T100000Z\r\nSUMMARY:Cut\r\n"
            b"BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20270102T100000Z\r\nDTEND:20270102T110000Z\r\nSUMMARY:Whole\r\n"
            b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    parsed = read_calendar(data, "x.ics", local_zone=ZoneInfo("Europe/Berlin"))
    assert [(item.line, item.values.get("title")) for item in parsed.items] == [(4, "Cut"), (8, "Whole")]
    cut, whole = parsed.items
    assert cut.problems == ["the next event or task begins inside it (no END:VEVENT): the file looks cut off there"]
    assert whole.problems == []


# ---- files too big to be a group's calendar, contacts or members -----------------------------

def _organiser_in_1_gb(data_dir: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The command line with at most 1 GiB of address space: what reads a file of 2 GB whole
    fails, what refuses it first does not."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(data_dir), *map(str, args)],
                          capture_output=True, text=True, timeout=120, preexec_fn=limit)


def test_a_2_gb_sheet_or_an_endless_device_is_refused_before_it_is_read(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert _organiser_in_1_gb(data_dir, "init", "--group", "Tenants Union", "--device-name", "door").returncode == 0
    sheet = tmp_path / "members from the old union.csv"
    sheet.write_text("Name,Email\nBob Marsh,bob@example.org\n", encoding="utf-8")
    os.truncate(sheet, 2 << 30)  # 2 GiB that take no room on the disk
    run = _organiser_in_1_gb(data_dir, "import", sheet)
    assert (run.returncode, run.stderr.strip()) == (
        2, f"organiser: {sheet} is 2,048 MB, more than the 100 MB an import reads for a calendar, contact list "
        "or member sheet; nothing was imported. Is it the file you meant?")
    run = _organiser_in_1_gb(data_dir, "import", "/dev/zero", "--format", "csv")  # says no size: read up to the bound
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().startswith("organiser: /dev/zero holds more than the 100 MB an import reads")
    listed = _organiser_in_1_gb(data_dir, "member", "list", "--json")
    assert listed.stdout.strip() == "[]", listed.stderr


def test_a_sheet_of_a_hundred_thousand_columns_names_ten_of_those_left_out() -> None:
    header = ["Name", *(f"Spalte {i}" for i in range(1, 100_001)), "X" * 100_000]
    row = ["Bob Marsh", *("x" for _ in range(100_001))]
    data = (",".join(header) + "\n" + ",".join(row) + "\n").encode()
    parsed = read_members_csv(data, "wide.csv")
    assert [item.values["name"] for item in parsed.items] == ["Bob Marsh"]
    assert parsed.left_out_note == (
        "wide.csv: columns 'Spalte 1', 'Spalte 2', 'Spalte 3', 'Spalte 4', 'Spalte 5', 'Spalte 6', 'Spalte 7', "
        "'Spalte 8', 'Spalte 9', 'Spalte 10' and 99,991 more not imported (use --map 'COLUMN=field' to import one)")
    assert len(parsed.left_out) == 100_001  # all of them, for whoever maps them


def test_text_in_utf16_without_a_byte_order_mark_is_read_not_called_a_picture() -> None:
    sheet = "Name,Email\r\nZoë Ñúñez,zoe@example.org\r\n李伟,li@example.org\r\n"
    for codec in ("utf-16-le", "utf-16-be"):
        parsed = read_file(sheet.encode(codec), "members.csv")
        assert [item.values["name"] for item in parsed.items] == ["Zoë Ñúñez", "李伟"], codec
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë Ñúñez\r\nN:Ñúñez;Zoë;;;\r\nEND:VCARD\r\n".encode("utf-16-le")
    assert detect_format("contacts", card) == "vcf"
    assert [item.values["name"] for item in read_file(card, "contacts.vcf").items] == ["Zoë Ñúñez"]


def test_a_picture_is_still_a_picture() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    with pytest.raises(FormatError, match="this is not a text file"):
        detect_format("members.csv", png)


def test_a_utf8_sheet_with_one_damaged_character_keeps_every_other_accent_and_says_which_line(group) -> None:
    from organiser.services.transfer import plan_import

    sheet = "Name,Email\nZoë Ñúñez,zoe@example.org\nJürgen Weiß,j@example.org\n".encode() + \
        b"Carla D\xc3,carla@example.org\n"  # a cell cut inside its last character
    plan = plan_import(group, sheet, "members.csv")
    assert [item.label for item in plan.items] == ["Zoë Ñúñez", "Jürgen Weiß", "Carla D\ufffd"]
    assert plan.file_notes == ["members.csv: line 4 holds bytes that are not UTF-8 (a character cut or damaged), "
                               "shown as �; the rest of the file is UTF-8 and was read so"]
    windows = "Name,Email\nZoë Ñúñez,zoe@example.org\n".encode("cp1252")  # Excel's plain CSV: read as before
    assert [item.label for item in plan_import(group, windows, "members.csv").items] == ["Zoë Ñúñez"]


def test_a_backup_holding_a_number_of_ten_thousand_digits_is_refused_in_a_sentence(tmp_path: Path) -> None:
    backup = tmp_path / "backup.json"
    backup.write_text('{"format": "organiser-backup", "version": ' + "9" * 10_000 + "}")
    run = subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(tmp_path / "data"), "import",
                          str(backup)], capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stderr.strip()) == (2, f"organiser: {backup}: its JSON holds a number thousands of "
                                                       "digits long, which no Organiser backup has.")


CALENDAR_HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n"
AN_EVENT = "BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Plenum\r\n"


@pytest.mark.parametrize(("body", "line", "why"), [
    (AN_EVENT + "DTSTART;TZID=Europe:20260101T190000\r\nEND:VEVENT\r\n",  # a folder of the zone database
     4, "this event cannot be read, so the calendar cannot be read (a TZID names a time zone that is not one)"),
    (AN_EVENT + "DTSTART;VALUE=,DATE:20261031\r\nEND:VEVENT\r\n", 4, "this event cannot be read"),
    ("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
     "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n", 4, "this time zone cannot be read"),
    ("BEGIN:VTIMEZONE\r\nTZID:Custom\r\nBEGIN:STANDARD\r\nDTSTART:16011028T030000\r\nRRULE:BYDAY=-1SU;BYMONTH=10\r\n"
     "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n" + AN_EVENT +
     "DTSTART;TZID=Custom:20260101T190000\r\nEND:VEVENT\r\n", 4, "this time zone cannot be read"),
])
def test_a_calendar_the_library_stumbles_on_is_refused_naming_the_line(body: str, line: int, why: str) -> None:
    with pytest.raises(FormatError) as refused:
        read_calendar((CALENDAR_HEAD + body + "END:VCALENDAR\r\n").encode(), "old-union.ics")
    assert str(refused.value).startswith(f"old-union.ics: line {line}: {why}")


@pytest.mark.parametrize(("key", "value", "kind"), [("exported_by", '"a laptop"', "mapping"),
                                                   ("records", '"ab"', "list"), ("conflicts", "{}", "list")])
def test_a_backup_whose_parts_are_of_the_wrong_kind_is_refused_naming_the_part(key: str, value: str,
                                                                                kind: str) -> None:
    from organiser.formats.backup import read_backup

    doc = ('{"format": "organiser-backup", "version": 1, "group": {"id": "g", "name": "Old Union", "founder": "f", '
           f'"founder_key": "k"}}, "state_hash": "00", "changes": [], "{key}": {value}}}')
    with pytest.raises(FormatError, match=f"backup.json: the backup has a '{key}' that is not a {kind}."):
        read_backup(doc.encode(), "backup.json")


def test_a_backup_whose_records_are_not_records_is_refused_naming_the_record() -> None:
    from organiser.formats.backup import read_backup

    doc = ('{"format": "organiser-backup", "version": 1, "group": {"id": "g", "name": "Old Union", "founder": "f", '
           '"founder_key": "k"}, "state_hash": "00", "changes": [], "records": [{"kind": "member"}, 1]}')
    with pytest.raises(FormatError, match="backup.json: record 2 of the backup is not an object with a kind."):
        read_backup(doc.encode(), "backup.json").to_json()


def test_a_calendar_of_80000_events_each_begun_inside_the_last_is_read_in_bounded_time() -> None:
    # each is shown cut off where the next begins; finding each among the items was quadratic
    assert finishes("from organiser.formats.ical import read_calendar\n"
                    "n = 80_000\n"
                    "text = 'BEGIN:VCALENDAR\\r\\nVERSION:2.0\\r\\n' + 'BEGIN:VEVENT\\r\\n' * n"
                    " + 'END:VEVENT\\r\\n' * n + 'END:VCALENDAR\\r\\n'\n"
                    "items = read_calendar(text.encode(), 'x.ics').items\n"
                    "print(len(items), sum('looks cut off there' in ' '.join(i.problems) for i in items))") == \
        "80000 79999"
