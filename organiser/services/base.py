"""Create, edit and delete for any kind of record, through one validated changeset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from organiser.core.errors import NotFoundError
from organiser.core.records import DELETED, KINDS, new_id, validate
from organiser.services.naming import resolve
from organiser.store import queries
from organiser.store.replica import LocalOp, Replica


class RecordService:
    """What every record service shares: reading one record, resolving an id people typed,
    building the ops of an add or an edit, delete and undo of a delete.

    `build_add` and `build_edit` validate and return ops without writing, for batch writes
    (imports, demo data) through `Replica.commit_batch`; they raise `ValidationError` naming
    the field, and `build_edit` raises `NotFoundError` for an id that is not a visible record.
    """

    kind: str = ""

    def __init__(self, replica: Replica) -> None:
        self.replica = replica
        self.db = replica.db

    def _exists(self, kind: str, record_id: str) -> bool:
        return queries.exists(self.db, kind, record_id)

    def _current(self, record_id: str, kind: str | None = None) -> dict[str, Any]:
        kind = kind or self.kind
        found = queries.get_record(self.db, record_id)
        if found is None or found.kind != kind or found.deleted:
            raise NotFoundError(f"there is no {KINDS[kind].label} with id '{record_id}'.")
        return found.values

    def resolve_id(self, text: str, kind: str | None = None) -> str:
        """The full id of the visible record `text` names: its full id, an unambiguous start of
        one (four characters at least, as people type them) or, for members, events and tasks,
        its name or title (services/naming.py). Raises `NotFoundError` with a sentence when none
        or several match."""
        return resolve(self.db, kind or self.kind, text)

    def _ops(self, kind: str, record_id: str, values: Mapping[str, Any]) -> list[LocalOp]:
        return [LocalOp(kind, record_id, name, value) for name, value in values.items()]

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

    def build_edit(self, record_id: str, values: Mapping[str, Any], kind: str | None = None) -> list[LocalOp]:
        """Validate an edit of a record's fields and return the ops of what it changes (none
        when nothing does), without writing. Raises `NotFoundError` when `record_id` is not a
        visible record of `kind` (default: the service's), `ValidationError` for a bad field."""
        kind = kind or self.kind
        current = self._current(record_id, kind)
        clean = validate(kind, values, current=current, exists=self._exists)
        fields = KINDS[kind].by_name
        # a sparse field never written reads as its default: setting it to that is no change
        changed = {k: v for k, v in clean.items() if current.get(k, fields[k].default) != v}
        return self._ops(kind, record_id, changed)

    def delete(self, record_id: str) -> None:
        """Delete a record (undone by `restore`). Raises `NotFoundError` for an unknown id."""
        self._current(record_id)
        self.replica.commit([LocalOp(self.kind, record_id, DELETED, True)])

    def restore(self, record_id: str) -> None:
        """Undo a delete. Raises `NotFoundError` when no record of this kind ever had the id."""
        found = queries.get_record(self.db, record_id)
        if found is None or found.kind != self.kind:
            raise NotFoundError(f"there is no {KINDS[self.kind].label} with id '{record_id}'.")
        self.replica.commit([LocalOp(self.kind, record_id, DELETED, False)])
