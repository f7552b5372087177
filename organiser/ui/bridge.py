"""Core bus events re-emitted as Qt signals, so handlers run on the GUI thread whatever
thread published them (the sync layer may apply changesets from a worker)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from organiser.core.bus import (
    ChangesetRefused,
    ClockWarning,
    EventBus,
    PeersChanged,
    RecordsChanged,
    SyncProgress,
)


class Bridge(QObject):
    recordsChanged = Signal(object)  # RecordsChanged
    peersChanged = Signal()
    syncProgress = Signal(int, int, str)
    changesetRefused = Signal(str)
    clockWarning = Signal(str, float)

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: list[Callable[[], None]] = [
            bus.subscribe(RecordsChanged, self.recordsChanged.emit),
            bus.subscribe(PeersChanged, lambda _e: self.peersChanged.emit()),
            bus.subscribe(SyncProgress, lambda e: self.syncProgress.emit(e.done, e.total, e.what)),
            bus.subscribe(ChangesetRefused, lambda e: self.changesetRefused.emit(e.reason)),
            bus.subscribe(ClockWarning, lambda e: self.clockWarning.emit(e.device, e.ahead_seconds)),
        ]

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
