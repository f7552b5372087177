"""Contacts and calendars as phones and desktop tools write them, imported, exported and
imported again: nothing duplicates and nothing drifts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from organiser.formats.ical import read_calendar
from organiser.formats.recurrence import occurrences
from organiser.services import transfer
from tests.formats.helpers import fixture


def imported(group, name: str, data: bytes | None = None, **kw) -> transfer.ImportPlan:
    plan = transfer.plan_import(group, fixture(name) if data is None else data, name, **kw)
    transfer.apply_import(group, plan)
    return plan


def reimport_actions(group, fmt: str) -> dict[str, str]:
    """{label: what a second import of the group's own export would do}."""
    plan = transfer.plan_import(group, transfer.export_group(group, fmt), f"export.{fmt}")
    return {item.label: f"{item.action} {item.reason}".strip() for item in plan.items}


def test_an_android_note_with_a_line_break_reads_back_unchanged_from_vcard_and_csv(group):
    imported(group, "android_phone_2_1.vcf")  # quoted-printable =0D=0A: the phone's CR LF
    zoe = next(m for m in group.members.list() if m.name == "Zoë Ångström")
    assert zoe.notes == "Flat 4B — has keys to the boiler room.\nCan translate Swedish."
    for fmt in ("vcf", "csv"):
        assert set(reimport_actions(group, fmt).values()) == {"skip unchanged"}, fmt


def test_google_contacts_own_groups_in_a_vcard_are_not_roles(group):
    imported(group, "google_contacts_3_0.vcf")  # CATEGORIES:Committee,myContacts
    aoife = next(m for m in group.members.list() if m.name == "Aoife Ní Bhriain")
    assert aoife.roles == ["Committee"]
    for fmt in ("vcf", "csv"):
        assert set(reimport_actions(group, fmt).values()) == {"skip unchanged"}, fmt


def test_contacts_saved_with_a_calendar_or_sheet_name_are_read_as_the_contacts_they_are(group):
    for name in ("contacts.ics", "contacts.csv"):
        plan = transfer.plan_import(group, fixture("android_phone_2_1.vcf"), name)
        assert (plan.format, plan.counts()["add"]) == ("vcf", 3), name
        assert f"{name} holds vCard contacts, not what its name says; it was read as vCard" in plan.warnings
    plan = transfer.plan_import(group, fixture("google_calendar.ics"), "calendar.vcf")
    assert plan.format == "ics" and plan.counts()["add"] > 0


def cut(data: bytes, before: bytes) -> bytes:
    """The file as a broken download or copy leaves it: everything up to `before`."""
    return data[:data.index(before)]


def test_a_calendar_cut_off_inside_an_event_shows_that_event_as_cut_off_and_reads_the_rest(group):
    data = cut(fixture("google_calendar_london.ics"), b"SUMMARY:Meeting with landlord")
    plan = transfer.plan_import(group, data, "calendar.ics")
    assert [(i.label, i.action) for i in plan.items] == [
        ("Committee — Thursday meeting", "add"), ("Weekend canvass — Østergade estate", "add"),
        ("Untitled event", "invalid")]
    assert plan.items[-1].where == "event 3 (line 64)"
    assert plan.items[-1].reason == "the file ends inside it (no END:VEVENT): the file looks cut off"
    assert plan.items[-1].warnings == []  # not also "it has no title": that was cut off with the rest


def test_a_calendar_missing_only_its_last_line_is_read_with_a_note(group):
    data = cut(fixture("google_calendar_london.ics"), b"END:VCALENDAR")
    plan = transfer.plan_import(group, data, "calendar.ics")
    assert plan.counts()["add"] == 4
    assert "calendar.ics: the file ends without END:VCALENDAR; it may be cut off after its last event" \
        in plan.warnings


def test_a_vcard_file_cut_off_inside_a_contact_shows_that_contact_as_cut_off(group):
    data = fixture("android_phone_2_1.vcf")
    plan = transfer.plan_import(group, cut(data, b"EMAIL;WORK"), "contacts.vcf")
    assert [(i.label, i.action) for i in plan.items] == [("Zoë Ångström", "add"), ("José Núñez", "invalid")]
    assert plan.items[-1].reason == "the file ends inside it (no END:VCARD): the file looks cut off"
    plan = transfer.plan_import(group, cut(data, b"TEL;CELL;PREF"), "contacts.vcf")
    assert [(i.label, i.action) for i in plan.items] == [("Zoë Ångström", "invalid")]


def test_an_iphone_contacts_own_labels_are_kept_as_phone_and_email_types(group):
    imported(group, "iphone_3_0.vcf")  # item2.TEL with item2.X-ABLabel:Hausmeister, and a PHOTO
    jurgen = next(m for m in group.members.list() if m.name == "Jürgen Weiß")
    assert jurgen.phones == ["+49 30 1234567", "+49 30 7654321", "030 555 0101"]
    assert jurgen.to_json()["phone_types"] == {
        "+49 30 1234567": ["cell", "pref"], "+49 30 7654321": ["hausmeister"], "030 555 0101": ["home", "voice"]}
    for fmt in ("vcf", "csv"):
        assert set(reimport_actions(group, fmt).values()) == {"skip unchanged"}, fmt


def test_outlooks_empty_and_trailing_description_lines_are_not_kept_as_text(group):
    plan = imported(group, "outlook_budapest.ics")  # DESCRIPTION:\n, and every description ends in \n
    assert plan.counts()["add"] == 3
    descriptions = {e.title: e.description for e in group.events.list()}
    assert descriptions["Karácsonyi vásár"] == ""
    assert descriptions["Jogi tanácsadás – bérlők"] == "Ügyvéd tanácsadás a bérlőknek.\nKérdéseket előre küldjétek."
    assert set(reimport_actions(group, "ics").values()) == {"skip unchanged"}
    again = transfer.plan_import(group, fixture("outlook_budapest.ics"), "outlook_budapest.ics")
    assert {i.action for i in again.items} == {"skip"}


def test_a_description_typed_with_a_last_empty_line_reads_back_from_our_own_calendar_unchanged(group):
    group.events.add("Plenum", "2026-12-10T19:00", end="2026-12-10T21:00", tz="Europe/Berlin",
                     description="Agenda:\n1. Rent\n")
    assert set(reimport_actions(group, "ics").values()) == {"skip unchanged"}


def test_a_google_events_guest_list_left_out_is_said_beside_the_event(group):
    plan = transfer.plan_import(group, fixture("google_calendar_london.ics"), "calendar.ics")
    committee = next(i for i in plan.items if i.label == "Committee — Thursday meeting")
    assert "its 2 guests (ATTENDEE) were not imported; RSVPs are recorded in Organiser" in committee.warnings
    canvass = next(i for i in plan.items if i.label.startswith("Weekend canvass"))
    assert canvass.warnings == []


def test_what_a_phones_contacts_hold_that_members_do_not_keep_is_said_once_for_the_file(group):
    plan = transfer.plan_import(group, fixture("iphone_3_0.vcf"), "iphone.vcf")  # ADR and PHOTO
    assert plan.file_notes == ["iphone.vcf: the addresses (ADR) and photos (PHOTO) of 1 contact were not "
                               "imported; a member does not keep them"]
    plan = transfer.plan_import(group, fixture("google_contacts_3_0.vcf"), "google.vcf")
    assert plan.file_notes == []


def test_a_picture_or_an_empty_file_is_refused_as_what_it_is(group):
    import pytest

    from organiser.formats.common import FormatError

    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x05\x00"
    for name in ("members.csv", "contacts.vcf", "calendar.ics"):
        with pytest.raises(FormatError, match=rf"^{name}: this is not a text file \(a picture, PDF or other "
                           r"binary file\); import reads calendars \(\.ics\), contacts \(\.vcf\) and CSV"):
            transfer.plan_import(group, png, name)
    with pytest.raises(FormatError, match=r"^calendar\.ics: the file is empty\.$"):
        transfer.plan_import(group, b"\r\n", "calendar.ics")


def test_outlooks_older_zone_names_with_their_cities_are_the_cities_zones():
    from organiser.formats.ical import iana_zone

    assert iana_zone("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna") == "Europe/Amsterdam"
    assert iana_zone("(UTC+01:00) Belgrade, Bratislava, Budapest, Ljubljana, Prague") == "Europe/Belgrade"
    assert iana_zone("(UTC) Dublin, Edinburgh, Lisbon, London") == "Europe/Dublin"
    assert iana_zone("(GMT+01.00) Amsterdam / Berlin / Bern / Rome / Stockholm / Vienna") == "Europe/Amsterdam"
    assert iana_zone("(UTC-05:00) Eastern Time (US & Canada)") == "America/New_York"
    assert iana_zone("(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi") == "Asia/Kolkata"
    assert iana_zone("(UTC+01:00) Nowhere, Elsewhere") is None


def test_a_weekly_outlook_meeting_in_an_older_zone_name_keeps_its_hour_past_the_clock_change(group):
    data = fixture("outlook_budapest.ics").replace(
        b"Central Europe Standard Time", b"(UTC+01:00) Belgrade, Bratislava, Budapest, Ljubljana, Prague")
    plan = transfer.plan_import(group, data, "outlook.ics")
    weekly = next(i for i in plan.items if i.label == "Hétfői ügyelet")
    assert weekly.warnings == []
    transfer.apply_import(group, plan)
    event = next(e for e in group.events.list() if e.title == "Hétfői ügyelet")
    assert (event.start, event.tz) == ("2026-12-07T18:00", "Europe/Belgrade")


INVITE = b"""BEGIN:VCALENDAR\r
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
VERSION:2.0\r
CALSCALE:GREGORIAN\r
METHOD:REQUEST\r
BEGIN:VEVENT\r
DTSTART:20261209T180000Z\r
DTEND:20261209T193000Z\r
DTSTAMP:20261202T020000Z\r
ORGANIZER;CN=Mieterverein:mailto:verein@example.de\r
UID:invite-1@google.com\r
SUMMARY:Treffen mit der Hausverwaltung\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_an_invite_in_utc_without_a_zone_lands_at_the_laptops_local_time(group, monkeypatch):
    from organiser.services import clock

    monkeypatch.setattr(clock, "local_tz_name", lambda: "Europe/Berlin")
    transfer.apply_import(group, transfer.plan_import(group, INVITE, "invite.ics"))
    (event,) = group.events.list()
    assert (event.start, event.end, event.tz) == ("2026-12-09T19:00", "2026-12-09T20:30", "Europe/Berlin")
    assert set(reimport_actions(group, "ics").values()) == {"skip unchanged"}


def fold_every_75_bytes(line: str) -> bytes:
    """A content line folded as Outlook folds it: at 75 bytes, in a character's UTF-8 if it falls there."""
    data, parts = line.encode(), []
    while len(data) > 75:
        parts.append(data[:75])
        data = b" " + data[75:]
    return b"\r\n".join([*parts, data])


def test_an_outlook_calendar_folded_inside_a_character_keeps_every_accent(group):
    title = "Mitgliederversammlung der Mieterinnen und Mieter Überseestraße – Bürgerhaus Grünau, Saal ÄÖÜ"
    folded = fold_every_75_bytes(f"SUMMARY:{title}")
    assert b"\xc3\r\n " in folded or b"\xe2\x80\r\n " in folded  # the fold falls inside a character
    calendar = (b"BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\nVERSION:2.0\r\n"
                b"BEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E008\r\nDTSTAMP:20261101T100000Z\r\n"
                b"DTSTART;TZID=\"W. Europe Standard Time\":20261203T190000\r\n"
                b"DTEND;TZID=\"W. Europe Standard Time\":20261203T210000\r\n" + folded + b"\r\n"
                b"LOCATION:B\xc3\xbcrgerhaus Gr\xc3\xbcnau\r\nX-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\n"
                b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    plan = imported(group, "outlook.ics", calendar)
    assert [(i.where, i.label) for i in plan.items] == [("event 1 (line 4)", title)]
    [event] = group.events.list()
    assert (event.title, event.location, event.tz) == (title, "Bürgerhaus Grünau", "Europe/Berlin")


def test_a_phones_card_folded_inside_a_character_keeps_every_accent(group):
    # 65 letters after "NOTE:" and "Schl", so the 75th byte is the first of the ü
    note = ("Hinterhaus im 3. Stock links. " * 3)[:65] + "Schlüssel für den Heizungskeller – Überseestraße 12"
    card = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:J\xc3\xbcrgen Wei\xc3\x9f\r\nN:Wei\xc3\x9f;J\xc3\xbcrgen;;;\r\n"
            + fold_every_75_bytes(f"NOTE:{note}") + b"\r\nEND:VCARD\r\n")
    assert b"\xc3\r\n \xbc" in card  # the fold falls inside the ü of Schlüssel
    imported(group, "contacts.vcf", card)
    [member] = group.members.list()
    assert (member.name, member.notes) == ("Jürgen Weiß", note)


def test_a_comma_in_a_cards_name_or_note_is_kept_whether_or_not_the_phone_escaped_it(group):
    cards = (b"BEGIN:VCARD\r\nVERSION:2.1\r\nN:Doe;Jane\r\nFN:Doe, Jane\r\n"  # Outlook and Android 2.1: bare
             b"NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Ruft ab 18 Uhr an, nicht fr=C3=BCher=0D=0A"
             b"Haus 3, Flat 4\r\n"
             b"TEL;CELL:+44 7700 900123\r\nEND:VCARD\r\n"
             # a 3.0 writer, bare
             b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:O'Brien;Se\xc3\xa1n;;;\r\nFN:O'Brien, Se\xc3\xa1n\r\n"
             b"NOTE:Keys: boiler room, bike shed\r\nEMAIL:sean@example.org\r\nEND:VCARD\r\n"
             b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee;Sam;;;\r\nFN:Lee\\, Sam\r\n"  # escaped, as RFC 2426 says
             b"NOTE:one\\, two\\\\, three\r\nEMAIL:sam@example.org\r\nEND:VCARD\r\n")
    imported(group, "old-phone.vcf", cards)
    got = {m.name: m.notes for m in group.members.list()}
    assert got == {"Doe, Jane": "Ruft ab 18 Uhr an, nicht früher\nHaus 3, Flat 4",
                   "O'Brien, Seán": "Keys: boiler room, bike shed", "Lee, Sam": "one, two\\, three"}
    for fmt in ("vcf", "csv"):
        assert set(reimport_actions(group, fmt).values()) == {"skip unchanged"}, fmt


def test_a_name_and_note_a_phone_wrote_in_base64_read_as_text(group):
    cards = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN;ENCODING=b:Wm/DqyDDhW5nc3Ryw7Zt\r\n"  # Zoë Ångström
             b"NOTE;ENCODING=b:Q2Fmw6ksIDUg4oKs\r\nEMAIL:zoe@example.se\r\nEND:VCARD\r\n"
             b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=ISO-8859-1;ENCODING=BASE64:U2XhbiBMZWU=\r\n"  # Seán Lee
             b"TEL;CELL:+44 7700 900456\r\nEND:VCARD\r\n")
    imported(group, "nokia.vcf", cards)
    assert sorted((m.name, m.notes) for m in group.members.list()) == [("Seán Lee", ""), ("Zoë Ångström", "Café, 5 €")]


OUTLOOK_CUSTOM_ZONE = (
    "BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\nVERSION:2.0\r\n"
    "BEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\n"
    "BEGIN:STANDARD\r\nDTSTART:16011028T030000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
    "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E00800000000\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART;TZID=\"Customized Time Zone\":20260312T190000\r\nDTEND;TZID=\"Customized Time Zone\":20260312T210000\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=6\r\nSUMMARY:Plenum\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def test_an_outlook_meeting_in_its_customized_time_zone_keeps_its_hour_across_the_clock_change():
    parsed = read_calendar(OUTLOOK_CUSTOM_ZONE.encode(), "invite.ics", ZoneInfo("Europe/Berlin"))
    [event] = parsed.items
    assert (event.values["start"], event.values["tz"]) == ("2026-03-12T19:00", "Europe/Berlin")
    assert event.warnings == ["time zone 'Customized Time Zone' is not a known IANA zone; its clock changes are "
                              "Europe/Berlin's, so it was read as Europe/Berlin"]
    # the weekly Plenum is at 19:00 after the clock change too, as in Outlook
    starts = [o.start for o in occurrences(event.values, datetime(2026, 3, 1), datetime(2026, 5, 1))]
    assert [f"{s:%d.%m %H:%M}" for s in starts] == ["12.03 19:00", "19.03 19:00", "26.03 19:00", "02.04 19:00",
                                                   "09.04 19:00", "16.04 19:00"]


def test_a_zone_of_its_own_no_place_keeps_is_read_in_utc_as_before():
    odd = OUTLOOK_CUSTOM_ZONE.replace("+0200", "+0217").replace("+0100", "+0117")
    [event] = read_calendar(odd.encode(), "invite.ics", ZoneInfo("Europe/Berlin")).items
    assert (event.values["start"], event.values["tz"]) == ("2026-03-12T17:43", "UTC")
    assert event.warnings == ["time zone 'Customized Time Zone' is not a known IANA zone; times were converted to UTC"]


def test_two_invites_in_customized_time_zones_of_their_own_are_each_read_in_their_own():
    new_york = (OUTLOOK_CUSTOM_ZONE.replace("+0200", "-0400").replace("+0100", "-0500")
                .replace("BYDAY=-1SU;BYMONTH=10", "BYDAY=1SU;BYMONTH=11").replace("BYDAY=-1SU;BYMONTH=3",
                                                                                 "BYDAY=2SU;BYMONTH=3"))
    read = [read_calendar(invite.encode(), "invite.ics", None).items[0].values
            for invite in (OUTLOOK_CUSTOM_ZONE, new_york, OUTLOOK_CUSTOM_ZONE)]
    assert [(v["start"], v["tz"]) for v in read] == [
        ("2026-03-12T19:00", "Europe/Berlin"), ("2026-03-12T19:00", "America/New_York"),
        ("2026-03-12T19:00", "Europe/Berlin")]
