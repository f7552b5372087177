"""Which changesets name which records (migration m025_change_mentions).

Who changed what… asks for every changeset that names a meeting, or a record made under it:
without an index that read and decoded the whole change log (1.9 s on a year-old group of
184,827 changesets). `change_mentions` holds, for changesets in `change_log`, the records they
name: the record each op writes and a value that looks like a record's id (a vote's proposal,
an RSVP's event and member). A record is keyed by the first ten characters of its id: the index
only narrows what is read, and the reader still checks each op it decodes, so two ids sharing a
start cost a changeset read for nothing, never a wrong answer.

The index is brought up to date when it is asked (`catch_up`), in SQL, as the full-text index
is: kept while storing, it cost 7 to 20 % of applying a first sync, which nobody reading
history pays back. Every changeset above the id in meta `mentions_indexed_upto` is not indexed
yet, and `changes_naming` hands those to the reader too, so a reader that cannot write (or
another process's newer changesets) still gets every one. A deleted changeset lowers that id
below its own (a trigger), so a changeset later stored under an id used before is indexed too;
the deleted one's keys stay, costing a read for nothing. Changesets a removal took back
(`withdrawn_changes`, few) are not indexed: their readers read them all.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

from organiser.store.materialise import transaction_unless_in_one

KEY_LENGTH = 10


def ops_json(row: str) -> str:
    """SQL for the JSON text of a `change_log` row's ops (`row`: the table's name or alias)."""
    return (f"CASE WHEN {row}.body IS NOT NULL THEN json_extract(CAST({row}.body AS TEXT), '$.o') "
            f"WHEN {row}.head IS NULL THEN {row}.ops ELSE replace({row}.ops, char(1), {row}.head) END")


def _named(row: str, change: str, source: str = "") -> str:
    """SQL selecting (mention, change) for each record a `change_log` row's ops name: the record
    written (an op's second item) and a value that may be an id (its fourth). `source`: the
    table to read rows from, as the FROM clause starts."""
    return (f"SELECT DISTINCT substr(json_extract(op.value, '$[' || place.at || ']'), 1, {KEY_LENGTH}), {change} "
            f"FROM {source}json_each({ops_json(row)}) AS op, (SELECT 1 AS at UNION ALL SELECT 3) AS place "
            f"WHERE json_type(op.value, '$[' || place.at || ']') = 'text' "
            f"AND length(json_extract(op.value, '$[' || place.at || ']')) = 32")


UPTO = "mentions_indexed_upto"
SCHEMA = [
    """CREATE TABLE IF NOT EXISTS change_mentions (
        mention TEXT NOT NULL,
        change INTEGER NOT NULL,
        PRIMARY KEY (mention, change)
    ) WITHOUT ROWID""",
    f"""CREATE TRIGGER IF NOT EXISTS change_log_deleted_unindexes AFTER DELETE ON change_log BEGIN
        UPDATE meta SET value = min(CAST(value AS INTEGER), OLD.id - 1) WHERE key = '{UPTO}';
    END""",
    f"INSERT OR REPLACE INTO meta (key, value) VALUES ('{UPTO}', '0')",  # all read again when asked
]


def create(db: Database) -> None:
    """m025: the empty index; the first history read fills it (3 s for 184,827 changesets here)."""
    for statement in SCHEMA:
        db.conn.execute(statement)


def indexed_upto(db: Database) -> int:
    row = db.conn.execute("SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?", [UPTO]).fetchone()
    return (row[0] if row else None) or 0


def catch_up(db: Database) -> None:
    """Index the changesets stored since the last catch-up, in one transaction (or the caller's)."""
    conn = db.conn
    (top,) = conn.execute("SELECT coalesce(max(id), 0) FROM change_log").fetchone()
    if top <= indexed_upto(db):
        return
    with transaction_unless_in_one(conn):
        upto = indexed_upto(db)  # read again under the write lock: another connection may have caught up
        conn.execute(f"INSERT OR IGNORE INTO change_mentions (mention, change) "
                     f"{_named('change_log', 'change_log.id', 'change_log, ')} AND change_log.id > ?", [upto])
        conn.execute("UPDATE meta SET value = (SELECT coalesce(max(id), 0) FROM change_log) WHERE key = ?", [UPTO])


def changes_naming(db: Database, ids: Iterable[str]) -> list[int]:
    """The `change_log` ids of the changesets that may name one of `ids` (a few more at most, and
    every one not indexed yet: `catch_up` first, where the connection can write)."""
    keys = sorted({record[:KEY_LENGTH] for record in ids})
    found = {change for (change,) in db.execute("SELECT id FROM change_log WHERE id > ?", [indexed_upto(db)])}
    for start in range(0, len(keys), 500):  # SQLite's limit on parameters
        part = keys[start:start + 500]
        marks = ", ".join("?" * len(part))
        found.update(row[0] for row in db.execute(
            f"SELECT change FROM change_mentions WHERE mention IN ({marks})", part).fetchall())
    return sorted(found)
