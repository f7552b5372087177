"""A watch on the dialogs of a test that drives Qt, so that a dialog nobody answers fails the test
instead of hanging the suite (the fresh-clone CI once waited for ever on an error dialog in test_lock).

Every 200 ms, inside whatever Qt loop is running (a modal dialog's own included), it:
- fails the test with the text of a message box that has stayed open for `GRACE_S` seconds
  (a test answering its dialogs does so within a few seconds: `with_modal` gives up after 5 s),
  and closes that box so the code under test goes on;
- gives pytest-timeout's alarm a turn of Python to be raised in: while Qt sits in a modal
  dialog's loop, no Python runs and the signal's handler would wait for ever. When the alarm
  goes off in here, every modal dialog is closed so the test can end, and the timeout's failure
  goes on to pytest-qt, which fails the test with it.
A message box still open when the test function returns fails the test too, with its text.
Tests that handle their dialogs are untouched: the watch only acts after `GRACE_S`."""

from __future__ import annotations

import signal
import time
from typing import Any

GRACE_S = 15.0
TICK_MS = 200


def _described(box: Any) -> str:
    parts = [box.windowTitle(), box.text(), box.informativeText()]
    return " / ".join(part for part in parts if part)


def open_message_boxes() -> list[Any]:
    from PySide6.QtWidgets import QApplication, QMessageBox

    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def close_modal_dialogs() -> None:
    from PySide6.QtWidgets import QApplication, QDialog

    for _ in range(20):  # a dialog closed may leave the one beneath it on top
        widget = QApplication.activeModalWidget()
        if widget is None:
            return
        if isinstance(widget, QDialog):
            widget.done(QDialog.DialogCode.Rejected)
        else:
            widget.close()


class DialogWatch:
    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.first_seen: dict[int, float] = {}
        self.timed_out = False
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        alarm = signal.getsignal(signal.SIGALRM)  # pytest-timeout's, set before the test's set-up
        if callable(alarm):
            def on_alarm(signum: int, frame: Any) -> None:
                self.timed_out = True
                close_modal_dialogs()
                alarm(signum, frame)  # raises the timeout's failure
            signal.signal(signal.SIGALRM, on_alarm)

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        if self.timed_out:
            close_modal_dialogs()
            return
        now = time.monotonic()
        boxes = open_message_boxes()
        self.first_seen = {id(box): self.first_seen.get(id(box), now) for box in boxes}
        for box in boxes:
            if now - self.first_seen[id(box)] >= GRACE_S:
                text = _described(box)
                box.done(0)
                raise AssertionError(f"a message box stayed open {GRACE_S:g} s with nobody to answer it: {text!r}")

    def check_none_left_open(self) -> None:
        left = open_message_boxes()
        texts = [_described(box) for box in left]
        for box in left:
            box.done(0)
        if texts:
            raise AssertionError(f"the test ended with a message box still open: {texts!r}")
