"""Members <-> CSV, with sheets as Google Contacts, Outlook, Excel and LibreOffice save them."""

from __future__ import annotations

import pytest

from organiser.core.records import validate
from organiser.formats.common import FormatError
from organiser.formats.csvfile import guess_target, parse_mapping, read_members_csv, write_members_csv
from tests.formats.helpers import fixture


def read(name: str, mapping: dict[str, str] | None = None):
    return read_members_csv(fixture(name), name, mapping)


@pytest.mark.parametrize(("name", "expected"), [
    ("google_contacts.csv", ["Amara Okafor", "Jürgen Weiß", "Li Wei"]),
    ("outlook_contacts.csv", ["Siobhán O'Neill", "Tomás Ferreira"]),
    ("excel_semicolon_cp1252.csv", ["Özlem Yilmaz", "François Müller", "Zoë Ångström"]),
    ("excel_utf8_bom.csv", ["Nguyễn Thị Hoa", "Kwame Mensah"]),
    ("libreoffice.csv", ["Ana López", "Bob Smith"]),
])
def test_common_spreadsheet_exports_read_with_their_names_intact(name, expected):
    parsed = read(name)
    assert [item.label for item in parsed.items] == expected
    for item in parsed.items:
        validate("member", item.values)


def test_google_contacts_columns_map_to_emails_phones_and_labels_as_roles():
    amara, jurgen, _li = read("google_contacts.csv").items
    assert amara.values["emails"] == ["amara.okafor@example.org", "a.okafor@work.example"]
    assert amara.values["phones"] == ["+44 7700 900123"]
    assert amara.values["notes"] == "Door team lead, speaks Igbo"
    assert amara.extra["roles"] == ["Door team"]  # "* myContacts" is Google's own group
    assert jurgen.values["phones"] == ["+49 151 23456789", "+49 231 998877"]
    assert jurgen.extra["roles"] == ["Outreach", "Legal"]


def test_outlook_columns_join_first_and_last_name_and_keep_multiline_notes():
    siobhan, tomas = read("outlook_contacts.csv").items
    assert siobhan.values["phones"] == ["+353 1 555 0101", "+353 87 555 0199"]  # fax left out
    assert siobhan.values["notes"] == "Prefers phone\nafter 6pm"
    assert siobhan.extra["roles"] == ["Steering", "Outreach"]
    assert tomas.values["emails"] == ["tomas.ferreira@example.pt", "tf@mail.example"]
    assert siobhan.line == 2 and tomas.line == 4  # the quoted note spans lines 2-3


def test_semicolon_separated_windows_1252_excel_file():
    parsed = read("excel_semicolon_cp1252.csv")
    assert parsed.items[1].values["phones"] == ["+33 1 55 55 55 55"]
    assert any("'Notizen'" in w for w in parsed.warnings)  # told what was left out


def test_map_option_imports_a_column_no_one_recognises():
    parsed = read("excel_semicolon_cp1252.csv", parse_mapping(["Notizen=notes"]))
    assert parsed.items[0].values["notes"] == "Ansprechpartnerin Haus 3"
    assert parsed.warnings == []


def test_excel_utf8_with_bom_reads_roles_and_joined_date():
    hoa, _kwame = read("excel_utf8_bom.csv").items
    assert hoa.extra["roles"] == ["Kitchen", "Childcare"]
    assert hoa.values["joined"] == "2025-03-01"


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_any_line_ending(ending):
    data = ending.join(["Name,Email", "Ana,ana@example.org", "Bob,bob@example.org", ""]).encode()
    assert [i.label for i in read_members_csv(data, "x.csv").items] == ["Ana", "Bob"]


def test_a_sheet_without_a_name_or_email_column_is_refused_with_a_hint():
    with pytest.raises(FormatError, match=r"^x\.csv: no column holds names .* --map 'COLUMN=name'"):
        read_members_csv(b"Who;Where\nAna;Berlin\n", "x.csv")


def test_bad_map_options_are_refused_with_a_sentence():
    with pytest.raises(FormatError, match="'colour' is not a member field"):
        parse_mapping(["Fav=colour"])
    with pytest.raises(FormatError, match="file's columns are"):
        read_members_csv(b"Name\nAna\n", "x.csv", parse_mapping(["Nope=notes"]))


def test_column_names_seen_in_the_wild():
    assert guess_target("E-mail 2 Address") == "emails"
    assert guess_target("E-mail Display Name") is None
    assert guess_target("Phone 1 - Value") == "phones"
    assert guess_target("Phone 1 - Type") is None
    assert guess_target("Business Fax") is None
    assert guess_target("Consent to email") == "consent_email"


@pytest.mark.parametrize("separator", [",", ";"])
def test_members_round_trip_through_csv(separator):
    member = {"id": "a" * 32, "name": "Ana María López", "emails": ["ana@example.org", "ana@work.example"],
              "phones": ["+34 600 000 000"], "roles": ["Outreach", "Kitchen, food"], "skills": ["first aid"],
              "notes": "Keys to the hall,\nweekends", "consent_email": True, "consent_phone": False,
              "consent_date": "2026-01-15", "joined": "2025-09-01"}
    data = write_members_csv([member], separator=separator)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert data[3:].split(b"\r\n")[0].startswith(f"Name{separator}".encode())
    (row,) = read_members_csv(data, "export.csv").items
    clean = validate("member", row.values)
    for key in ("name", "emails", "phones", "notes", "consent_email", "consent_phone", "consent_date", "joined"):
        assert clean[key] == member[key], key
    assert row.extra["roles"] == member["roles"]
    assert row.extra["skills"] == member["skills"]


def test_excel_unicode_text_utf16_with_tabs():
    data = "Name\tE-mail\tPhone\r\nŁucja Nowak\tlucja@example.pl\t+48 600 100 200\r\n".encode("utf-16")
    (row,) = read_members_csv(data, "unicode.txt").items
    assert (row.label, row.values["emails"], row.values["phones"]) == (
        "Łucja Nowak", ["lucja@example.pl"], ["+48 600 100 200"])


def test_a_quote_mark_never_closed_is_refused_naming_its_line_not_read_as_one_long_name():
    data = 'Name,Email\r\nAna,ana@example.org\r\n"Zoë, unclosed,zoe@example.org\r\nBob,bob@example.org\r\n'.encode()
    with pytest.raises(FormatError, match=r"^sheet\.csv: line 3: a cell starts with a quote mark \(\"\) that is "
                       r"never closed"):
        read_members_csv(data, "sheet.csv")


def test_a_quote_mark_inside_a_cell_is_read_as_it_is():
    parsed = read_members_csv(b'Name,Notes\r\nAna,"has a 5"" pipe"\r\nBob,10" screen\r\n', "sheet.csv")
    assert [i.values["notes"] for i in parsed.items] == ['has a 5" pipe', '10" screen']


def test_excels_sep_line_names_the_separator_and_is_not_the_header():
    data = 'sep=;\r\nName;E-Mail;Telefon;Notizen\r\nJürgen Weiß;jw@example.de;+49 30 111;"Zeile 1\r\nZeile 2"\r\n'
    parsed = read_members_csv(data.encode("cp1252"), "mitglieder.csv")
    (item,) = parsed.items
    assert (item.values["name"], item.values["emails"], item.values["phones"]) == (
        "Jürgen Weiß", ["jw@example.de"], ["+49 30 111"])
    assert item.where == "line 3"


def test_a_mobile_column_named_in_german_dutch_italian_or_french_holds_phones():
    for header in ("Mobil", "Mobiel", "Cellulare", "Portable", "GSM", "Telefoon", "Mobilnummer", "Móvil"):
        assert guess_target(header) == "phones", header
    assert guess_target("Mobility needs") is None  # a column of its own, not phones


def test_a_phone_excel_shortened_to_a_number_like_4_91701e12_is_named_whole_with_what_to_do():
    data = "\ufeffName;E-Mail;Mobil\r\nAnna Schmidt;anna@example.de;4,91701E+12\r\nBen;ben@example.de;1.5E+10\r\n"
    parsed = read_members_csv(data.encode(), "mitglieder.csv")
    anna, ben = parsed.items
    assert anna.values["phones"] == [] and ben.values["phones"] == []
    assert anna.problems == ["phone '4,91701E+12' is a number Excel shortened, and its last digits are lost; "
                             "in Excel, format the column as Text, type the numbers again and save"]
    assert ben.problems[0].startswith("phone '1.5E+10' is a number Excel shortened")


def test_a_separator_that_is_neither_comma_nor_semicolon_is_refused():
    with pytest.raises(FormatError, match=r"^'\|' is not a CSV separator; use ',' or ';'\.$"):
        write_members_csv([], separator="|")
