"""Turning verified changesets into the visible `records` table, in bulk."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import orjson
from sqlite_utils import Database

from organiser.core.changeset import Changeset, Op
from organiser.core.letters import base_letters
from organiser.core.merge import Conflict, FieldVersions, RecordState, merge_op
from organiser.core.phone_words import phones_searched
from organiser.core.records import DELETED, KINDS
from organiser.store import minutes as minutes_store
from organiser.store.database import in_chunks

# Which fields feed the `link1`/`link2` lookup columns, per kind.
LINKS: dict[str, tuple[str | None, str | None]] = {
    "rsvp": ("event", "member"),
    "task": ("event", "assignee"),
    "member_role": ("member", None),
    "member_skill": ("member", None),
    "agenda_item": ("event", "presenter"),
    "meeting": ("event", None),
    "proposal": ("event", "agenda_item"),
    "vote": ("proposal", "member"),
    "hand_count": ("proposal", None),
}
MINUTES = "minutes"  # ops merged by the CRDT (store/minutes.py), not last-writer-wins
TRAIT_KINDS = {"member_role": "role", "member_skill": "skill"}


_RECORD = itemgetter(1)  # an Op's record id

_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _encode(value: Any) -> str:
    """Stored form of values and versions (compact JSON)."""
    return orjson.dumps(value).decode()


def dumps(value: Any) -> str:
    """Canonical JSON (sorted keys): for hashing and for values people compare."""
    return _CANONICAL_JSON.encode(value)


_SEARCHABLE = {name: spec.searchable for name, spec in KINDS.items()}


def search_text(kind: str, values: dict[str, Any], traits: Iterable[str] = ()) -> str:
    fields = _SEARCHABLE.get(kind)
    if not fields or values.get(DELETED):
        return ""
    parts = [value if type(value) is str else _words(value) for value in map(values.get, fields) if value]
    if traits:
        parts.extend(traits)
    return base_letters(" ".join(parts)) + phones_searched(kind, values)



def _words(value: Any) -> str:
    """A searchable value that is not text: a list's items, or the value itself, as words."""
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


@dataclass
class MergeOutcome:
    changed: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    conflicts: list[Conflict] = field(default_factory=list)
    device_roster_changed: bool = False
    minutes: set[str] = field(default_factory=set)  # events whose minutes text changed

    def take_in(self, part: MergeOutcome) -> None:
        """Add what another step of the same apply changed."""
        self.changed |= part.changed
        self.kinds |= part.kinds
        self.conflicts.extend(part.conflicts)
        self.device_roster_changed |= part.device_roster_changed
        self.minutes |= part.minutes


def pack_versions(versions: dict[str, list[Any]]) -> list[list[Any]]:
    """Stored form of per-field versions: fields written by the same write share one entry,
    [hlc, device, base_hlc, base_device, field, field, ...], which keeps rows small. When
    one write wrote every field (the usual record), its entry names none: the fields are
    the keys of the record's data, which every field written has (unpack_versions)."""
    written = [*versions.values()]
    if written and written.count(written[0]) == len(written):  # the usual record: all fields from one write
        return [written[0][:4]]
    by_object: dict[int, list[Any]] = {}  # fields written by one op group share one list
    for name, version in versions.items():
        entry = by_object.get(id(version))
        if entry is None:
            entry = by_object[id(version)] = [*version]
        entry.append(name)
    if len(by_object) == 1:
        return list(by_object.values())
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for entry in by_object.values():
        key = tuple(entry[:4])
        if key in groups:
            groups[key].extend(entry[4:])
        else:
            groups[key] = entry
    return list(groups.values())


def unpack_versions(packed: list[list[Any]], values: dict[str, Any]) -> dict[str, list[Any]]:
    """Per-field versions from their stored form; `values`: the record's data, whose fields
    an entry naming none covers (rows stored before it named them all: read alike)."""
    if len(packed) == 1 and len(packed[0]) == 4:
        entry = packed[0]
        return {name: entry for name in values}  # shared, as a merge shares one write's version
    return {name: entry[:4] for entry in packed for name in entry[4:]}


# id -> (rowid, search text as indexed) for records already stored
Stored = dict[str, tuple[int, str]]


def load_states(db: Database, ids: Iterable[str], stored: Stored | None = None) -> dict[str, RecordState]:
    states: dict[str, RecordState] = {}
    loads = orjson.loads
    for chunk, marks in in_chunks(ids):
        for rowid, rid, kind, data, versions, search in db.conn.execute(
            f"SELECT rowid, id, kind, data, versions, search FROM records WHERE id IN ({marks})", chunk
        ):
            values = loads(data)
            states[rid] = RecordState(kind, rid, values, unpack_versions(loads(versions), values))
            if stored is not None:
                stored[rid] = (rowid, search)
    return states


Settled = list[tuple[str, str, int, str]]  # (record, field, hlc, device) of versions no longer in conflict


@dataclass
class _Merge:
    """A merge in progress: the records' states as the ops leave them, and what to store after."""

    states: dict[str, RecordState]
    outcome: MergeOutcome = field(default_factory=MergeOutcome)
    written: set[str] = field(default_factory=set)  # anything to store (a value, or just a newer version)
    superseded: Settled = field(default_factory=list)  # versions a write overwrote knowingly
    resolved: Settled = field(default_factory=list)  # conflict losers a write settled
    minutes: list[tuple[str, Any]] = field(default_factory=list)  # (event, update), merged by the CRDT after

    def changeset(self, cs: Changeset) -> None:
        """The hot loop of a first sync. A changeset lists each record's ops together: the
        record is looked up once per record, then each op is merged; a field's first write
        (the usual case) is stored here, one written before is merged by the rules."""
        hlc, author = cs.hlc, cs.author
        first_write = [hlc, author, None, None]  # shared by this changeset's first writes
        last_record = last_kind = None
        state, values, versions, is_new = None, {}, {}, False
        for op in cs.ops:
            kind, record, field_name, value, base, resolves = op  # unpacked: far cheaper per op
            if record != last_record or kind != last_kind:
                state, values, versions, is_new = self._record(kind, record)
                last_record, last_kind = record, kind
            if state is None:
                self._not_merged(op)
                continue
            if field_name in versions:
                self._merge_again(state, op, hlc, author)
            else:
                values[field_name] = value
                versions[field_name] = [hlc, author, base[0], base[1]] if base else first_write
                if not is_new:
                    self._note_changed(record, kind)
            if base is not None or resolves:
                self._note_settled(record, field_name, base, resolves)

    def _record(self, kind: str, record: str) -> tuple[RecordState | None, dict[str, Any], FieldVersions, bool]:
        """The record ops write, made when new, with its values, versions and whether it is new.
        No record when the ops are not merged here: minutes (the CRDT merges them), a kind from
        a newer version (the changeset is kept and relayed), or an id that names a record of
        another kind (an id cannot change kind; such ops are ignored everywhere alike)."""
        state = self.states.get(record)
        if state is None and kind in KINDS and kind != MINUTES:
            state = self.states[record] = RecordState(kind, record, {}, {}, is_new=True)
            self._note_changed(record, kind)
        if state is None or state.kind != kind:
            return None, {}, {}, False
        return state, state.values, state.versions, state.is_new

    def _not_merged(self, op: Op) -> None:
        if op.kind == MINUTES and op.field == "update":  # minutes text: merged by the CRDT, after
            self.minutes.append((op.record, op.value))

    def _note_settled(self, record: str, field_name: str, base: tuple[int, str] | None,
                      resolves: tuple[tuple[int, str], ...]) -> None:
        """The version a write overwrote knowingly, and the conflict losers it settled."""
        if base is not None:
            self.superseded.append((record, field_name, base[0], base[1]))
        self.resolved.extend((record, field_name, h, d) for h, d in resolves)

    def _note_changed(self, record: str, kind: str) -> None:
        self.outcome.changed.add(record)
        self.written.add(record)
        self.outcome.kinds.add(kind)

    def _merge_again(self, state: RecordState, op: Op, hlc: int, author: str) -> None:
        """A write of a field written before: the later version wins, a concurrent loser is kept."""
        before = state.versions[op.field]
        did_change, conflict = merge_op(state, op, hlc, author)
        if state.versions[op.field] is not before:
            self.written.add(state.id)
        if did_change:
            self.outcome.changed.add(state.id)
            self.outcome.kinds.add(state.kind)
        if conflict is not None:
            self.outcome.conflicts.append(conflict)


def merge_changesets(db: Database, batch: list[Changeset],
                     preloaded: tuple[dict[str, RecordState], Stored] | None = None) -> MergeOutcome:
    """Merge the ops of verified changesets into `records` (inside the caller's transaction).
    `preloaded`: the stored states of the records involved, when the caller has read them."""
    if preloaded is None:
        stored: Stored = {}
        ids: set[str] = set()
        for cs in batch:  # in C, op by op: a first sync names hundreds of thousands
            ids.update(map(_RECORD, cs.ops))
        states = load_states(db, ids, stored)
    else:
        states, stored = preloaded
    merge = _Merge(states)
    for cs in batch:
        merge.changeset(cs)
    _store_merge(db, merge, stored)
    return merge.outcome


def _store_merge(db: Database, merge: _Merge, stored: Stored) -> None:
    """Write what the merge found: the records, the minutes, settled versions and conflicts."""
    outcome = merge.outcome
    _write_records(db, [merge.states[r] for r in merge.written], stored, outcome)
    if merge.minutes:
        _merge_minutes(db, merge.minutes, outcome)
    settled = merge.superseded + merge.resolved
    if settled:
        _remember_settled(db, settled)
    if outcome.conflicts:
        _record_conflicts(db, outcome.conflicts)
    if settled:
        _forget_settled_conflicts(db, settled)
    outcome.device_roster_changed = "device" in outcome.kinds


def _merge_minutes(db: Database, updates: list[tuple[str, Any]], outcome: MergeOutcome) -> None:
    """Minutes ops go to the CRDT, after the fields: the events whose text changed are changed records."""
    outcome.minutes = minutes_store.merge(db, updates)
    outcome.changed.update(outcome.minutes)
    if outcome.minutes:
        outcome.kinds.add(MINUTES)


def _remember_settled(db: Database, settled: Settled) -> None:
    """A version a later write overwrote knowingly, or that someone settled, is no conflict,
    even when the write that settles it arrives first: remembered in `settled`."""
    db.conn.executemany("INSERT OR IGNORE INTO settled (record, field, hlc, device) VALUES (?, ?, ?, ?)", settled)


def _record_conflicts(db: Database, conflicts: list[Conflict]) -> None:
    """Keep each losing value, unless its version is already known to be settled. Of several
    losing values under one version (a device in bad faith signed them under one clock stamp:
    core/merge.py `_tie`), the greatest is kept, as on a laptop that heard them in another order."""
    db.conn.executemany(
        "INSERT INTO conflicts (kind, record, field, value, hlc, device, "
        "winner_hlc, winner_device) SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS ("
        "SELECT 1 FROM settled WHERE record = ? AND field = ? AND hlc = ? AND device = ?) "
        "ON CONFLICT (record, field, hlc, device) DO UPDATE SET value = excluded.value "
        "WHERE excluded.value > conflicts.value",
        [(c.kind, c.record, c.field, dumps(c.value), c.hlc, c.device, c.winner_hlc,
          c.winner_device, c.record, c.field, c.hlc, c.device) for c in conflicts],
    )


def _forget_settled_conflicts(db: Database, settled: Settled) -> None:
    """Conflicts listed before the write that settles them arrived are listed no more."""
    if db.conn.execute("SELECT EXISTS (SELECT 1 FROM conflicts)").fetchone()[0]:
        db.conn.executemany(
            "DELETE FROM conflicts WHERE record = ? AND field = ? AND hlc = ? AND device = ?", settled)


def store_new_records(db: Database, cs: Changeset) -> MergeOutcome | None:
    """Write the records a local changeset creates when every op is the first write of a
    field of a record made up for it (a new member at the door): nothing stored to read,
    nothing to merge. None, with nothing written, when the changeset is anything else."""
    first_write = [cs.hlc, cs.author, None, None]  # shared: one packed version entry per record
    states: dict[str, RecordState] = {}
    for kind, record, field_name, value, base, resolves in cs.ops:
        state = states.get(record)
        if state is None:
            if kind not in KINDS or kind == MINUTES:
                return None
            state = states[record] = RecordState(kind, record, {}, {}, is_new=True)
        elif state.kind != kind:
            return None
        if base is not None or resolves or field_name in state.versions:
            return None
        state.values[field_name] = value
        state.versions[field_name] = first_write
    outcome = MergeOutcome(set(states), {state.kind for state in states.values()})
    _write_records(db, list(states.values()), {}, outcome)
    outcome.device_roster_changed = "device" in outcome.kinds
    return outcome


def _record_row(s: RecordState, traits: Iterable[str]) -> tuple[Any, ...]:
    """A record's row in `records`: id, kind, data, versions, deleted, search, link1, link2."""
    values = s.values
    link_fields = LINKS.get(s.kind)
    if link_fields is None:
        link1 = link2 = None
    else:
        link1 = values.get(link_fields[0])
        link2 = values.get(link_fields[1]) if link_fields[1] else None
    return (s.id, s.kind, _encode(values), _encode(pack_versions(s.versions)),
            1 if values.get(DELETED) else 0, search_text(s.kind, values, traits), link1, link2)


def _write_records(db: Database, states: list[RecordState], stored: Stored, outcome: MergeOutcome) -> None:
    trait_members = {s.values.get("member") for s in states if s.kind in TRAIT_KINDS}
    trait_members.discard(None)
    traits = _traits_of(db, trait_members, states) if trait_members else {}
    rows = [_record_row(s, traits.get(s.id, ()) if traits else ()) for s in states]
    rows.sort(key=itemgetter(0))  # in id order, the id index takes new rows far faster than at random
    db.conn.executemany(
        "INSERT INTO records (id, kind, data, versions, deleted, search, link1, link2) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, "
        "versions = excluded.versions, deleted = excluded.deleted, search = excluded.search, "
        "link1 = excluded.link1, link2 = excluded.link2",
        rows,
    )
    if stored:  # records stored before: their text may have changed
        _update_search_index(db, {row[0]: row[5] for row in rows}, stored)
    if trait_members:
        _reindex_others(db, trait_members, states)


def _reindex_others(db: Database, trait_members: set[str], states: list[RecordState]) -> None:
    """Members whose roles or skills changed but who were not in this batch: indexed again."""
    in_batch = {s.id for s in states}
    others = [m for m in trait_members if m not in in_batch]
    if others:
        reindex_members(db, others)


# meta key: every record with a rowid up to this is in the full-text index (or noted in
# search_pending); records added since are indexed by rowid range, with no note per write.
INDEXED_UPTO = "search_indexed_upto"


def _update_search_index(db: Database, searches: dict[str, str], stored: Stored) -> None:
    """Note stored records whose searchable text changed, for `flush_search_index` (new
    records need no note: they sit above the indexed rowid)."""
    edited = [(rid, stored[rid][1]) for rid, text in searches.items()
              if rid in stored and stored[rid][1] != text]
    if edited:
        db.conn.executemany("INSERT OR IGNORE INTO search_pending (id, indexed) VALUES (?, ?)", edited)


def indexed_upto(db: Database) -> int:
    """The rowid up to which every record is in the full-text index (see INDEXED_UPTO)."""
    row = db.conn.execute("SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?", [INDEXED_UPTO]).fetchone()
    return (row[0] if row else None) or 0


def rewrite_search_texts(db: Database, rows: Iterable[tuple[int, str, str, str]]) -> None:
    """A migration's new searchable texts, (rowid, id, old text, new text) per record: each that
    changed is stored, and noted for the index to catch up where the index holds the old text,
    as an edit is."""
    upto = indexed_upto(db)
    changed = [(rowid, rid, old, new) for rowid, rid, old, new in rows if new != old]
    db.conn.executemany("INSERT OR IGNORE INTO search_pending (id, indexed) VALUES (?, ?)",
                        [(rid, old) for rowid, rid, old, _new in changed if rowid <= upto])
    db.conn.executemany("UPDATE records SET search = ? WHERE rowid = ?", [(new, rowid) for rowid, _, _, new in changed])


def flush_search_index(db: Database) -> int:
    """Bring the full-text index up to date with records.search, in bulk; return how many
    records were (re)indexed. Safe to call from any process at any time."""
    conn = db.conn
    if _index_is_current(conn):
        return 0
    with transaction_unless_in_one(conn):
        upto = indexed_upto(db)  # read again: another process may have flushed meanwhile
        count = _reindex_edited(conn, upto) + _index_added(conn, upto)
        conn.execute("DELETE FROM search_pending")
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, (SELECT coalesce(max(rowid), 0) FROM records)) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [INDEXED_UPTO])
    return count


def _index_is_current(conn: Any) -> bool:
    """No record added above the indexed rowid, none noted as edited."""
    upto, top, noted = conn.execute(
        "SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?), "
        "(SELECT coalesce(max(rowid), 0) FROM records), EXISTS (SELECT 1 FROM search_pending)",
        [INDEXED_UPTO],
    ).fetchone()
    return top <= (upto or 0) and not noted


@contextmanager
def transaction_unless_in_one(conn: Any) -> Iterator[None]:
    """The caller's transaction when there is one, else one of its own, taken at once."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _reindex_edited(conn: Any, upto: int) -> int:
    """Records the index holds whose text changed: out with the old text, in with the new."""
    rows = conn.execute(
        # CROSS JOIN: from the few noted ids to their records, never the other way round
        "SELECT p.indexed, r.rowid, r.search FROM search_pending p CROSS JOIN records r ON r.id = p.id "
        "WHERE r.rowid <= ?", [upto]
    ).fetchall()
    conn.executemany("INSERT INTO records_fts (records_fts, rowid, search) VALUES ('delete', ?, ?)",
                     [(rowid, old) for old, rowid, _new in rows if old])
    # FTS5 takes rows in rowid order far faster (out of order, it flushes per row): the
    # noted records (all at or below the watermark) first, then those added since.
    fresh = sorted((rowid, new) for _old, rowid, new in rows if new)
    conn.executemany("INSERT INTO records_fts (rowid, search) VALUES (?, ?)", fresh)
    return len(fresh)


def _index_added(conn: Any, upto: int) -> int:
    """Records added since, with their text as it is now, without a trip through Python."""
    return conn.execute("INSERT INTO records_fts (rowid, search) SELECT rowid, search FROM records "
                        "WHERE rowid > ? AND search != '' ORDER BY rowid", [upto]).rowcount


def _traits_of(db: Database, members: set[str], states: list[RecordState]) -> dict[str, list[str]]:
    """Current roles and skills of members, counting this batch's not-yet-written changes."""
    out: dict[str, list[str]] = {}
    batch_traits = {s.id: s for s in states if s.kind in TRAIT_KINDS}
    for chunk, marks in in_chunks(members):
        for rid, kind, data in db.execute(
            # "+kind": look up by link1 (a member's few roles), not scan every role by kind
            f"SELECT id, kind, data FROM records WHERE link1 IN ({marks}) "
            "AND +kind IN ('member_role', 'member_skill')", chunk
        ):
            if rid not in batch_traits:
                values = json.loads(data)
                if not values.get(DELETED):
                    out.setdefault(values["member"], []).append(values[TRAIT_KINDS[kind]])
    for s in batch_traits.values():
        if not s.values.get(DELETED) and s.values.get("member") in members:
            out.setdefault(s.values["member"], []).append(s.values.get(TRAIT_KINDS[s.kind], ""))
    return out


def reindex_members(db: Database, members: Iterable[str]) -> None:
    member_set = set(members)
    stored: Stored = {}
    states = load_states(db, member_set, stored)
    traits = _traits_of(db, member_set, [])
    searches = {s.id: search_text("member", s.values, traits.get(s.id, ()))
                for s in states.values() if s.kind == "member"}
    db.conn.executemany("UPDATE records SET search = ? WHERE id = ?",
                        [(text, rid) for rid, text in searches.items()])
    _update_search_index(db, searches, stored)


def state_hash(db: Database) -> str:
    """A hash of the visible data: equal on two devices exactly when they show the same."""
    digest = hashlib.sha256()
    for rid, kind, data in db.execute("SELECT id, kind, data FROM records WHERE deleted = 0 ORDER BY id"):
        values = {k: v for k, v in json.loads(data).items() if v is not None and k != DELETED}
        digest.update(f"{rid}\x1f{kind}\x1f{dumps(values)}\n".encode())
    for event, text in minutes_store.texts(db):  # minutes are merged apart, by the CRDT
        digest.update(f"{event}\x1fminutes\x1f{dumps(text)}\n".encode())
    return digest.hexdigest()
