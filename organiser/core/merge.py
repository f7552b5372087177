"""Per-field last-writer-wins merge, with conflicts kept.

A record's state is its values plus, per field, the version that wrote the value and the
version that write overwrote (its base). Merging is commutative, associative and
idempotent: the highest (HLC, device) wins whatever order ops arrive in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from organiser.core.changeset import Op

# versions[field] = [hlc, device, base_hlc, base_device]
FieldVersions = dict[str, list[Any]]


@dataclass(frozen=True)
class Conflict:
    """A value that lost to a concurrent write; kept so a person can restore it."""

    kind: str
    record: str
    field: str
    value: Any
    hlc: int
    device: str
    winner_hlc: int
    winner_device: str


@dataclass
class RecordState:
    kind: str
    id: str
    values: dict[str, Any]
    versions: FieldVersions
    is_new: bool = False


def merge_op(state: RecordState, op: Op, hlc: int, device: str) -> tuple[bool, Conflict | None]:
    """Merge one op written at (hlc, device) into state.

    Returns (changed, conflict): whether the visible value changed, and the losing write
    when the two were concurrent (neither had seen the other). A loser is kept even when
    it agrees with the winner: if a device that never saw it later changes the value, the
    loser has to show then, on every device alike. Agreeing losers are not listed.
    """
    current = state.versions.get(op.field)
    if current is None:
        state.values[op.field] = op.value
        state.versions[op.field] = [hlc, device, *(op.base or (None, None))]
        return True, None
    cur_hlc, cur_dev, cur_base_hlc, cur_base_dev = current
    incoming = (hlc, device)
    existing = (cur_hlc, cur_dev)
    if incoming == existing:
        return _tie(state, op, current)
    base = op.base
    saw_existing = base is not None and (base[0], base[1]) == existing
    existing_saw_incoming = (cur_base_hlc, cur_base_dev) == incoming
    concurrent = not saw_existing and not existing_saw_incoming
    old_value = state.values.get(op.field)
    if incoming > existing:
        state.values[op.field] = op.value
        state.versions[op.field] = [hlc, device, *(base or (None, None))]
        conflict = None
        if concurrent:
            conflict = Conflict(state.kind, state.id, op.field, old_value, cur_hlc, cur_dev, hlc, device)
        return old_value != op.value, conflict
    if concurrent:
        return False, Conflict(state.kind, state.id, op.field, op.value, hlc, device, cur_hlc, cur_dev)
    return False, None


def _tie(state: RecordState, op: Op, current: list[Any]) -> tuple[bool, Conflict | None]:
    """A second write under the version that wrote the field: the same write again, or a device
    in bad faith that signed two values under one clock stamp (an honest device stamps each
    changeset later than the one before). Keeping whichever came first showed each laptop the
    value it heard first, for good; the greater write by its bytes wins instead, on every laptop
    and in any order. No conflict is kept: both writes are one device's, under one version."""
    old_value = state.values.get(op.field)
    base = list(op.base) if op.base else [None, None]
    if (canonical(op.value), canonical(base)) <= (canonical(old_value), canonical(current[2:])):
        return False, None
    state.values[op.field] = op.value
    state.versions[op.field] = [current[0], current[1], *base]
    return old_value != op.value, None


# Canonical JSON (sorted keys, UTF-8 text): Python compares it as SQLite compares the stored
# text, so the value a tie keeps and the loser the conflicts table keeps are judged alike.
canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
