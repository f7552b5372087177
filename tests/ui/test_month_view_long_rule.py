"""The month view with a series whose rule lists thousands of dates (a peer's, near the field's
200,000 characters): each repaint expanded the rule once for each of the grid's 42 days, 2-5 s
a repaint (`python -m tests.perf.month_view`)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QTableView

from organiser.services.group import Group
from organiser.ui import models
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from tests.ui.conftest import click_tab

SERIES = date(2025, 1, 1)


def rule_with_many_dates() -> str:
    """Daily at 19:00; every day of 2025 left out (the dates fill most of the rule's text, as a
    peer's do), 27 November 2026 left out, and a 07:00 meeting added on 28 November 2026."""
    far = [(SERIES + timedelta(days=n)).strftime("%Y%m%dT190000") for n in range(365)]
    return "\n".join(["RRULE:FREQ=DAILY", *("EXDATE:" + ",".join(far[i:i + 50]) for i in range(0, len(far), 50)),
                      "EXDATE:20261127T190000", "RDATE:20261128T070000"])


def day_list(window: MainWindow) -> list[str]:
    days = window.events_view.day_list
    return [days.item(i).text() for i in range(days.count())]


def test_the_month_view_repaints_without_expanding_a_long_rule_again_and_shows_its_dates(
        group: Group, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    group.events.add("Door rota", f"{SERIES}T19:00", end=f"{SERIES}T21:00", rrule=rule_with_many_dates())
    expansions: list[date] = []
    expand = models.events.occurrences

    def counted(event: Any, first: Any, last: Any) -> Any:  # the real expansion, counted
        expansions.append(first.date())
        return expand(event, first, last)

    monkeypatch.setattr(models.events, "occurrences", counted)
    window = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    view = window.events_view
    qtbot.waitUntil(lambda: view.agenda.loaded)
    assert view.detail.title.text() == "Door rota"  # the first thing upcoming: open at start
    click_tab(qtbot, view.tabs, "Month")
    grid = view.calendar.findChild(QTableView)
    assert view.calendar.selectedDate() == QDate(2026, 11, 26)  # its next meeting: today, 19:00
    assert day_list(window) == ["19:00–21:00  Door rota"]
    expansions.clear()
    for _ in range(3):  # the window uncovered, a tooltip gone: the grid paints again
        view.calendar.grab()  # paints every cell of the grid
    assert expansions == []
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert view.calendar.selectedDate() == QDate(2026, 11, 27)
    assert day_list(window) == []  # left out
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert day_list(window) == ["07:00–09:00  Door rota", "19:00–21:00  Door rota"]  # one added
    assert len(expansions) <= 1  # the days of the shown month came from one expansion
    qtbot.keyClick(grid, Qt.Key.Key_PageDown)  # a month on: December's weeks, expanded once more
    view.calendar.grab()
    assert view.calendar.selectedDate() == QDate(2026, 12, 28)
    assert day_list(window) == ["19:00–21:00  Door rota"]
    assert len(expansions) <= 2
    turned = len(expansions)
    for _ in range(3):
        view.calendar.grab()
    assert len(expansions) == turned
