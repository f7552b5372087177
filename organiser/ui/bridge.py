"""Core bus events re-emitted as Qt signals, so handlers run on the GUI thread whatever
thread published them (the sync layer may apply changesets from a worker).

Changes from peers can arrive by the tens of thousands during a first sync. They are merged
and handed to the views in slices, one slice per turn of the event loop, so the window keeps
painting and answering clicks while they arrive. A slice is sized to take the views about
SLICE_BUDGET seconds, and its records are read once, in one query, for every view (the
event carries them in `rows`). Local edits go through at once, so what you just did shows
immediately; a big local batch (an import of thousands of rows) is sliced like peers'
changes, keeping its origin.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from organiser.core.bus import (
    ChangesetRefused,
    ClockWarning,
    EventBus,
    PeersChanged,
    RecordsChanged,
    SyncProgress,
)
from organiser.store import queries
from organiser.store.queries import StoredRow
from organiser.ui.overrides import guarded

SLICE = 200  # record ids in the first slice; later slices are sized to take SLICE_BUDGET
SLICE_MIN, SLICE_MAX = 25, 2000
SLICE_BUDGET = 0.025  # seconds the views may spend on one slice
LOCAL_AT_ONCE = 200  # a local change this big or bigger (an import) is sliced too


@dataclass(frozen=True)
class ArrivedSlice(RecordsChanged):
    """A slice of peers' changes with the records as they are now, read once for all views:
    {id: StoredRow}; an id missing from `rows` is not in the store."""

    rows: Mapping[str, StoredRow] = field(default_factory=dict)


def changed_rows(db: Any, event: RecordsChanged) -> Mapping[str, StoredRow]:
    """The changed records of an event: those the bridge read for its slice, or read now."""
    if isinstance(event, ArrivedSlice):
        return event.rows
    return queries.rows_by_ids(db, event.ids)


def vanished(event: RecordsChanged, found: Mapping[str, StoredRow]) -> set[str]:
    """The changed records that are no longer in the store at all: made only by changesets a
    removal withdrew (a removed laptop's writes after its removal). A view drops those it shows."""
    return set(event.ids) - found.keys()


class Bridge(QObject):
    recordsChanged = Signal(object)  # RecordsChanged
    peersChanged = Signal()
    syncProgress = Signal(int, int, str)
    changesetRefused = Signal(str, str, str)  # code, device, note (bus.ChangesetRefused)
    clockWarning = Signal(str, float)
    _arrived = Signal(object)  # crosses to the GUI thread when published elsewhere

    def __init__(self, bus: EventBus, parent: QObject | None = None, *, slice_size: int | None = None,
                 db: Any = None) -> None:
        """`slice_size`: a fixed number of ids per slice instead of sizing slices by time.
        `db`: the connection to read each slice's records with (the group's)."""
        super().__init__(parent)
        self.fixed_slice = slice_size
        self.slice_size = slice_size or SLICE
        self.db = db
        self._pending: dict[str, str] = {}  # id: origin, in arrival order
        self._pending_kinds: set[str] = set()
        self._scheduled = False
        self._arrived.connect(self._take)
        self._unsubscribe: list[Callable[[], None]] = [
            bus.subscribe(RecordsChanged, self._arrived.emit),
            bus.subscribe(PeersChanged, lambda _e: self.peersChanged.emit()),
            bus.subscribe(SyncProgress, lambda e: self.syncProgress.emit(e.done, e.total, e.what)),
            bus.subscribe(ChangesetRefused, lambda e: self.changesetRefused.emit(e.code, e.device, e.note)),
            bus.subscribe(ClockWarning, lambda e: self.clockWarning.emit(e.device, e.ahead_seconds)),
        ]

    def _take(self, event: RecordsChanged) -> None:
        if event.origin == "local" and len(event.ids) < LOCAL_AT_ONCE:
            self.recordsChanged.emit(event)
            return
        self._pending.update(dict.fromkeys(event.ids, event.origin))
        self._pending_kinds |= event.kinds
        if not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self, self._drain)

    @property
    def busy(self) -> bool:
        """Peers' changes are still being handed to the views."""
        return bool(self._pending)

    def _drain(self) -> None:
        self._scheduled = False
        if not self._pending:
            return
        started = time.perf_counter()
        by_origin = self._take_slice()
        ids = [rid for group in by_origin.values() for rid in group]
        kinds = frozenset(self._pending_kinds)
        if not self._pending:
            self._pending_kinds = set()
        else:
            self._scheduled = True
            QTimer.singleShot(0, self, self._drain)
        for origin, group in by_origin.items():
            if self.db is None:
                self.recordsChanged.emit(RecordsChanged(frozenset(group), kinds, origin))
            else:
                rows = queries.rows_by_ids(self.db, group)
                self.recordsChanged.emit(ArrivedSlice(frozenset(group), kinds, origin, rows))
        # What the views now hold (tens of thousands of new rows in a sync) is kept, like what
        # they read at start-up, out of the cyclic collector's full passes, which would
        # otherwise walk all of it again and again and stall the window (`python -m
        # tests.perf.ui`, "arrival": the longest stall).
        gc.freeze()
        if self.fixed_slice is None:
            self._fit_slice(len(ids), max(time.perf_counter() - started, 1e-4))

    def _take_slice(self) -> dict[str, list[str]]:
        """The next slice_size pending ids, out of the queue, grouped by where they came from."""
        by_origin: dict[str, list[str]] = {}
        for taken, (rid, origin) in enumerate(self._pending.items(), start=1):
            by_origin.setdefault(origin, []).append(rid)
            if taken >= self.slice_size:
                break
        for group in by_origin.values():
            for rid in group:
                del self._pending[rid]
        return by_origin

    def _fit_slice(self, handed: int, took: float) -> None:
        """The next slice's size: what fits SLICE_BUDGET at the pace just measured."""
        wanted = handed * SLICE_BUDGET / took
        if handed >= self.slice_size or wanted < self.slice_size:  # grow only from full slices
            # halfway to the size that fits the budget, so one odd slice does not swing it
            self.slice_size = max(SLICE_MIN, min(SLICE_MAX, int((self.slice_size + wanted) / 2)))

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._pending.clear()


class WhileShown(QObject):
    """Hands changes to a view's handler while the view is on screen. While it is hidden
    (another view is open), only the ids and kinds are noted; they are handed over, merged
    into one change, as the view is shown again, before it paints. So a view nobody looks at
    costs nothing while a peer's sync pours in, and is current the moment it is looked at."""

    def __init__(self, view: QWidget, handler: Callable[[RecordsChanged], None]) -> None:
        super().__init__(view)
        self.view, self.handler = view, handler
        self._ids: set[str] = set()
        self._kinds: set[str] = set()
        view.installEventFilter(self)

    def __call__(self, event: RecordsChanged) -> None:
        if self.view.isVisible():
            self.handler(event)
            return
        self._ids |= event.ids
        self._kinds |= event.kinds

    def catch_up(self) -> None:
        if self._ids:
            ids, kinds = frozenset(self._ids), frozenset(self._kinds)
            self._ids, self._kinds = set(), set()
            self.handler(RecordsChanged(ids, kinds, "remote"))

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if watched is self.view and event.type() == QEvent.Type.Show:
            self.catch_up()
        return False
