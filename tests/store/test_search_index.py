"""The full-text index catches up with what was written: new records by rowid, edited ones
by note, whichever connection wrote them, and stays sound."""

from __future__ import annotations

from organiser.services.group import create_group, open_group
from organiser.store.materialise import flush_search_index


def fts_is_sound(db) -> None:
    """The index is internally consistent and holds exactly the terms of records.search
    (compared with an index built afresh from it)."""
    db.execute("INSERT INTO records_fts (records_fts) VALUES ('integrity-check')")
    db.execute("CREATE VIRTUAL TABLE temp.fresh_fts USING fts5 (search, tokenize = 'unicode61 remove_diacritics 2')")
    db.execute("INSERT INTO temp.fresh_fts (rowid, search) SELECT rowid, search FROM records WHERE search != ''")
    db.execute("CREATE VIRTUAL TABLE temp.fresh_terms USING fts5vocab (temp, fresh_fts, 'row')")
    db.execute("CREATE VIRTUAL TABLE temp.held_terms USING fts5vocab (main, records_fts, 'row')")
    try:
        fresh = db.execute("SELECT term, doc, cnt FROM temp.fresh_terms ORDER BY term").fetchall()
        held = db.execute("SELECT term, doc, cnt FROM temp.held_terms ORDER BY term").fetchall()
        assert held == fresh
    finally:
        for table in ("held_terms", "fresh_terms", "fresh_fts"):
            db.execute(f"DROP TABLE temp.{table}")


def test_a_record_added_and_edited_before_any_search_is_found_by_its_new_text_only(data_dir):
    group = create_group(data_dir, "Tenants Union", "door laptop")
    try:
        ana = group.members.add("Ana Okafor", emails=["ana@example.org"])
        group.members.edit(ana.id, name="Ana Nguyen")  # still unindexed: nothing to take out
        assert group.members.list("okafor") == []
        assert [m.id for m in group.members.list("nguyen")] == [ana.id]
        group.members.edit(ana.id, name="Ana Schmidt")  # indexed now: the old text goes
        assert group.members.list("nguyen") == []
        assert [m.id for m in group.members.list("schmidt")] == [ana.id]
        group.members.delete(ana.id)
        assert group.members.list("schmidt") == []
        fts_is_sound(group.db)
    finally:
        group.close()


def test_records_written_by_another_connection_are_found(data_dir):
    app = create_group(data_dir, "Tenants Union", "door laptop")
    cli = open_group(data_dir)  # the CLI beside the app, same database
    try:
        assert app.members.list("zzz") == []
        bruno = cli.members.add("Bruno Ito")
        chen = cli.members.add("Chen Ito", roles=["Door"])
        assert {m.id for m in app.members.list("ito")} == {bruno.id, chen.id}
        assert [m.id for m in app.members.list("door")] == [chen.id]
        assert flush_search_index(app.db) == 0  # nothing left to index
        fts_is_sound(app.db)
    finally:
        cli.close()
        app.close()


def test_a_big_batch_is_indexed_at_once_with_the_small_writes_before_it(data_dir):
    group = create_group(data_dir, "Tenants Union", "door laptop")
    try:
        first = group.members.add("Fatima Kowalski")
        group.members.edit(first.id, name="Fatima Murphy")
        batch = [group.members.build_add({"name": f"Member {i} Lopez"}) for i in range(250)]
        group.replica.commit_batch([ops for _id, ops in batch])
        pending, upto, top = group.db.execute(
            "SELECT (SELECT count(*) FROM search_pending), "
            "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search_indexed_upto'), "
            "(SELECT max(rowid) FROM records)").fetchone()
        assert (pending, upto) == (0, top)  # indexed within the batch's own transaction
        assert len(group.members.list("lopez")) == 250
        assert [m.id for m in group.members.list("murphy")] == [first.id]
        fts_is_sound(group.db)
    finally:
        group.close()
