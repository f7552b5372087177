"""Midnight with the app open (a late assembly, the door laptop left on): the words about today in
the event's pane, at the door and in the meeting view are those of the new day, without anyone
touching the window. The laptop's clock is the test's (services/clock.py), never the real date."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, Qt

from organiser.services import clock
from organiser.ui.main_window import MainWindow
from tests.ui.conftest import click_row, click_tab, open_event, reads

BEFORE_MIDNIGHT = datetime(2026, 11, 26, 23, 59, 59, 900_000)  # Thursday, just before midnight
AFTER_MIDNIGHT = datetime(2026, 11, 27, 0, 0, 1)  # Friday


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The laptop's clock, set by the test: just before midnight, until the test moves it on."""
    now = [BEFORE_MIDNIGHT]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    return now


def open_view(qtbot: Any, window: MainWindow, name: str) -> None:
    """Click the view in the sidebar, as a person does."""
    qtbot.mouseClick(window.sidebar.widgetForAction(window.view_actions[name]), Qt.MouseButton.LeftButton)
    assert window.current_view() == name


class Paints(QObject):
    """Counts the times a widget is drawn."""

    def __init__(self, widget: Any) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        self.count += event.type() == QEvent.Type.Paint
        return False


def test_at_midnight_the_door_stops_saying_the_event_is_not_today_on_its_day(
        window: MainWindow, qtbot: Any, wall: list[datetime]) -> None:
    social = window.group.events.add("Winter social", "2026-11-27T18:00")
    window.group.members.add("Ana López")
    open_view(qtbot, window, "tasks")
    open_view(qtbot, window, "events")  # the window was opened at noon: it looks at the clock again
    open_event(qtbot, window, social.id)
    detail = window.events_view.detail
    detail.checkin_search.setFocus()
    qtbot.keyClicks(detail.checkin_search, "Ana L")  # a check-in the day before
    qtbot.keyClick(detail.checkin_search, Qt.Key.Key_Return)
    assert detail.day_note.isVisible()
    assert reads(detail.day_note).startswith("Winter social is on Friday 27 November 2026, not today")
    wall[0] = AFTER_MIDNIGHT
    qtbot.waitUntil(lambda: not detail.day_note.isVisible(), timeout=10_000)  # it is Friday: the social is today


def test_at_midnight_the_door_says_last_nights_event_is_not_today(
        window: MainWindow, qtbot: Any, wall: list[datetime]) -> None:
    """The door laptop left open on the evening's event: after midnight a check-in there would be
    written with the new day's date, and the door says so before anyone types."""
    evening = window.group.events.add("Open evening", "2026-11-26T18:00")
    open_view(qtbot, window, "tasks")
    open_view(qtbot, window, "events")
    open_event(qtbot, window, evening.id)
    detail = window.events_view.detail
    assert not detail.day_note.isVisible()
    wall[0] = AFTER_MIDNIGHT
    qtbot.waitUntil(detail.day_note.isVisible, timeout=10_000)
    assert reads(detail.day_note).startswith("Open evening is on Thursday 26 November 2026, not today")


def test_at_midnight_the_events_tasks_are_drawn_again_for_the_new_day(
        window: MainWindow, qtbot: Any, wall: list[datetime]) -> None:
    """A task due Thursday turns overdue (red) at midnight: its row must be drawn again to show it."""
    rally = window.group.events.add("Saturday rally", "2026-11-28T11:00")
    window.group.tasks.add("Print the banners", due="2026-11-26", event=rally.id)
    open_view(qtbot, window, "tasks")
    open_view(qtbot, window, "events")
    open_event(qtbot, window, rally.id)
    detail = window.events_view.detail
    click_tab(qtbot, detail.lower, "Tasks")
    qtbot.waitUntil(lambda: detail.tasks.rowCount() == 1, timeout=5000)
    paints = Paints(detail.task_table.viewport())
    qtbot.wait(200)  # whatever was still to be drawn from the clicks
    paints.count = 0
    wall[0] = AFTER_MIDNIGHT
    qtbot.waitUntil(lambda: paints.count > 0, timeout=10_000)


def test_at_midnight_the_meeting_view_says_due_today_of_the_new_day(
        window: MainWindow, qtbot: Any, wall: list[datetime]) -> None:
    assembly = window.group.events.add("Late assembly", "2026-11-26T21:00")
    window.group.tasks.add("Send the minutes", due="2026-11-27", event=assembly.id)
    open_view(qtbot, window, "events")
    open_event(qtbot, window, assembly.id)
    open_view(qtbot, window, "meeting")
    tasks = window.meeting_view.tasks_label
    assert "Send the minutes — nobody yet, due tomorrow" in reads(tasks)
    wall[0] = AFTER_MIDNIGHT
    qtbot.waitUntil(lambda: "Send the minutes — nobody yet, due today" in reads(tasks), timeout=10_000)


def test_at_midnight_last_nights_event_leaves_the_members_rsvp_list(
        window: MainWindow, qtbot: Any, wall: list[datetime]) -> None:
    """A member's pane lists the events one can still answer for: from the new day, not last night's."""
    window.group.events.add("Open evening", "2026-11-26T18:00")
    window.group.events.add("Winter social", "2026-11-27T18:00")
    open_view(qtbot, window, "members")  # the window was opened at noon: it looks at the clock again
    view = window.members_view
    click_row(qtbot, view.table, 0)

    def offered() -> list[str]:
        return [view.rsvp_event.itemText(i) for i in range(view.rsvp_event.count())]

    assert {"Thu 26 Nov · Open evening", "Fri 27 Nov · Winter social"} <= set(offered())
    wall[0] = AFTER_MIDNIGHT
    qtbot.waitUntil(lambda: "Thu 26 Nov · Open evening" not in offered(), timeout=10_000)
    assert "Fri 27 Nov · Winter social" in offered()


def test_at_midnight_the_event_shown_stays_highlighted_in_the_agenda(
        window: MainWindow, qtbot: Any, wall: list[datetime]) -> None:
    """Yesterday's rows go: the row of the event in the pane is still the one highlighted."""
    window.group.events.add("Open evening", "2026-11-26T18:00")
    rota = window.group.events.add("Door rota", "2026-11-27T19:00")
    open_view(qtbot, window, "tasks")
    open_view(qtbot, window, "events")
    open_event(qtbot, window, rota.id)
    view = window.events_view
    wall[0] = AFTER_MIDNIGHT
    qtbot.waitUntil(lambda: view.agenda.row_of_event(rota.id) == 1, timeout=10_000)  # under Today's heading
    assert [i.row() for i in view.list.selectionModel().selectedIndexes()] == [1]
    assert view.detail.shown_event is not None and view.detail.shown_event.id == rota.id
