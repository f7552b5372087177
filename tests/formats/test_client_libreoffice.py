"""The CSV and .xlsx exports through headless LibreOffice Calc 7.4 (CSV -> xlsx -> CSV, and the
.xlsx as LibreOffice saves it as CSV), then back into Organiser: no formula is evaluated, no
leading 0 or + is lost, nothing is duplicated. Both conversions of a run share one start-up."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from tests.formats.clients import need, new_group, organiser, organiser_here, organiser_json, run

PEOPLE = [
    ("=1+1", "07700900123", "Ops;Night", '=HYPERLINK("http://example.org","click")'),
    ("Zoë Ñúñez García", "+447700900456", "Outreach", "Keys; to the \"hall\",\nback door\\side"),
    ("-Dash", "+44 20 7946 0000", "Welsh, basic", "@mention"),
    ("0800 Crew", "0044 7700 900789", "'quoted'", "+1"),
]


def _soffice(home: Path, target: str, files: list[Path], out: Path, *options: str) -> None:
    profile = (home / "lo-profile").as_uri()
    run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore", *options,
         "--convert-to", target, "--outdir", out, *files], home, timeout=180)
    missing = [f.name for f in files if not (out / f"{f.stem}.{target.split(':')[0]}").exists()]
    assert not missing, f"LibreOffice did not convert {missing}"


def test_spreadsheet_round_trips_run_no_formula_and_keep_every_phone_character(tmp_path):
    need("soffice")
    data = new_group(tmp_path)
    for name, phone, role, notes in PEOPLE:
        organiser_here(data, "member", "add", f"--name={name}", f"--phone={phone}", f"--role={role}",
                       f"--notes={notes}")
    organiser(data, "export", "--format", "csv", "--out", tmp_path / "members.csv")
    organiser(data, "export", "--format", "xlsx", "--out", tmp_path / "organiser.xlsx")
    before = {m["name"]: m for m in organiser_json(data, "member", "list")}

    home = tmp_path / "lo-home"
    home.mkdir()
    # UTF-8, comma, double quotes, from line 1; otherwise what a person gets when opening it
    _soffice(home, "xlsx", [tmp_path / "members.csv"], tmp_path / "lo", "--infilter=CSV:44,34,76,1")
    sheet = openpyxl.load_workbook(tmp_path / "lo" / "members.xlsx").active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value is not None]
    assert all(c.data_type == "s" for c in cells)  # no formula, no number: LibreOffice kept text
    _soffice(home, "csv:Text - txt - csv (StarCalc):44,34,76,1",
             [tmp_path / "lo" / "members.xlsx", tmp_path / "organiser.xlsx"], tmp_path / "back")
    ours = openpyxl.load_workbook(tmp_path / "organiser.xlsx").active
    assert ["=1+1", None, "07700900123"] in [[c.value for c in row][:3] for row in ours.iter_rows(min_row=2)]
    assert {c.data_type for row in ours.iter_rows(min_row=2) for c in row if c.value is not None} == {"s"}

    uids = {f"{m['id']}@organiser" for m in before.values()}
    for sheet_csv in (tmp_path / "back" / "members.csv", tmp_path / "back" / "organiser.csv"):
        with sheet_csv.open(encoding="utf-8-sig", newline="") as f:
            assert {row["UID"] for row in csv.DictReader(f)} == uids  # LibreOffice kept the UID column
        plan = organiser_json(data, "import", sheet_csv)
        assert plan["counts"] == {"add": 0, "update": 0, "skip": 4, "invalid": 0}, plan["items"]
    after = {m["name"]: m for m in organiser_json(data, "member", "list")}
    assert after == before
    for name, phone, role, notes in PEOPLE:
        assert (after[name]["phones"], after[name]["roles"], after[name]["notes"]) == ([phone], [role], notes)


def test_a_mis_decoded_spreadsheet_is_named_and_read_right_when_asked(tmp_path):
    data = new_group(tmp_path)
    good = "Name,Phone\r\nZoë Ñúñez García,07700900123\r\n李伟,+86 10 1234 5678\r\n"
    # saved as UTF-8, opened as Windows-1252 (Latin-1 where it has no character), saved as UTF-8 again
    garbled = good.encode("utf-8").decode("latin-1").encode("utf-8")
    (tmp_path / "garbled.csv").write_bytes(garbled)
    dry = organiser(data, "import", tmp_path / "garbled.csv", "--dry-run").stdout
    assert "'ZoÃ«' would read 'Zoë'" in dry and "--repair-encoding" in dry
    plan = organiser_json(data, "import", tmp_path / "garbled.csv", "--repair-encoding")
    assert plan["misdecoded"] == {"seen": "ZoÃ«", "meant": "Zoë", "repaired": True}
    assert sorted(m["name"] for m in organiser_json(data, "member", "list")) == ["Zoë Ñúñez García", "李伟"]
