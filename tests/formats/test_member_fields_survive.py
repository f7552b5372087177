"""Property: every member field, holding any text (separators, quotes, backslashes, line breaks,
leading = + - @ ' and digits, any script), survives export and import in every member format:
vCard 3.0 and 4.0, CSV, the .xlsx as a spreadsheet saves it, and the full JSON backup."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from organiser.core.records import KINDS, validate
from organiser.formats.csvfile import read_members_csv, write_members_csv
from organiser.formats.vcard import read_vcards, write_vcards
from organiser.formats.xlsx import write_members_xlsx

SEPARATORS = list(",;\\\"'\n=+-@:0 ")
# Any printable text and the formats' separators. Not carriage returns or other control
# characters: every format turns line ends into "\n", and spreadsheets cannot hold the rest.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(SEPARATORS), max_size=20)
LINE = TEXT.map(str.strip)
WORD = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x9FFF), min_size=1, max_size=8)
PHONE = st.from_regex(r"\+?[0-9][0-9 ()./-]{1,12}[0-9]", fullmatch=True).filter(lambda p: sum(map(str.isdigit, p)) >= 3)
EMAIL = st.builds(lambda a, b: f"{a}@{b}.org", st.from_regex(r"[a-z0-9._+-]{1,10}", fullmatch=True),
                  st.from_regex(r"[a-z0-9-]{1,10}", fullmatch=True))
TYPES = st.lists(st.sampled_from(["cell", "work", "home", "pref", "voice", "x-radio"]), unique=True, max_size=3)
# Google's "a ::: b" labels and "* starred" groups are read as such in any CSV.
TRAIT = LINE.filter(lambda t: t and ":::" not in t and t.lstrip("* ").casefold() not in ("starred", "mycontacts"))


@st.composite
def members(draw: Any) -> dict[str, Any]:
    phones = draw(st.lists(PHONE, unique_by=lambda p: p.strip(), max_size=3))
    emails = draw(st.lists(EMAIL, unique=True, max_size=3))
    return {
        "id": "0" * 32,
        "name": draw(LINE.filter(bool)),
        "emails": emails, "phones": phones,
        "phone_types": {p: draw(TYPES) for p in phones}, "email_types": {e: draw(TYPES) for e in emails},
        "roles": draw(st.lists(TRAIT, unique_by=str.casefold, max_size=3)),
        "skills": draw(st.lists(TRAIT, unique_by=str.casefold, max_size=3)),
        "notes": draw(TEXT.filter(lambda t: t == "" or t.strip())),
        "consent_email": draw(st.booleans()), "consent_phone": draw(st.booleans()),
        "consent_date": draw(st.none() | st.dates().map(str)), "joined": draw(st.none() | st.dates().map(str)),
        "family_name": draw(LINE), "given_name": draw(LINE), "additional_names": draw(LINE),
        "name_prefix": draw(LINE), "name_suffix": draw(LINE),
        "source_uid": draw(st.just("") | st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1,
                                                 max_size=30).filter(lambda u: "@organiser" not in u)),
    }


def _stored(values: dict[str, Any], roles: list[str], skills: list[str]) -> dict[str, Any]:
    """A member as the store would keep it: validated, every field present."""
    clean = validate("member", {k: v for k, v in values.items() if k in KINDS["member"].by_name})
    full = {f.name: clean.get(f.name, f.default) for f in KINDS["member"].fields}
    return {**full, "roles": sorted(roles), "skills": sorted(skills)}


def _expected(member: dict[str, Any]) -> dict[str, Any]:
    return _stored(member, member["roles"], member["skills"])


def _read_back(parsed: Any) -> dict[str, Any]:
    (item,) = parsed.items
    assert not item.problems, item.problems
    return _stored(item.values, item.extra.get("roles", []), item.extra.get("skills", []))


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(members(), st.sampled_from(["3.0", "4.0"]))
def test_every_member_field_survives_a_vcard(member, version):
    assert _read_back(read_vcards(write_vcards([member], version), "m.vcf")) == _expected(member)


@SETTINGS
@given(members())
def test_every_member_field_survives_a_csv(member):
    assert _read_back(read_members_csv(write_members_csv([member]), "m.csv")) == _expected(member)


A_NAME_LIKE_PROTECTION = {"id": "0" * 32, "name": "'0", "emails": [], "phones": [], "phone_types": {},
                          "email_types": {}, "roles": [], "skills": [], "notes": "'=1", "consent_email": False,
                          "consent_phone": False, "consent_date": None, "joined": None, "family_name": "",
                          "given_name": "", "additional_names": "", "name_prefix": "", "name_suffix": "'0",
                          "source_uid": ""}


@SETTINGS
@given(members())
@example(A_NAME_LIKE_PROTECTION)
def test_every_member_field_survives_an_xlsx_saved_as_csv(member):
    """What a spreadsheet saves from the .xlsx export: each cell's text, unprotected."""
    sheet = openpyxl.load_workbook(io.BytesIO(write_members_xlsx([member]))).active
    out = io.StringIO(newline="")
    import csv

    csv.writer(out).writerows([["" if c.value is None else c.value for c in row] for row in sheet.iter_rows()])
    assert _read_back(read_members_csv(out.getvalue().encode("utf-8"), "m.csv")) == _expected(member)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(member=members())
def test_every_member_field_survives_a_full_backup(member, tmp_path_factory):
    from organiser.services import transfer
    from organiser.services.group import create_group

    folder = tmp_path_factory.mktemp("backup")
    group = create_group(folder / "a", "Tenants Union", "door")
    try:
        values = {k: v for k, v in member.items() if k != "id"}
        added = group.members.add(values.pop("name"), **values)
        restored = transfer.restore_backup(folder / "b", transfer.export_group(group, "json"), "b.json")
        try:
            assert restored.members.get(added.id) == group.members.get(added.id)
            assert _stored({**restored.members.get(added.id).to_json()}, member["roles"], member["skills"]) \
                == _expected(member)
        finally:
            restored.close()
    finally:
        group.close()
