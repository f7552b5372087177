"""A keyboard-only organiser: Tab goes through every view and out of every table (arrows move
inside), and every focus stop has a name a screen reader reads."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTableView

from organiser.ui.main_window import MainWindow
from tests.ui.conftest import click_row


def activate(window: MainWindow, qtbot: Any) -> None:
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)


def test_tab_leaves_each_table_for_the_next_control(window: MainWindow, qtbot: Any) -> None:
    """Tab moved from cell to cell, so a table of 2,000 members held the keys: the buttons
    after it (Edit, Print / PDF…) could not be reached without a mouse."""
    activate(window, qtbot)
    for shortcut, view in ((Qt.Key.Key_1, "events"), (Qt.Key.Key_3, "members"), (Qt.Key.Key_4, "peers")):
        qtbot.keyClick(window, shortcut, Qt.KeyboardModifier.ControlModifier)
        tables = [t for t in window.views[view].findChildren(QTableView)
                  if t.isVisible() and t.model().rowCount() > 0]
        assert tables, view
        for table in tables:
            click_row(qtbot, table, 0)
            assert QApplication.focusWidget() is table
            qtbot.keyClick(table, Qt.Key.Key_Tab)
            assert QApplication.focusWidget() is not table, f"Tab stayed in {table.accessibleName()} ({view})"
