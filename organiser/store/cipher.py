"""SQLCipher underneath sqlite-utils, and the database keys this process holds unlocked.

Every connection, encrypted or not, goes through `sqlcipher3`: a plain database opens with
it exactly as with `sqlite3`. sqlite-utils catches the exception classes of the DB-API
module it imported (`alter=True`, `drop(ignore=True)`, the too-many-variables fallback), and
it imports `pysqlite3` when that exists; so `sqlcipher3` is registered under that name
before sqlite-utils is first imported (organiser/__init__.py calls `use_sqlcipher`), and
`check_sqlite_utils` refuses to go on if some import order defeated that.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import ModuleType

import sqlcipher3
import sqlcipher3.dbapi2

PLAIN_HEADER = b"SQLite format 3\x00"  # an encrypted database starts with its random salt instead
KEY_BYTES = 32

_unlocked: dict[str, tuple[bytes, int]] = {}  # database -> (key, how many holders)
_unlocked_lock = threading.Lock()


def use_sqlcipher() -> None:
    """Make sqlite-utils use sqlcipher3's DB-API module (its documented `pysqlite3` hook)."""
    sys.modules.setdefault("pysqlite3", sqlcipher3)
    sys.modules.setdefault("pysqlite3.dbapi2", sqlcipher3.dbapi2)


def dbapi() -> ModuleType:
    return sqlcipher3.dbapi2


def check_sqlite_utils() -> None:
    """Raise unless sqlite-utils catches sqlcipher3's exceptions (else errors it expects escape)."""
    import sqlite_utils.db

    if sqlite_utils.db.sqlite3.OperationalError is not sqlcipher3.dbapi2.OperationalError:
        raise RuntimeError("sqlite_utils was imported before organiser, so it uses the sqlite3 module and "
                           "not sqlcipher3: import organiser first")


def is_encrypted(path: Path) -> bool:
    """Whether a database file is encrypted: a plain one starts with SQLite's header."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(PLAIN_HEADER))
    except FileNotFoundError:
        return False
    return len(head) == len(PLAIN_HEADER) and head != PLAIN_HEADER


def key_pragma(key: bytes) -> str:
    """`PRAGMA key` with a raw 256-bit key: SQLCipher uses it as is, with no second key derivation."""
    if len(key) != KEY_BYTES:
        raise ValueError("a database key is 32 bytes")
    return f"PRAGMA key = \"x'{key.hex()}'\""


# ---- keys of unlocked databases -------------------------------------------------------------
# Every connection a process opens to an unlocked group (the app's, the sync worker's, the
# background readers') finds the key here. Each open Group holds it once; the key is forgotten
# when the last one closes, or at once when the app locks.


def _name(path: Path | str) -> str:
    return str(Path(path).resolve())


def remember_key(db_path: Path | str, key: bytes) -> None:
    """Hold the key once more (a Group being opened)."""
    with _unlocked_lock:
        _key, holders = _unlocked.get(_name(db_path), (b"", 0))
        _unlocked[_name(db_path)] = (bytes(key), holders + 1)


def forget_key(db_path: Path | str, *, everywhere: bool = False) -> None:
    """One holder lets go (a Group closed); `everywhere`: forget it now, whoever holds it (lock, wipe)."""
    with _unlocked_lock:
        name = _name(db_path)
        key, holders = _unlocked.get(name, (b"", 0))
        if everywhere or holders <= 1:
            _unlocked.pop(name, None)
        else:
            _unlocked[name] = (key, holders - 1)


def key_for(db_path: Path | str) -> bytes | None:
    with _unlocked_lock:
        found = _unlocked.get(_name(db_path))
        return found[0] if found else None
