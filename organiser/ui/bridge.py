"""Core bus events re-emitted as Qt signals, so handlers run on the GUI thread whatever
thread published them (the sync layer may apply changesets from a worker).

Changes from peers can arrive by the tens of thousands during a first sync. They are merged
and handed to the views in slices, one slice per turn of the event loop, so the window keeps
painting and answering clicks while they arrive. Local edits go through at once, so what you
just did shows immediately.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from organiser.core.bus import (
    ChangesetRefused,
    ClockWarning,
    EventBus,
    PeersChanged,
    RecordsChanged,
    SyncProgress,
)

SLICE = 200  # record ids handed to the views per turn of the event loop


class Bridge(QObject):
    recordsChanged = Signal(object)  # RecordsChanged
    peersChanged = Signal()
    syncProgress = Signal(int, int, str)
    changesetRefused = Signal(str)
    clockWarning = Signal(str, float)
    _arrived = Signal(object)  # crosses to the GUI thread when published elsewhere

    def __init__(self, bus: EventBus, parent: QObject | None = None, *, slice_size: int = SLICE) -> None:
        super().__init__(parent)
        self.slice_size = slice_size
        self._pending: dict[str, None] = {}  # ids in arrival order
        self._pending_kinds: set[str] = set()
        self._scheduled = False
        self._arrived.connect(self._take)
        self._unsubscribe: list[Callable[[], None]] = [
            bus.subscribe(RecordsChanged, self._arrived.emit),
            bus.subscribe(PeersChanged, lambda _e: self.peersChanged.emit()),
            bus.subscribe(SyncProgress, lambda e: self.syncProgress.emit(e.done, e.total, e.what)),
            bus.subscribe(ChangesetRefused, lambda e: self.changesetRefused.emit(e.reason)),
            bus.subscribe(ClockWarning, lambda e: self.clockWarning.emit(e.device, e.ahead_seconds)),
        ]

    def _take(self, event: RecordsChanged) -> None:
        if event.origin == "local":
            self.recordsChanged.emit(event)
            return
        self._pending.update(dict.fromkeys(event.ids))
        self._pending_kinds |= event.kinds
        if not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self._drain)

    @property
    def busy(self) -> bool:
        """Peers' changes are still being handed to the views."""
        return bool(self._pending)

    def _drain(self) -> None:
        self._scheduled = False
        if not self._pending:
            return
        ids = []
        for rid in self._pending:
            ids.append(rid)
            if len(ids) >= self.slice_size:
                break
        for rid in ids:
            del self._pending[rid]
        kinds = frozenset(self._pending_kinds)
        if not self._pending:
            self._pending_kinds = set()
        else:
            self._scheduled = True
            QTimer.singleShot(0, self._drain)
        self.recordsChanged.emit(RecordsChanged(frozenset(ids), kinds, "remote"))

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._pending.clear()
