"""`organiser import` and `organiser export` through a real subprocess, as a person runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.formats.helpers import FIXTURES

REPO = Path(__file__).resolve().parents[2]


def organiser(data_dir: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(data_dir), *map(str, args)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    assert organiser(data_dir, "init", "--group", "Tenants Union", "--device-name", "door").returncode == 0
    return data_dir


def state_hash(data_dir: Path) -> str:
    return json.loads(organiser(data_dir, "status", "--json").stdout)["state_hash"]


def test_dry_run_shows_the_plan_and_writes_nothing(data):
    before = state_hash(data)
    run = organiser(data, "import", FIXTURES / "google_contacts.csv", "--dry-run")
    assert run.returncode == 0, run.stderr
    assert "3 would be added:" in run.stdout
    assert "line 2: Amara Okafor" in run.stdout
    assert state_hash(data) == before


def test_bad_rows_exit_2_naming_file_and_line_and_write_nothing(data):
    before = state_hash(data)
    run = organiser(data, "import", FIXTURES / "members_with_errors.csv")
    assert run.returncode == 2
    assert "members_with_errors.csv: line 3: email: 'dan-at-example.org' is not a valid email address" in run.stderr
    assert "--skip-invalid" in run.stderr
    assert state_hash(data) == before
    run = organiser(data, "import", FIXTURES / "members_with_errors.csv", "--skip-invalid")
    assert run.returncode == 0, run.stderr
    listed = json.loads(organiser(data, "member", "list", "--json").stdout)
    assert sorted(m["name"] for m in listed) == ["Carla D.", "Carla Díaz", "Eve Adams"]


def test_map_option_and_merge_duplicates(data):
    run = organiser(data, "import", FIXTURES / "excel_semicolon_cp1252.csv", "--map", "Notizen=notes")
    assert run.returncode == 0, run.stderr
    sheet = data.parent / "update.csv"
    sheet.write_text("Name,E-mail,Phone\nÖzlem Y.,OEZLEM@example.de,+49 170 555 0000\n", encoding="utf-8")
    run = organiser(data, "import", sheet, "--merge-duplicates")
    assert run.returncode == 0, run.stderr
    assert "merged into Özlem Yilmaz" in run.stdout
    listed = json.loads(organiser(data, "member", "list", "--json").stdout)
    ozlem = next(m for m in listed if m["name"] == "Özlem Yilmaz")
    assert ozlem["phones"] == ["0231 555 1234", "+49 170 555 0000"]
    assert ozlem["notes"] == "Ansprechpartnerin Haus 3"
    assert len(listed) == 3


def test_a_csv_for_excel_in_french_has_semicolons_between_columns_and_reads_back(data, tmp_path):
    assert organiser(data, "member", "add", "--name", "Élodie Martin", "--email", "elodie@example.fr",
                     "--email", "e.martin@example.fr").returncode == 0
    out = tmp_path / "membres.csv"
    run = organiser(data, "export", "--out", out, "--separator", "semicolon")
    assert run.returncode == 0, run.stderr
    header, row = out.read_text(encoding="utf-8-sig").splitlines()[:2]
    assert header.startswith("Name;Email;Phone;")
    assert row.startswith('Élodie Martin;elodie@example.fr; e.martin@example.fr;') or \
        row.startswith('Élodie Martin;"elodie@example.fr; e.martin@example.fr";')
    other = tmp_path / "other"
    assert organiser(other, "init", "--group", "Copy", "--device-name", "desk").returncode == 0
    assert organiser(other, "import", out).returncode == 0
    (member,) = json.loads(organiser(other, "member", "list", "--json").stdout)
    assert member["emails"] == ["elodie@example.fr", "e.martin@example.fr"]


def test_a_separator_for_another_format_than_csv_exits_2_and_writes_nothing(data, tmp_path):
    out = tmp_path / "members.vcf"
    run = organiser(data, "export", "--out", out, "--separator", "semicolon")
    assert run.returncode == 2
    assert "--separator is for a CSV (--format csv), not vcf." in run.stderr
    assert not out.exists()


def test_calendar_import_and_export_to_stdout(data):
    run = organiser(data, "import", FIXTURES / "thunderbird.ics")
    assert run.returncode == 0, run.stderr
    run = organiser(data, "export", "--format", "ics")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("BEGIN:VCALENDAR")
    assert "SUMMARY:Asamblea de vecinas y vecinos" in run.stdout
    assert "RRULE:FREQ=MONTHLY;COUNT=6;BYDAY=1TH" in run.stdout
    assert "BEGIN:VTODO" in run.stdout


def test_a_file_that_is_not_what_it_says_exits_2(data, tmp_path):
    bad = tmp_path / "contacts.vcf"
    bad.write_text("this is not a card\n")
    run = organiser(data, "import", bad)
    assert run.returncode == 2
    assert f"{bad}: this is not a vCard file" in run.stderr
    run = organiser(data, "import", tmp_path / "missing.csv")
    assert (run.returncode, run.stderr.strip()) == (2, f"organiser: {tmp_path / 'missing.csv'}: there is no such file.")


def test_backup_export_restores_into_an_empty_data_directory_with_the_same_state_hash(data, tmp_path):
    assert organiser(data, "import", FIXTURES / "google_calendar.ics").returncode == 0
    assert organiser(data, "import", FIXTURES / "outlook_contacts.csv").returncode == 0
    backup = tmp_path / "backup.json"
    run = organiser(data, "export", "--format", "json", "--out", backup)
    assert run.returncode == 0, run.stderr
    empty = tmp_path / "empty"
    run = organiser(empty, "import", backup, "--dry-run")
    assert run.returncode == 0, run.stderr
    assert "Would restore" in run.stdout and "a backup of group 'Tenants Union'" in run.stdout
    assert not (empty / "groups").exists()
    run = organiser(empty, "import", backup, "--device-name", "spare laptop")
    assert run.returncode == 0, run.stderr
    assert "Restored group 'Tenants Union'" in run.stdout
    assert state_hash(empty) == state_hash(data)
    run = organiser(empty, "import", backup)
    assert run.returncode == 2
    assert "already holds group 'Tenants Union'" in run.stderr


def test_export_help_names_the_formats():
    run = subprocess.run([sys.executable, "-m", "organiser", "export", "--help"], capture_output=True,
                         text=True, cwd=REPO, timeout=60)
    assert run.returncode == 0
    assert "ics,vcf,csv,json" in run.stdout.replace(" ", "").replace("{", "").replace("}", "")


@pytest.mark.parametrize("name", ["members.xlsx", "members.ods", "members-no-extension"])
def test_a_spreadsheet_file_is_refused_with_what_to_do_not_read_as_csv(data, tmp_path, name):
    exported = organiser(data, "export", "--format", "xlsx", "--out", tmp_path / "export.xlsx")
    assert exported.returncode == 0, exported.stderr
    sheet = tmp_path / name
    sheet.write_bytes((tmp_path / "export.xlsx").read_bytes())  # .xlsx and .ods are both zip files
    run = organiser(data, "import", sheet, "--dry-run")
    assert run.returncode == 2
    assert run.stderr.strip() == (
        f"organiser: {sheet}: this is a spreadsheet file, which import does not read; save it as CSV "
        "(in LibreOffice or Excel: Save as, CSV UTF-8) and import that.")


def test_a_calendar_dry_run_says_when_each_event_is(data):
    run = organiser(data, "import", FIXTURES / "google_calendar_london.ics", "--dry-run")
    assert run.returncode == 0, run.stderr
    assert "event 1 (line 27): Committee — Thursday meeting (Thu 3 Dec 2026 19:00, repeats)" in run.stdout
    assert "event 3 (line 64): Meeting with landlord (Wed 9 Dec 2026 18:00, cancelled)" in run.stdout


def test_a_sheet_of_names_and_working_groups_updates_the_members_it_names_from_the_command_line(data, tmp_path):
    for name in ("Ana López", "Ben Ortiz"):
        assert organiser(data, "member", "add", "--name", name).returncode == 0
    sheet = tmp_path / "groups.csv"
    sheet.write_text("Name,Working group\nAna López,Housing\nBen Ortiz,Outreach\n", encoding="utf-8")
    run = organiser(data, "import", sheet)
    assert run.returncode == 0, run.stderr
    assert "  line 2: Ana López — Ana López (same name): adds working group Housing" in run.stdout.splitlines()
    assert run.stdout.splitlines()[-1] == "Imported: 0 added, 2 updated, 0 skipped (one transaction)."
    listed = json.loads(organiser(data, "member", "list", "--json").stdout)
    assert sorted((m["name"], m["roles"]) for m in listed) == [("Ana López", ["working group: Housing"]),
                                                               ("Ben Ortiz", ["working group: Outreach"])]


def test_exporting_onto_a_folder_exits_2_and_leaves_no_copy_of_the_members_beside_it(data, tmp_path):
    assert organiser(data, "member", "add", "--name", "Ana López", "--email", "ana@example.org").returncode == 0
    folder = tmp_path / "members"
    folder.mkdir()
    run = organiser(data, "export", "--format", "csv", "--out", folder)
    assert not (tmp_path / "members.part").exists()  # no copy of the list beside the folder
    assert (run.returncode, run.stderr.strip()) == (
        2, f"organiser: {folder} is a folder: name a file in it, e.g. {folder / 'export'}.")


def test_a_line_named_like_a_member_is_added_with_a_note_to_check_it_is_not_them(data, tmp_path):
    """Li Wei is in the group; the union's sheet has a Li Wei with another phone. A name alone never
    matches (two people can share one), so the line is added, and the plan says to check it."""
    assert organiser(data, "member", "add", "--name", "Li Wei", "--phone", "+44 7700 900999").returncode == 0
    sheet = tmp_path / "contacts.csv"
    sheet.write_text("Name,Phone\nLi Wei,+86 10 1234 5678\nAmara Okafor,+44 7700 900123\n", encoding="utf-8")
    run = organiser(data, "import", sheet, "--dry-run")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"{sheet}: 2 to add, 0 to update, 0 to skip, 0 invalid, 0 likely duplicates. "
                                 "1 line to add named like a member already there: check it is not the same person.\n")
    assert "2 would be added:" in run.stdout
    assert ("line 2: Li Wei — a member with the same name already exists: check it is not the same person"
            in run.stdout)
    assert "line 3: Amara Okafor\n" in run.stdout  # nobody else is called that: no note
