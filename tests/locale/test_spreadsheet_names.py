"""Member lists as French, German, Polish, Turkish, Italian and Spanish groups save them: the
column that is just "Nom" or "Name" beside "Prénom" or "Vorname" holds the family name."""

from __future__ import annotations

import subprocess
import sys

import pytest

from organiser.formats.csvfile import read_members_csv


def read(text: str, encoding: str = "utf-8-sig"):
    return read_members_csv(text.encode(encoding), "members.csv")


@pytest.mark.parametrize(("header", "row", "name", "given", "family"), [
    ("Nom;Prénom;Téléphone", "Dupont;Éléonore;+33 6 12 34 56 78", "Éléonore Dupont", "Éléonore", "Dupont"),
    ("Name;Vorname;Telefon", "Straße;Jürgen;+49 30 1234567", "Jürgen Straße", "Jürgen", "Straße"),
    ("Nazwisko;Imię;Telefon", "Żółć;Łukasz;+48 601 234 567", "Łukasz Żółć", "Łukasz", "Żółć"),
    ("Adı;Soyadı;Telefon", "İsmail;Yılmaz;+90 532 123 45 67", "İsmail Yılmaz", "İsmail", "Yılmaz"),
    ("Cognome;Nome;Telefono", "Rossi;Giulia;+39 333 1234567", "Giulia Rossi", "Giulia", "Rossi"),
    ("Nombre;Apellidos;Teléfono", "Ana;López García;+34 600 123 456", "Ana López García", "Ana", "López García"),
])
def test_a_name_column_beside_a_given_or_family_column_is_the_other_half_of_the_name(header, row, name, given,
                                                                                     family):
    (item,) = read(f"{header}\r\n{row}\r\n").items
    assert item.values["name"] == name
    assert item.values["given_name"] == given
    assert item.values["family_name"] == family
    assert item.problems == []


def test_a_lone_name_column_still_holds_the_whole_name():
    (item,) = read("Nom;Téléphone\r\nÉléonore Dupont;+33 6 12 34 56 78\r\n").items
    assert item.values["name"] == "Éléonore Dupont"


@pytest.mark.parametrize("header", ["Adhésion", "Date d'adhésion", "Mitglied seit", "Eintrittsdatum",
                                    "Data przystąpienia", "Üyelik tarihi"])
def test_a_joined_column_named_in_the_groups_language_is_the_joined_date(header):
    (item,) = read(f"Nom;Prénom;{header}\r\nDupont;Éléonore;2026-01-15\r\n").items
    assert item.values["joined"] == "2026-01-15"


@pytest.mark.parametrize(("header", "cells", "expected"), [
    # dots are day first everywhere they are written
    ("Name;Vorname;Mitglied seit", ["15.01.2026", "03.09.2025"], ["2026-01-15", "2025-09-03"]),
    # a semicolon sheet (decimal-comma countries) with slashes: day first
    ("Nom;Prénom;Adhésion", ["03/09/2025", "01/02/2026"], ["2025-09-03", "2026-02-01"]),
    # a comma sheet whose own cells show the month first (12/31)
    ("Name,Joined", ["12/31/2025", "03/09/2025"], ["2025-12-31", "2025-03-09"]),
    # a comma sheet whose own cells show the day first (31/12)
    ("Name,Joined", ["31/12/2025", "03/09/2025"], ["2025-12-31", "2025-09-03"]),
])
def test_joined_dates_written_as_the_sheets_country_writes_them_are_read_as_that_day(header, cells, expected):
    sep = ";" if ";" in header else ","
    width = header.count(sep)
    rows = "".join(f"{sep.join(['Dupont'] + ['Anna'] * (width - 1) + [cell])}\r\n" for cell in cells)
    items = read(f"{header}\r\n{rows}").items
    assert [item.values["joined"] for item in items] == expected


def test_a_date_that_could_be_either_day_is_refused_by_the_cli_naming_its_line(tmp_path):
    sheet = tmp_path / "members.csv"
    sheet.write_text("Name,Joined\r\nAnna,03/09/2025\r\n", encoding="utf-8")
    data = tmp_path / "data"
    run = [sys.executable, "-m", "organiser", "--data-dir", str(data)]
    subprocess.run([*run, "init", "--group", "Tenants"], check=True, capture_output=True, timeout=60)
    done = subprocess.run([*run, "import", str(sheet)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "line 2" in done.stderr and "'03/09/2025' is not a date like 2026-12-31" in done.stderr
