"""Entering an event's day and times as people type them."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCalendarWidget, QDialogButtonBox, QTableView

from organiser.ui.date_time_fields import read_day, read_time
from organiser.ui.editor import RecordDialog
from organiser.ui.main_window import MainWindow
from tests.ui.conftest import click, type_datetime


@pytest.mark.parametrize(("typed", "meant"), [
    ("19:00", time(19)), ("19.00", time(19)), ("1900", time(19)), ("19", time(19)), ("19h", time(19)),
    ("19h30", time(19, 30)), ("7pm", time(19)), ("7 PM", time(19)), ("7.30pm", time(19, 30)),
    ("7:30 p.m.", time(19, 30)), ("7p", time(19)), ("12am", time(0)), ("12pm", time(12)), ("900", time(9)),
    ("9", time(9)), (" 09:05 ", time(9, 5)), ("noon", time(12)),
])
def test_a_time_is_read_as_people_write_it(typed: str, meant: time) -> None:
    assert read_time(typed) == meant


@pytest.mark.parametrize("typed", ["", "half seven", "25:00", "19:60", "13pm", "0pm", "19:0", "1:2:3", "7xm"])
def test_a_time_that_cannot_be_read_is_none(typed: str) -> None:
    assert read_time(typed) is None


@pytest.mark.parametrize(("typed", "meant"), [
    ("2031-06-14", date(2031, 6, 14)), ("2031/6/14", date(2031, 6, 14)), ("14/6/2031", date(2031, 6, 14)),
    ("14.06.2031", date(2031, 6, 14)), ("14-6-31", date(2031, 6, 14)), ("14 June 2031", date(2031, 6, 14)),
    ("June 14, 2031", date(2031, 6, 14)), ("14 jun 2031", date(2031, 6, 14)),
])
def test_a_day_is_read_as_people_write_it(typed: str, meant: date) -> None:
    assert read_day(typed) == meant


@pytest.mark.parametrize("typed", ["", "2031-02-30", "14 Juno 2031", "tomorrow", "2031-06"])
def test_a_day_that_cannot_be_read_is_none(typed: str) -> None:
    assert read_day(typed) is None


def shown_dialog(window: MainWindow, qtbot: Any, kind: str) -> RecordDialog:
    dialog = RecordDialog(window.group, window.bridge, kind, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()  # as a dialog opened from the window is: the keys and the focus go to it
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def save(dialog: RecordDialog, qtbot: Any) -> None:
    click(qtbot, dialog.buttons.button(QDialogButtonBox.StandardButton.Save))


def test_a_meeting_from_7pm_to_9pm_is_typed_as_people_write_times(window: MainWindow, qtbot: Any) -> None:
    dialog = shown_dialog(window, qtbot, "event")
    qtbot.keyClicks(dialog.form.title, "Evening meeting")
    type_datetime(qtbot, dialog.form.start, "2031-02-09 19:00", time_typed="7pm")
    assert dialog.form.start.time.text() == "19:00"  # what was understood, shown on leaving the field
    type_datetime(qtbot, dialog.form.end, "2031-02-09 21:00", time_typed="21h")
    save(dialog, qtbot)
    saved = next(e for e in window.group.events.list() if e.title == "Evening meeting")
    assert (saved.start, saved.end) == ("2031-02-09T19:00", "2031-02-09T21:00")


def test_the_end_follows_a_start_typed_as_1900(window: MainWindow, qtbot: Any) -> None:
    dialog = shown_dialog(window, qtbot, "event")
    type_datetime(qtbot, dialog.form.start, "2031-02-09 18:00", time_typed="18.00")
    type_datetime(qtbot, dialog.form.end, "2031-02-09 20:00", time_typed="2000")
    type_datetime(qtbot, dialog.form.start, "2031-02-10 19:00", time_typed="1900")
    assert (dialog.form.end.date.text(), dialog.form.end.time.text()) == ("2031-02-10", "21:00")


def test_a_time_that_cannot_be_read_is_refused_under_its_field_and_nothing_is_saved(window: MainWindow,
                                                                                    qtbot: Any) -> None:
    dialog = shown_dialog(window, qtbot, "event")
    qtbot.keyClicks(dialog.form.title, "Unread")
    start = dialog.form.start
    qtbot.mouseClick(start.time, Qt.MouseButton.LeftButton, pos=QPoint(8, start.time.height() // 2))
    qtbot.keyClick(start.time, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(start.time, "half seven")
    qtbot.keyClick(start.time, Qt.Key.Key_Tab)
    refusal = "“half seven” is not a time: write it like 19:00, 19.00, 1900 or 7pm."
    assert dialog.form.error_text("start") == refusal  # said on leaving the field, before Save
    save(dialog, qtbot)
    assert dialog.isVisible() and dialog.form.error_text("start") == refusal
    assert not any(e.title == "Unread" for e in window.group.events.list())
    type_datetime(qtbot, start, "2031-02-09 19:30", time_typed="19:30")
    assert dialog.form.error_text("start") == ""  # put right: the message goes


def test_a_day_that_cannot_be_read_is_refused_under_its_field(window: MainWindow, qtbot: Any) -> None:
    dialog = shown_dialog(window, qtbot, "event")
    end = dialog.form.end
    qtbot.mouseClick(end.date, Qt.MouseButton.LeftButton, pos=QPoint(8, end.date.height() // 2))
    qtbot.keyClick(end.date, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(end.date, "30/2/2031")
    qtbot.keyClick(end.date, Qt.Key.Key_Tab)
    assert dialog.form.error_text("end").startswith("“30/2/2031” is not a day: write it like 2031-06-14")


def test_the_day_is_picked_from_the_calendar_with_the_keys_alone(window: MainWindow, qtbot: Any) -> None:
    dialog = shown_dialog(window, qtbot, "event")
    start = dialog.form.start
    type_datetime(qtbot, start, "2031-02-09 19:00")
    start.date.setFocus()
    qtbot.keyClick(start.date, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    calendar = start.calendar
    assert calendar.isVisible()
    grid = calendar.findChild(QTableView)
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert not calendar.isVisible()
    assert (start.date.text(), dialog.form.end.date.text()) == ("2031-02-10", "2031-02-10")
    qtbot.keyClick(start.date, Qt.Key.Key_F4)
    assert calendar.isVisible()
    qtbot.keyClick(grid, Qt.Key.Key_Escape)  # closes the calendar, not the dialog; the day stays
    assert not calendar.isVisible() and dialog.isVisible() and start.date.text() == "2031-02-10"


def test_the_calendar_of_an_emptied_day_opens_on_today(window: MainWindow, qtbot: Any) -> None:
    """The day wiped, Alt+Down: the calendar opens on today as the app has it (the frozen clock
    here, Thursday 26 November 2026), not on the machine's date Qt would take; Enter picks it."""
    dialog = shown_dialog(window, qtbot, "event")
    start = dialog.form.start
    qtbot.mouseClick(start.date, Qt.MouseButton.LeftButton, pos=QPoint(8, start.date.height() // 2))
    qtbot.keyClick(start.date, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(start.date, Qt.Key.Key_Delete)
    assert start.date.text() == ""
    qtbot.keyClick(start.date, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert start.calendar.isVisible()
    qtbot.keyClick(start.calendar.findChild(QTableView), Qt.Key.Key_Return)
    assert not start.calendar.isVisible() and start.date.text() == "2026-11-26"


def test_the_fields_have_names_a_screen_reader_says(window: MainWindow, qtbot: Any) -> None:
    dialog = shown_dialog(window, qtbot, "event")
    start = dialog.form.start
    assert (start.date.accessibleName(), start.time.accessibleName()) == ("Starts: day", "Starts: time")
    assert start.calendar_button.accessibleName() == "Starts: pick the day from a calendar"
    assert isinstance(start.calendar, QCalendarWidget)


def tick_and_type_day(qtbot: Any, optional: Any, typed: str) -> None:
    """Tick the box in front of a day, Tab into the day, type it and Tab on."""
    click(qtbot, optional.check)
    qtbot.keyClick(optional.check, Qt.Key.Key_Tab)
    assert optional.window().focusWidget() is optional.edit
    qtbot.keyClick(optional.edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(optional.edit, typed)
    qtbot.keyClick(optional.edit, Qt.Key.Key_Tab)


def test_a_tasks_due_day_is_typed_as_people_write_it(window: MainWindow, qtbot: Any) -> None:
    dialog = shown_dialog(window, qtbot, "task")
    qtbot.keyClicks(dialog.form.title, "Book the hall")
    tick_and_type_day(qtbot, dialog.form.due, "14 June 2031")
    assert dialog.form.due.edit.text() == "2031-06-14"
    save(dialog, qtbot)
    task = next(t for t in window.group.tasks.list() if t.title == "Book the hall")
    assert task.due == "2031-06-14"


def test_a_joined_day_that_cannot_be_read_is_refused_under_its_field(window: MainWindow, qtbot: Any) -> None:
    dialog = shown_dialog(window, qtbot, "member")
    qtbot.keyClicks(dialog.form.name, "Dara Quinn")
    tick_and_type_day(qtbot, dialog.form.joined, "last spring")
    refusal = "“last spring” is not a day: write it like 2031-06-14 or 14/6/2031, or pick it from the calendar."
    assert dialog.form.error_text("joined") == refusal
    save(dialog, qtbot)
    assert dialog.form.error_text("joined") == refusal
    assert not any(m.name == "Dara Quinn" for m in window.group.members.list())


def test_a_click_on_the_greyed_due_day_ticks_it_and_takes_the_typing(window: MainWindow, qtbot: Any) -> None:
    dialog = shown_dialog(window, qtbot, "task")
    qtbot.keyClicks(dialog.form.title, "Print flyers")
    due = dialog.form.due
    qtbot.mouseClick(due.edit, Qt.MouseButton.LeftButton, pos=QPoint(8, due.edit.height() // 2))
    assert due.check.isChecked() and dialog.focusWidget() is due.edit
    qtbot.keyClicks(due.edit, "3/7/2031")
    save(dialog, qtbot)
    task = next(t for t in window.group.tasks.list() if t.title == "Print flyers")
    assert task.due == "2031-07-03"
