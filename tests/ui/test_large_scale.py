"""A member with poor eyesight sets the screen's scale to 200 %: a 1366x800 laptop is then a
screen of 683x400 points, less a panel. The window is no wider than that on any view, so no
button lies past the screen's right edge where no scrolling reaches it."""

from __future__ import annotations

from typing import Any

from organiser.ui.main_window import VIEWS, MainWindow
from tests.ui.test_small_screens import click_view, cut_off, settled, size_window

DOUBLED_LAPTOP = (683, 368)  # 1366x800 at 200 %, less a 32-point panel


def test_at_200_percent_the_window_fits_the_laptops_width_on_every_view(window: MainWindow, qtbot: Any) -> None:
    """The line under the event ("1 of 40 places checked in · RSVPs: …") stood on one line and
    made the window 759 points wide: Delete, Check in and Copy emails… were past the screen's edge."""
    for name in VIEWS:
        click_view(window, qtbot, name)
        size_window(window, qtbot, DOUBLED_LAPTOP)
    click_view(window, qtbot, "events")
    settled(qtbot, lambda: not cut_off(window.events_view))
    assert cut_off(window.events_view) == []
