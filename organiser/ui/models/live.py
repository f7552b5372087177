"""Sorted rows kept in step with the store one record at a time, so a change from a peer
updates, inserts or removes exactly the rows it touches and selection and scroll stay put."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QModelIndex, Qt

RowT = TypeVar("RowT")
ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
FIRST_CUSTOM_ROLE = Qt.ItemDataRole.UserRole + 10


class LiveRows(Generic[RowT]):
    """Mixin for QAbstractItemModel subclasses holding a flat, sorted list of rows."""

    rows: list[RowT]
    _key_list: list[Hashable] | None
    _pos: dict[str, int] | None

    def _init_rows(self, row_id: Callable[[RowT], str], sort_key: Callable[[RowT], Any]) -> None:
        self.rows = []
        self._key_list = []
        self._pos = {}
        self._row_id = row_id
        self._sort_key = sort_key

    def _column_span(self) -> int:
        return 1

    @property
    def _keys(self) -> list[Hashable]:
        """Sort keys of the rows, computed when first needed (a search does not need them)."""
        if self._key_list is None:
            self._key_list = [self._sort_key(r) for r in self.rows]
        return self._key_list

    def replace_rows(self, rows: Iterable[RowT], *, presorted: bool = False) -> None:
        """Swap in a whole new result (a new search or filter); this is the one reset."""
        ordered = list(rows) if presorted else sorted(rows, key=self._sort_key)
        self.beginResetModel()  # type: ignore[attr-defined]
        self.rows = ordered
        self._key_list = None
        self._pos = None
        self.endResetModel()  # type: ignore[attr-defined]

    def sort_key(self) -> Callable[[RowT], Any]:
        return self._sort_key

    def set_sort_key(self, sort_key: Callable[[RowT], Any], reverse: bool = False) -> None:
        """Re-sort in place, keeping persistent indexes (selection) on their rows."""
        self.layoutAboutToBeChanged.emit()  # type: ignore[attr-defined]
        old_ids = [self._row_id(r) for r in self.rows]
        key = (lambda r: _Reversed(sort_key(r))) if reverse else sort_key
        self._sort_key = key
        self.rows.sort(key=key)
        self._key_list = None
        self._pos = None
        new_pos = self.positions()
        persistent = self.persistentIndexList()  # type: ignore[attr-defined]
        moved = [self.index(new_pos[old_ids[i.row()]], i.column()) for i in persistent]  # type: ignore
        self.changePersistentIndexList(persistent, moved)  # type: ignore[attr-defined]
        self.layoutChanged.emit()  # type: ignore[attr-defined]

    def positions(self) -> dict[str, int]:
        if self._pos is None:
            self._pos = {self._row_id(r): i for i, r in enumerate(self.rows)}
        return self._pos

    def row_of(self, row_id: str) -> int:
        return self.positions().get(row_id, -1)

    def apply_rows(self, changed: Mapping[str, RowT | None]) -> None:
        """Bring the given ids up to date: a row for ids that should show, None for ids that
        should not (deleted, or no longer matching the filter)."""
        if not changed:
            return
        parent = QModelIndex()
        keys = self._keys  # computed before any row goes, so the two lists stay in step
        removals = sorted((p for rid, row in changed.items() if (p := self.row_of(rid)) >= 0
                           and (row is None or self._sort_key(row) != keys[p])), reverse=True)
        for p in removals:  # one removal per row, from the bottom so positions stay valid
            self.beginRemoveRows(parent, p, p)  # type: ignore[attr-defined]
            del self.rows[p]
            del keys[p]
            self._pos = None
            self.endRemoveRows()  # type: ignore[attr-defined]
        in_place: list[int] = []
        inserts: list[RowT] = []
        for rid, row in changed.items():
            if row is None:
                continue
            p = self.row_of(rid)
            if p >= 0:
                self.rows[p] = row
                in_place.append(p)
            else:
                inserts.append(row)
        if in_place:
            last_col = self._column_span() - 1
            self.dataChanged.emit(self.index(min(in_place), 0),  # type: ignore[attr-defined]
                                  self.index(max(in_place), last_col))  # type: ignore[attr-defined]
        self._insert_sorted(inserts)

    def _insert_sorted(self, inserts: list[RowT]) -> None:
        if not inserts:
            return
        parent = QModelIndex()
        inserts.sort(key=self._sort_key)
        # Consecutive new rows that land between the same two old rows go in as one block.
        i = 0
        while i < len(inserts):
            key = self._sort_key(inserts[i])
            at = bisect.bisect_right(self._keys, key)
            j = i + 1
            limit = self._keys[at] if at < len(self._keys) else None
            while j < len(inserts) and (limit is None or self._sort_key(inserts[j]) <= limit):
                j += 1
            block = inserts[i:j]
            self.beginInsertRows(parent, at, at + len(block) - 1)  # type: ignore[attr-defined]
            self.rows[at:at] = block
            self._keys[at:at] = [self._sort_key(r) for r in block]
            self._pos = None
            self.endInsertRows()  # type: ignore[attr-defined]
            i = j


class _Reversed:
    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _Reversed) -> bool:
        return other.key < self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and other.key == self.key

    def __le__(self, other: _Reversed) -> bool:
        return other.key <= self.key


class SourceSortProxy:
    """Mixin for a QSortFilterProxyModel whose source sorts itself (one Python list sort)
    instead of the proxy comparing cells through Python one pair at a time."""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()  # type: ignore[attr-defined]
        if source is not None and hasattr(source, "sort"):
            source.sort(column, order)


def sync_rows(model: LiveRows[Any], rows: Iterable[Any], row_id: Callable[[Any], str]) -> None:
    """Make a small model show exactly `rows`, touching only what differs."""
    new = {row_id(r): r for r in rows}
    changed: dict[str, Any] = {rid: None for rid in model.positions() if rid not in new}
    for rid, row in new.items():
        p = model.row_of(rid)
        if p < 0 or model.rows[p] != row:
            changed[rid] = row
    model.apply_rows(changed)
