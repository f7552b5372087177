"""The window's watch on its store: what another process commits (an admin's `organiser device
remove`, a `member add` typed beside the app, `serve` applying a peer's edits) shows in the open
views without a restart.

Every LOOK_EVERY the GUI thread asks SQLite's `PRAGMA data_version`, which moves only when another
connection has committed (a few microseconds; nothing is read while it stays). When it moved, the
records that the new changesets write are announced on the group's bus as a change from elsewhere
(origin "remote"), as a peer's would be: the views read those rows again in slices, and a form open
on one of them keeps what the person typed and says what changed (ui/editor.py). A removal written
there that takes back what a laptop wrote is one membership entry: the records the changesets it
took aside had written are announced with it, so they show as they were before. Changesets this
process stored through its other connections are announced as they are stored, with their change
log ids (bus.ChangesetsStored): those the watch leaves out.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QTimer

from organiser.core.bus import ChangesetsStored, PeersChanged, RecordsChanged
from organiser.services.group import Group
from organiser.store.written_elsewhere import last_change, taken_back_after, written_after

log = logging.getLogger(__name__)

LOOK_EVERY = 1000  # ms


class StoreWatch(QObject):
    def __init__(self, group: Group, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.group = group
        self._version = self._data_version()
        self._after = last_change(group.db)  # what the window read at its start is shown already
        self._taken_back = taken_back_after(group.db, frozenset()).held  # shown taken back already
        self._ours: list[tuple[int, int]] = []  # change log ids this process's connections stored
        self._ours_lock = threading.Lock()  # an import on a worker thread announces there
        self._unsubscribe = group.bus.subscribe(ChangesetsStored, self._note_ours)
        self.destroyed.connect(lambda *_: self._unsubscribe())
        self.timer = QTimer(self)
        self.timer.setInterval(LOOK_EVERY)
        self.timer.timeout.connect(self.look)
        self.timer.start()

    def _data_version(self) -> int:
        (version,) = self.group.db.execute("PRAGMA data_version").fetchone()
        return int(version)

    def _note_ours(self, event: ChangesetsStored) -> None:
        with self._ours_lock:
            self._ours.extend(event.log_ids)

    def _take_ours(self) -> list[tuple[int, int]]:
        with self._ours_lock:
            self._ours = [(first, last) for first, last in self._ours if last > self._after]
            return list(self._ours)

    def look(self) -> None:
        """Announce what other processes committed since the last look (nothing, cheaply, when
        nothing was)."""
        try:
            self._look()
        except Exception:  # the group closed under it (a lock, a switch): the next window watches anew
            log.exception("looking for changes made by another program failed")

    def _look(self) -> None:
        version = self._data_version()
        if version == self._version:
            return
        db = self.group.db
        top = last_change(db)  # ids only grow (m028), so all that is new lies above self._after
        written = written_after(db, self._after, self._take_ours())
        self._after = written.upto
        if written.upto >= top:  # else the rest at the next turn of the loop, version not yet taken
            self._version = version
        else:
            QTimer.singleShot(0, self, self.look)
        if not written.ids:
            return
        ids, kinds = written.ids, written.kinds
        if "device" in kinds:  # a removal may have taken back what the removed laptop wrote
            taken = taken_back_after(db, self._taken_back)
            self._taken_back = taken.held
            ids, kinds = ids | taken.ids, kinds | taken.kinds
        self.group.bus.publish(RecordsChanged(ids, kinds, "remote"))
        if "device" in kinds:
            self.group.bus.publish(PeersChanged())  # the status bar's count of laptops too


__all__ = ["LOOK_EVERY", "StoreWatch"]
