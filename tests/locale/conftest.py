"""The app's window over a group's data, as the groups of these tests open it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
