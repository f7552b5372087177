"""A day or time that cannot be read is refused as the person leaves it, by clicking the next field:
the message must not push the fields below down, under the pointer, as it appears."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QWidget

from organiser.ui.editor import RecordDialog
from organiser.ui.main_window import MainWindow


def at(widget: QWidget) -> QPoint:
    """Where the widget is on screen once the layout has caught up (as a person sees it)."""
    QApplication.sendPostedEvents()
    QApplication.processEvents()
    return widget.mapToGlobal(widget.rect().topLeft())


def opened(window: MainWindow, qtbot: Any, kind: str) -> RecordDialog:
    dialog = RecordDialog(window.group, window.bridge, kind, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def type_over(qtbot: Any, field: QWidget, text: str) -> None:
    """Click into the field, select what it holds and type."""
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton, pos=QPoint(8, field.height() // 2))
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(field, text)


def test_an_events_time_refused_on_leaving_it_leaves_the_fields_below_where_they_were(
        window: MainWindow, qtbot: Any) -> None:
    form = opened(window, qtbot, "event").form
    type_over(qtbot, form.start.time, "25:99")
    location_was, end_was = at(form.location), at(form.end)
    qtbot.mouseClick(form.location, Qt.MouseButton.LeftButton)  # on to the next field: the time is left
    assert form.error_text("start") == "“25:99” is not a time: write it like 19:00, 19.00, 1900 or 7pm."
    assert at(form.end) == end_was and at(form.location) == location_was
    qtbot.keyClicks(QApplication.focusWidget(), "Community hall")
    assert form.location.text() == "Community hall"  # the click went where the person aimed


def test_an_events_day_refused_on_leaving_it_leaves_the_fields_below_where_they_were(
        window: MainWindow, qtbot: Any) -> None:
    """The day's message is the longer one (it wraps in a narrow dialog): its room is kept as well."""
    form = opened(window, qtbot, "event").form
    type_over(qtbot, form.end.date, "31/13/2031")
    capacity_was = at(form.capacity)
    qtbot.mouseClick(form.end.time, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(form.location, Qt.MouseButton.LeftButton)
    assert form.error_text("end").startswith("“31/13/2031” is not a day")
    assert at(form.capacity) == capacity_was


def test_a_members_consent_day_refused_on_leaving_it_leaves_joined_and_notes_where_they_were(
        window: MainWindow, qtbot: Any) -> None:
    form = opened(window, qtbot, "member").form
    qtbot.keyClicks(form.name, "Ana Lopez")
    type_over(qtbot, form.consent_date.edit, "yesterday")  # a click on the greyed day ticks it
    joined_was, notes_was = at(form.joined), at(form.notes)
    qtbot.mouseClick(form.notes, Qt.MouseButton.LeftButton)
    assert form.error_text("consent_date").startswith("“yesterday” is not a day")
    assert at(form.joined) == joined_was and at(form.notes) == notes_was


def test_a_tasks_due_day_refused_on_leaving_it_leaves_priority_where_it_was(window: MainWindow, qtbot: Any) -> None:
    form = opened(window, qtbot, "task").form
    type_over(qtbot, form.due.edit, "next friday")  # a click on the greyed day ticks it
    priority_was, event_was = at(form.priority), at(form.event_picker)
    qtbot.mouseClick(form.priority, Qt.MouseButton.LeftButton)
    assert form.error_text("due").startswith("“next friday” is not a day")
    assert at(form.priority) == priority_was and at(form.event_picker) == event_was
