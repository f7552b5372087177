"""Members <-> vCard, with the real exports in ../shared/fixtures/vcard used as they are."""

from __future__ import annotations

import base64
import time

import pytest

from organiser.core.records import validate
from organiser.formats.vcard import read_vcards, write_vcards
from tests.formats.helpers import SHARED_VCARDS, fixture

# Per file: the name every contact gets, in order. Android's first two cards have only an
# email address, which becomes the name, as phones show such contacts.
EXPECTED_NAMES = {
    "John_Doe_ANDROID.vcf": ["john.doe@company.com", "jane.doe@company.com", "Ñ Ñ Ñ Ñ Ñ",
                             "Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ", "Ñ Ñ Ñ Ñ", "ÑÑÑÑ"],
    "John_Doe_EVOLUTION.vcf": ["Mr. John Richter, James Doe Sr."],
    "John_Doe_GMAIL.vcf": ["Mr. John Richter, James Doe Sr."],  # its comma bare, as Gmail writes it
    "John_Doe_IPHONE.vcf": ["Mr. John Richter James Doe Sr."],
    "John_Doe_LOTUS_NOTES.vcf": ["Mr. Doe John I Johny"],
    "John_Doe_MAC_ADDRESS_BOOK.vcf": ["Mr. John Richter,James Doe Sr."],
    "John_Doe_MS_OUTLOOK.vcf": ["Mr. John Richter James Doe Sr."],
    "gmail-list.vcf": ["Arnold Smith", "Chris Beatle", "Doug White"],
    "outlook-2007.vcf": ["Mr. Michael Angstadt Jr."],
    "rfc6350-example.vcf": ["Simon Perreault"],
    "thunderbird-MoreFunctionsForAddressBook-extension.vcf": ["John Doe"],
}

needs_shared = pytest.mark.skipif(not SHARED_VCARDS.is_dir(), reason=f"{SHARED_VCARDS} is not here")


@needs_shared
def test_the_expectations_cover_every_shared_vcard_file():
    assert sorted(p.name for p in SHARED_VCARDS.glob("*.vcf")) == sorted(EXPECTED_NAMES)


@needs_shared
@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES))
def test_every_contact_in_every_shared_vcard_reads_as_a_valid_member(name):
    parsed = read_vcards((SHARED_VCARDS / name).read_bytes(), name)
    assert [item.label for item in parsed.items] == EXPECTED_NAMES[name]
    for item in parsed.items:
        assert item.problems == []
        validate("member", item.values)  # raises if a value would be refused


@needs_shared
def test_android_quoted_printable_with_soft_line_breaks_is_decoded():
    parsed = read_vcards((SHARED_VCARDS / "John_Doe_ANDROID.vcf").read_bytes(), "android.vcf")
    fourth = parsed.items[3]
    assert fourth.values["phones"] == ["123456", "234567", "3456789", "45678901"]
    assert fourth.values["notes"].startswith("Ñ Ñ Ñ")
    assert fourth.extra["roles"] == ["My Contacts"]
    fifth = parsed.items[4]
    assert fifth.values["emails"] == ["bob@company.com"]
    assert "Email (not a valid address): ÑÑÑÑÑÑÑÑÑÑÑÑÑÑ" in fifth.values["notes"]
    sixth = parsed.items[5]
    assert sixth.values["emails"] == ["henry@company.com"]
    assert any("ORG line cannot be read" in w for w in sixth.warnings)


@needs_shared
def test_iphone_card_with_a_photo_keeps_its_phones_and_skips_the_photo():
    (card,) = read_vcards((SHARED_VCARDS / "John_Doe_IPHONE.vcf").read_bytes(), "iphone.vcf").items
    assert card.values["emails"] == ["john.doe@ibm.com"]
    assert len(card.values["phones"]) == 7
    assert "PHOTO" not in repr(card.values)


@needs_shared
def test_outlook_and_lotus_notes_cards_keep_notes_and_several_emails():
    (outlook,) = read_vcards((SHARED_VCARDS / "John_Doe_MS_OUTLOOK.vcf").read_bytes(), "o.vcf").items
    assert outlook.values["phones"] == ["(905) 555-1234", "(905) 666-1234"]
    assert outlook.values["notes"].startswith("THIS SOFTWARE IS PROVIDED")
    (lotus,) = read_vcards((SHARED_VCARDS / "John_Doe_LOTUS_NOTES.vcf").read_bytes(), "l.vcf").items
    assert lotus.values["emails"] == ["john.doe@ibm.com", "billy_bob@gmail.com"]


def test_vcard_4_with_tel_uris_categories_and_unknown_properties():
    mariam, jonas = read_vcards(fixture("contacts_v4.vcf"), "v4.vcf").items
    assert mariam.values["emails"] == ["mariam@example.org", "m.haddad@clinic.example"]
    assert mariam.values["phones"] == ["+33-6-12-34-56-78", "+33-1-23-45-67-89"]
    assert "extension 42" in mariam.values["notes"]
    assert mariam.extra["roles"] == ["Health", "Outreach"]
    assert jonas.values == {"name": "Jonas Berg", "emails": ["jonas@example.no"], "phones": ["+47-22-33-44-55"],
                            "notes": ""}


def test_a_card_with_nothing_to_call_it_is_reported_with_its_number_and_line():
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ok\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:hi\r\nEND:VCARD\r\n"
    ok, empty = read_vcards(data, "x.vcf").items
    assert ok.problems == []
    assert empty.problems == ["it has no name, email address or phone number"]
    assert empty.where == "contact 2 (line 5)"


MEMBER = {"id": "a" * 32, "name": "Ana María López", "emails": ["ana@example.org", "ana@work.example"],
          "phones": ["+34 600 000 000", "91 555 0000"], "roles": ["Outreach", "Kitchen, food"],
          "skills": ["first aid", "Arabic"], "notes": "Keys to the hall;\nweekends only",
          "consent_email": True, "consent_phone": False, "consent_date": "2026-01-15", "joined": "2025-09-01"}


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_members_round_trip_through_vcard(version):
    data = write_vcards([MEMBER], version)
    assert f"VERSION:{version}".encode() in data
    (card,) = read_vcards(data, "export.vcf").items
    clean = validate("member", card.values)
    for key in ("name", "emails", "phones", "notes", "consent_email", "consent_phone", "consent_date", "joined"):
        assert clean[key] == MEMBER[key], key
    assert card.extra["roles"] == MEMBER["roles"]
    assert card.extra["skills"] == MEMBER["skills"]
    assert card.extra["uid"] == "a" * 32 + "@organiser"


def test_names_old_phones_encoded_in_base64_or_quoted_printable_with_a_charset_are_decoded():
    # Nokia's base64 names (folded, each ended by a blank line), Sony Ericsson's ISO-8859-1,
    # a bare BASE64, Windows Mobile's Windows-1252 and an old phone's Latin-1 with no CHARSET
    parsed = read_vcards(fixture("old_phones_2_1.vcf"), "old_phones_2_1.vcf")
    names = [(item.values["name"], item.values.get("family_name"), item.values.get("given_name"))
             for item in parsed.items]
    assert names == [("Małgorzata Kowalczyk", "Kowalczyk", "Małgorzata"), ("Åsa Bergström", "Bergström", "Åsa"),
                     ("Thị Hoa Nguyễn", "Nguyễn", "Thị Hoa"), ("Seán O’Brien", "O’Brien", "Seán"),
                     ("Jürgen Müller", "Müller", "Jürgen")]
    assert [item.values["phones"] for item in parsed.items] == [
        ["+48601234567"], ["+46701234567"], ["+84912345678"], ["+353871234567"], ["+491701234567"]]
    assert parsed.items[4].values["notes"] == "Hausmeister, Vorderhaus"
    for item in parsed.items:
        assert (item.problems, item.warnings) == ([], [])
        validate("member", item.values)


def _card_with_note_in(charset: str, raw: bytes) -> bytes:
    return ("BEGIN:VCARD\r\nVERSION:2.1\r\nN:Kowalczyk;Ana\r\nFN:Ana Kowalczyk\r\n"
            f"NOTE;CHARSET={charset};ENCODING=BASE64:{base64.b64encode(raw).decode()}\r\nEND:VCARD\r\n").encode()


@pytest.mark.parametrize("charset", ["punycode", "idna", "unicode_escape", "raw-unicode-escape", "undefined"])
def test_a_charset_that_is_not_a_character_set_is_not_used_to_read_a_card(charset):
    """CHARSET names a codec of Python's, not only a character set: 'punycode' read a 6 MB note
    in quadratic time (80 kB: 0.8 s; a 100 MB file: hours), and one it could not read, or
    'undefined', raised an error no import catches."""
    payload = ("é" * 200_000 + "x").encode("punycode")  # 200 kB: ~5 s decoded as punycode
    for raw in (payload, b"a-99999"):  # the second cannot be read as punycode
        started = time.monotonic()
        parsed = read_vcards(_card_with_note_in(charset, raw), "phone.vcf")
        assert time.monotonic() - started < 2
        (item,) = parsed.items
        assert item.values["name"] == "Ana Kowalczyk"
        assert item.values["notes"] == raw.decode("ascii")  # read as the phone's UTF-8, as for an unknown CHARSET
