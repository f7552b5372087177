"""A series whose rule names its days (BYDAY, BYSETPOS, BYMONTHDAY) shows on the days the rule
means in the month view, as a person sees it: the Month tab, a click on a day cell, the day's list
and the dot in the cell. A calendar written in UTC with the laptop's zone named (Google's export)
keeps its meetings at the zone's time, so its weekdays move with them; a rule whose days cannot move
so is said at import and not shown on wrong days; a start the rule would not give is the first
meeting, as RFC 5545 and other calendars have it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QTableView, QToolButton

from organiser.services import transfer
from organiser.ui.main_window import MainWindow
from tests.ui.conftest import click_tab

CALENDAR = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Google Inc//Google Calendar 70.9054//EN
X-WR-CALNAME:Tenants Union
X-WR-TIMEZONE:America/New_York
BEGIN:VEVENT
UID:assembly@google.com
SUMMARY:Tenants' assembly
DTSTART:20261202T000000Z
DTEND:20261202T020000Z
RRULE:FREQ=WEEKLY;BYDAY=WE
END:VEVENT
BEGIN:VEVENT
UID:office@google.com
SUMMARY:Rent office
DTSTART;TZID=America/New_York:20261130T170000
DTEND;TZID=America/New_York:20261130T180000
RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1
END:VEVENT
BEGIN:VEVENT
UID:rent-day@google.com
SUMMARY:Rent day
DTSTART:20261201T000000Z
DTEND:20261201T010000Z
RRULE:FREQ=MONTHLY;BYMONTHDAY=1
END:VEVENT
BEGIN:VEVENT
UID:door-rota@google.com
SUMMARY:Door rota
DTSTART;TZID=America/New_York:20261201T180000
DTEND;TZID=America/New_York:20261201T190000
RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n").encode()


def day_cell(grid: QTableView, day: int) -> Any:
    """The cell of `day` of the month shown (the grid also shows the ends of the months beside it:
    a low day number first appears in this month, a high one last)."""
    model = grid.model()
    found = [model.index(r, c) for r in range(model.rowCount()) for c in range(model.columnCount())
             if str(model.index(r, c).data()) == str(day)]
    return found[0] if day <= 14 else found[-1]


def shown_on(qtbot: Any, window: MainWindow, day: int) -> tuple[list[str], bool]:
    """Click the day's cell: the events listed under the month, and whether the cell has a dot."""
    view = window.events_view
    grid = view.calendar.findChild(QTableView, "qt_calendar_calendarview")
    rect = grid.visualRect(day_cell(grid, day))
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.calendar.selectedDate().day() == day
    listed = [view.day_list.item(i).text() for i in range(view.day_list.count())]
    image = grid.viewport().grab(rect).toImage()
    dot = QColor(view.calendar.palette().color(QPalette.ColorRole.Highlight)).rgb()
    bottom = [image.pixel(x, y) for x in range(image.width() // 2) for y in range(image.height() // 2,
                                                                                   image.height())]
    return listed, any(pixel == dot for pixel in bottom)


def test_series_show_on_the_days_their_rules_mean(window: MainWindow, qtbot: Any) -> None:
    plan = transfer.plan_import(window.group, CALENDAR, "tenants.ics")
    assert [w for w in plan.warnings if "Rent day" in w or "event 3" in w] == [
        "event 3 (line 20): its recurrence rule (FREQ=MONTHLY;BYMONTHDAY=1) counts its days by BYMONTHDAY in UTC, "
        "where it starts Tue 1 Dec 00:00, but it is kept at Mon 30 Nov 19:00 (America/New_York), and those days "
        "cannot be counted from there; it was imported as a single event"]
    transfer.apply_import(window.group, plan)
    view = window.events_view
    window.switch_to("events")
    click_tab(qtbot, view.tabs, "Month")
    next_month = view.calendar.findChild(QToolButton, "qt_calendar_nextmonth")
    qtbot.mouseClick(next_month, Qt.MouseButton.LeftButton)
    assert (view.calendar.yearShown(), view.calendar.monthShown()) == (2026, 12)
    for day in (1, 8, 15, 22, 29):  # Tuesdays at 19:00 in New York: Wednesdays 00:00 in UTC
        listed, dot = shown_on(qtbot, window, day)
        assert "19:00–21:00  Tenants' assembly" in listed, (day, listed)
        assert dot
    for day in (2, 9, 16):  # the Wednesdays the rule read as written gave
        listed, _dot = shown_on(qtbot, window, day)
        assert not any("Tenants' assembly" in text for text in listed), (day, listed)
    listed, dot = shown_on(qtbot, window, 31)  # the last weekday of December: Thursday the 31st
    assert "17:00–18:00  Rent office" in listed and dot
    for day in (30, 25, 2):
        assert not any("Rent office" in text for text in shown_on(qtbot, window, day)[0]), day
    # begun on a Tuesday, then Mondays and Wednesdays: the start is the first of its four meetings
    for day in (1, 2, 7, 9):
        assert "18:00–19:00  Door rota" in shown_on(qtbot, window, day)[0], day
    for day in (8, 14, 16):
        assert not any("Door rota" in text for text in shown_on(qtbot, window, day)[0]), day
