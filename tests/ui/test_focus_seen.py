"""Where the keys are, for a person with poor eyesight: the mark on the focused check box, tab or
current row is two pixels wide in the highlight colour, not the style's one-pixel light blue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractItemView, QApplication, QCheckBox, QHeaderView, QListView, QWidget

from organiser.ui.focus_style import install_focus_frames
from organiser.ui.main_window import MainWindow
from tests.ui.test_keyboard_walk import activate


@pytest.fixture
def app_style(qapp: QApplication) -> Iterator[None]:
    """The style the app runs with (app.py installs it on the desktop's style)."""
    before = qapp.style().name()
    install_focus_frames(qapp)
    yield
    qapp.setStyle(before)


def highlight_pixels(widget: QWidget) -> int:
    image = widget.grab().toImage()
    mark = widget.palette().color(QPalette.ColorRole.Highlight)
    return sum(1 for x in range(image.width()) for y in range(image.height()) if image.pixelColor(x, y) == mark)


def test_the_focused_check_box_and_card_are_marked_in_the_highlight_colour(app_style: None, window: MainWindow,
                                                                            qtbot: Any) -> None:
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # the agenda of events
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    past = QApplication.focusWidget()
    assert isinstance(past, QCheckBox) and "past events" in past.text()
    assert highlight_pixels(past) > 2 * past.fontMetrics().height()  # a frame round its words
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # the board: the To do column
    todo = QApplication.focusWidget()
    assert isinstance(todo, QListView) and todo.currentIndex().isValid()
    card = todo.visualRect(todo.currentIndex())
    assert highlight_pixels(todo.viewport()) > card.width()  # a frame round the current card


def test_a_rows_focus_frame_leaves_room_for_the_accents_of_capitals_and_the_tails_of_letters(
        app_style: None, window: MainWindow, qtbot: Any) -> None:
    # The frame is drawn two pixels inside the row: a row only the font's height had it over
    # the acute of "Świąteczne zebranie" in the agenda.
    window.group.events.add("Świąteczne zebranie", "2026-12-03T18:00")
    views = []
    for keys in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3):  # Events, Tasks, Members
        qtbot.keyClick(window, keys, Qt.KeyboardModifier.ControlModifier)
        views += [v for v in window.findChildren(QAbstractItemView)
                  if v.isVisible() and v.model() is not None and v.model().rowCount() > 0
                  and not isinstance(v, QHeaderView) and v.objectName() != "qt_calendar_calendarview"]
        for view in views:
            letters = view.fontMetrics().tightBoundingRect("ŚŻÉÑgjy")
            row = view.visualRect(view.model().index(0, 0))
            assert row.height() >= letters.height() + 2 * 2 + 2, view.accessibleName()
    assert {"Agenda", "Member directory", "To do column"} <= {v.accessibleName() for v in views}
