"""Turning verified changesets into the visible `records` table, in bulk."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import orjson
from sqlite_utils import Database

from organiser.core.changeset import Changeset
from organiser.core.merge import Conflict, RecordState, merge_op
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
    return " ".join(parts)


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


def pack_versions(versions: dict[str, list[Any]]) -> list[list[Any]]:
    """Stored form of per-field versions: fields written by the same write share one entry,
    [hlc, device, base_hlc, base_device, field, field, ...], which keeps rows small."""
    written = [*versions.values()]
    if written and written.count(written[0]) == len(written):  # the usual record: all fields from one write
        return [[*written[0], *versions]]
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


def unpack_versions(packed: list[list[Any]]) -> dict[str, list[Any]]:
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
            states[rid] = RecordState(kind, rid, loads(data), unpack_versions(loads(versions)))
            if stored is not None:
                stored[rid] = (rowid, search)
    return states


def merge_changesets(db: Database, batch: list[Changeset],
                     preloaded: tuple[dict[str, RecordState], Stored] | None = None) -> MergeOutcome:
    """Merge the ops of verified changesets into `records` (inside the caller's transaction).
    `preloaded`: the stored states of the records involved, when the caller has read them."""
    outcome = MergeOutcome()
    if preloaded is None:
        stored: Stored = {}
        states = load_states(db, {op.record for cs in batch for op in cs.ops}, stored)
    else:
        states, stored = preloaded
    superseded: list[tuple[str, str, int, str]] = []
    resolved: list[tuple[str, str, int, str]] = []
    changed = outcome.changed  # visible values changed
    written: set[str] = set()  # anything to store (a value, or just a newer version)
    kinds = outcome.kinds
    new_state = RecordState
    state: RecordState | None = None
    values: dict[str, Any] = {}
    versions: dict[str, list[Any]] = {}
    state_kind = ""
    is_new = False
    crdt: list[tuple[str, Any]] = []  # (event, update) of minutes ops, merged after the loop
    for cs in batch:
        hlc, author = cs.hlc, cs.author
        first_write = [hlc, author, None, None]  # shared by this changeset's first writes
        last_record = None
        for op in cs.ops:
            kind, record, field_name, value, base, resolves = op  # unpacked: far cheaper per op
            if record != last_record:
                if kind == MINUTES:
                    if field_name == "update":
                        crdt.append((record, value))
                    last_record = None
                    continue
                state = states.get(record)
                if state is None:
                    if kind not in KINDS:
                        last_record = None
                        continue  # a kind from a newer version: the changeset is kept and relayed
                    state = states[record] = new_state(kind, record, {}, {}, is_new=True)
                    changed.add(record)
                    written.add(record)
                    kinds.add(kind)
                last_record = record
                values, versions, state_kind, is_new = state.values, state.versions, state.kind, state.is_new
            if state_kind != kind:
                if kind == MINUTES and field_name == "update":  # an event's minutes after an edit of it
                    crdt.append((record, value))
                continue  # an id cannot change kind; such an op is ignored everywhere alike
            if field_name not in versions:  # first write of this field: the common case
                values[field_name] = value
                versions[field_name] = [hlc, author, base[0], base[1]] if base else first_write
                if not is_new:
                    changed.add(record)
                    written.add(record)
                    kinds.add(kind)
            else:
                assert state is not None
                before = versions[field_name]
                did_change, conflict = merge_op(state, op, hlc, author)
                if versions[field_name] is not before:
                    written.add(record)
                if did_change:
                    changed.add(record)
                    kinds.add(kind)
                if conflict is not None:
                    outcome.conflicts.append(conflict)
            if base is not None:
                superseded.append((record, field_name, base[0], base[1]))
            if resolves:
                resolved.extend((record, field_name, h, d) for h, d in resolves)
    _write_records(db, [states[r] for r in written], stored, outcome)
    if crdt:
        _merge_minutes(db, crdt, outcome)
    settled = superseded + resolved
    if settled:
        _remember_settled(db, settled)
    if outcome.conflicts:
        _record_conflicts(db, outcome.conflicts)
    if settled:
        _forget_settled_conflicts(db, settled)
    outcome.device_roster_changed = "device" in kinds
    return outcome


def _merge_minutes(db: Database, updates: list[tuple[str, Any]], outcome: MergeOutcome) -> None:
    """Minutes ops go to the CRDT, after the fields: the events whose text changed are changed records."""
    outcome.minutes = minutes_store.merge(db, updates)
    outcome.changed.update(outcome.minutes)
    if outcome.minutes:
        outcome.kinds.add(MINUTES)


def _remember_settled(db: Database, settled: list[tuple[str, str, int, str]]) -> None:
    """A version a later write overwrote knowingly, or that someone settled, is no conflict,
    even when the write that settles it arrives first: remembered in `settled`."""
    db.conn.executemany("INSERT OR IGNORE INTO settled (record, field, hlc, device) VALUES (?, ?, ?, ?)", settled)


def _record_conflicts(db: Database, conflicts: list[Conflict]) -> None:
    """Keep each losing value, unless its version is already known to be settled."""
    db.conn.executemany(
        "INSERT OR IGNORE INTO conflicts (kind, record, field, value, hlc, device, "
        "winner_hlc, winner_device) SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS ("
        "SELECT 1 FROM settled WHERE record = ? AND field = ? AND hlc = ? AND device = ?)",
        [(c.kind, c.record, c.field, dumps(c.value), c.hlc, c.device, c.winner_hlc,
          c.winner_device, c.record, c.field, c.hlc, c.device) for c in conflicts],
    )


def _forget_settled_conflicts(db: Database, settled: list[tuple[str, str, int, str]]) -> None:
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


def flush_search_index(db: Database) -> int:
    """Bring the full-text index up to date with records.search, in bulk; return how many
    records were (re)indexed. Safe to call from any process at any time."""
    conn = db.conn
    upto, top, noted = conn.execute(
        "SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?), "
        "(SELECT coalesce(max(rowid), 0) FROM records), EXISTS (SELECT 1 FROM search_pending)",
        [INDEXED_UPTO],
    ).fetchone()
    upto = upto or 0
    if top <= upto and not noted:
        return 0
    own_transaction = not conn.in_transaction
    if own_transaction:
        conn.execute("BEGIN IMMEDIATE")
    try:
        upto = conn.execute("SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?", [INDEXED_UPTO]).fetchone()
        upto = upto[0] if upto else 0
        # Records the index holds whose text changed: out with the old text, in with the new.
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
        # Records added since, with their text as it is now, without a trip through Python.
        added = conn.execute("INSERT INTO records_fts (rowid, search) SELECT rowid, search FROM records "
                             "WHERE rowid > ? AND search != '' ORDER BY rowid", [upto]).rowcount
        conn.execute("DELETE FROM search_pending")
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, (SELECT coalesce(max(rowid), 0) FROM records)) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [INDEXED_UPTO])
    except BaseException:
        if own_transaction:
            conn.execute("ROLLBACK")
        raise
    if own_transaction:
        conn.execute("COMMIT")
    return len(fresh) + added


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
