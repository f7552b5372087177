"""Reading a whole view's worth of records (50,000 members) on a worker thread with its own
SQLite connection, so the window paints and answers while it happens. The result comes
back to the GUI thread as a slow step's does (ui/worker.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject
from sqlite_utils import Database

from organiser.store.database import connect
from organiser.store.datadir import DB_NAME
from organiser.ui.worker import off_the_qt_thread

log = logging.getLogger(__name__)


def _gone(on_done: Callable[..., Any]) -> bool:
    """The read was for a Qt object deleted meanwhile (a model of a window closed by a lock or a
    switch of group while it was read): nobody is left to show it, and touching it would raise."""
    owner = getattr(on_done, "__self__", None)
    return isinstance(owner, QObject) and not shiboken6.isValid(owner)


class BackgroundReader:
    """`read(fn, on_done)`: run fn(db) on a worker thread, then on_done(result) on this one.
    With `threaded=False` (tests, the screenshot script) it runs at once, on this thread."""

    def __init__(self, group_path: Path, *, threaded: bool = True) -> None:
        self.path = group_path / DB_NAME
        self.threaded = threaded
        self._pending = 0

    @property
    def pending(self) -> int:
        """Reads started on a worker whose outcome has not been handed back yet."""
        return self._pending

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
        self._pending += 1
        path = self.path

        def work() -> Any:
            db = connect(path, readonly=not writes)
            try:
                return fn(db)
            finally:
                db.close()

        def deliver(result: Any) -> None:
            self._pending -= 1
            if not _gone(on_done):
                on_done(result)

        def fail(exc: BaseException) -> None:  # reported on the GUI thread, with context in the log
            self._pending -= 1
            if _gone(on_done):
                return
            log.error("reading %s in the background failed", path, exc_info=exc)
            if on_error is not None:
                on_error(f"Could not read {path.name}: {exc}")

        off_the_qt_thread(work, deliver, fail)
