"""The window on the screens organisers have: a 1366x768 laptop with its scale at 150 % (or a
large system font) is a screen of 910x512 points, less a panel. Every view fits it: the window can
be made that small on each view, and the status bar stays on screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from organiser.services.group import Group
from organiser.ui.main_window import VIEWS, MainWindow
from organiser.ui.settings import UiSettings
from organiser.ui.widgets import EmptyHint

SCALED_LAPTOP = (910, 480)  # 1366x768 at 150 %, less a 32-point panel


def click_view(window: MainWindow, qtbot: Any, name: str) -> None:
    button = window.sidebar.widgetForAction(window.view_actions[name])
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.current_view() == name


def test_every_view_fits_a_1366x768_laptop_at_150_percent(window: MainWindow, qtbot: Any) -> None:
    for name in VIEWS:
        click_view(window, qtbot, name)
        window.resize(*SCALED_LAPTOP)
        qtbot.waitUntil(lambda: window.size().toTuple() == SCALED_LAPTOP, timeout=2000)
        status = window.statusBar().geometry()
        assert status.bottom() < SCALED_LAPTOP[1], f"the status bar is below the screen on {name}"


@pytest.fixture
def empty_window(qtbot: Any, group: Group, tmp_path: Path) -> Iterator[MainWindow]:
    """A new group's window: every list and table empty, each saying what goes there."""
    win = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def cut_hints(window: MainWindow) -> list[str]:
    """The sentences in empty lists and tables that do not show whole (a line cut in half)."""
    return [hint.text() for hint in window.findChildren(EmptyHint)
            if hint.isVisible() and hint.heightForWidth(hint.width()) > hint.height()]


@pytest.mark.parametrize("size", [(1024, 600), SCALED_LAPTOP])
def test_a_new_groups_empty_lists_say_what_goes_there_in_whole_lines(empty_window: MainWindow, qtbot: Any,
                                                                    size: tuple[int, int]) -> None:
    window = empty_window
    for name in VIEWS:
        click_view(window, qtbot, name)
        window.resize(*size)
        qtbot.waitUntil(lambda: window.size().toTuple() == size, timeout=2000)
        qtbot.wait(50)  # the views lay out
        assert cut_hints(window) == [], f"cut on {name}"
        assert window.statusBar().geometry().bottom() < size[1], f"the status bar is below the screen on {name}"
