"""Python's cycle collector runs on the app's (Qt's GUI) thread only.

Left automatic, the collector runs in whichever thread allocates when a threshold is passed: a worker
deriving a passphrase's key, a backup's import, a folder pass, asyncio's threads. A window, a dialog or
a watch held in a reference cycle (a lambda connected to its own signal is enough) is then deleted by
C++ on that thread: a QObject with a running timer (an idle watch, a text field's blinking cursor)
leaves the timer registered with the GUI thread, which fires it into freed memory, and any QObject may
be freed while the GUI thread is handing it an event: the app crashed (SIGSEGV in processEvents).
So the automatic collector is off and a timer on the GUI thread collects whenever Python's own
thresholds say it would have (the same generations, a little later)."""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_MS = 500  # a cycle's memory waits at most this long; a check costs a microsecond


class GuiThreadCollector(QObject):
    """Owned by the application; its timer runs in whatever Qt loop is turning (a modal dialog's too)."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_MS)
        self.timer.timeout.connect(self.collect_if_due)
        self.timer.start()

    def collect_if_due(self) -> None:
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return
        generation = 0
        if counts[1] > thresholds[1]:
            generation = 2 if counts[2] > thresholds[2] else 1
        gc.collect(generation)


def collect_on_gui_thread(app: QObject) -> GuiThreadCollector:
    """Call on the GUI thread with the QApplication: the collector made once; the automatic one off
    again each call (code run meanwhile may have turned it back on, as a test of cycles does)."""
    made = app.findChild(GuiThreadCollector)
    gc.disable()
    return made if made is not None else GuiThreadCollector(app)


__all__ = ["GuiThreadCollector", "collect_on_gui_thread"]
