"""Events: create, edit, delete through the dialog; agenda and month view; door check-in."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QDateTime, Qt
from PySide6.QtWidgets import QDialogButtonBox

from organiser.services import clock
from organiser.ui.editor import RecordDialog
from organiser.ui.main_window import MainWindow
from tests.ui.conftest import with_modal


def agenda_texts(win: MainWindow) -> list[str]:
    model = win.events_view.agenda
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def save(dialog: RecordDialog, qtbot: Any) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)


def test_agenda_groups_upcoming_events_under_day_headings(window: MainWindow) -> None:
    texts = agenda_texts(window)
    model = window.events_view.agenda
    headings = [t for r, t in enumerate(texts) if model.rows[r].event is None]
    assert headings and all(any(day in h for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                                      "Saturday", "Sunday")) for h in headings)
    days = [r.day for r in model.rows]
    assert days == sorted(days) and all(d >= clock.today() for d in days)
    assert window.events_view.detail.shown_event is not None  # the first one is open


def test_creating_an_event_puts_it_in_the_agenda_and_month_view(window: MainWindow, qtbot: Any) -> None:
    view = window.events_view

    def fill(dialog: Any) -> None:
        qtbot.keyClicks(dialog.form.title, "Street party")
        dialog.form.start.setDateTime(QDateTime(2031, 6, 14, 15, 0, 0))
        dialog.form.end.setDateTime(QDateTime(2031, 6, 14, 22, 0, 0))
        dialog.form.capacity.setValue(80)
        save(dialog, qtbot)

    with_modal(lambda: qtbot.mouseClick(view.new_button, Qt.MouseButton.LeftButton), fill)
    assert any("Street party" in t for t in agenda_texts(window))
    assert "Saturday 14 June 2031" in agenda_texts(window)
    assert view.detail.title.text() == "Street party"
    view.tabs.setCurrentIndex(1)
    view.calendar.setSelectedDate(QDate(2031, 6, 14))
    assert [view.day_list.item(i).text() for i in range(view.day_list.count())] == ["15:00–22:00  Street party"]


def test_an_end_before_the_start_is_refused_next_to_the_end_field(window: MainWindow, qtbot: Any) -> None:
    dialog = RecordDialog(window.group, window.bridge, "event", parent=window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.form.title, "Backwards")
    dialog.form.start.setDateTime(QDateTime(2031, 1, 2, 18, 0, 0))
    dialog.form.end.setDateTime(QDateTime(2031, 1, 2, 17, 0, 0))
    save(dialog, qtbot)
    assert "ends" in dialog.form.error_text("end") and "before it starts" in dialog.form.error_text("end")
    assert not any("Backwards" in t for t in agenda_texts(window))


def test_editing_and_deleting_an_event(window: MainWindow, qtbot: Any, answer_yes: None) -> None:
    view = window.events_view
    event_id = view.current_id()
    assert event_id

    def retitle(dialog: Any) -> None:
        dialog.form.title.setText("Renamed assembly")
        save(dialog, qtbot)

    with_modal(lambda: qtbot.mouseClick(view.detail.edit_button, Qt.MouseButton.LeftButton), retitle)
    assert any("Renamed assembly" in t for t in agenda_texts(window))
    assert view.detail.title.text().startswith("Renamed assembly")
    qtbot.mouseClick(view.detail.delete_button, Qt.MouseButton.LeftButton)
    assert not any("Renamed assembly" in t for t in agenda_texts(window))
    assert view.agenda.row_of(event_id) == -1


def test_check_in_by_typing_a_name_updates_the_count(window: MainWindow, qtbot: Any) -> None:
    group = window.group
    event = group.events.add("Door test", "2031-03-01T18:00", capacity=3)
    arriving = group.members.add("Octavia Doorley")
    other = group.members.add("Ptolemy Quayle")
    group.events.rsvp(event.id, other.id, "yes")
    view = window.events_view
    view.select(event.id)
    detail = view.detail
    assert detail.count.text().startswith("0 of 3 places checked in")
    qtbot.keyClicks(detail.checkin_search, "Octavia Door")
    qtbot.keyClick(detail.checkin_search, Qt.Key.Key_Return)
    assert detail.count.text().startswith("1 of 3 places checked in")
    assert group.events.rsvp_of(event.id, arriving.id).checked_in_at
    assert detail.bar.value() == 1
    # one click on a row's button checks the selected member in, and a second undoes it
    row = next(r for r in range(detail.rsvps.rowCount()) if detail.rsvps.index(r, 0).data() == "Ptolemy Quayle")
    detail.rsvp_table.selectRow(row)
    qtbot.mouseClick(detail.checkin_button, Qt.MouseButton.LeftButton)
    assert detail.count.text().startswith("2 of 3 places checked in")
    qtbot.mouseClick(detail.checkin_button, Qt.MouseButton.LeftButton)
    assert detail.count.text().startswith("1 of 3 places checked in")


def test_an_event_shows_its_tasks(window: MainWindow) -> None:
    group = window.group
    event = group.events.add("Tasky evening", "2031-03-02T18:00")
    group.tasks.add("Bring chairs", event=event.id)
    view = window.events_view
    view.select(event.id)
    titles = [view.detail.tasks.index(r, 0).data() for r in range(view.detail.tasks.rowCount())]
    assert titles == ["Bring chairs"]
    group.tasks.add("Sweep the floor", event=event.id)
    assert view.detail.tasks.rowCount() == 2


def test_a_weekly_meeting_shows_on_each_of_its_days_and_changes_on_all_of_them(window: MainWindow) -> None:
    from datetime import timedelta

    from organiser.ui.models.live import ID_ROLE

    group = window.group
    model = window.events_view.agenda
    first = clock.today() + timedelta(days=1)
    weekly = group.events.add("Weekly door team", f"{first.isoformat()}T19:00",
                              end=f"{first.isoformat()}T20:00", rrule="FREQ=WEEKLY;COUNT=4")

    def showings(title: str) -> list[tuple[date, str]]:
        return [(model.rows[r].day, model.index(r, 0).data(ID_ROLE)) for r in range(model.rowCount())
                if model.rows[r].event is not None and model.rows[r].event.title == title]

    shown = showings("Weekly door team")
    assert [day for day, _id in shown] == [first + timedelta(weeks=w) for w in range(4)]
    assert {event_id for _day, event_id in shown} == {weekly.id}  # each opens the one series
    on_day = [e for e in model.events_on(first + timedelta(weeks=2)) if e.id == weekly.id]
    assert [e.start for e in on_day] == [f"{(first + timedelta(weeks=2)).isoformat()}T19:00"]  # month view
    assert weekly.id not in {e.id for e in model.events_on(first + timedelta(days=1))}

    group.events.edit(weekly.id, title="Weekly door rota")
    assert len(showings("Weekly door rota")) == 4 and showings("Weekly door team") == []
    group.events.delete(weekly.id)
    assert showings("Weekly door rota") == []


def test_an_all_day_event_reads_all_day_not_midnight(window: MainWindow) -> None:
    from datetime import timedelta

    day = (clock.today() + timedelta(days=2)).isoformat()
    window.group.events.add("Tenants' fair", f"{day}T00:00", end=f"{day}T00:00", all_day=True)
    model = window.events_view.agenda
    texts = [model.index(r, 0).data() for r in range(model.rowCount())
             if model.rows[r].event is not None and model.rows[r].event.title == "Tenants' fair"]
    assert texts == ["All day  Tenants' fair"]
