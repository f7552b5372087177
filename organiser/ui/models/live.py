"""Sorted rows kept in step with the store one record at a time, so a change from a peer
updates, inserts or removes exactly the rows it touches and selection and scroll stay put."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Generic, Protocol, TypeVar, cast

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    SignalInstance,
)

from organiser.core.bus import RecordsChanged
from organiser.ui.overrides import guarded

RowT = TypeVar("RowT")
ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
FIRST_CUSTOM_ROLE = Qt.ItemDataRole.UserRole + 10
BULK, BULK_ROWS = 24, 2000  # more new rows than this into a model bigger than that: merge them in
IN_PLACE_SHARE = 16  # fewer new rows than 1/16 of the rows: merged in place, else in one pass


class ItemModelCalls(Protocol):
    """What LiveRows asks of the Qt model it keeps rows for (QAbstractItemModel's own calls)."""

    layoutAboutToBeChanged: SignalInstance
    layoutChanged: SignalInstance
    dataChanged: SignalInstance

    def beginResetModel(self) -> None: ...
    def endResetModel(self) -> None: ...
    def beginInsertRows(self, parent: QModelIndex, first: int, last: int) -> None: ...
    def endInsertRows(self) -> None: ...
    def beginRemoveRows(self, parent: QModelIndex, first: int, last: int) -> None: ...
    def endRemoveRows(self) -> None: ...
    def index(self, row: int, column: int, parent: QModelIndex = ...) -> QModelIndex: ...
    def persistentIndexList(self) -> list[QModelIndex]: ...
    def changePersistentIndexList(self, from_: list[QModelIndex], to: list[QModelIndex]) -> None: ...


class LiveRows(Generic[RowT]):
    """A flat, sorted list of rows for a Qt item model that has it among its bases (in any
    order: it overrides none of Qt's methods, and calls them through `_qt`)."""

    rows: list[RowT]
    columns: tuple[str, ...] = ()  # a table's column titles; a list model has one column
    _key_list: list[Hashable] | None
    _pos: dict[str, int] | None

    def _init_rows(self, row_id: Callable[[RowT], str], sort_key: Callable[[RowT], Any]) -> None:
        if not isinstance(self, QAbstractItemModel):
            raise TypeError(f"{type(self).__name__}: LiveRows keeps the rows of a Qt item model")
        self.rows = []
        self._key_list = []
        self._key_source: Callable[[], list[Hashable]] | None = None
        self._pos = {}
        self._by_id: dict[str, RowT] | None = {}
        self._row_id = row_id
        self._sort_key = sort_key

    @property
    def _qt(self) -> ItemModelCalls:
        """This model's Qt side (checked to be a QAbstractItemModel when the rows are set up)."""
        return cast(ItemModelCalls, self)

    @property
    def _keys(self) -> list[Hashable]:
        """Sort keys of the rows, computed when first needed (a search does not need them)."""
        if self._key_list is None:
            made = self._key_source() if self._key_source is not None else None
            self._key_list = made if made is not None and len(made) == len(self.rows) \
                else [self._sort_key(r) for r in self.rows]
            self._key_source = None
        return self._key_list

    def replace_rows(self, rows: Iterable[RowT], *, presorted: bool = False,
                     keys: Callable[[], list[Hashable]] | None = None) -> None:
        """Swap in a whole new result (a new search or filter); this is the one reset.
        `keys`: gives the rows' sort keys when they are first needed, if the caller can do
        that more cheaply than making 50,000 keys again."""
        ordered = list(rows) if presorted else sorted(rows, key=self._sort_key)
        self._qt.beginResetModel()
        self.rows = ordered
        self._key_list = None
        self._key_source = keys if presorted else None
        self._pos = None
        self._by_id = None
        self._qt.endResetModel()

    def sort_key(self) -> Callable[[RowT], Any]:
        return self._sort_key

    def set_sort_key(self, sort_key: Callable[[RowT], Any], reverse: bool = False) -> None:
        """Re-sort in place, keeping persistent indexes (selection) on their rows."""
        self._qt.layoutAboutToBeChanged.emit()
        old_ids = [self._row_id(r) for r in self.rows]
        key = (lambda r: _Reversed(sort_key(r))) if reverse else sort_key
        self._sort_key = key
        self.rows.sort(key=key)
        self._key_list = self._key_source = None
        self._pos = None
        new_pos = self.positions()
        persistent = self._qt.persistentIndexList()
        moved = [self._qt.index(new_pos[old_ids[i.row()]], i.column()) for i in persistent]
        self._qt.changePersistentIndexList(persistent, moved)
        self._qt.layoutChanged.emit()

    def positions(self) -> dict[str, int]:
        if self._pos is None:
            self._pos = {self._row_id(r): i for i, r in enumerate(self.rows)}
        return self._pos

    def _ids(self) -> dict[str, RowT]:
        if self._by_id is None:
            self._by_id = {self._row_id(r): r for r in self.rows}
        return self._by_id

    def row_of(self, row_id: str) -> int:
        """Where a row is: a binary search on the sort keys (each ends with the id, so they
        are unique), not a rebuilt index of 50,000 positions after every change."""
        row = self._ids().get(row_id)
        if row is None:
            return -1
        p = bisect.bisect_left(self._keys, self._sort_key(row))
        if p < len(self.rows) and self.rows[p] is row:
            return p
        return self.positions().get(row_id, -1)

    def apply_rows(self, changed: Mapping[str, RowT | None]) -> None:
        """Bring the given ids up to date: a row for ids that should show, None for ids that
        should not (deleted, or no longer matching the filter)."""
        by_id = self._ids()
        # None for a row not on show changes nothing (a peer's task in another column)
        changed = {rid: row for rid, row in changed.items() if row is not None or rid in by_id}
        if not changed:
            return
        self._remove_moved(changed, by_id)
        in_place: list[int] = []
        inserts: list[RowT] = []
        for rid, row in changed.items():
            if row is None:
                continue
            p = self.row_of(rid)
            if p >= 0:
                self.rows[p] = row
                by_id[rid] = row
                in_place.append(p)
            else:
                inserts.append(row)
        if in_place:
            last_col = max(len(self.columns), 1) - 1
            self._qt.dataChanged.emit(self._qt.index(min(in_place), 0),
                                  self._qt.index(max(in_place), last_col))
        self._insert_sorted(inserts)

    def _remove_moved(self, changed: Mapping[str, RowT | None], by_id: dict[str, RowT]) -> None:
        """Rows that go, or whose place in the order changes, are taken out (put back in order later)."""
        parent = QModelIndex()
        keys = self._keys  # computed before any row goes, so the two lists stay in step
        removals = sorted((p for rid, row in changed.items() if (p := self.row_of(rid)) >= 0
                           and (row is None or self._sort_key(row) != keys[p])), reverse=True)
        for p in removals:  # one removal per row, from the bottom so positions stay valid
            self._qt.beginRemoveRows(parent, p, p)
            del by_id[self._row_id(self.rows[p])]
            del self.rows[p]
            del keys[p]
            self._pos = None
            self._qt.endRemoveRows()

    def _insert_sorted(self, inserts: list[RowT]) -> None:
        if not inserts:
            return
        parent = QModelIndex()
        inserts.sort(key=self._sort_key)
        if len(inserts) > BULK and len(self.rows) > BULK_ROWS:
            self._insert_bulk(inserts)
            return
        # Consecutive new rows that land between the same two old rows go in as one block.
        i = 0
        while i < len(inserts):
            at = bisect.bisect_right(self._keys, self._sort_key(inserts[i]))
            j = self._block_end(inserts, i, self._keys[at] if at < len(self._keys) else None)
            self._insert_block(parent, at, inserts[i:j])
            i = j

    def _block_end(self, inserts: list[RowT], i: int, limit: Any) -> int:
        """Past the last of the sorted `inserts` from `i` on that sorts at or before `limit` (None: all)."""
        j = i + 1
        while j < len(inserts) and (limit is None or self._sort_key(inserts[j]) <= limit):
            j += 1
        return j

    def _insert_block(self, parent: QModelIndex, at: int, block: list[RowT]) -> None:
        self._qt.beginInsertRows(parent, at, at + len(block) - 1)
        self.rows[at:at] = block
        self._keys[at:at] = [self._sort_key(r) for r in block]
        self._ids().update((self._row_id(r), r) for r in block)
        self._pos = None
        self._qt.endInsertRows()

    def _insert_bulk(self, inserts: list[RowT]) -> None:
        """Many new rows at once (a peer's sync): one insertion at the end, then one layout
        change that merges them into place: each separate insertion into a 50,000-row view
        costs the view (and a proxy) far more than one move per row (`python -m
        tests.perf.ui`, "arrival").
        Persistent indexes (the selection) follow their rows."""
        start = len(self.rows)
        keys = self._keys
        new_keys = [self._sort_key(r) for r in inserts]
        self._qt.beginInsertRows(QModelIndex(), start, start + len(inserts) - 1)
        self.rows.extend(inserts)
        keys.extend(new_keys)
        self._ids().update((self._row_id(r), r) for r in inserts)
        self._pos = None
        self._qt.endInsertRows()
        self._qt.layoutAboutToBeChanged.emit()
        persistent = self._qt.persistentIndexList()
        held = [self._row_id(self.rows[i.row()]) for i in persistent]
        rows = self.rows
        del rows[start:]
        del keys[start:]
        if len(inserts) * IN_PLACE_SHARE < start:
            # A few among many (a slice of a sync): merged in place, the last new row first,
            # each with one move of the rows after it; the 70,000 rows are neither copied nor
            # let go of, which touches every row object and cost more than the moves.
            upper = start
            for key, row in zip(reversed(new_keys), reversed(inserts), strict=True):
                upper = bisect.bisect_right(keys, key, 0, upper)
                rows.insert(upper, row)
                keys.insert(upper, key)
        else:  # many at once: one pass, slicing the old rows between the new ones
            merged_rows: list[RowT] = []
            merged_keys: list[Hashable] = []
            previous = 0
            for key, row in zip(new_keys, inserts, strict=True):
                at = bisect.bisect_right(keys, key, previous)
                merged_rows.extend(rows[previous:at])
                merged_keys.extend(keys[previous:at])
                merged_rows.append(row)
                merged_keys.append(key)
                previous = at
            merged_rows.extend(rows[previous:])
            merged_keys.extend(keys[previous:])
            self.rows, self._key_list = merged_rows, merged_keys
        self._pos = None
        moved = [self._qt.index(self.row_of(rid), i.column()) for rid, i in zip(held, persistent, strict=True)]
        self._qt.changePersistentIndexList(persistent, moved)
        self._qt.layoutChanged.emit()


Index = QModelIndex | QPersistentModelIndex


class TableColumns(QAbstractTableModel):
    """A table model over `rows` whose header is `columns`: rowCount, columnCount and
    headerData. The Qt base of a table model, after any helpers (LiveRows, LoadedOnce)."""

    columns: tuple[str, ...] = ()
    rows: list[Any]

    @guarded(fallback=0)
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    @guarded(fallback=0)
    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    @guarded
    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.columns):
            return self.columns[section]
        return None


class LoadedOnce:
    """Reads everything once, on a worker thread when a BackgroundReader is given. Changes
    that arrive while it reads are noted (the class adds ids to `_missed` while `loading`)
    and replayed once the result is in; then `ready` is emitted."""

    loaded: bool
    loading: bool
    group: Any
    ready: Any  # the class's Signal
    missed_kinds: frozenset[str] = frozenset()

    def _init_loading(self) -> None:
        self.loaded = self.loading = False
        self._missed: set[str] = set()

    @staticmethod
    def read_all(db: Any) -> Any:
        raise NotImplementedError

    def _take(self, result: Any) -> None:
        """Keep what was read and show it."""
        raise NotImplementedError

    def on_records_changed(self, event: RecordsChanged) -> None:
        raise NotImplementedError

    def _not_ready(self, event: RecordsChanged) -> bool:
        """True when the records are not in yet; a change arriving while they are read is
        noted, to be replayed once they are."""
        if self.loading:
            self._missed |= event.ids
            return True
        return not self.loaded

    def load(self, reader: Any = None) -> None:
        if self.loading or self.loaded:
            return
        self.loading = True
        if reader is None:
            self.install(self.read_all(self.group.db))
        else:
            reader.read(self.read_all, self.install)

    def install(self, result: Any) -> None:
        self.loaded, self.loading = True, False
        self._take(result)
        missed, self._missed = self._missed, set()
        if missed:  # changes that arrived while reading
            self.on_records_changed(RecordsChanged(frozenset(missed), self.missed_kinds, "remote"))
        self.ready.emit()


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


class SourceSortProxy(QSortFilterProxyModel):
    """A proxy whose source sorts itself (one Python list sort) instead of the proxy
    comparing cells through Python one pair at a time."""

    @guarded
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
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
