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


def spoken_name(widget: Any) -> str:
    """What a screen reader says for the widget: its accessible name."""
    from PySide6.QtGui import QAccessible

    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Name) if iface is not None else ""


def test_tab_goes_round_each_view_and_every_stop_has_a_name(meeting: tuple[MainWindow, str], qtbot: Any) -> None:
    """A stop without a name is read as "scroll area" or nothing; a field that takes Tab as text
    (the minutes) held the keys so that nothing after it could be reached."""
    window, _event = meeting
    for n, view in enumerate(("events", "tasks", "members", "peers", "meeting"), start=1):
        qtbot.keyClick(window, getattr(Qt.Key, f"Key_{n}"), Qt.KeyboardModifier.ControlModifier)
        assert window.current_view() == view
        first = QApplication.focusWidget()
        stops = []
        for _ in range(40):
            widget = QApplication.focusWidget()
            assert widget is not None and window.views[view].isAncestorOf(widget), view
            stops.append(widget)
            assert spoken_name(widget), f"{type(widget).__name__} in {view} has no name to read"
            qtbot.keyClick(widget, Qt.Key.Key_Tab)
            if QApplication.focusWidget() is first:
                break
        else:
            raise AssertionError(f"Tab never came back round in {view}: {[spoken_name(w) for w in stops[-5:]]}")
