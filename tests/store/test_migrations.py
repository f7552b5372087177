"""Schema migrations: each one runs from the schema before it and keeps the data."""

from __future__ import annotations

import shutil

import pytest
from sqlite_utils import Database

from organiser.services.group import create_group, open_group
from organiser.store import changelog, mentions
from organiser.store.database import connect
from organiser.store.datadir import DB_NAME
from organiser.store.schema import migrations
from tests.store.test_search_index import fts_is_sound

NAMES = [m.name for m in migrations._migrations]
OLD_RECORD_COLUMNS = ("rowid", "id", "kind", "data", "versions", "deleted", "search")


def test_a_new_database_has_every_migration_applied(tmp_path):
    db = connect(tmp_path / "new.db")
    assert [m.name for m in migrations.applied(db)] == NAMES
    assert migrations.pending(db) == []
    db.close()


@pytest.mark.parametrize("name", NAMES[1:])
def test_each_migration_runs_on_the_schema_before_it(tmp_path, name):
    db = Database(tmp_path / "old.db")
    migrations.apply(db, stop_before=name)
    assert name in {m.name for m in migrations.pending(db)}
    db.close()
    db = connect(tmp_path / "old.db")  # what the app does on start
    assert migrations.pending(db) == []
    db.close()


def test_opening_a_database_twice_does_not_rerun_migrations(tmp_path):
    connect(tmp_path / "x.db").close()
    db = connect(tmp_path / "x.db")
    assert len(migrations.applied(db)) == len(NAMES)
    db.close()


def test_m002_fills_the_link_columns_of_rows_written_before_it(data_dir, tmp_path):
    # A group with linked records, written by today's code...
    group = create_group(data_dir, "Tenants Union", "door laptop")
    ana = group.members.add("Ana", roles=["Outreach", "Kitchen"], skills=["Welding"])
    bruno = group.members.add("Bruno")
    event = group.events.add("Assembly", "2026-12-03T19:00", location="Social centre")
    group.events.rsvp(event.id, ana.id, "yes")
    group.events.checkin(event.id, bruno.id)
    posters = group.tasks.add("Posters", assignee=ana.id, event=event.id)
    chairs = group.tasks.add("Chairs", assignee=bruno.id)
    state, vector = group.replica.state_hash(), group.replica.version_vector()
    assert group.members.list("outreach")  # brings the search index up to date
    tables = {t: list(group.db[t].rows) for t in ("meta", "changes", "vector", "conflicts", "search_pending")}
    records = [dict(zip(OLD_RECORD_COLUMNS, row, strict=True)) for row in group.db.execute(
        f"SELECT {', '.join(OLD_RECORD_COLUMNS)} FROM records")]
    path = group.path
    group.close()

    # ...rewritten the old way: the schema stopped before m002, no link columns.
    old_path = tmp_path / "old.db"
    old = Database(old_path)
    migrations.apply(old, stop_before="m002_relational_index")
    assert "link1" not in old["records"].columns_dict
    with old.atomic():
        for table, rows in tables.items():
            if rows:
                old[table].insert_all(rows)
        old["records"].insert_all(records)
        old.execute("INSERT INTO records_fts (records_fts) VALUES ('rebuild')")  # the index they had
    old.close()
    for suffix in ("", "-wal", "-shm"):
        (path / (DB_NAME + suffix)).unlink(missing_ok=True)
    shutil.copy(old_path, path / DB_NAME)

    # Opening it runs m002: same data, links filled, lookups by link work.
    reopened = open_group(data_dir)
    try:
        assert "m002_relational_index" in {m.name for m in migrations.applied(reopened.db)}
        assert migrations.pending(reopened.db) == []
        assert reopened.replica.state_hash() == state
        assert reopened.replica.version_vector() == vector
        links = {rid: (l1, l2) for rid, l1, l2 in reopened.db.execute("SELECT id, link1, link2 FROM records")}
        assert links[posters.id] == (event.id, ana.id)
        assert links[chairs.id] == (None, bruno.id)
        assert links[ana.id] == (None, None)
        indexes = {row[1] for row in reopened.db.execute("PRAGMA index_list(records)")}
        assert {"records_link1", "records_link2"} <= indexes
        assert reopened.members.get(ana.id).roles == ["Kitchen", "Outreach"]
        assert reopened.members.get(ana.id).skills == ["Welding"]
        assert [t.id for t in reopened.tasks.list(assignee=ana.id)] == [posters.id]
        assert [t.id for t in reopened.tasks.list(event=event.id)] == [posters.id]
        assert {(r.member, r.answer) for r in reopened.events.rsvps(event.id)} == {(ana.id, "yes"), (bruno.id, None)}
        assert reopened.events.attendance(event.id).checked_in == 1
        assert [e.id for e in reopened.events.list("social")] == [event.id]
        assert [m.id for m in reopened.members.list("outreach")] == [ana.id]
        # and new writes go on from where the old database left off
        reopened.members.add("Chen", roles=["Outreach"])
        assert len(reopened.members.list("outreach")) == 2
    finally:
        reopened.close()


def test_m005_takes_over_the_search_index_of_an_older_database(data_dir):
    # Before m005 every record was in the index or noted in search_pending, new ones too.
    group = create_group(data_dir, "Tenants Union", "door laptop")
    ana = group.members.add("Ana Okafor", roles=["Outreach"])
    assert [m.id for m in group.members.list("okafor")] == [ana.id]  # indexes Ana
    chen = group.members.add("Chen Haddad")
    group.db.execute("DELETE FROM search_pending")
    group.db.execute("INSERT INTO search_pending (id, indexed) VALUES (?, '')", [chen.id])  # as the old code noted it
    group.db.execute("DELETE FROM meta WHERE key = 'search_indexed_upto'")
    group.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm005_search_watermark'")
    group.close()

    reopened = open_group(data_dir)  # runs m005
    try:
        assert migrations.pending(reopened.db) == []
        assert [m.id for m in reopened.members.list("okafor")] == [ana.id]  # once, not twice
        assert [m.id for m in reopened.members.list("haddad")] == [chen.id]
        dana = reopened.members.add("Dana Haddad")
        reopened.members.edit(ana.id, name="Ana Silva")
        assert {m.id for m in reopened.members.list("haddad")} == {chen.id, dana.id}
        assert reopened.members.list("okafor") == []
        assert [m.id for m in reopened.members.list("silva")] == [ana.id]
        fts_is_sound(reopened.db)
    finally:
        reopened.close()


def test_m007_counts_the_incidents_an_older_database_listed_one_row_each(tmp_path):
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m007_peer_checks")
    rows = [("2026-11-30T10:00:00Z", "refused", "aaaa", 4, "its signature does not match its author's key"),
            ("2026-11-30T10:05:00Z", "refused", "aaaa", 5, "its signature does not match its author's key"),
            ("2026-11-30T10:06:00Z", "clock", "bbbb", 9, "clock 90 s ahead of ours")]
    with old.atomic():
        old.conn.executemany("INSERT INTO incidents (at, what, author, seq, detail) VALUES (?, ?, ?, ?, ?)", rows)
    old.close()
    db = connect(path)  # runs m007
    assert migrations.pending(db) == []
    counted = db.execute("SELECT device, reason, count, first_at, last_at, seq FROM incidents ORDER BY device")
    assert counted.fetchall() == [("aaaa", "refused", 2, "2026-11-30T10:00:00Z", "2026-11-30T10:05:00Z", 5),
                                  ("bbbb", "clock", 1, "2026-11-30T10:06:00Z", "2026-11-30T10:06:00Z", 9)]
    assert db.execute("SELECT count(*) FROM forks").fetchone() == (0,)
    db.close()


def test_m011_keeps_an_author_forked_before_it_set_aside_from_its_lowest_forked_number(tmp_path):
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m011_fork_settlements")
    proofs = [("aaaa", 7, "1" * 64), ("aaaa", 5, "2" * 64), ("bbbb", 2, "3" * 64)]
    with old.atomic():
        old.conn.executemany("INSERT INTO forks (author, seq, hash, body, signature, found_at) "
                             "VALUES (?, ?, ?, x'7b7d', x'00', '2026-11-30T10:00:00Z')", proofs)
    old.close()
    db = connect(path)  # runs m011
    assert migrations.pending(db) == []
    assert db.execute("SELECT author, seq FROM forks_set_aside ORDER BY author").fetchall() == [("aaaa", 5),
                                                                                               ("bbbb", 2)]
    assert db.execute("SELECT count(*) FROM fork_settlements").fetchone() == (0,)
    db.close()


CHANGE_COLUMNS = "id, author, seq, hlc, prev, hash, body, signature"


def _rewind_to_whole_bodies(db: Database) -> None:
    """The change log as it was before m017: one `changes` table of whole signed bodies."""
    rows = db.execute(f"SELECT {CHANGE_COLUMNS} FROM changes ORDER BY id").fetchall()
    with db.atomic():
        db.execute("DROP VIEW changes")  # its triggers go with it
        db.execute("DROP TABLE change_log")
        db.execute("CREATE TABLE changes (id INTEGER PRIMARY KEY, author TEXT NOT NULL, seq INTEGER NOT NULL, "
                   "hlc INTEGER NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL, body BLOB NOT NULL, "
                   "signature BLOB NOT NULL, UNIQUE (author, seq))")
        db.conn.executemany(f"INSERT INTO changes ({CHANGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.execute("DELETE FROM _sqlite_migrations WHERE name IN ('m017_compact_changesets', 'm018_op_heads')")


def test_m017_stores_bodies_compactly_and_gives_back_the_signed_bytes(data_dir):
    group = create_group(data_dir, "Tenants Union", "door laptop")
    group.members.add("Ana Okafor", emails=["ana@example.org"], roles=["Outreach"], notes='tab\t"quotes" é 😀')
    group.events.add("Rent strike meeting", "2026-12-03T19:00")
    before_hash, path = group.replica.state_hash(), group.replica.database_path()
    group.close()
    old = Database(path)
    _rewind_to_whole_bodies(old)
    # A body laid out by another encoder (spaces after the colons): signatures cover it as it is.
    odd = (10_000, "f" * 64, 1, 5, "0" * 64, "e" * 64, b'{"a": "' + b"f" * 64 + b'", "o": []}', b"s" * 64)
    old.conn.execute(f"INSERT INTO changes ({CHANGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", odd)
    old.conn.commit()
    whole = old.execute(f"SELECT {CHANGE_COLUMNS} FROM changes ORDER BY id").fetchall()
    whole_bytes = old.execute("SELECT sum(length(body)) FROM changes").fetchone()[0]
    old.close()

    db = connect(path)  # runs m017
    assert migrations.pending(db) == []
    assert db.execute(f"SELECT {CHANGE_COLUMNS} FROM changes ORDER BY id").fetchall() == whole
    kept_whole = db.execute("SELECT id FROM change_log WHERE body IS NOT NULL").fetchall()
    assert kept_whole == [(odd[0],)]
    stored_bytes = db.execute("SELECT sum(coalesce(length(ops), length(body))) FROM change_log").fetchone()[0]
    assert stored_bytes < whole_bytes - 150 * (len(whole) - 1)  # author, group, prev... not stored twice
    db.execute("DELETE FROM changes WHERE id = ?", [odd[0]])  # through the view
    db.close()

    reopened = open_group(data_dir)
    try:
        assert reopened.replica.state_hash() == before_hash
        reopened.members.add("Chen Haddad")  # the chain goes on from the compacted log
        newest = reopened.replica.raw_changes_after(whole[-2][0])
        assert len(newest) == 1 and reopened.db.execute("SELECT ops IS NOT NULL FROM change_log WHERE id = ?",
                                                        [newest[0][0]]).fetchone() == (1,)
    finally:
        reopened.close()


def _rewind_to_whole_ops(db: Database) -> None:
    """The change log as m017 left it: each OPS text whole, no `head` column (and no m025 index)."""
    with db.atomic():
        db.execute("DROP TABLE change_mentions")
        db.execute("DROP VIEW changes")
        db.execute("UPDATE change_log SET ops = replace(ops, char(1), head) WHERE head IS NOT NULL")
        db.execute("ALTER TABLE change_log DROP COLUMN head")
        for statement in changelog.M017_SCHEMA[1:]:
            db.execute(statement)
        db.execute("DELETE FROM _sqlite_migrations WHERE name IN ('m018_op_heads', 'm025_change_mentions')")


def test_m018_stores_each_records_head_once_and_gives_back_the_signed_bytes(data_dir):
    group = create_group(data_dir, "Tenants Union", "door laptop")
    ana = group.members.add("Ana Okafor", emails=["ana@example.org"], roles=["Outreach"], notes='a "quoted" [note]')
    group.events.add("Rent strike meeting", "2026-12-03T19:00", location="Church hall")
    group.members.edit(ana.id, phones=["+44 7700 900123"])  # one write: nothing to gain
    before_hash, path = group.replica.state_hash(), group.replica.database_path()
    group.close()
    old = Database(path)
    _rewind_to_whole_ops(old)
    whole = old.execute(f"SELECT {CHANGE_COLUMNS} FROM changes ORDER BY id").fetchall()
    whole_ops = old.execute("SELECT sum(length(ops)) FROM change_log").fetchone()[0]
    old.close()

    db = connect(path)  # runs m018
    assert migrations.pending(db) == []
    assert db.execute(f"SELECT {CHANGE_COLUMNS} FROM changes ORDER BY id").fetchall() == whole
    headed = db.execute("SELECT head FROM change_log WHERE head IS NOT NULL ORDER BY id").fetchall()
    assert ('["member","' + ana.id + '",',) in headed
    stored = db.execute("SELECT sum(length(ops)) + sum(coalesce(length(head), 0)) FROM change_log").fetchone()[0]
    assert stored < whole_ops - 5 * 40  # Ana's five first writes and the event's name her id and kind once
    db.close()

    reopened = open_group(data_dir)
    try:
        assert reopened.replica.state_hash() == before_hash
        reopened.members.edit(ana.id, name="Ana Silva", notes="moved")
        newest = reopened.db.execute("SELECT head, ops FROM change_log ORDER BY id DESC LIMIT 1").fetchone()
        assert newest[0] == '["member","' + ana.id + '",' and newest[1].count(changelog.HEAD_MARK) == 2
        assert [m.name for m in reopened.members.list("silva")] == ["Ana Silva"]
    finally:
        reopened.close()


def test_m019_keeps_the_folder_keys_received_and_the_files_read(tmp_path):
    db = Database(tmp_path / "old.db")
    migrations.apply(db, stop_before="m019_folder_retries")
    db.execute("INSERT INTO folders (path, added_at) VALUES ('/media/stick', 1.0)")
    db.execute("INSERT INTO folder_files (folder, path, size, mtime_ns, state) VALUES ('/media/stick', 'a/card', 9, 1, "
               "'unreadable')")
    db.execute("INSERT INTO folder_keys (key_id, key) VALUES (?, ?)", [b"id-1", b"k" * 32])
    db.conn.commit()
    db.close()
    db = connect(tmp_path / "old.db")  # runs m019
    assert migrations.pending(db) == []
    assert db.execute("SELECT state, tried_with FROM folder_files").fetchall() == [("unreadable", "")]
    assert db.execute("SELECT sender, key_id, key FROM folder_keys").fetchall() == [("", b"id-1", b"k" * 32)]
    db.execute("INSERT INTO folder_keys (sender, key_id, key) VALUES ('b', ?, ?)", [b"id-1", b"k" * 32])  # per sender
    db.close()


def test_m020_has_the_files_read_from_others_read_again_and_numbers_past_8_digits_worked_out_again(tmp_path):
    db = Database(tmp_path / "old.db")
    migrations.apply(db, stop_before="m020_folder_runs")
    db.execute("INSERT INTO folders (path, added_at, next_segment) VALUES ('/media/stick', 1.0, 100000000)")
    db.execute("INSERT INTO folders (path, added_at, next_segment) VALUES ('/media/other', 1.0, 12)")
    for path, state, covers in [("b/00000001.seg", "applied", '{"x": [1, 500]}'),
                                ("a/00000001.seg", "own", '{"a": [1, 9]}'), ("b/card", "card", '{"a": [1, 9]}')]:
        db.execute("INSERT INTO folder_files (folder, path, size, mtime_ns, state, covers) VALUES "
                   "('/media/stick', ?, 9, 1, ?, ?)", [path, state, covers])
    db.conn.commit()
    db.close()
    db = connect(tmp_path / "old.db")  # runs m020
    assert migrations.pending(db) == []
    # The span a member's copies made up is gone: the next pass reads that file again and notes its runs.
    assert db.execute("SELECT path, state, covers FROM folder_files ORDER BY path").fetchall() == [
        ("a/00000001.seg", "own", '{"a": [1, 9]}'), ("b/card", "card", '{"a": [1, 9]}')]
    # A number past the 8 digits (a stranger's 99999999.seg, before m019) is worked out again.
    assert db.execute("SELECT path, next_segment FROM folders ORDER BY path").fetchall() == [
        ("/media/other", 12), ("/media/stick", 1)]
    db.close()


def test_m021_keeps_the_peers_known_and_knows_nothing_yet_of_what_they_hold(tmp_path):
    db = Database(tmp_path / "old.db")
    migrations.apply(db, stop_before="m021_peer_holds")
    db.execute("INSERT INTO peers (device, address, state, last_seen, last_sync) VALUES ('b', '10.0.0.2:7', "
               "'offline', 5.0, 4.0)")
    db.conn.commit()
    db.close()
    db = connect(tmp_path / "old.db")  # runs m021
    assert migrations.pending(db) == []
    assert db.execute("SELECT device, address, last_sync, holds FROM peers").fetchall() == [
        ("b", "10.0.0.2:7", 4.0, "{}")]
    db.close()


def test_m022_says_of_the_codes_made_before_it_that_they_ended_in_no_particular_way(tmp_path):
    db = Database(tmp_path / "old.db")
    migrations.apply(db, stop_before="m022_invite_endings")
    db.execute("INSERT INTO invites (id, token_hash, expires_at, made_at) VALUES ('i', 'h', 5, 1)")
    db.conn.commit()
    db.close()
    db = connect(tmp_path / "old.db")  # runs m022
    assert migrations.pending(db) == []
    assert db.execute("SELECT id, expires_at, used_by, ended FROM invites").fetchall() == [("i", 5, None, "")]
    db.close()


def test_m025_indexes_the_records_each_changeset_of_an_older_log_names(data_dir):
    from organiser.store.mentions import catch_up, changes_naming, indexed_upto

    group = create_group(data_dir, "Tenants Union", "door laptop")
    ana = group.members.add("Ana Okafor")
    event = group.events.add("Rent strike meeting", "2026-12-03T19:00").id
    group.events.checkin(event, ana.id, "2026-12-03T19:05")
    history = [w.to_json() for w in group.history.of_record(event)]
    path = group.replica.database_path()
    group.close()
    old = Database(path)
    with old.atomic():  # the schema before m025: no index
        old.execute("DROP TABLE change_mentions")
        old.execute("DROP TRIGGER change_log_deleted_unindexes")
        old.execute("DELETE FROM meta WHERE key = 'mentions_indexed_upto'")
        old.execute("DELETE FROM _sqlite_migrations WHERE name = 'm025_change_mentions'")
    old.close()

    db = connect(path)  # runs m025: an empty index, filled when first asked
    assert migrations.pending(db) == []
    assert indexed_upto(db) == 0 and db.execute("SELECT count(*) FROM change_mentions").fetchone()[0] == 0
    catch_up(db)
    assert indexed_upto(db) == db.execute("SELECT max(id) FROM change_log").fetchone()[0]
    checkin = db.execute("SELECT id FROM records WHERE kind = 'rsvp'").fetchone()[0]
    naming_ana = {row[0] for row in db.execute("SELECT id FROM changes WHERE instr(CAST(body AS TEXT), ?)",
                                                   [ana.id])}
    assert set(changes_naming(db, [ana.id])) == naming_ana and len(naming_ana) == 2  # made, checked in
    assert set(changes_naming(db, [checkin])) < set(changes_naming(db, [event]))
    db.close()
    reopened = open_group(data_dir)
    try:
        assert [w.to_json() for w in reopened.history.of_record(event)] == history
        reopened.events.edit(event, location="Church hall")  # what comes next is indexed when history asks
        assert [w.value for w in reopened.history.of_record(event)][-1] == "Church hall"
    finally:
        reopened.close()


def rewind_to_ids_given_again(db: Database) -> None:
    """The change log as m018 to m027 left it: `id INTEGER PRIMARY KEY`, no AUTOINCREMENT."""
    columns = "id, author, seq, hlc, prev, hash, ops, body, signature, head"
    with db.atomic():
        db.execute("DROP VIEW changes")
        db.execute("DROP TRIGGER change_log_deleted_unindexes")
        db.execute(changelog.M017_SCHEMA[0].replace("CREATE TABLE change_log", "CREATE TABLE change_log_before"))
        db.execute(changelog.HEAD_COLUMN.replace("change_log", "change_log_before"))
        db.execute(f"INSERT INTO change_log_before ({columns}) SELECT {columns} FROM change_log")
        db.execute("DROP TABLE change_log")
        db.execute("DELETE FROM sqlite_sequence WHERE name = 'change_log'")
        db.execute("ALTER TABLE change_log_before RENAME TO change_log")
        for statement in changelog.VIEW[1:]:
            db.execute(statement)
        db.execute(mentions.SCHEMA[1])
        db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm028_change_log_ids_never_given_again'")


def test_m028_keeps_every_changeset_under_its_id_and_never_gives_an_id_again(data_dir):
    group = create_group(data_dir, "Tenants Union", "door laptop")
    ana = group.members.add("Ana Okafor", emails=["ana@example.org"])
    group.events.add("Rent strike meeting", "2026-12-03T19:00")
    group.members.edit(ana.id, notes="called")
    before_hash, path = group.replica.state_hash(), group.replica.database_path()
    group.close()
    old = Database(path)
    rewind_to_ids_given_again(old)
    whole = old.execute(f"SELECT {CHANGE_COLUMNS} FROM changes ORDER BY id").fetchall()
    top = whole[-1]
    with old.atomic():  # the schema before: the top row taken out and stored again takes its id again
        old.execute("DELETE FROM changes WHERE id = ?", [top[0]])
        old.execute(f"INSERT INTO changes ({CHANGE_COLUMNS[4:]}) VALUES (?, ?, ?, ?, ?, ?, ?)", list(top[1:]))
    assert old.execute("SELECT max(id) FROM change_log").fetchone() == (top[0],)
    old.close()

    db = connect(path)  # runs m028
    assert migrations.pending(db) == []
    assert db.execute(f"SELECT {CHANGE_COLUMNS} FROM changes ORDER BY id").fetchall() == whole
    mentions.catch_up(db)
    with db.atomic():
        db.execute("DELETE FROM changes WHERE id = ?", [top[0]])
        db.execute(f"INSERT INTO changes ({CHANGE_COLUMNS[4:]}) VALUES (?, ?, ?, ?, ?, ?, ?)", list(top[1:]))
    assert db.execute("SELECT max(id) FROM change_log").fetchone() == (top[0] + 1,)
    assert mentions.indexed_upto(db) == top[0] - 1  # the history's index still hears of deletes
    db.close()

    reopened = open_group(data_dir)
    try:
        assert reopened.replica.state_hash() == before_hash
        reopened.members.add("Chen Haddad")
        assert reopened.db.execute("SELECT max(id) FROM change_log").fetchone() == (top[0] + 2,)
    finally:
        reopened.close()
