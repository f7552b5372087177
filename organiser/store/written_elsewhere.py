"""What other connections stored in the change log: the records its new changesets write.

The window reads this when SQLite's `PRAGMA data_version` says another connection committed (the
command line beside the app, `serve`), to tell its views which records to read again. Changesets
this process stored through its other connections (the sync worker, the folder watcher, an
import) are announced on the bus as they are stored; the caller passes their change log ids in
`skip`, so a first sync is not handed to the views twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from organiser.core.changeset import decode_changeset
from organiser.core.membership_entries import MEMBERSHIP_KIND
from organiser.store.mentions import ops_json

READ_AT_ONCE = 2000  # changesets read per look, so a big import elsewhere never stalls the window
_PARAMETERS = 500  # SQLite's limit on parameters, with room


@dataclass(frozen=True)
class Written:
    """The records written by changesets above `after` up to `upto` in the change log."""

    upto: int
    ids: frozenset[str]
    kinds: frozenset[str]


def last_change(db: Database) -> int:
    """The newest change log id (0 for none)."""
    (top,) = db.conn.execute("SELECT coalesce(max(id), 0) FROM change_log").fetchone()
    return int(top)


def written_after(db: Database, after: int, skip: Iterable[tuple[int, int]] = ()) -> Written:
    """The records written by the changesets stored after change log id `after` (at most
    READ_AT_ONCE of them: `upto` says where to go on from), but for those whose ids fall in one of
    the ranges `skip` (first, last). A membership entry counts as a write of kind `device`: the
    roster it makes is read from the devices table, not from the op."""
    conn = db.conn
    ranges = list(skip)
    rows = conn.execute("SELECT id FROM change_log WHERE id > ? ORDER BY id LIMIT ?", [after, READ_AT_ONCE]).fetchall()
    if not rows:
        return Written(after, frozenset(), frozenset())
    wanted = [change for (change,) in rows if not any(first <= change <= last for first, last in ranges)]
    ids: set[str] = set()
    kinds: set[str] = set()
    for start in range(0, len(wanted), _PARAMETERS):
        part = wanted[start:start + _PARAMETERS]
        marks = ", ".join("?" * len(part))
        for kind, record in conn.execute(
                f"SELECT DISTINCT json_extract(op.value, '$[0]'), json_extract(op.value, '$[1]') "
                f"FROM change_log AS c, json_each({ops_json('c')}) AS op WHERE c.id IN ({marks})", part):
            kinds.add("device" if kind == MEMBERSHIP_KIND else kind)
            ids.add(record)
    return Written(rows[-1][0], frozenset(ids), frozenset(kinds))


@dataclass(frozen=True)
class TakenBack:
    """The changesets a removal keeps aside (`withdrawn_changes`), as (author, seq), and the records
    that those not in an earlier `held` wrote: they show what they were before those changesets."""

    held: frozenset[tuple[str, int]]
    ids: frozenset[str]
    kinds: frozenset[str]


def taken_back_after(db: Database, held: frozenset[tuple[str, int]]) -> TakenBack:
    """What a removal written by another connection took back since `held` was read. The removal's
    own changeset is only a membership entry: the records it put back are in what it took aside.
    Few rows (one laptop's writes since a moment), read whole, and read only after a membership entry."""
    ids: set[str] = set()
    kinds: set[str] = set()
    keys = set()
    for author, seq, body, signature in db.conn.execute(
            "SELECT author, seq, body, signature FROM withdrawn_changes").fetchall():
        keys.add((author, seq))
        if (author, seq) in held:
            continue
        for op in decode_changeset(bytes(body), bytes(signature)).ops:  # checked before it was stored
            kinds.add("device" if op.kind == MEMBERSHIP_KIND else op.kind)
            ids.add(op.record)
    return TakenBack(frozenset(keys), frozenset(ids), frozenset(kinds))


__all__ = ["READ_AT_ONCE", "TakenBack", "Written", "last_change", "taken_back_after", "written_after"]
