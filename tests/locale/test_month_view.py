"""The month view on a French, Polish or Egyptian laptop (Qt takes the country from LANG):
the week starts on the day the country starts it, and its days off are the ones in red."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QTableView

from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from tests.locale.conftest import open_window
from tests.ui.conftest import click_tab


@pytest.fixture
def laptop_locale(request: pytest.FixtureRequest) -> Iterator[QLocale]:
    """The laptop's language and country, as Qt reads them from LANG at start."""
    before = QLocale()
    QLocale.setDefault(QLocale(request.param))
    yield QLocale()
    QLocale.setDefault(before)


@pytest.fixture
def window(qtbot: Any, group: Group, tmp_path: Path, laptop_locale: QLocale) -> Iterator[MainWindow]:
    win = open_window(qtbot, group, tmp_path)
    win.switch_to("events")
    click_tab(qtbot, win.events_view.tabs, "Month")
    yield win
    win.close()


def header_days(win: MainWindow) -> list[str]:
    grid = win.events_view.calendar.findChild(QTableView, "qt_calendar_calendarview")
    model = grid.model()
    return [model.index(0, column).data() for column in range(model.columnCount())]


def red_days(win: MainWindow) -> set[Qt.DayOfWeek]:
    calendar = win.events_view.calendar
    plain = calendar.weekdayTextFormat(Qt.DayOfWeek.Wednesday).foreground().color()
    return {day for day in Qt.DayOfWeek if calendar.weekdayTextFormat(day).foreground().color() != plain}


@pytest.mark.parametrize(("laptop_locale", "first", "days_off"), [
    ("fr_FR", "lun.", {Qt.DayOfWeek.Saturday, Qt.DayOfWeek.Sunday}),
    ("pl_PL", "pon.", {Qt.DayOfWeek.Saturday, Qt.DayOfWeek.Sunday}),
    ("ar_EG", "السبت", {Qt.DayOfWeek.Friday, Qt.DayOfWeek.Saturday}),
], indirect=["laptop_locale"])
def test_the_week_starts_and_rests_as_the_laptops_country_has_it(window, laptop_locale, first, days_off):
    assert header_days(window)[0] == first
    assert red_days(window) == days_off
