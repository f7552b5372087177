"""Names of members and events by id, for showing links (assignee, linked event)."""

from __future__ import annotations

from organiser.core.bus import RecordsChanged
from organiser.services.group import Group
from organiser.store import queries


class NameLookup:
    """Looks names up on demand and remembers them; forgets ids that changed."""

    def __init__(self, group: Group, field: str) -> None:
        self.group = group
        self.field = field
        self._names: dict[str, str] = {}

    def get(self, record_id: str | None) -> str:
        if not record_id:
            return ""
        name = self._names.get(record_id)
        if name is None:
            found = queries.rows_by_ids(self.group.db, [record_id]).get(record_id)
            name = "(deleted)" if found is None or found.deleted else (found.values.get(self.field) or "")
            self._names[record_id] = name
        return name

    def on_records_changed(self, event: RecordsChanged) -> set[str]:
        """Forget changed names; return the ids whose names were on show (only rows showing
        those need repainting: a name never looked up was never displayed)."""
        names = self._names
        return {rid for rid in event.ids if names.pop(rid, None) is not None}
