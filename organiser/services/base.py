"""Create, edit and delete for any kind of record, through one validated changeset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from organiser.core.errors import NotFoundError
from organiser.core.records import DELETED, KINDS, new_id, validate
from organiser.store import queries
from organiser.store.replica import LocalOp, Replica

_new_op = tuple.__new__
T = TypeVar("T")


def built(cls: type[T], **fields: Any) -> T:
    """An instance of a frozen dataclass from every one of its fields, without the
    field-by-field object.__setattr__ of its __init__ (five times the cost: the door adds
    members one by one, a directory lists tens of thousands)."""
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


class RecordService:
    kind: str = ""

    def __init__(self, replica: Replica) -> None:
        self.replica = replica
        self.db = replica.db

    def _exists(self, kind: str, record_id: str) -> bool:
        return queries.exists(self.db, kind, record_id)

    def _current(self, record_id: str, kind: str | None = None) -> dict[str, Any]:
        kind = kind or self.kind
        found = queries.get_record(self.db, record_id)
        if found is None or found[0] != kind or found[2]:
            raise NotFoundError(f"there is no {KINDS[kind].label} with id '{record_id}'.")
        return found[1]

    def resolve_id(self, text: str, kind: str | None = None) -> str:
        """Accept a full id or an unambiguous start of one (as people type them)."""
        kind = kind or self.kind
        text = text.strip()
        if self._exists(kind, text):
            return text
        if len(text) >= 4:
            rows = self.db.execute(
                "SELECT id FROM records WHERE kind = ? AND deleted = 0 AND id LIKE ? LIMIT 2",
                [kind, text.lower() + "%"],
            ).fetchall()
            if len(rows) == 1:
                return rows[0][0]
        raise NotFoundError(f"there is no {KINDS[kind].label} with id '{text}'.")

    def _ops(self, kind: str, record_id: str, values: Mapping[str, Any]) -> list[LocalOp]:
        # tuple.__new__: a LocalOp without NamedTuple's keyword handling (a dozen per new record)
        return [_new_op(LocalOp, (kind, record_id, name, value, ())) for name, value in values.items()]

    def _create_ops(self, values: Mapping[str, Any], kind: str | None = None,
                    record_id: str | None = None) -> tuple[str, list[LocalOp]]:
        kind = kind or self.kind
        clean = validate(kind, values, exists=self._exists)
        spec = KINDS[kind]
        full = {f.name: clean.get(f.name, f.default) for f in spec.fields
                if not f.sparse or clean.get(f.name, f.default) != f.default}
        record_id = record_id or new_id()
        return record_id, self._ops(kind, record_id, full)

    def build_add(self, values: Mapping[str, Any]) -> tuple[str, list[LocalOp]]:
        """Validate a new record and return (id, ops) without writing, for batch writes
        (imports, demo data) through `Replica.commit_batch`."""
        return self._create_ops(values)

    def _edit_ops(self, record_id: str, values: Mapping[str, Any], kind: str | None = None) -> list[LocalOp]:
        kind = kind or self.kind
        current = self._current(record_id, kind)
        clean = validate(kind, values, current=current, exists=self._exists)
        fields = KINDS[kind].by_name
        # a sparse field never written reads as its default: setting it to that is no change
        changed = {k: v for k, v in clean.items() if current.get(k, fields[k].default) != v}
        return self._ops(kind, record_id, changed)

    def delete(self, record_id: str) -> None:
        self._current(record_id)
        self.replica.commit([LocalOp(self.kind, record_id, DELETED, True)])

    def restore(self, record_id: str) -> None:
        """Undo a delete."""
        found = queries.get_record(self.db, record_id)
        if found is None or found[0] != self.kind:
            raise NotFoundError(f"there is no {KINDS[self.kind].label} with id '{record_id}'.")
        self.replica.commit([LocalOp(self.kind, record_id, DELETED, False)])
