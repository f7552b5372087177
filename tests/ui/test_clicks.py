"""Every list and table answers a click: the row clicked shows its details, and what is no
longer on show leaves the pane and the buttons."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from organiser.ui.main_window import MainWindow
from tests.ui.conftest import click, click_row, click_tab, open_event, row_of_text, with_modal


def test_clicking_a_member_row_shows_their_details_and_enables_edit_and_delete(window: MainWindow,
                                                                              qtbot: Any) -> None:
    window.switch_to("members")
    view = window.members_view
    view.table.clearSelection()
    qtbot.waitUntil(lambda: not view.edit_button.isEnabled())
    assert "Select a member" in view.detail.text()
    row = 4
    name = view.table.model().index(row, 0).data()
    click_row(qtbot, view.table, row)
    assert f"<h2>{name}</h2>" in view.detail.text()
    assert view.edit_button.isEnabled() and view.delete_button.isEnabled()
    other = view.table.model().index(7, 0).data()
    click_row(qtbot, view.table, 7, column=2)
    assert f"<h2>{other}</h2>" in view.detail.text()


def test_filtering_the_selected_member_out_clears_the_pane_and_the_buttons(window: MainWindow, qtbot: Any) -> None:
    window.switch_to("members")
    view = window.members_view
    window.group.members.add("Yolanda Zwicky")
    window.group.members.add("Abel Ashdown")
    click_row(qtbot, view.table, row_of_text(view.table, "Abel Ashdown"))
    assert "Abel Ashdown" in view.detail.text()
    view.search.setFocus()
    qtbot.keyClicks(view.search, "Zwicky")
    assert [view.table.model().index(r, 0).data() for r in range(view.table.model().rowCount())] == ["Yolanda Zwicky"]
    assert "Select a member" in view.detail.text()
    assert not view.edit_button.isEnabled() and not view.delete_button.isEnabled()
    qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)  # does nothing: nobody is selected
    assert window.group.members.get(view.model.rows[0].id).name == "Yolanda Zwicky"


def test_an_empty_search_says_so_in_the_table(window: MainWindow, qtbot: Any) -> None:
    window.switch_to("members")
    view = window.members_view
    assert not view.empty.isVisible()
    qtbot.keyClicks(view.search, "xqxqxq")
    assert view.empty.isVisible() and "No member matches" in view.empty.text()


def test_clicking_an_agenda_row_opens_that_event(window: MainWindow, qtbot: Any) -> None:
    view = window.events_view
    model = view.agenda
    rows = [r for r in range(model.rowCount()) if model.rows[r].event is not None]
    target = model.rows[rows[2]].event
    click_row(qtbot, view.list, rows[2])
    assert view.detail.title.text().startswith(target.title)
    assert view.detail.edit_button.isEnabled()


def test_clicking_an_rsvp_row_offers_the_right_door_button(window: MainWindow, qtbot: Any) -> None:
    group = window.group
    event = group.events.add("Clicky social", "2031-03-01T18:00")
    ann, bob = group.members.add("Ann Arrived"), group.members.add("Bob Answered")
    group.events.rsvp(event.id, bob.id, "yes")
    group.events.checkin(event.id, ann.id)
    open_event(qtbot, window, event.id)
    detail = window.events_view.detail
    click_row(qtbot, detail.rsvp_table, row_of_text(detail.rsvp_table, "Ann Arrived"))
    assert detail.checkin_button.text().replace("&", "") == "Undo check-in"
    click_row(qtbot, detail.rsvp_table, row_of_text(detail.rsvp_table, "Bob Answered"))
    assert detail.checkin_button.text().replace("&", "") == "Check in"
    assert detail.answer.buttons["yes"].isChecked()


def test_clicking_a_task_in_the_list_and_on_the_board_selects_it_for_delete(window: MainWindow, qtbot: Any,
                                                                          answer_yes: None) -> None:
    window.switch_to("tasks")
    view = window.tasks_view
    qtbot.waitUntil(lambda: view.columns["todo"].model.rowCount() > 0)
    column = view.columns["todo"]
    title = column.model.index(0, 0).data().split("\n")[0]
    click_row(qtbot, column.view, 0)
    assert view.delete_button.isEnabled()
    assert title in view.selected_label.text()
    qtbot.mouseClick(view.tabs.tabBar(), Qt.MouseButton.LeftButton, pos=view.tabs.tabBar().tabRect(1).center())
    qtbot.waitUntil(lambda: view.proxy.rowCount() > 0)
    click_row(qtbot, view.table, 2)
    shown = view.table.model().index(2, 0).data()
    assert shown in view.selected_label.text() and view.delete_button.isEnabled()
    click(qtbot, view.delete_button)
    assert shown not in [view.table.model().index(r, 0).data() for r in range(view.table.model().rowCount())]
    assert shown not in view.selected_label.text()  # the pane never names a task that is gone


def test_clicking_a_device_and_a_conflict_row_selects_it(window: MainWindow, qtbot: Any) -> None:
    window.switch_to("peers")
    view = window.peers_view
    assert view.device_table.model().rowCount() >= 1
    click_row(qtbot, view.device_table, 0)
    assert view.device_table.selectionModel().isRowSelected(0)
    assert not view.use_other.isEnabled()  # no conflict to settle
    assert view.conflict_empty.isVisible()
    assert "merged cleanly" not in view.conflict_note.text()  # said once, in the empty table


def test_double_clicking_an_events_task_opens_it(window: MainWindow, qtbot: Any) -> None:
    group = window.group
    event = group.events.add("Tasky night", "2031-03-02T18:00")
    group.tasks.add("Bring chairs", event=event.id)
    open_event(qtbot, window, event.id)
    detail = window.events_view.detail
    click_tab(qtbot, detail.lower, "Tasks")
    seen: list[str] = []
    with_modal(lambda: click_row(qtbot, detail.task_table, 0, double=True),
               lambda dialog: seen.append(dialog.form.title.text()))
    assert seen == ["Bring chairs"]


def test_a_members_joined_and_consent_dates_are_written_as_people_write_them(window: MainWindow,
                                                                              qtbot: Any) -> None:
    window.group.members.add("Abel Ashdown", emails=["abel@example.org"], consent_email=True,
                             consent_date="2024-02-20", joined="2023-09-01")
    window.switch_to("members")
    view = window.members_view
    click_row(qtbot, view.table, row_of_text(view.table, "Abel Ashdown"))
    assert "agreed to be contacted by email (on 20 February 2024)" in view.detail.text()
    assert "<b>Joined</b><br>1 September 2023" in view.detail.text()
