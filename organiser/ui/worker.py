"""Running a slow step (a passphrase's key derivation, opening a sealed backup) on a worker
thread, so the window keeps painting and answering; the outcome comes back to the GUI thread
through a queued signal. Readers of the database with their own connection use loader.py."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThreadPool, QTimer, Signal, Slot

log = logging.getLogger(__name__)
_waiting: set[_Relay] = set()  # each relay lives until its outcome is delivered


class _Relay(QObject):
    """Lives on the GUI thread: its signals, emitted on the worker, reach its own slots there.

    Owned by the application and deleted by Qt's loop once it has delivered: the last Python
    reference to it may go on another thread (the worker's closure as it returns, or the frame an
    exception handed back holds), and a QObject deleted there while the GUI thread delivered an
    event crashed the app (SIGSEGV in processEvents)."""

    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]) -> None:
        super().__init__(QCoreApplication.instance())
        self.on_done, self.on_error = on_done, on_error
        self.finished.connect(self._done)
        self.failed.connect(self._failed)

    @Slot(object)
    def _done(self, result: Any) -> None:
        self._delivered()
        self.on_done(result)

    @Slot(object)
    def _failed(self, exc: BaseException) -> None:
        self._delivered()
        self.on_error(exc)

    def _delivered(self) -> None:
        _waiting.discard(self)  # the application keeps it until Qt's loop deletes it
        self.deleteLater()


def release_later(kept: set[Any], obj: QObject) -> None:
    """Take `obj` out of the set keeping it alive on the loop's next turn, for a slot of `obj`'s
    own: dropped there, the last reference went as the slot returned, and Qt deleted the object
    while still delivering its signal to it (a use after free: SIGSEGV in processEvents)."""
    QTimer.singleShot(0, lambda: kept.discard(obj))


def off_the_qt_thread(fn: Callable[[], Any], on_done: Callable[[Any], None],
                      on_error: Callable[[BaseException], None]) -> None:
    """Run fn() on a worker thread; then on_done(result) or on_error(exception) on this thread."""
    relay = _Relay(on_done, on_error)
    _waiting.add(relay)

    def work() -> None:
        try:
            result = fn()
        except Exception as exc:  # handed to on_error on the GUI thread, which says it or logs it
            relay.failed.emit(exc)
            return
        relay.finished.emit(result)

    QThreadPool.globalInstance().start(work)


def pending() -> int:
    """Steps started here whose outcome has not been handed back yet."""
    return len(_waiting)
