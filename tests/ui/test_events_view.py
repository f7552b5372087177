"""Events: create, edit, delete through the dialog; agenda and month view; door check-in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox, QTableView

from organiser.services import clock
from organiser.ui.editor import RecordDialog
from organiser.ui.main_window import MainWindow
from organiser.ui.models.events import DAY_ROLE
from organiser.ui.models.live import ID_ROLE
from tests.ui.conftest import click, click_row, click_tab, open_event, retype, row_of_text, type_datetime, with_modal


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
        qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.form.title)
        qtbot.keyClicks(dialog.focusWidget(), "Street party")
        type_datetime(qtbot, dialog.form.start, "2031-06-14 15:00")
        type_datetime(qtbot, dialog.form.end, "2031-06-14 22:00")
        retype(qtbot, dialog.form.capacity, "80")
        assert dialog.form.labels["capacity"] == "Places"  # as the event's pane calls them
        save(dialog, qtbot)

    with_modal(lambda: qtbot.mouseClick(view.new_button, Qt.MouseButton.LeftButton), fill)
    assert any("Street party" in t for t in agenda_texts(window))
    assert "Saturday 14 June 2031" in agenda_texts(window)
    assert view.detail.title.text() == "Street party"
    assert "80 places" in view.detail.count.text() or "of 80 places" in view.detail.count.text()
    click_tab(qtbot, view.tabs, "Month")  # the month view opens on the event's day
    assert view.calendar.selectedDate() == QDate(2031, 6, 14)
    assert [view.day_list.item(i).text() for i in range(view.day_list.count())] == ["15:00–22:00  Street party"]


def test_moving_the_start_moves_the_end_so_the_event_keeps_its_length(window: MainWindow, qtbot: Any) -> None:
    dialog = RecordDialog(window.group, window.bridge, "event", parent=window)
    qtbot.addWidget(dialog)
    type_datetime(qtbot, dialog.form.start, "2031-01-02 18:00")
    type_datetime(qtbot, dialog.form.end, "2031-01-02 20:30")
    type_datetime(qtbot, dialog.form.start, "2031-02-09 19:00")
    assert dialog.form.end.dateTime().toString("yyyy-MM-dd HH:mm") == "2031-02-09 21:30"
    qtbot.keyClicks(dialog.form.title, "Moved meeting")
    save(dialog, qtbot)
    saved = next(e for e in window.group.events.list() if e.title == "Moved meeting")
    assert (saved.start, saved.end) == ("2031-02-09T19:00", "2031-02-09T21:30")


def test_a_one_off_event_years_ahead_is_in_the_agenda(window: MainWindow, qtbot: Any) -> None:
    agm = window.group.events.add("AGM 2029", "2029-05-20T18:00")
    assert any(t.endswith("AGM 2029") for t in agenda_texts(window))
    open_event(qtbot, window, agm.id)
    assert window.events_view.detail.title.text() == "AGM 2029"
    again = MainWindow(window.group, None, settings=window.settings)  # read afresh, as at start
    qtbot.addWidget(again)
    again.show()
    again.switch_to("events")
    assert again.events_view.agenda.row_of(agm.id) >= 0
    again.close()


def test_an_end_before_the_start_is_refused_next_to_the_end_field(window: MainWindow, qtbot: Any) -> None:
    dialog = RecordDialog(window.group, window.bridge, "event", parent=window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.form.title, "Backwards")
    type_datetime(qtbot, dialog.form.start, "2031-01-02 18:00")
    type_datetime(qtbot, dialog.form.end, "2031-01-02 17:00")
    save(dialog, qtbot)
    assert dialog.form.error_text("end") == "The event ends before it starts: choose an end after the start."
    type_datetime(qtbot, dialog.form.end, "2031-01-02 19:00")
    assert dialog.form.error_text("end") == ""  # put right: the message goes
    assert not any("Backwards" in t for t in agenda_texts(window))


def test_editing_and_deleting_an_event(window: MainWindow, qtbot: Any, answer_yes: None) -> None:
    view = window.events_view
    event_id = view.current_id()
    assert event_id

    def retitle(dialog: Any) -> None:
        retype(qtbot, dialog.form.title, "Renamed assembly")
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
    open_event(qtbot, window, event.id)
    detail = view.detail
    assert detail.count.text().startswith("0 of 3 places checked in")
    qtbot.keyClicks(detail.checkin_search, "Octavia Door")
    qtbot.keyClick(detail.checkin_search, Qt.Key.Key_Return)
    assert detail.count.text().startswith("1 of 3 places checked in")
    assert group.events.rsvp_of(event.id, arriving.id).checked_in_at
    assert detail.bar.value() == 1
    # one click on a row's button checks the selected member in, and a second undoes it
    click_row(qtbot, detail.rsvp_table, row_of_text(detail.rsvp_table, "Ptolemy Quayle"))
    qtbot.mouseClick(detail.checkin_button, Qt.MouseButton.LeftButton)
    assert detail.count.text().startswith("2 of 3 places checked in")
    qtbot.mouseClick(detail.checkin_button, Qt.MouseButton.LeftButton)
    assert detail.count.text().startswith("1 of 3 places checked in")


def test_an_event_shows_its_tasks(window: MainWindow, qtbot: Any) -> None:
    group = window.group
    event = group.events.add("Tasky evening", "2031-03-02T18:00")
    group.tasks.add("Bring chairs", event=event.id)
    view = window.events_view
    open_event(qtbot, window, event.id)
    click_tab(qtbot, view.detail.lower, "Tasks")
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


def test_an_event_moved_to_another_day_moves_in_the_month_view(window: MainWindow, qtbot: Any) -> None:
    """The month grid reads each day's events from an index kept by the agenda (it read all 400
    events for each of its 42 days at every repaint); a moved event must leave its old day."""
    view = window.events_view
    event = window.group.events.add("Street party", "2031-06-14T15:00")
    click_tab(qtbot, view.tabs, "Agenda")
    click_row(qtbot, view.list, view.agenda.row_of(event.id))

    def move(dialog: Any) -> None:
        type_datetime(qtbot, dialog.form.start, "2031-06-16 15:00")
        save(dialog, qtbot)

    with_modal(lambda: qtbot.keyClick(view.list, Qt.Key.Key_Return), move)
    click_tab(qtbot, view.tabs, "Month")
    assert view.calendar.selectedDate() == QDate(2031, 6, 16)
    assert [view.day_list.item(i).text() for i in range(view.day_list.count())] == ["15:00–17:00  Street party"]
    grid = view.calendar.findChild(QTableView)
    qtbot.keyClick(grid, Qt.Key.Key_Left)
    qtbot.keyClick(grid, Qt.Key.Key_Left)
    assert view.calendar.selectedDate() == QDate(2031, 6, 14) and view.day_list.count() == 0


def test_an_all_day_event_over_a_weekend_reads_to_its_last_day(window: MainWindow, qtbot: Any) -> None:
    from datetime import timedelta

    # as Google Calendar writes a Saturday-and-Sunday event: DTEND is the Monday, not included
    saturday = clock.today() + timedelta(days=(5 - clock.today().weekday()) % 7 or 7)
    monday = saturday + timedelta(days=2)
    event = window.group.events.add("Weekend canvass", f"{saturday}T00:00", end=f"{monday}T00:00", all_day=True)
    open_event(qtbot, window, event.id)
    sunday = saturday + timedelta(days=1)
    assert f"{saturday:%A %-d %B %Y}, All day, to {sunday:%a %-d %b}" in window.events_view.detail.info.text()
    assert f"All day, to {sunday:%a %-d %b}  Weekend canvass" in agenda_texts(window)


def test_an_imported_agenda_in_the_description_keeps_its_lines(window: MainWindow, qtbot: Any) -> None:
    from datetime import timedelta

    day = (clock.today() + timedelta(days=3)).isoformat()
    event = window.group.events.add("Mieterversammlung", f"{day}T18:30", end=f"{day}T20:30",
                                    description="Tagesordnung:\n1. Heizung\n2. <Nebenkosten>\n\nBitte pünktlich.")
    open_event(qtbot, window, event.id)
    info = window.events_view.detail.info.text()
    assert "Tagesordnung:<br>1. Heizung<br>2. &lt;Nebenkosten&gt;<br><br>Bitte pünktlich." in info


def test_the_month_view_shows_a_weekend_event_on_its_sunday_too(window: MainWindow, qtbot: Any) -> None:
    from datetime import timedelta

    from PySide6.QtWidgets import QTableView

    saturday = clock.today() + timedelta(days=(5 - clock.today().weekday()) % 7 or 7)
    monday = saturday + timedelta(days=2)
    event = window.group.events.add("Weekend canvass", f"{saturday}T00:00", end=f"{monday}T00:00", all_day=True)
    open_event(qtbot, window, event.id)
    view = window.events_view
    click_tab(qtbot, view.tabs, "Month")
    days = view.calendar.findChild(QTableView)
    days.setFocus()
    qtbot.keyClick(days, Qt.Key.Key_Right)  # to the Sunday
    sunday = saturday + timedelta(days=1)
    assert view.calendar.selectedDate() == QDate(sunday.year, sunday.month, sunday.day)
    assert [view.day_list.item(i).text() for i in range(view.day_list.count())] == [
        f"All day, to {sunday:%a %-d %b}  Weekend canvass"]
    qtbot.keyClick(days, Qt.Key.Key_Right)  # the Monday it ends before
    assert view.day_list.count() == 0


def test_return_on_a_day_heading_opens_nothing(window: MainWindow, qtbot: Any) -> None:
    """Return opens the highlighted event; on a day's heading (reached with the arrows) it opened
    the event shown before, which the highlight had left."""
    view = window.events_view
    first = window.group.events.add("Street party", "2031-06-14T15:00")
    window.group.events.add("Clean-up", "2031-06-16T10:00")
    click_tab(qtbot, view.tabs, "Agenda")
    click_row(qtbot, view.list, view.agenda.row_of(first.id))
    qtbot.keyClick(view.list, Qt.Key.Key_Down)
    assert view.list.currentIndex().data() == agenda_texts(window)[view.agenda.row_of(first.id) + 1]
    assert view.list.currentIndex().data(ID_ROLE) is None  # the next day's heading

    opened: list[str] = []

    def close_any() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is not None:
            opened.append(dialog.windowTitle())
            dialog.reject()

    QTimer.singleShot(100, close_any)
    qtbot.keyClick(view.list, Qt.Key.Key_Return)
    qtbot.wait(300)
    QTimer.singleShot(100, close_any)  # and with the mouse, a double-click on the heading
    qtbot.mouseDClick(view.list.viewport(), Qt.MouseButton.LeftButton,
                      pos=view.list.visualRect(view.list.currentIndex()).center())
    qtbot.wait(300)
    assert opened == []


def test_a_series_begun_months_ago_opens_on_its_next_meeting(group: Any, qtbot: Any, tmp_path: Any,
                                                             monkeypatch: Any) -> None:
    """A year on, the first thing upcoming is the next meeting of a fortnightly clinic begun in
    September: at start it is the one open (not 'No event selected' beside a highlighted row), and
    the month view opens on its next day, not on September."""
    from organiser.ui.settings import UiSettings

    group.events.add("Legal clinic", "2026-09-04T18:00", end="2026-09-04T20:00",
                     rrule="FREQ=WEEKLY;INTERVAL=2;COUNT=12")
    window = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    view = window.events_view
    qtbot.waitUntil(lambda: view.agenda.loaded)
    assert agenda_texts(window)[0].endswith("Friday 27 November 2026")  # FROZEN_NOW: Thursday 26 November
    assert view.detail.title.text() == "Legal clinic"
    # When is the meeting chosen, not the series' first one in September
    assert "Friday 27 November 2026, 18:00–20:00 (repeats; first on Friday 4 September 2026)" in \
        view.detail.info.text()
    click_tab(qtbot, view.tabs, "Month")
    assert view.calendar.selectedDate() == QDate(2026, 11, 27)
    assert [view.day_list.item(i).text() for i in range(view.day_list.count())] == ["18:00–20:00  Legal clinic"]
    grid = view.calendar.findChild(QTableView)  # the month's days, as the keys reach them
    for _week in range(2):  # two weeks on
        qtbot.keyClick(grid, Qt.Key.Key_Down)
    where = view.day_list.visualItemRect(view.day_list.item(0)).center()
    qtbot.mouseClick(view.day_list.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert view.detail.title.text() == "Legal clinic"
    assert view.calendar.selectedDate() == QDate(2026, 12, 11)  # the month stays on the meeting clicked
    assert "Friday 11 December 2026, 18:00–20:00" in view.detail.info.text()
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda _p, _t, text, *a, **k: asked.append(text) or QMessageBox.StandardButton.No)
    click(qtbot, view.detail.delete_button)  # deleting it deletes the series: the question says so
    assert asked == ["Delete “Legal clinic” and every one of its meetings (it repeats, since 4 September 2026)? "
                     "Its RSVPs and check-ins go with it, on every laptop of the group. "
                     "Edit > Deleted items… brings it back."]
    click_tab(qtbot, view.tabs, "Agenda")
    click(qtbot, view.show_past)  # September's meetings come in above: the next one stays chosen
    assert view.list.currentIndex().data(DAY_ROLE) == "2026-11-27"
    window.close()


def test_with_nothing_upcoming_the_month_view_opens_on_today(group: Any, qtbot: Any, tmp_path: Any) -> None:
    """No event ahead to open: the month view opens on today as the agenda has it (the frozen
    clock here, Thursday 26 November 2026), not on the machine's date Qt takes by itself; a day
    back with the keys is yesterday, and its event is listed under the month."""
    from organiser.ui.settings import UiSettings

    group.events.add("Leafleting", "2026-11-25T08:00", end="2026-11-25T09:00")
    window = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    view = window.events_view
    qtbot.waitUntil(lambda: view.agenda.loaded)
    assert view.detail.shown_event is None  # yesterday's is past: nothing is chosen
    click_tab(qtbot, view.tabs, "Month")
    assert (view.calendar.yearShown(), view.calendar.monthShown()) == (2026, 11)
    assert view.calendar.selectedDate() == QDate(2026, 11, 26) and view.day_list.count() == 0
    qtbot.keyClick(view.calendar.findChild(QTableView), Qt.Key.Key_Left)
    assert [view.day_list.item(i).text() for i in range(view.day_list.count())] == ["08:00–09:00  Leafleting"]
    window.close()


def test_showing_a_years_past_events_keeps_the_chosen_meeting_in_view(group: Any, qtbot: Any, tmp_path: Any) -> None:
    """A year of weekly events behind, the secretary ticks Show past events to look up one from
    the spring: the list grows by a year above, and the next meeting, chosen, stays where it
    can be seen instead of the list opening a year back."""
    from organiser.ui.settings import UiSettings

    weeks_ago = [date.fromordinal(date(2026, 11, 26).toordinal() - 7 * n) for n in range(1, 53)]
    group.replica.commit_batch([group.events.build_add({"title": "Assembly", "start": f"{day}T19:00"})[1]
                                for day in weeks_ago])
    nxt = group.events.add("Next assembly", "2026-11-27T19:00")
    window = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.resize(1024, 600)
    window.show()
    view = window.events_view
    qtbot.waitUntil(lambda: view.agenda.loaded)
    assert view.current_id() == nxt.id
    click(qtbot, view.show_past)
    assert view.show_past.isChecked() and view.agenda.rowCount() > 100
    chosen = view.list.visualRect(view.list.currentIndex())
    assert view.current_id() == nxt.id
    assert view.list.viewport().rect().contains(chosen)
    window.close()


def _events_shown(group: Any, qtbot: Any, tmp_path: Any) -> tuple[MainWindow, Any]:
    """A window on the group, its Events view's agenda loaded."""
    from organiser.ui.settings import UiSettings

    window = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    view = window.events_view
    qtbot.waitUntil(lambda: view.agenda.loaded)
    return window, view


def test_one_letter_in_find_filters_the_agenda_once_no_second_letter_comes(group: Any, qtbot: Any,
                                                                           tmp_path: Any) -> None:
    """A single letter matches a year of events: Find waits a moment for the next one (each letter
    searched on the window's thread), then shows what it matches; a second letter searches at once."""
    march = group.events.add("Zine workshop", "2026-03-04T19:00").id
    nxt = group.events.add("General assembly", "2026-12-02T19:00").id
    window, view = _events_shown(group, qtbot, tmp_path)
    assert [r.id for r in view.agenda.rows if r.event is not None] == [nxt]
    qtbot.mouseClick(view.search, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(view.search, "z")
    qtbot.waitUntil(lambda: [r.id for r in view.agenda.rows if r.event is not None] == [march], timeout=5000)
    qtbot.keyClicks(view.search, "x")
    assert view.agenda.rowCount() == 0  # two letters: at once
    window.close()


def test_finding_last_springs_assembly_by_the_words_of_its_minutes(group: Any, qtbot: Any, tmp_path: Any) -> None:
    """Every assembly is 'General assembly'; the secretary types words of the decision and the
    agenda shows the spring's assembly that took it, though it is long past; emptied, the
    agenda shows the upcoming ones again."""
    march = group.events.add("General assembly", "2026-03-04T19:00").id
    group.events.add("General assembly", "2026-04-01T19:00")
    group.meetings.append_minutes(march, "Decided: start a hardship fund.")
    nxt = group.events.add("General assembly", "2026-12-02T19:00").id
    window, view = _events_shown(group, qtbot, tmp_path)
    assert [r.id for r in view.agenda.rows if r.event is not None] == [nxt]
    qtbot.mouseClick(view.search, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(view.search, "hardship fund")
    assert [r.id for r in view.agenda.rows if r.event is not None] == [march]
    assert agenda_texts(window)[0] == "Wednesday 4 March 2026"
    click_row(qtbot, view.list, view.agenda.row_of(march))
    assert view.current_id() == march
    qtbot.keyClicks(view.search, " strike")
    assert view.agenda.rowCount() == 0 and "No event says all of that" in view.agenda_empty.text()
    retype(qtbot, view.search, "")
    qtbot.keyClick(view.search, Qt.Key.Key_Backspace)  # what was selected goes
    assert [r.id for r in view.agenda.rows if r.event is not None] == [nxt]
    window.close()


def test_at_midnight_the_open_agenda_moves_to_the_new_day(window: MainWindow, qtbot: Any, monkeypatch: Any) -> None:
    """The app stays open on the Events view overnight: at midnight the evening's meeting goes among
    the past events and tomorrow's reads Today, without anyone touching the window."""
    window.group.events.add("Late committee", "2026-11-27T21:00")
    window.group.events.add("Door rota meeting", "2026-11-28T19:00")
    wall = [datetime(2026, 11, 27, 23, 59, 59, 900_000)]  # the laptop's clock, just before midnight
    monkeypatch.setattr(clock, "now", lambda: wall[0])
    window.switch_to("tasks")
    window.switch_to("events")
    texts = agenda_texts(window)
    assert "Today · Friday 27 November 2026" in texts and "Tomorrow · Saturday 28 November 2026" in texts
    assert any("Late committee" in t for t in texts)
    wall[0] = datetime(2026, 11, 28, 0, 0, 1)  # midnight has passed
    qtbot.waitUntil(lambda: "Today · Saturday 28 November 2026" in agenda_texts(window), timeout=10_000)
    assert not any("Late committee" in t for t in agenda_texts(window))  # past now: Show past events has it
    assert "Today · Friday 27 November 2026" not in agenda_texts(window)


def test_an_event_on_the_last_day_python_knows_shows_in_the_month_view(window: MainWindow, qtbot: Any) -> None:
    """An .ics may date an event 31 December 9999 (the import takes it): its month grid also shows
    days of January 10000, which Python's dates cannot hold; painting them raised on every repaint."""
    event = window.group.events.add("End of the lease", "9999-12-31T19:00", end="9999-12-31T21:00")
    view = window.events_view
    open_event(qtbot, window, event.id)
    click_tab(qtbot, view.tabs, "Month")
    assert view.calendar.selectedDate() == QDate(9999, 12, 31)
    view.calendar.grab()  # paints every cell of the grid, 1 and 2 January 10000 among them
    assert [view.day_list.item(i).text() for i in range(view.day_list.count())] == ["19:00–21:00  End of the lease"]


def test_a_description_pasted_with_a_nul_is_saved_and_shown_without_it(window: MainWindow, qtbot: Any) -> None:
    # copied out of an old document: a NUL that shows as nothing, and cut the note short in other tools
    view = window.events_view
    event_id = view.current_id()
    QApplication.clipboard().setText("Bring the keys\x00 and chairs")

    def paste(dialog: Any) -> None:
        dialog.windowHandle().requestActivate()  # as a desktop does; offscreen nothing activates a dialog
        qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=3000)
        click(qtbot, dialog.form.description)
        assert QApplication.focusWidget() is dialog.form.description
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        assert dialog.form.description.toPlainText() == "Bring the keys\x00 and chairs"  # as pasted
        save(dialog, qtbot)

    with_modal(lambda: qtbot.mouseClick(view.detail.edit_button, Qt.MouseButton.LeftButton), paste)
    assert window.group.events.get(event_id).description == "Bring the keys and chairs"
    assert "Bring the keys and chairs" in view.detail.info.text()
