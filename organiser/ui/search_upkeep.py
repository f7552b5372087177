"""Keeping full-text search quick while a group's window is open: what peers sent is indexed once
they go quiet, and the index's pieces are merged after opening and after each such indexing, on a
worker thread, a short transaction at a time. The window (ui/main_window.py) holds one of these and
stops it when it closes."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer

from organiser.store import queries
from organiser.ui.bridge import Bridge
from organiser.ui.loader import BackgroundReader

log = logging.getLogger(__name__)
TIDY_STEPS = 200  # at most this many steps of merging the search index, ~500 pages each
TIDY_AFTER_MS = 1000  # after opening, wait this long before tidying the search index


class SearchUpkeep(QObject):
    def __init__(self, bridge: Bridge, reader: BackgroundReader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge, self.reader = bridge, reader
        self._closing = False
        # Index what peers sent for full-text search once they go quiet, on a worker thread,
        # so the first search after a big sync does not have to.
        self.index_timer = QTimer(self)
        self.index_timer.setSingleShot(True)
        self.index_timer.setInterval(2000)
        self.index_timer.timeout.connect(self._index_arrivals)
        bridge.recordsChanged.connect(lambda event: self.index_timer.start() if event.origin == "remote" else None)

    def tidy_soon(self) -> None:
        """A second after opening: the first view is read first, and only then the index tidied."""
        QTimer.singleShot(TIDY_AFTER_MS, self, self.tidy_search_index)  # not once the window is gone

    def stop(self) -> None:
        """The window closes: nothing more is indexed, and a tidying stops after its current step."""
        self.index_timer.stop()
        self._closing = True

    def _index_arrivals(self) -> None:
        if self.bridge.busy:
            self.index_timer.start()
            return

        def index_and_tidy(db: Any) -> int:
            queries.search_index_ready(db)
            return self._tidy(db)

        self.reader.read(index_and_tidy, lambda _steps: None,
                         lambda message: log.warning("search index not brought up to date: %s", message))

    def tidy_search_index(self) -> None:
        """Merge the full-text index's pieces: after a bulk indexing (an import, a peer's sync)
        every search would otherwise merge them again."""
        self.reader.read(self._tidy, lambda _steps: None,
                         lambda message: log.warning("search index not tidied: %s", message))

    def _tidy(self, db: Any) -> int:
        steps = 0
        while steps < TIDY_STEPS and not self._closing and queries.tidy_search_index(db):
            steps += 1
        return steps
