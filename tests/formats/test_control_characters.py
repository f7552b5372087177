"""NUL and other control characters in the notes and descriptions of imported files (old phones,
broken copies) are left out, and said so; what the group holds is exported without them, so
another tool never cuts a note short at one."""

from __future__ import annotations

from pathlib import Path

from organiser.formats.common import detect_format
from organiser.services import transfer
from organiser.services.group import Group

# a NUL in the calendar's first lines (a file once refused as "not a text file") and later ones
CALENDAR = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Old Tool//EN\r\nBEGIN:VEVENT\r\nUID:assembly@old\r\n"
            b"DTSTART:20261201T190000Z\r\nSUMMARY:Assembly\x00\r\nLOCATION:Hall\x00 2\r\n"
            b"DESCRIPTION:Bring\x00 keys\\nand chairs\tplease\x07\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
CARDS = (b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Ana L\xc3\xb3pez\r\nTEL;CELL:+4930123456\r\n"
         b"NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Keys=00 flat 4=0D=0Asecond=1B line\r\nEND:VCARD\r\n")


def test_an_import_leaves_control_characters_out_and_says_which_and_where(group: Group) -> None:
    assert detect_format("assembly.ics", CALENDAR) == "ics"
    plan = transfer.plan_import(group, CALENDAR, "assembly.ics")
    assert plan.warnings == [
        "event 1 (line 4): its title held 1 control character (U+0000), which was left out",
        "event 1 (line 4): its location held 1 control character (U+0000), which was left out",
        "event 1 (line 4): its description held 2 control characters (U+0000, U+0007), which were left out"]
    transfer.apply_import(group, plan)
    plan = transfer.plan_import(group, CARDS, "phone.vcf")
    assert plan.warnings == ["contact 1 (line 1): its notes held 2 control characters (U+0000, U+001B), "
                             "which were left out"]
    transfer.apply_import(group, plan)
    (event,) = group.events.list()
    assert (event.title, event.location, event.description) == ("Assembly", "Hall 2", "Bring keys\nand chairs\tplease")
    (member,) = group.members.list()
    assert member.notes == "Keys flat 4\nsecond line"


def test_an_export_leaves_out_control_characters_the_group_holds(group: Group, tmp_path: Path) -> None:
    # as a peer on an older version, or an edit before this rule, stored them
    group.events.add("Assembly\x00", "2026-12-01T19:00", description="Bring\x00 keys")
    group.members.add("Ana López", phones=["+4930123456"], notes="Keys\x00 flat 4")
    for fmt in ("ics", "vcf", "csv"):
        written = transfer.export_group(group, fmt)
        assert b"\x00" not in written, fmt
        assert (b"Bring keys" in written) if fmt == "ics" else (b"Keys flat 4" in written), fmt
