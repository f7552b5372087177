"""Meeting minutes in SQLite: per event, a compacted snapshot plus the updates since.

Minutes ops (core/minutes.py) are merged here by the CRDT, inside the same transaction that
stores their changesets; `minutes.text` keeps the merged text for the state hash, `show` and
exports. An update that arrived before what it was made on waits beside the document
(`MinutesDoc.receive`), never inside it. Every COMPACT_AFTER merged updates the document is
re-encoded into the snapshot and the updates are dropped, except those still waiting: they
live only in their own rows until their predecessors come.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from sqlite_utils import Database

from organiser.core.minutes import MinutesDoc, MinutesUpdate

COMPACT_AFTER = 64  # updates kept beside the snapshot before re-encoding (a few seconds' typing each)

# Documents already built, per connection and event, with the version they were built at:
# typing sends a few updates a second, and rebuilding the document for each costs far more.
# The connection is kept in the entry so its id cannot be reused by another while cached.
# Least recently used first: a group holds years of events, a laptop needs the few open now.
CACHED_DOCUMENTS = 32
_CACHE: OrderedDict[tuple[int, str], tuple[object, int, MinutesDoc]] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _row(db: Database, event: str) -> tuple[bytes, str, int] | None:
    return db.conn.execute("SELECT snapshot, text, version FROM minutes WHERE event = ?", [event]).fetchone()


def load(db: Database, event: str) -> MinutesDoc:
    """The event's minutes as merged so far (empty when nobody wrote any). The caller may
    read it; writes go through `merge` (so the cache stays true)."""
    row = _row(db, event)
    if row is None:
        return MinutesDoc()
    version = row[2]
    key = (id(db.conn), event)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
    if cached is not None and cached[0] is db.conn and cached[1] == version:
        return cached[2]
    updates = [MinutesUpdate(data, deps) for data, deps in db.conn.execute(
        "SELECT data, deps FROM minutes_updates WHERE event = ? ORDER BY id", [event])]
    doc = MinutesDoc(row[0], updates)
    _put(key, (db.conn, version, doc))
    return doc


def _put(key: tuple[int, str], entry: tuple[object, int, MinutesDoc]) -> None:
    with _CACHE_LOCK:
        _CACHE[key] = entry
        _CACHE.move_to_end(key)
        while len(_CACHE) > CACHED_DOCUMENTS:
            _CACHE.popitem(last=False)


def text(db: Database, event: str) -> str:
    row = _row(db, event)
    return row[1] if row else ""


def texts(db: Database) -> Iterable[tuple[str, str]]:
    """(event, text) of every non-empty minutes, in event order (for the state hash)."""
    return db.conn.execute("SELECT event, text FROM minutes WHERE text != '' ORDER BY event")


def merge(db: Database, updates: list[tuple[str, object]]) -> set[str]:
    """Merge minutes ops (event, op value) into the stored documents, inside the caller's
    transaction; return the events whose text changed. A value whose bytes are not an update
    is skipped, the same way on every device."""
    by_event: dict[str, list[MinutesUpdate]] = {}
    for event, value in updates:
        try:
            by_event.setdefault(event, []).append(MinutesUpdate.from_value(value))
        except ValueError:
            continue
    changed: set[str] = set()
    for event, items in by_event.items():
        try:
            if _merge_event(db, event, items):
                changed.add(event)
        except BaseException:
            _forget(db, event)  # the cached document may hold what the rolled-back transaction held
            raise
    return changed


def _merge_event(db: Database, event: str, items: list[MinutesUpdate]) -> bool:
    doc = load(db, event)
    before = str(doc)
    kept = [(event, u.update, u.deps) for u in items if doc.receive(u)]
    if not kept:
        return False
    db.conn.executemany("INSERT INTO minutes_updates (event, data, deps) VALUES (?, ?, ?)", kept)
    after = str(doc)
    db.conn.execute(
        "INSERT INTO minutes (event, snapshot, text, version) VALUES (?, x'', ?, 1) ON CONFLICT (event) "
        "DO UPDATE SET text = excluded.text, version = version + 1", [event, after])
    _remember(db, event, doc)
    stored = db.conn.execute("SELECT count(*) FROM minutes_updates WHERE event = ?", [event]).fetchone()[0]
    if stored - len(doc.waiting) >= COMPACT_AFTER:
        compact(db, event)
    return after != before


def _forget(db: Database, event: str) -> None:
    with _CACHE_LOCK:
        _CACHE.pop((id(db.conn), event), None)


def _remember(db: Database, event: str, doc: MinutesDoc) -> None:
    version = _row(db, event)
    if version is not None:
        _put((id(db.conn), event), (db.conn, version[2], doc))


def compact(db: Database, event: str) -> bool:
    """Re-encode the document into the snapshot and drop the updates it holds; those still
    waiting for a predecessor stay as they are. True when the event has minutes to compact.
    Inside the caller's transaction, or its own."""
    own = not db.conn.in_transaction
    if own:  # read inside the transaction: another connection's updates cannot slip in between
        db.conn.execute("BEGIN IMMEDIATE")
    try:
        if _row(db, event) is None:
            if own:
                db.conn.execute("ROLLBACK")
            return False
        doc = load(db, event)
        db.conn.execute("UPDATE minutes SET snapshot = ?, version = version + 1 WHERE event = ?",
                        [doc.snapshot(), event])
        db.conn.execute("DELETE FROM minutes_updates WHERE event = ?", [event])
        db.conn.executemany("INSERT INTO minutes_updates (event, data, deps) VALUES (?, ?, ?)",
                            [(event, update.update, update.deps) for update, _needed in doc.waiting])
    except BaseException:
        _forget(db, event)
        if own:
            db.conn.execute("ROLLBACK")
        raise
    if own:
        db.conn.execute("COMMIT")
    _remember(db, event, doc)
    return True


def start_again(db: Database, events: Iterable[str]) -> None:
    """Empty these events' stored documents (inside the caller's transaction), to be merged again
    from the change log: a removal withdrew some of the updates they were made of. The version
    goes on counting, so no connection takes its cached document for the new one."""
    for event in events:
        db.conn.execute("UPDATE minutes SET snapshot = x'', text = '', version = version + 1 WHERE event = ?", [event])
        db.conn.execute("DELETE FROM minutes_updates WHERE event = ?", [event])
        _forget(db, event)


def stored_size(db: Database, event: str) -> int:
    """Bytes the event's minutes take in the database (snapshot plus updates)."""
    (size,) = db.conn.execute(
        "SELECT coalesce((SELECT length(snapshot) FROM minutes WHERE event = ?), 0) + "
        "coalesce((SELECT sum(length(data) + length(deps)) FROM minutes_updates WHERE event = ?), 0)",
        [event, event]).fetchone()
    return int(size)


def forget_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def writers_since(db: Database, event: str, after: int) -> tuple[int, list[tuple[str, str]]]:
    """Devices (id, name) whose minutes changesets for `event` arrived after local change
    number `after`, and the newest number seen (to ask again from): who is typing right now.
    Names come from the membership's devices table (devices are no longer records)."""
    (newest,) = db.conn.execute("SELECT coalesce(max(id), 0) FROM changes").fetchone()
    if newest <= after:
        return newest, []
    needle = f'["minutes","{event}","update"'.encode()  # how a minutes op starts in a signed body
    authors = db.conn.execute(
        "SELECT DISTINCT c.author, coalesce(d.name, '') FROM changes c LEFT JOIN devices d ON d.id = c.author "
        "WHERE c.id > ? AND instr(c.body, ?) > 0", [after, needle]).fetchall()
    return newest, [(author, name) for author, name in authors]
