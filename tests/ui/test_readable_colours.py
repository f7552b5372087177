"""A member with poor eyesight: the text in colour reads, 4.5 to 1 or more against what is behind
it. On a dark desktop (the app gets a dark palette from it) the reds that say something is wrong
or late (the light theme's reds there are near black: 2 to 2.5 to 1), and the grey sentence of an
empty list, light or dark (the styles' half-strength grey is 4.0 to 1 on white)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QListView, QWidget

from organiser.services.group import Group
from organiser.ui.colours import readable_hints
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from organiser.ui.widgets import EmptyHint
from tests.ui.conftest import with_modal
from tests.ui.test_keyboard_walk import activate

DARK = {QPalette.ColorRole.Window: "#2b2b2b", QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1e1e1e", QPalette.ColorRole.AlternateBase: "#333333",
        QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.Highlight: "#3d7bd9",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.PlaceholderText: "#9a9a9a"}


@pytest.fixture
def dark_desktop(qapp: QApplication) -> Iterator[None]:
    """The palette a dark desktop (Breeze Dark, GNOME dark through its platform theme) hands the app."""
    before = qapp.palette()
    palette = QPalette(before)
    for role, colour in DARK.items():
        palette.setColor(role, QColor(colour))
    qapp.setPalette(palette)
    yield
    qapp.setPalette(before)


def luminance(colour: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def inked(widget: QWidget, background: QColor, rect: QRect | None = None) -> QColor:
    """The colour the text is drawn in, as on screen: the pixel that stands out most from the background."""
    image = widget.grab(rect or widget.rect()).toImage()
    pixels = (image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height()))
    return max(pixels, key=lambda pixel: contrast(pixel, background))


def test_on_a_dark_desktop_a_proposals_problem_reads(dark_desktop: None, window: MainWindow, qtbot: Any) -> None:
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    seen: dict[str, Any] = {}

    def empty_title(dialog: QWidget) -> None:
        qtbot.waitUntil(lambda: dialog.isAncestorOf(QApplication.focusWidget()), timeout=2000)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # no title typed
        problem = next(label for label in dialog.findChildren(QLabel) if label.accessibleName() == "Problem")
        qtbot.waitUntil(lambda: problem.isVisible() and "title" in problem.text(), timeout=2000)
        background = dialog.palette().color(QPalette.ColorRole.Window)
        seen["ratio"] = contrast(inked(problem, background), background)

    def new_proposal() -> None:  # Alt+P: the button presses itself a moment later, as it shows pressed
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda: "ratio" in seen, timeout=3000)

    with_modal(new_proposal, empty_title)
    assert seen["ratio"] >= 4.5


def test_on_a_dark_desktop_an_overdue_card_reads(dark_desktop: None, window: MainWindow, qtbot: Any) -> None:
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    column: QListView = window.tasks_view.columns["todo"].view
    model = column.model()
    overdue = next(row for row in range(model.rowCount()) if "overdue" in model.index(row, 0).data())
    index = model.index(overdue, 0)
    column.scrollTo(index)
    column.selectionModel().clearSelection()  # read as a card not chosen: the highlight has its own colours
    background = column.palette().color(QPalette.ColorRole.Base)
    red = inked(column.viewport(), background, column.visualRect(index))
    assert red.red() > red.green() + 60, red.name()  # the red that says late
    assert contrast(red, background) >= 4.5, red.name()


@pytest.fixture
def app_hints(qapp: QApplication) -> Iterator[None]:
    """The hints' grey the app runs with (app.py sets it on the desktop's palette)."""
    before = qapp.palette()
    stop = readable_hints(qapp)
    yield
    stop()
    qapp.setPalette(before)


def a_new_groups_empty_board_hint(group: Group, qtbot: Any, tmp_path: Path) -> EmptyHint:
    window = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # the To do column lets go of the keys: no frame
    hint = window.tasks_view.columns["todo"].empty
    assert hint.isVisible() and "Nothing to do yet" in hint.text()
    return hint


def test_an_empty_lists_sentence_reads(app_hints: None, group: Group, qtbot: Any, tmp_path: Path) -> None:
    hint = a_new_groups_empty_board_hint(group, qtbot, tmp_path)
    background = hint.view.palette().color(QPalette.ColorRole.Base)
    assert contrast(inked(hint, background), background) >= 4.5


def test_on_a_dark_desktop_an_empty_lists_sentence_reads(dark_desktop: None, app_hints: None, group: Group,
                                                         qtbot: Any, tmp_path: Path) -> None:
    hint = a_new_groups_empty_board_hint(group, qtbot, tmp_path)
    background = hint.view.palette().color(QPalette.ColorRole.Base)
    assert contrast(inked(hint, background), background) >= 4.5


def test_the_months_days_off_read_in_a_red_that_reads(window: MainWindow, qtbot: Any) -> None:
    """Qt's weekend red (#ff0000) is 4.0 to 1 on white: the days off in the Month tab."""
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)  # the Month tab
    calendar = window.events_view.calendar
    assert calendar.isVisible()
    background = calendar.palette().color(QPalette.ColorRole.Base)
    day_off = next(day for day in Qt.DayOfWeek if day not in calendar.locale().weekdays())
    red = calendar.weekdayTextFormat(day_off).foreground().color()  # the pen of those days' numbers
    assert red.red() > red.green() + 60 and contrast(red, background) >= 4.5, red.name()
