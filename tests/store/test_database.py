"""The SQLite file: WAL, synchronous=FULL, full-text search over members, events and tasks."""

from __future__ import annotations

from organiser.store.database import connect
from organiser.store.datadir import DB_NAME


def test_every_connection_uses_wal_and_full_sync(tmp_path):
    db = connect(tmp_path / "x.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    db.close()


def test_a_groups_database_is_in_wal_mode_on_disk(group):
    assert (group.path / DB_NAME).exists()
    assert group.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_search_covers_members_events_and_tasks_separately(group):
    ana = group.members.add("Ana López", emails=["ana@barrio.example"], roles=["Housing"])
    event = group.events.add("Housing assembly", "2026-12-03T19:00", location="Barrio hall")
    task = group.tasks.add("Print housing flyers", description="for the barrio")
    assert [m.id for m in group.members.list("housing")] == [ana.id]
    assert [e.id for e in group.events.list("housing")] == [event.id]
    assert [t.id for t in group.tasks.list("housing")] == [task.id]
    assert [m.id for m in group.members.list("barrio")] == [ana.id]  # by email
    assert [e.id for e in group.events.list("barrio hall")] == [event.id]  # by location


def test_search_matches_word_starts_ignoring_case_and_accents(group):
    zoe = group.members.add("Zoë Ñúñez")
    for text in ("zoe", "ZOË", "nun", "Zo Ñ"):
        assert [m.id for m in group.members.list(text)] == [zoe.id], text


def test_search_forgets_old_values_and_deleted_records(group):
    ana = group.members.add("Ana", notes="bakes bread")
    group.members.edit(ana.id, notes="fixes bikes")
    assert group.members.list("bread") == []
    assert [m.id for m in group.members.list("bikes")] == [ana.id]
    group.members.delete(ana.id)
    assert group.members.list("bikes") == []


def test_search_text_with_punctuation_is_not_an_error(group):
    group.members.add("Ana", emails=["ana@example.org"])
    for text in ('"', "AND OR NOT", "ana*", "(", "-", "ana@example.org"):
        group.members.list(text)  # must not raise an FTS syntax error
    assert len(group.members.list("   ")) == 1  # nothing to search for: everyone
