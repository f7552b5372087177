"""Searching a directory of Turkish, Polish, German and French names as people type them,
on any keyboard: the letter a person types for 'ı', 'ł' or 'ß' finds it, case and accents aside;
a phone kept as +33 6 12 34 56 78 is found as 06 12 34 56 78."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from organiser.services.group import open_group
from organiser.store.database import connect
from organiser.store.datadir import DB_NAME
from organiser.store.schema import migrations
from tests.store.test_search_index import fts_is_sound

NAMES = ["İsmail Yılmaz", "Łukasz Żółć", "Jürgen Straße", "Éléonore Dupont", "Søren Ødegård", "محمد"]


@pytest.mark.parametrize(("typed", "found"), [
    ("ismail", "İsmail Yılmaz"), ("İSMAİL", "İsmail Yılmaz"), ("ISMAIL", "İsmail Yılmaz"),
    ("yilmaz", "İsmail Yılmaz"), ("YILMAZ", "İsmail Yılmaz"), ("yıl", "İsmail Yılmaz"),
    ("lukasz", "Łukasz Żółć"), ("ŁUKASZ", "Łukasz Żółć"), ("zolc", "Łukasz Żółć"), ("Żółć", "Łukasz Żółć"),
    ("strasse", "Jürgen Straße"), ("STRASSE", "Jürgen Straße"), ("straße", "Jürgen Straße"),
    ("jurgen", "Jürgen Straße"), ("eleonore dupont", "Éléonore Dupont"), ("ELÉO", "Éléonore Dupont"),
    ("soren odegard", "Søren Ødegård"), ("محمد", "محمد"),
])
def test_a_name_is_found_by_what_people_type_for_its_letters(group, typed, found):
    for name in NAMES:
        group.members.add(name)
    assert [m.name for m in group.members.list(typed)] == [found]


def test_a_database_written_before_finds_its_dotless_i_and_its_l_with_stroke_once_opened(group, data_dir, tmp_path):
    # Records written and indexed the old way: 'Yılmaz' held with its dotless i.
    for name in NAMES:
        group.members.add(name)
    group.members.add("Anne Quéré", phones=["+33 6 12 34 56 78"])
    assert group.members.list("Yılmaz")  # the index caught up with them
    path = group.path
    group.close()
    db = Database(path / DB_NAME)
    old = {rid: text.replace("yilmaz", "yılmaz").replace("Yilmaz", "Yılmaz").replace("Lukasz", "Łukasz")
           .replace("Strasse", "Straße").replace("Soren Odegard", "Søren Ødegård").split(" 33612345678")[0]
           for rid, text in db.execute("SELECT id, search FROM records")}
    db.conn.executemany("UPDATE records SET search = ? WHERE id = ?", [(t, rid) for rid, t in old.items()])
    db.execute("INSERT INTO records_fts (records_fts) VALUES ('rebuild')")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm023_search_base_letters'")
    db.conn.commit()
    assert {m.name for m in migrations.pending(db)} == {"m023_search_base_letters"}
    db.close()

    reopened = open_group(data_dir)  # runs m023
    try:
        assert [m.name for m in reopened.members.list("yilmaz")] == ["İsmail Yılmaz"]
        assert [m.name for m in reopened.members.list("lukasz")] == ["Łukasz Żółć"]
        assert [m.name for m in reopened.members.list("strasse")] == ["Jürgen Straße"]
        assert [m.name for m in reopened.members.list("06 12 34 56 78")] == ["Anne Quéré"]
        fts_is_sound(reopened.db)
    finally:
        reopened.close()


def test_m023_runs_on_the_schema_before_it_with_records_not_yet_indexed(tmp_path):
    db = Database(tmp_path / "old.db")
    migrations.apply(db, stop_before="m023_search_base_letters")
    db.execute("INSERT INTO records (id, kind, data, versions, deleted, search) "
               "VALUES ('a', 'member', '{\"name\": \"Łukasz\"}', '{}', 0, 'Łukasz')")
    db.conn.commit()
    db.close()
    db = connect(tmp_path / "old.db")
    assert migrations.pending(db) == []
    assert db.execute("SELECT search FROM records").fetchall() == [("Lukasz",)]
    assert db.execute("SELECT count(*) FROM search_pending").fetchone() == (0,)  # above the indexed rowid
    db.close()


@pytest.mark.parametrize("typed", ["06 12 34 56 78", "0612345678", "06.12.34.56.78", "06 12 34", "+33 6 12 34 56 78",
                                   "+33612345678", "0033 6 12 34 56 78"])
def test_a_french_mobile_kept_with_its_country_code_is_found_as_its_owner_says_it(group, typed):
    group.members.add("Éléonore Dupont", phones=["+33 6 12 34 56 78"])
    group.members.add("Jürgen Straße", phones=["+49 30 1234567"])
    assert [m.name for m in group.members.list(typed)] == ["Éléonore Dupont"]


def test_a_number_kept_as_written_at_home_is_found_with_or_without_its_spaces(group):
    group.members.add("Łukasz Żółć", phones=["601 234 567"])
    assert [m.name for m in group.members.list("601234567")] == ["Łukasz Żółć"]
    assert [m.name for m in group.members.list("601 234")] == ["Łukasz Żółć"]


def test_a_short_number_typed_with_spaces_is_not_read_as_a_phone(group):
    group.members.add("Anna Zeller", notes="flat 12 34")
    assert [m.name for m in group.members.list("12 34")] == ["Anna Zeller"]
