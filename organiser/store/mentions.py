"""Which changesets name which records (migration m023_change_mentions).

Who changed what… asks for every changeset that names a meeting, or a record made under it:
without an index that read and decoded the whole change log (1.9 s on a year-old group of
184,827 changesets). `change_mentions` holds, for each changeset in `change_log`, the records it
names: the record each op writes and a value that looks like a record's id (a vote's proposal,
an RSVP's event and member). A record is keyed by the first ten characters of its id: the index
only narrows what is read, and the reader still checks each op it decodes, so two ids sharing a
start cost a changeset read for nothing, never a wrong answer.

Triggers keep it as `change_log` changes, whoever writes (the replica, the `changes` view's
trigger when a removal is undone). Changesets a removal took back (`withdrawn_changes`, few)
are not indexed: their readers read them all.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

KEY_LENGTH = 10


def _ops_json(row: str) -> str:
    """SQL for the JSON text of a `change_log` row's ops (`row`: NEW, OLD or the table's name)."""
    return (f"CASE WHEN {row}.body IS NOT NULL THEN json_extract(CAST({row}.body AS TEXT), '$.o') "
            f"WHEN {row}.head IS NULL THEN {row}.ops ELSE replace({row}.ops, char(1), {row}.head) END")


def _named(row: str, change: str, source: str = "") -> str:
    """SQL selecting (mention, change) for each record a `change_log` row's ops name: the record
    written (an op's second item) and a value that may be an id (its fourth). `source`: the
    table to read rows from (none in a trigger: NEW or OLD)."""
    return (f"SELECT DISTINCT substr(json_extract(op.value, '$[' || place.at || ']'), 1, {KEY_LENGTH}), {change} "
            f"FROM {source}json_each({_ops_json(row)}) AS op, (SELECT 1 AS at UNION ALL SELECT 3) AS place "
            f"WHERE json_type(op.value, '$[' || place.at || ']') = 'text' "
            f"AND length(json_extract(op.value, '$[' || place.at || ']')) = 32")


SCHEMA = [
    """CREATE TABLE change_mentions (
        mention TEXT NOT NULL,
        change INTEGER NOT NULL,
        PRIMARY KEY (mention, change)
    ) WITHOUT ROWID""",
    f"""CREATE TRIGGER change_log_mentions AFTER INSERT ON change_log BEGIN
        INSERT OR IGNORE INTO change_mentions (mention, change) {_named('NEW', 'NEW.id')};
    END""",
    # A removal deletes its device's later changesets: their keys, found again the same way
    f"""CREATE TRIGGER change_log_unmentions AFTER DELETE ON change_log BEGIN
        DELETE FROM change_mentions WHERE (mention, change) IN ({_named('OLD', 'OLD.id')});
    END""",
]


def index_existing(db: Database) -> None:
    """m023: the index of a change log written before it (3 s for 184,827 changesets here)."""
    for statement in SCHEMA:
        db.conn.execute(statement)
    db.conn.execute(f"INSERT OR IGNORE INTO change_mentions (mention, change) {_named('change_log', 'change_log.id', 'change_log, ')}")


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
