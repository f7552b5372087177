"""The start and end a new event is suggested with, by the hour it is when the organiser clicks New."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt

from organiser.services import clock
from organiser.ui.main_window import MainWindow
from tests.ui.conftest import with_modal


@pytest.mark.parametrize(("now", "start", "end"), [
    (datetime(2026, 11, 26, 12, 0), "2026-11-27 13:00", "2026-11-27 15:00"),  # daytime: tomorrow, an hour on
    (datetime(2026, 11, 26, 22, 10), "2026-11-27 19:00", "2026-11-27 21:00"),  # was 23:00 to 01:00
    (datetime(2026, 11, 26, 23, 40), "2026-11-27 19:00", "2026-11-27 21:00"),  # was the 28th, 00:00 to 02:00
    (datetime(2026, 11, 27, 2, 30), "2026-11-27 19:00", "2026-11-27 21:00"),  # was the 28th, 03:00 to 05:00
    (datetime(2026, 11, 27, 7, 10), "2026-11-28 08:00", "2026-11-28 10:00"),  # the first daytime hour
])
def test_a_new_event_late_in_the_evening_is_suggested_for_tomorrow_evening(
        window: MainWindow, qtbot: Any, monkeypatch: pytest.MonkeyPatch, now: datetime, start: str,
        end: str) -> None:
    """Sam adds the next assembly at 22:10, after the last one: the editor offered 23:00 to 01:00 the
    next day, hours no assembly starts at, to be changed every time."""
    monkeypatch.setattr(clock, "now", lambda: now)
    view = window.events_view
    shown: dict[str, str] = {}

    def read_and_save(dialog: Any) -> None:
        form = dialog.form
        shown.update(start=form.start.dateTime().toString("yyyy-MM-dd HH:mm"),
                     end=form.end.dateTime().toString("yyyy-MM-dd HH:mm"))
        qtbot.waitUntil(lambda: dialog.focusWidget() is form.title)
        qtbot.keyClicks(dialog.focusWidget(), "Next assembly")
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)

    with_modal(lambda: qtbot.mouseClick(view.new_button, Qt.MouseButton.LeftButton), read_and_save)
    assert shown == {"start": start, "end": end}
    saved = next(e for e in window.group.events.list() if e.title == "Next assembly")
    assert (saved.start, saved.end) == (start.replace(" ", "T"), end.replace(" ", "T"))
