"""The change log's stored form (migrations m017_compact_changesets, m018_op_heads).

Every changeset is kept as the exact bytes its author signed, but most of a body repeats
what is stored elsewhere, and the `changes` view puts the same bytes back together, so
everything that reads `changes` gets the signed body byte for byte:

- A body in the canonical layout, `{"a":…,"g":…,"h":…,"o":OPS,"p":…,"s":…}` (what
  `encode_body` writes), repeats author, group, clock stamp, previous hash and number, which
  the row's columns hold (about 250 bytes of a member's 800): it is stored as its OPS text
  alone. A body in any other layout (a peer's encoder may differ) is stored whole.
- In OPS, every field write of a record starts with the same head, `["member","<record id>",`
  (about 45 bytes, eight times for a new member): the first write's head is stored once, in
  `head`, and each of its occurrences in OPS as the character U+0001, which JSON text never
  holds raw (a string must escape it), so putting the head back is exact.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

from organiser.core.changeset import Changeset

INSERT = ("INSERT INTO change_log (author, seq, hlc, prev, hash, head, ops, body, signature) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")

HEAD_MARK = "\x01"


def _body(ops: str) -> str:
    """The view's body: byte for byte what `ops_part` took apart (the group is this
    database's); `ops`: the SQL that gives the OPS text back."""
    return ("coalesce(body, CAST('{\"a\":\"' || author || '\",\"g\":\"' || (SELECT value FROM meta "
            "WHERE key = 'group_id') || '\",\"h\":' || hlc || ',\"o\":' || " + ops
            + " || ',\"p\":\"' || prev || '\",\"s\":' || seq || '}' AS BLOB))")


# What m017 created (a shipped migration keeps making what it made then; m018 changes it).
M017_SCHEMA = [
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
    f"SELECT id, author, seq, hlc, prev, hash, {_body('ops')}, signature FROM change_log",
    # Rare writers (a removal undone, tests) may still write through the view: bodies kept whole.
    """CREATE TRIGGER changes_insert INSTEAD OF INSERT ON changes BEGIN
        INSERT INTO change_log (author, seq, hlc, prev, hash, body, signature)
        VALUES (NEW.author, NEW.seq, NEW.hlc, NEW.prev, NEW.hash, NEW.body, NEW.signature);
    END""",
    """CREATE TRIGGER changes_delete INSTEAD OF DELETE ON changes BEGIN
        DELETE FROM change_log WHERE id = OLD.id;
    END""",
]


# m018: the ops' head, stored once (with_head); the view puts it back.
_OPS_WITH_HEAD = "iif(head IS NULL, ops, replace(ops, char(1), head))"
HEAD_COLUMN = "ALTER TABLE change_log ADD COLUMN head TEXT CHECK (head IS NULL OR ops IS NOT NULL)"
VIEW = [
    "DROP VIEW changes",  # its triggers go with it
    f"CREATE VIEW changes (id, author, seq, hlc, prev, hash, body, signature) AS "
    f"SELECT id, author, seq, hlc, prev, hash, {_body(_OPS_WITH_HEAD)}, signature FROM change_log",
    *M017_SCHEMA[2:],
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


def with_head(ops: str) -> tuple[str | None, str]:
    """(head, stored OPS): the first field write's head taken out of every write that starts
    with it, or (None, OPS) when that would not make it shorter."""
    if not ops.startswith('[["') or HEAD_MARK in ops:
        return None, ops
    # The head ends after the second value: `["kind","record",`. Ids and kinds hold no quotes
    # or backslashes in the app's own writes; where they do, the head found here is still an
    # exact piece of the text, so putting it back stays exact.
    kind_end = ops.find('","', 3)
    record_end = ops.find('",', kind_end + 3) if kind_end > 0 else -1
    if record_end < 0:
        return None, ops
    head = ops[1:record_end + 2]
    stored = ops.replace(head, HEAD_MARK)
    if len(stored) + len(head) >= len(ops):
        return None, ops
    return head, stored


def stored_rows(batch: Iterable[Changeset], group: str | None) -> list[tuple[object, ...]]:
    """The `change_log` rows of verified changesets, for `INSERT`."""
    rows: list[tuple[object, ...]] = []
    for cs in batch:
        ops = ops_part(cs.body, group, cs.author, cs.hlc, cs.prev, cs.seq)
        if ops is None:
            rows.append((cs.author, cs.seq, cs.hlc, cs.prev, cs.hash, None, None, cs.body, cs.signature))
        else:
            head, stored = with_head(ops)
            rows.append((cs.author, cs.seq, cs.hlc, cs.prev, cs.hash, head, stored, None, cs.signature))
    return rows


def compact_existing(db: Database) -> None:
    """Move a change log of whole bodies (a `changes` table) into `change_log`, compacted."""
    conn = db.conn
    found = conn.execute("SELECT value FROM meta WHERE key = 'group_id'").fetchone()
    group = found[0] if found else None
    for statement in M017_SCHEMA[:1]:
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
    for statement in M017_SCHEMA[1:]:
        conn.execute(statement)


def take_out_heads(db: Database) -> None:
    """Store the ops' heads of a change log compacted by m017 once (m018)."""
    conn = db.conn
    conn.execute(HEAD_COLUMN)
    for statement in VIEW:
        conn.execute(statement)
    after = 0
    while chunk := conn.execute("SELECT id, ops FROM change_log WHERE id > ? AND ops IS NOT NULL ORDER BY id "
                                "LIMIT 5000", [after]).fetchall():
        headed = []
        for local_id, ops in chunk:
            head, stored = with_head(ops)
            if head is not None:
                headed.append((head, stored, local_id))
        conn.executemany("UPDATE change_log SET head = ?, ops = ? WHERE id = ?", headed)
        after = chunk[-1][0]


# m028: a change log id is never given again. Without AUTOINCREMENT, SQLite gives a new row the
# highest id held + 1, so changesets taken back from the top of the log (a removal's withdrawal,
# stubs set aside) had their ids given again to the next ones stored; whoever reads the log by id
# (the window's watch of what another process stored, the history's index) took those for read.
M028_TABLE = """CREATE TABLE change_log_m028 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        author TEXT NOT NULL,
        seq INTEGER NOT NULL,
        hlc INTEGER NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL,
        ops TEXT,
        body BLOB,
        signature BLOB NOT NULL,
        head TEXT CHECK (head IS NULL OR ops IS NOT NULL),
        UNIQUE (author, seq),
        CHECK ((ops IS NULL) <> (body IS NULL))
    )"""
_COLUMNS = "id, author, seq, hlc, prev, hash, ops, body, signature, head"


def ids_never_given_again(db: Database) -> None:
    """m028: the change log copied into a table whose ids only grow (AUTOINCREMENT), ids kept;
    the `changes` view and the history index's trigger made again over it."""
    from organiser.store.mentions import SCHEMA as MENTIONS_SCHEMA

    conn = db.conn
    conn.execute("DROP VIEW changes")  # its triggers go with it
    conn.execute("DROP TRIGGER IF EXISTS change_log_deleted_unindexes")  # not fired by the copy's drop
    conn.execute(M028_TABLE)
    conn.execute(f"INSERT INTO change_log_m028 ({_COLUMNS}) SELECT {_COLUMNS} FROM change_log ORDER BY id")
    conn.execute("DROP TABLE change_log")
    conn.execute("ALTER TABLE change_log_m028 RENAME TO change_log")
    for statement in VIEW[1:]:
        conn.execute(statement)
    conn.execute(MENTIONS_SCHEMA[1])
