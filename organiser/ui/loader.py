"""Reading a whole view's worth of records (50,000 members) on a worker thread with its own
SQLite connection, so the window paints and answers while it happens. The result comes
back to the GUI thread through a queued signal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThreadPool, Signal
from sqlite_utils import Database

from organiser.store.database import connect
from organiser.store.datadir import DB_NAME

log = logging.getLogger(__name__)


class _Relay(QObject):
    finished = Signal(object)
    failed = Signal(str)


class BackgroundReader:
    """`read(fn, on_done)`: run fn(db) on a worker thread, then on_done(result) on this one.
    With `threaded=False` (tests, the screenshot script) it runs at once, on this thread."""

    def __init__(self, group_path: Path, *, threaded: bool = True) -> None:
        self.path = group_path / DB_NAME
        self.threaded = threaded
        self._relays: set[_Relay] = set()

    @property
    def pending(self) -> int:
        """Reads started on a worker whose outcome has not been handed back yet."""
        return len(self._relays)

    def read(self, fn: Callable[[Database], Any], on_done: Callable[[Any], None],
             on_error: Callable[[str], None] | None = None, *, writes: bool = False) -> None:
        """`writes`: `fn` may write (an index brought up to date before it is read)."""
        if not self.threaded:
            db = connect(self.path, readonly=not writes)
            try:
                on_done(fn(db))
            finally:
                db.close()
            return
        # Owned by the application and deleted by Qt's loop once it has delivered, never by the
        # thread that lets go of it last: a QObject of the GUI thread deleted on the worker while Qt
        # delivered an event crashed the app (SIGSEGV in processEvents; ui/worker.py says the same).
        relay = _Relay(QCoreApplication.instance())
        self._relays.add(relay)  # counted until the result is delivered

        def deliver(result: Any) -> None:
            self._relays.discard(relay)
            relay.deleteLater()
            on_done(result)

        def fail(message: str) -> None:
            self._relays.discard(relay)
            relay.deleteLater()
            if on_error is not None:
                on_error(message)

        relay.finished.connect(deliver)
        relay.failed.connect(fail)
        path = self.path

        def work() -> None:
            try:
                db = connect(path, readonly=not writes)
                try:
                    result = fn(db)
                finally:
                    db.close()
            except Exception as exc:  # reported on the GUI thread, with context in the log
                log.exception("reading %s in the background failed", path)
                relay.failed.emit(f"Could not read {path.name}: {exc}")
                return
            relay.finished.emit(result)

        QThreadPool.globalInstance().start(work)
