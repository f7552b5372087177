"""What the app does with an exception nobody expected: one left a slot or a callback (Qt hands it
to sys.excepthook and carries on), one of our guarded Qt overrides (ui/overrides.py hands it there
too), or an asyncio task or callback of the qasync loop (its exception handler).

It is written to errors.log in the data folder, with where it happened (the exception's kind and
the lines of code it went through) and not its message nor any value: a message may quote a
member's name or what was typed, and the log is a plain file an admin may send to whoever helps.
The person is told, in one sentence, that something went wrong, that what was saved is kept, what
to do, and where the log is; the app goes on (what was committed is in the database already). A
fault that repeats (a paint that fails every frame) shows the notice once while it is open; in the
log it is written once and then counted (at 10, 100, 1,000... times), and the file is kept under
MAX_BYTES by moving it to errors.log.1 (replacing the one before), so a loop of faults cannot fill
the disk nor flood the journal."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

log = logging.getLogger(__name__)

LOG_NAME = "errors.log"
TITLE = "Something went wrong"
FRAMES = 12  # the innermost lines of code named in the log; enough to find the fault
MAX_BYTES = 512 * 1024  # errors.log, and as much again in errors.log.1: thousands of faults each


def notice_text(log_file: Path) -> str:
    return (f"Something went wrong inside Organiser, but what you had saved is kept: try that again, and if it "
            f"happens again, send the file {log_file} to whoever helps your group with Organiser.")


def where_it_happened(kind: type[BaseException], exc: BaseException | None, tb: TracebackType | None) -> str:
    """The exception's kind and the code it went through, innermost last, with those of the
    exceptions it came from; no message and no value (they may hold personal data)."""
    parts: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen and len(parts) < 4:
        seen.add(id(exc))
        parts.append(_one(type(exc), exc.__traceback__))
        exc = exc.__cause__ or exc.__context__
    if not parts:
        parts.append(_one(kind, tb))
    return "\n  which happened while handling\n".join(parts)


def _one(kind: type[BaseException], tb: TracebackType | None) -> str:
    frames = traceback.extract_tb(tb)[-FRAMES:]
    lines = [f"{kind.__module__}.{kind.__qualname__}"]
    lines += [f"    at {_short(frame.filename)}:{frame.lineno} in {frame.name}: {frame.line or ''}".rstrip()
              for frame in frames]
    return "\n".join(lines)


def _short(filename: str) -> str:
    """A file's path from the package it is in: a home folder's path names the person."""
    path = Path(filename)
    for marker in ("organiser", "site-packages"):
        if marker in path.parts:
            at = len(path.parts) - 1 - path.parts[::-1].index(marker)
            return "/".join(path.parts[at:])
    return path.name


class UnexpectedErrors(QObject):
    """The app's sys.excepthook and its asyncio loop's exception handler (`install`)."""

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_file = data_dir / LOG_NAME
        self.notice: QMessageBox | None = None
        self.reported = 0
        self._last = ""  # the fault written last, and how many times it came again since
        self._again = 0
        self._previous_hook: Callable[..., Any] | None = None

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._previous_hook = sys.excepthook
        sys.excepthook = self.report
        if loop is not None:
            loop.set_exception_handler(self.report_from_loop)

    def uninstall(self) -> None:
        if sys.excepthook == self.report and self._previous_hook is not None:
            sys.excepthook = self._previous_hook

    def report(self, kind: type[BaseException], exc: BaseException | None, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt | SystemExit):
            sys.__excepthook__(kind, exc or kind(), tb)
            return
        self.reported += 1
        self._write(where_it_happened(kind, exc, tb))
        QTimer.singleShot(0, self, self._tell)  # not from inside a paint or a model's data()

    def report_from_loop(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            self.report(type(exc), exc, exc.__traceback__)
            return
        self._write(f"the event loop said: {context.get('message', 'an error without an exception')}")

    def _write(self, what: str) -> None:
        if what == self._last:
            self._again += 1
            if not _a_power_of_ten(self._again):
                return
            what = f"the same again ({self._again + 1:,} times in all)"
        else:
            self._last, self._again = what, 0
        log.error("unexpected error (the app goes on):\n%s", what)
        try:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            self._make_room()
            descriptor = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(descriptor, "a", encoding="utf-8") as out:
                out.write(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC unexpected error\n{what}\n\n")
        except OSError as exc:  # a full or read-only disk: stderr has it
            log.warning("could not write %s (%s)", self.log_file, exc.strerror)

    def _make_room(self) -> None:
        """A full errors.log becomes errors.log.1 (the older one goes): the newest faults are kept."""
        try:
            if self.log_file.stat().st_size >= MAX_BYTES:
                os.replace(self.log_file, self.log_file.with_name(f"{LOG_NAME}.1"))
        except FileNotFoundError:
            pass

    def _tell(self) -> None:
        if self.notice is not None and self.notice.isVisible():
            return  # one notice at a time: the log counts the repeats
        parent = QApplication.activeWindow()
        box = QMessageBox(QMessageBox.Icon.Warning, TITLE, notice_text(self.log_file),
                          QMessageBox.StandardButton.Ok, parent if isinstance(parent, QWidget) else None)
        box.setObjectName("unexpected-error-notice")
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # the path, to copy
        self.notice = box
        box.open()  # not exec(): no second event loop inside whatever slot failed


def _a_power_of_ten(n: int) -> bool:
    return n >= 10 and str(n).rstrip("0") == "1"


__all__ = ["LOG_NAME", "MAX_BYTES", "UnexpectedErrors", "notice_text", "where_it_happened"]
