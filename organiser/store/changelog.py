"""The change log's stored form (migration m017_compact_changesets).

Every changeset is kept as the exact bytes its author signed, but most of a body repeats
what the row's columns hold already: author, group, clock stamp, previous hash and number
(about 250 bytes of a member's 800). A body in the canonical layout, `{"a":…,"g":…,"h":…,
"o":OPS,"p":…,"s":…}` (what `encode_body` writes), is stored as its OPS text alone; the
`changes` view puts the same bytes back together, so everything that reads `changes` gets
the signed body byte for byte. A body in any other layout (a peer's encoder may differ) is
stored whole.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

from organiser.core.changeset import Changeset

INSERT = ("INSERT INTO change_log (author, seq, hlc, prev, hash, ops, body, signature) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")

# The view's body: byte for byte what `ops_part` took apart (the group is this database's).
_BODY = (
    "coalesce(body, CAST('{\"a\":\"' || author || '\",\"g\":\"' || (SELECT value FROM meta WHERE key = 'group_id') "
    "|| '\",\"h\":' || hlc || ',\"o\":' || ops || ',\"p\":\"' || prev || '\",\"s\":' || seq || '}' AS BLOB))"
)

SCHEMA = [
    """CREATE TABLE change_log (
        id INTEGER PRIMARY KEY,
        author TEXT NOT NULL,
        seq INTEGER NOT NULL,
        hlc INTEGER NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL,
        ops TEXT,
        body BLOB,
        signature BLOB NOT NULL,
        UNIQUE (author, seq),
        CHECK ((ops IS NULL) <> (body IS NULL))
    )""",
    f"CREATE VIEW changes (id, author, seq, hlc, prev, hash, body, signature) AS "
    f"SELECT id, author, seq, hlc, prev, hash, {_BODY}, signature FROM change_log",
    # Rare writers (a removal undone, tests) may still write through the view: bodies kept whole.
    """CREATE TRIGGER changes_insert INSTEAD OF INSERT ON changes BEGIN
        INSERT INTO change_log (author, seq, hlc, prev, hash, body, signature)
        VALUES (NEW.author, NEW.seq, NEW.hlc, NEW.prev, NEW.hash, NEW.body, NEW.signature);
    END""",
    """CREATE TRIGGER changes_delete INSTEAD OF DELETE ON changes BEGIN
        DELETE FROM change_log WHERE id = OLD.id;
    END""",
]


def ops_part(body: bytes, group: str | None, author: str, hlc: int, prev: str, seq: int) -> str | None:
    """The OPS text of a body in the canonical layout, or None when the body is laid out
    otherwise (then it is stored whole)."""
    if group is None:
        return None
    head = f'{{"a":"{author}","g":"{group}","h":{hlc},"o":'.encode()
    tail = f',"p":"{prev}","s":{seq}}}'.encode()
    if len(body) <= len(head) + len(tail) or not body.startswith(head) or not body.endswith(tail):
        return None
    try:
        return body[len(head):-len(tail)].decode()
    except UnicodeDecodeError:
        return None


def stored_rows(batch: Iterable[Changeset], group: str | None) -> list[tuple[object, ...]]:
    """The `change_log` rows of verified changesets, for `INSERT`."""
    rows: list[tuple[object, ...]] = []
    for cs in batch:
        ops = ops_part(cs.body, group, cs.author, cs.hlc, cs.prev, cs.seq)
        rows.append((cs.author, cs.seq, cs.hlc, cs.prev, cs.hash, ops, None if ops is not None else cs.body,
                     cs.signature))
    return rows


def compact_existing(db: Database) -> None:
    """Move a change log of whole bodies (a `changes` table) into `change_log`, compacted."""
    conn = db.conn
    found = conn.execute("SELECT value FROM meta WHERE key = 'group_id'").fetchone()
    group = found[0] if found else None
    for statement in SCHEMA[:1]:
        conn.execute(statement)
    rows = conn.execute("SELECT id, author, seq, hlc, prev, hash, body, signature FROM changes ORDER BY id")
    while chunk := rows.fetchmany(5000):
        compact = []
        for local_id, author, seq, hlc, prev, digest, body, signature in chunk:
            ops = ops_part(bytes(body), group, author, hlc, prev, seq)
            compact.append((local_id, author, seq, hlc, prev, digest, ops, None if ops is not None else body,
                            signature))
        conn.executemany("INSERT INTO change_log (id, author, seq, hlc, prev, hash, ops, body, signature) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", compact)
    conn.execute("DROP TABLE changes")
    for statement in SCHEMA[1:]:
        conn.execute(statement)
