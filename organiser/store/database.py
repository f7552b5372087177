"""Opening a group's database with the settings every connection needs."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from organiser.core.errors import LockedError, PassphraseError
from organiser.store.cipher import check_sqlite_utils, dbapi, is_encrypted, key_for, key_pragma
from organiser.store.schema import migrate

PEERS_CHECKPOINT_PAGES = 8192
IN_CHUNK = 500  # values per "IN (?, ?, ...)" list, well below SQLite's limit on parameters
T = TypeVar("T")


def in_chunks(values: Iterable[T]) -> Iterator[tuple[list[T], str]]:
    """The values in lists of at most IN_CHUNK, each with its "?,?,..." for an IN (...) list."""
    items = list(values)
    for start in range(0, len(items), IN_CHUNK):
        chunk = items[start:start + IN_CHUNK]
        yield chunk, ",".join("?" * len(chunk))


def connect(path: Path | str, *, readonly: bool = False, synchronous: str = "FULL",
            key: bytes | None = None) -> Database:
    """Open (and migrate) a database. WAL lets the app, `serve` and the CLI share it.

    An encrypted database opens with `key`, else with the key this process holds for it while
    its group is unlocked (cipher.remember_key); without one it raises LockedError.

    synchronous=FULL (the default): a committed local edit survives a power cut, not just a
    crash. A connection that only stores what peers sent may use NORMAL: after a power cut
    it is consistent and at worst asks the peers again for the last changesets."""
    check_sqlite_utils()
    path = Path(path)
    if key is None and is_encrypted(path):
        key = key_for(path)
        if key is None:
            raise LockedError("this group is locked: its passphrase is needed to open it.")
    if not path.exists() and not readonly:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # SQLite gives -wal and -shm the same mode
    conn = dbapi().connect(str(path), isolation_level=None, check_same_thread=False, timeout=30.0)
    if key is not None:
        _unlock(conn, key)
    _set_pragmas(conn, synchronous)
    db = Database(conn)
    if not readonly:
        migrate(db)
    return db


def _unlock(conn: Any, key: bytes) -> None:
    """Give SQLCipher the key, first, before anything reads the file; a wrong key closes it."""
    conn.execute(key_pragma(key))
    conn.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is our sentence, not its stderr noise
    try:
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    except dbapi().DatabaseError:
        conn.close()
        raise PassphraseError("the key does not open this group's database.") from None


def _set_pragmas(conn: Any, synchronous: str) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    if synchronous == "NORMAL":
        # The peers' connection writes a first sync in big transactions: checkpointing the
        # WAL into the database after every one of them cost more than the writes (each
        # copies and fsyncs the same index pages again). Every 32 MiB instead.
        conn.execute(f"PRAGMA wal_autocheckpoint={PEERS_CHECKPOINT_PAGES}")
    conn.execute(f"PRAGMA journal_size_limit={64 << 20}")  # the WAL file shrinks back after a burst
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
