"""Member lists as French, German, Polish, Turkish, Italian and Spanish groups save them: the
column that is just "Nom" or "Name" beside "Prénom" or "Vorname" holds the family name."""

from __future__ import annotations

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
