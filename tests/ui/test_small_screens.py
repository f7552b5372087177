"""The window on the screens organisers have: a 1366x768 laptop with its scale at 150 % (or a
large system font) is a screen of 910x512 points, less a panel. Every view fits it: the window can
be made that small on each view, and the status bar stays on screen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from organiser.ui.main_window import VIEWS, MainWindow

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
