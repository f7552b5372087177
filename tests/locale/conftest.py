"""The app's window over a group's data, as the groups of these tests open it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings


def open_window(qtbot: Any, group: Group, tmp_path: Path) -> MainWindow:
    """The main window, shown and active (shortcuts reach it); closed by qtbot at the end."""
    win = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(win)
    win.show()
    win.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    return win


def type_text(qtbot: Any, widget: Any, text: str) -> None:
    """Keys as a keyboard sends them; a letter with no key of Qt's own (Arabic, as an Arabic
    layout types it) comes as the text of a key press, which `keyClicks` cannot send."""
    for char in text:
        if char.isascii():
            qtbot.keyClicks(widget, char)
        else:
            QTest.sendKeyEvent(QTest.KeyAction.Press, widget, Qt.Key.Key_unknown, char, Qt.KeyboardModifier.NoModifier)
            QTest.sendKeyEvent(QTest.KeyAction.Release, widget, Qt.Key.Key_unknown, char,
                               Qt.KeyboardModifier.NoModifier)
