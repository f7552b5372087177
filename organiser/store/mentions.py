"""Which changesets name which records (migration m025_change_mentions).

Who changed what… asks for every changeset that names a meeting, or a record made under it:
without an index that read and decoded the whole change log (1.9 s on a year-old group of
184,827 changesets). `change_mentions` holds, for each changeset in `change_log`, the records it
names: the record each op writes and a value that looks like a record's id (a vote's proposal,
an RSVP's event and member). A record is keyed by the first ten characters of its id: the index
only narrows what is read, and the reader still checks each op it decodes, so two ids sharing a
start cost a changeset read for nothing, never a wrong answer.

The replica indexes what it stores, from the ops it has decoded anyway (a trigger on
`change_log` doing it in SQL tripled the cost of storing a changeset); a removal undone
(changesets put back through the `changes` view) indexes them in SQL. A removal's deleted
changesets keep their keys: they only cost a read for nothing. Changesets a removal took back
(`withdrawn_changes`, few) are not indexed: their readers read them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlite_utils import Database

from organiser.core.changeset import Changeset

KEY_LENGTH = 10


def _ops_json(row: str) -> str:
    """SQL for the JSON text of a `change_log` row's ops (`row`: the table's name or alias)."""
    return (f"CASE WHEN {row}.body IS NOT NULL THEN json_extract(CAST({row}.body AS TEXT), '$.o') "
            f"WHEN {row}.head IS NULL THEN {row}.ops ELSE replace({row}.ops, char(1), {row}.head) END")


def _named(row: str, change: str, source: str = "") -> str:
    """SQL selecting (mention, change) for each record a `change_log` row's ops name: the record
    written (an op's second item) and a value that may be an id (its fourth). `source`: the
    table to read rows from, as the FROM clause starts."""
    return (f"SELECT DISTINCT substr(json_extract(op.value, '$[' || place.at || ']'), 1, {KEY_LENGTH}), {change} "
            f"FROM {source}json_each({_ops_json(row)}) AS op, (SELECT 1 AS at UNION ALL SELECT 3) AS place "
            f"WHERE json_type(op.value, '$[' || place.at || ']') = 'text' "
            f"AND length(json_extract(op.value, '$[' || place.at || ']')) = 32")


SCHEMA = """CREATE TABLE change_mentions (
    mention TEXT NOT NULL,
    change INTEGER NOT NULL,
    PRIMARY KEY (mention, change)
) WITHOUT ROWID"""
INSERT = "INSERT OR IGNORE INTO change_mentions (mention, change) VALUES (?, ?)"


def index_existing(db: Database) -> None:
    """m025: the index of a change log written before it (3 s for 184,827 changesets here)."""
    db.conn.execute(SCHEMA)
    index_after(db, 0)


def index_after(db: Database, last: int) -> None:
    """Index the changesets stored after `change_log` id `last`, reading their stored ops in SQL
    (a removal undone puts changesets back through the `changes` view)."""
    db.conn.execute(f"INSERT OR IGNORE INTO change_mentions (mention, change) "
                    f"{_named('change_log', 'change_log.id', 'change_log, ')} AND change_log.id > ?", [last])


def last_change(db: Database) -> int:
    return db.conn.execute("SELECT coalesce(max(id), 0) FROM change_log").fetchone()[0]


def index_batch(db: Database, batch: Sequence[Changeset], last: int) -> None:
    """Index a batch just stored after `change_log` id `last`, from its decoded ops. SQLite gives
    each new row the largest id plus one, so the batch holds ids last+1 on, in order; if the
    table says otherwise, the batch is read back in SQL instead."""
    if last_change(db) != last + len(batch):
        index_after(db, last)
        return
    rows = set()
    for number, cs in enumerate(batch, start=last + 1):
        for op in cs.ops:
            rows.add((op.record[:KEY_LENGTH], number))
            value = op.value
            if type(value) is str and len(value) == 32:
                rows.add((value[:KEY_LENGTH], number))
    db.conn.executemany(INSERT, rows)


def changes_naming(db: Database, ids: Iterable[str]) -> list[int]:
    """The `change_log` ids of the changesets that may name one of `ids` (a few more at most)."""
    keys = sorted({record[:KEY_LENGTH] for record in ids})
    found: set[int] = set()
    for start in range(0, len(keys), 500):  # SQLite's limit on parameters
        part = keys[start:start + 500]
        marks = ", ".join("?" * len(part))
        found.update(row[0] for row in db.execute(
            f"SELECT change FROM change_mentions WHERE mention IN ({marks})", part).fetchall())
    return sorted(found)
