"""What a local write overwrites: the records it touches as stored, each op's base, and the
concurrent losers it settles by agreeing with them (store/replica.py signs and stores it)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from sqlite_utils import Database

from organiser.core.changeset import Op
from organiser.core.merge import RecordState
from organiser.store.database import in_chunks
from organiser.store.materialise import Stored, load_states

# (record, field) -> versions (hlc, device) of concurrent losers a write settles
Agreeing = dict[tuple[str, str], tuple[tuple[int, str], ...]]


class LocalOp(NamedTuple):
    """A field write asked for by a person; the replica fills in what it overwrote.

    A NamedTuple: a member added at the door is a dozen of these."""

    kind: str
    record: str
    field: str
    value: Any
    resolves: tuple[tuple[int, str], ...] = ()


class Touched(NamedTuple):
    """The records a local commit writes, as stored before it: read once, since the versions
    give each op its base and the merge starts from the states."""

    states: dict[str, RecordState]
    stored: Stored
    agreeing: Agreeing
    all_fresh: bool  # every record was made up for this commit: nothing stored to read


def read_touched(db: Database, op_groups: Sequence[Sequence[LocalOp]], fresh: Collection[str],
                 any_conflicts: bool) -> Touched:
    """Records just made up (a new member at the door, in `fresh`) have nothing stored to
    read, no versions to overwrite and no conflicts to settle."""
    touched = {op.record for ops in op_groups for op in ops}
    to_load = touched.difference(fresh) if fresh else touched
    if not to_load:
        return Touched({}, {}, {}, True)
    stored: Stored = {}
    states = load_states(db, to_load, stored)
    agreeing = agreeing_losers(db, {(op.record, op.field) for ops in op_groups for op in ops}) if any_conflicts else {}
    return Touched(states, stored, agreeing, False)


def agreeing_losers(db: Database, fields: set[tuple[str, str]]) -> Agreeing:
    """Concurrent losers that agree with the value a local write overwrites. They are
    not listed, but this device has seen them, so the write settles them too; otherwise
    they would show as lost once the value changes."""
    records = sorted({record for record, _field in fields})
    out: Agreeing = {}
    for chunk, marks in in_chunks(records):
        for record, field_, value, hlc, device, data in db.execute(
            "SELECT c.record, c.field, c.value, c.hlc, c.device, r.data FROM conflicts c "
            f"JOIN records r ON r.id = c.record WHERE c.record IN ({marks})", chunk
        ):
            key = (record, field_)
            if key in fields and json.loads(value) == json.loads(data).get(field_):
                out[key] = (*out.get(key, ()), (hlc, device))
    return out


def with_bases(ops: Sequence[LocalOp], versions: dict[str, dict[str, Any]], agreeing: Agreeing) -> list[Op]:
    """The ops as signed: each with the version it overwrites, and settling the concurrent
    losers that agree with the value it overwrites (taken out of `agreeing`: settled once)."""
    full_ops = []
    for kind, record, field_name, value, resolves in ops:
        fields = versions.get(record)
        current = fields.get(field_name) if fields else None
        base = (current[0], current[1]) if current else None
        if agreeing:
            resolves = resolves + agreeing.pop((record, field_name), ())
        full_ops.append(Op(kind, record, field_name, value, base, resolves))
    return full_ops
