"""A record keeps its identity and shape through files: UIDs remembered and written back,
known UIDs updated in place (the file's values replace, nothing appended), structured names,
types, spreadsheet protection, and due dates of UTC times on the laptop's day."""

from __future__ import annotations

import json
from datetime import UTC, timedelta, timezone
from pathlib import Path

import pytest

from organiser.core.errors import ValidationError
from organiser.formats.csvfile import protect, unprotect
from organiser.formats.ical import read_calendar
from organiser.services import transfer
from tests.cli_in_process import cli_in_process


def imported(group, data: bytes, name: str, **kw):
    plan = transfer.plan_import(group, data, name, **kw)
    transfer.apply_import(group, plan)
    return plan


CARD = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë Ñúñez García\r\nN:Ñúñez García;Zoë;;;\r\n"
        "TEL;TYPE=CELL,PREF:07700900123\r\nTEL;TYPE=WORK:+447700900456\r\nEMAIL;TYPE=INTERNET,HOME:zoe@example.org\r\n"
        "NOTE:Keys\r\nUID:OIC7XPOI-card\r\nEND:VCARD\r\n")


def test_a_card_from_another_tool_keeps_its_uid_and_its_edit_replaces_values(group):
    imported(group, CARD.encode(), "c.vcf")
    (zoe,) = group.members.list()
    assert (zoe.source_uid, zoe.family_name, zoe.given_name) == ("OIC7XPOI-card", "Ñúñez García", "Zoë")
    assert zoe.phone_types == {"07700900123": ["cell", "pref"], "+447700900456": ["work"]}
    assert zoe.email_types == {"zoe@example.org": ["home"]}
    exported = transfer.export_group(group, "vcf").decode()
    assert "UID:OIC7XPOI-card" in exported and "N:Ñúñez García;Zoë;;;" in exported
    assert "TEL;TYPE=cell,pref:07700900123" in exported and "EMAIL;TYPE=internet,home:zoe@example.org" in exported

    edited = CARD.replace("+447700900456", "+447700900999").replace("NOTE:Keys\r\n", "")
    plan = imported(group, edited.encode(), "c.vcf", merge_duplicates=True)
    assert plan.counts() == {"add": 0, "update": 1, "skip": 0, "invalid": 0}
    assert "changed: notes, phone_types, phones" in plan.items[0].reason
    (zoe,) = group.members.list()
    assert zoe.phones == ["07700900123", "+447700900999"] and zoe.notes == ""
    assert transfer.plan_import(group, edited.encode(), "c.vcf").counts()["skip"] == 1


def test_organisers_own_uid_updates_its_member_even_with_a_new_phone_and_no_merging(group):
    ana = group.members.add("Ana López", phones=["+34 600 000 001"], skills=["Welsh, basic"])
    card = transfer.export_group(group, "vcf").decode()
    assert f"UID:{ana.id}@organiser" in card and "X-ORGANISER-SKILL:Welsh\\, basic" in card
    plan = imported(group, card.replace("+34 600 000 001", "+34 600 000 002").encode(), "a.vcf")
    assert plan.counts()["update"] == 1
    (again,) = group.members.list()
    assert (again.id, again.phones, again.skills) == (ana.id, ["+34 600 000 002"], ["Welsh, basic"])


def test_a_card_without_organiser_lines_leaves_skills_and_consent_alone(group):
    ana = group.members.add("Ana", skills=["first aid"], consent_email=True)
    card = (f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\nN:;;;;\r\nTEL:0123456\r\nUID:{ana.id}@organiser\r\n"
            "END:VCARD\r\n")
    imported(group, card.encode(), "a.vcf")
    again = group.members.get(ana.id)
    assert (again.phones, again.skills, again.consent_email) == (["0123456"], ["first aid"], True)


def test_members_sort_by_surname_and_the_name_is_never_split_at_a_space(group):
    group.members.add("Bea Zapata", family_name="Zapata", given_name="Bea")
    group.members.add("Carl Adams", family_name="Adams", given_name="Carl")
    group.members.add("Aaron Somebody")
    assert [m.name for m in group.members.list()] == ["Aaron Somebody", "Carl Adams", "Bea Zapata"]
    card = transfer.export_group(group, "vcf").decode()
    assert "FN:Aaron Somebody\r\nN:;;;;\r\n" in card and "N:Zapata;Bea;;;" in card


def test_csv_rows_with_a_uid_update_their_member_and_semicolons_stay_inside_a_role(group):
    ana = group.members.add("Ana", phones=["07700900123"], roles=["Ops;Night"], skills=["a\\b"])
    sheet = transfer.export_group(group, "csv").decode("utf-8-sig")
    assert "'07700900123" in sheet and "Ops\\;Night" in sheet and f"{ana.id}@organiser" in sheet
    plan = imported(group, sheet.replace("'07700900123", "'07700900999").encode(), "m.csv")
    assert plan.counts() == {"add": 0, "update": 1, "skip": 0, "invalid": 0}
    (again,) = group.members.list()
    assert (again.phones, again.roles, again.skills) == (["07700900999"], ["Ops;Night"], ["a\\b"])


@pytest.mark.parametrize(("text", "cell"), [
    ("=1+1", "'=1+1"), ("+447700900456", "'+447700900456"), ("07700 900123", "'07700 900123"),
    ("-Dash", "'-Dash"), ("@x", "'@x"), ("'quoted", "''quoted"), ("2026-01-05", "'2026-01-05"),
    ("Ana", "Ana"), ("0800 Crew", "0800 Crew"), ("", ""),
])
def test_spreadsheet_cells_are_protected_and_read_back_exactly(text, cell):
    assert protect(text) == cell
    assert unprotect(cell) == text


def test_the_labels_of_a_phone_are_checked_like_any_field(group):
    with pytest.raises(ValidationError, match="phone types: 'mobile phone' is not a type"):
        group.members.add("Ana", phones=["0123456"], phone_types={"0123456": ["mobile phone"]})


def test_a_bad_phone_type_option_exits_2_with_one_sentence(tmp_path: Path):
    import subprocess
    import sys

    data = tmp_path / "data"  # the group and the good card in the test process, the refusal in a real one
    assert cli_in_process(data, "init", "--group", "Tenants Union", "--device-name", "door")[0] == 0
    run = subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(data), "member", "add", "--name", "A",
                          "--phone-type", "cell"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "--phone-type: write it as VALUE=TYPES" in run.stderr
    code, out, err = cli_in_process(data, "member", "add", "--name", "Ana", "--family-name", "López Díaz",
                                    "--phone", "0123456", "--phone-type", "0123456=cell,pref", "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert (shown["family_name"], shown["phone_types"]) == ("López Díaz", {"0123456": ["cell", "pref"]})


TODO = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n{zone}BEGIN:VTODO\r\nUID:t1@vm\r\nSUMMARY:Flyers\r\n"
        "DUE;VALUE=DATE-TIME:20261205T040000Z\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")


def test_a_utc_due_time_is_the_day_it_falls_on_here_or_in_the_calendars_zone():
    los_angeles = timezone(timedelta(hours=-8))
    assert read_calendar(TODO.format(zone="").encode(), "t.ics", los_angeles).items[0].values["due"] == "2026-12-04"
    assert read_calendar(TODO.format(zone="").encode(), "t.ics", UTC).items[0].values["due"] == "2026-12-05"
    tokyo = TODO.format(zone="X-WR-TIMEZONE:Asia/Tokyo\r\n").encode()
    assert read_calendar(tokyo, "t.ics", los_angeles).items[0].values["due"] == "2026-12-05"


def test_a_task_from_another_tool_is_exported_with_its_uid(group):
    imported(group, TODO.format(zone="").encode(), "t.ics")
    assert "UID:t1@vm" in transfer.export_group(group, "ics").decode()
    assert transfer.plan_import(group, transfer.export_group(group, "ics"), "o.ics").counts()["add"] == 0


def test_a_backup_with_every_new_member_field_restores_to_the_same_state(group, tmp_path):
    group.members.add("Zoë", family_name="Ñúñez", given_name="Zoë", additional_names="M.", name_prefix="Dr.",
                      name_suffix="Jr.", phones=["0123456"], phone_types={"0123456": ["cell"]},
                      emails=["z@example.org"], email_types={"z@example.org": ["pref", "work"]}, source_uid="x-1")
    restored = transfer.restore_backup(tmp_path / "r", transfer.export_group(group, "json"), "b.json")
    try:
        assert restored.replica.state_hash() == group.replica.state_hash()
        assert restored.members.list()[0].email_types == {"z@example.org": ["pref", "work"]}
    finally:
        restored.close()
