"""Turning verified changesets into the visible `records` table, in bulk."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from organiser.core.changeset import Changeset
from organiser.core.merge import Conflict, RecordState, merge_op
from organiser.core.records import DELETED, KINDS

CHUNK = 500
# Which fields feed the `link1`/`link2` lookup columns, per kind.
LINKS: dict[str, tuple[str | None, str | None]] = {
    "rsvp": ("event", "member"),
    "task": ("event", "assignee"),
    "member_role": ("member", None),
    "member_skill": ("member", None),
}
TRAIT_KINDS = {"member_role": "role", "member_skill": "skill"}


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def search_text(kind: str, values: dict[str, Any], traits: Iterable[str] = ()) -> str:
    spec = KINDS.get(kind)
    if spec is None or not spec.searchable or values.get(DELETED):
        return ""
    parts: list[str] = []
    for name in spec.searchable:
        value = values.get(name)
        if isinstance(value, list):
            parts.extend(str(v) for v in value)
        elif value:
            parts.append(str(value))
    parts.extend(traits)
    return " ".join(parts)


@dataclass
class MergeOutcome:
    changed: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    conflicts: list[Conflict] = field(default_factory=list)
    device_roster_changed: bool = False


def load_states(db: Database, ids: Iterable[str]) -> dict[str, RecordState]:
    states: dict[str, RecordState] = {}
    id_list = list(ids)
    for start in range(0, len(id_list), CHUNK):
        chunk = id_list[start:start + CHUNK]
        marks = ",".join("?" * len(chunk))
        for rid, kind, data, versions in db.execute(
            f"SELECT id, kind, data, versions FROM records WHERE id IN ({marks})", chunk
        ):
            states[rid] = RecordState(kind, rid, json.loads(data), json.loads(versions))
    return states


def merge_changesets(db: Database, batch: list[Changeset]) -> MergeOutcome:
    """Merge the ops of verified changesets into `records` (inside the caller's transaction)."""
    outcome = MergeOutcome()
    states = load_states(db, {op.record for cs in batch for op in cs.ops})
    superseded: list[tuple[str, str, int, str]] = []
    resolved: list[tuple[str, str, int, str]] = []
    touched: set[str] = set()
    for cs in batch:
        for op in cs.ops:
            if op.kind not in KINDS:
                continue  # a kind from a newer version: the changeset is kept and relayed
            state = states.get(op.record)
            if state is None:
                state = states[op.record] = RecordState(op.kind, op.record, {}, {}, is_new=True)
            elif state.kind != op.kind:
                continue  # an id cannot change kind; such an op is ignored everywhere alike
            changed, conflict = merge_op(state, op, cs.hlc, cs.author)
            touched.add(op.record)
            if changed:
                outcome.changed.add(op.record)
                outcome.kinds.add(op.kind)
            if conflict is not None:
                outcome.conflicts.append(conflict)
            if op.base is not None:
                superseded.append((op.record, op.field, op.base[0], op.base[1]))
            resolved.extend((op.record, op.field, h, d) for h, d in op.resolves)
    _write_records(db, [states[r] for r in touched], outcome)
    if outcome.conflicts:
        db.conn.executemany(
            "INSERT OR IGNORE INTO conflicts (kind, record, field, value, hlc, device, "
            "winner_hlc, winner_device) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(c.kind, c.record, c.field, dumps(c.value), c.hlc, c.device, c.winner_hlc,
              c.winner_device) for c in outcome.conflicts],
        )
    # A conflict loser that a later write overwrote knowingly, or that someone settled,
    # is no longer a conflict.
    if superseded or resolved:
        db.conn.executemany(
            "DELETE FROM conflicts WHERE record = ? AND field = ? AND hlc = ? AND device = ?",
            superseded + resolved,
        )
    outcome.device_roster_changed = "device" in outcome.kinds
    return outcome


def _write_records(db: Database, states: list[RecordState], outcome: MergeOutcome) -> None:
    trait_members = {
        s.values.get("member") for s in states if s.kind in TRAIT_KINDS and s.id in outcome.changed
    }
    trait_members.discard(None)
    traits = _traits_of(db, trait_members, states) if trait_members else {}
    rows = []
    for s in states:
        link1, link2 = (s.values.get(f) if f else None for f in LINKS.get(s.kind, (None, None)))
        search = search_text(s.kind, s.values, traits.get(s.id, ()))
        rows.append((s.id, s.kind, dumps(s.values), dumps(s.versions),
                     1 if s.values.get(DELETED) else 0, search, link1, link2))
    db.conn.executemany(
        "INSERT INTO records (id, kind, data, versions, deleted, search, link1, link2) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, "
        "versions = excluded.versions, deleted = excluded.deleted, search = excluded.search, "
        "link1 = excluded.link1, link2 = excluded.link2",
        rows,
    )
    # Members whose roles or skills changed but who were not in this batch: reindex.
    in_batch = {s.id for s in states}
    others = [m for m in trait_members if m not in in_batch]
    if others:
        reindex_members(db, others)


def _traits_of(db: Database, members: set[str], states: list[RecordState]) -> dict[str, list[str]]:
    """Current roles and skills of members, counting this batch's not-yet-written changes."""
    out: dict[str, list[str]] = {}
    batch_traits = {s.id: s for s in states if s.kind in TRAIT_KINDS}
    member_list = list(members)
    for start in range(0, len(member_list), CHUNK):
        chunk = member_list[start:start + CHUNK]
        marks = ",".join("?" * len(chunk))
        for rid, kind, data in db.execute(
            f"SELECT id, kind, data FROM records WHERE link1 IN ({marks}) "
            "AND kind IN ('member_role', 'member_skill')", chunk
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
    states = load_states(db, member_set)
    traits = _traits_of(db, member_set, [])
    db.conn.executemany(
        "UPDATE records SET search = ? WHERE id = ?",
        [(search_text("member", s.values, traits.get(s.id, ())), s.id)
         for s in states.values() if s.kind == "member"],
    )
