"""Fixing the agenda as a meeting host does: a typo renamed (double-click, F2, or the right-click
menu), an item removed (Delete, after a question whose default is No), the list, the projector
and another laptop showing it. The clock is frozen (tests/conftest.py): no dependence on today."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from organiser.services.group import Group
from tests.conftest import sync_pair
from tests.ui.conftest import click_menu, click_row, second_laptop, with_modal


@pytest.fixture
def chair(demo: Group, tmp_path: Path) -> Iterator[Group]:
    yield from second_laptop(demo, tmp_path / "chair", "chair laptop")


@pytest.fixture
def agenda(meeting, qtbot: Any) -> tuple[Any, str, list[str]]:
    """The meeting view of an event whose agenda has a typo in it: three items."""
    window, event_id = meeting
    items = [window.group.meetings.add_item(event_id, title, minutes=minutes).id
             for title, minutes in (("Welcome", 5), ("Rent stirke", 30), ("Garden", None))]
    view = window.meeting_view
    qtbot.waitUntil(lambda: view.agenda.rowCount() == 3, timeout=3000)
    return window, event_id, items


def shown(view: Any) -> list[str]:
    """The agenda's lines as read (its time boxes' no-break spaces look like spaces)."""
    return [view.agenda.index(row).data().replace("\u00a0", " ") for row in range(view.agenda.rowCount())]


def activated(qtbot: Any, dialog: Any) -> None:
    """Offscreen no window manager activates a new dialog: ask for it, as a desktop does."""
    dialog.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=3000)


def right_click(qtbot: Any, view: Any, row: int) -> None:
    """A right click on a row: the mouse press, then the context menu event the platform sends
    with it (QTest's mouse events do not make one)."""
    point = view.visualRect(view.model().index(row, 0)).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.RightButton, pos=point)
    QApplication.sendEvent(view.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point,
                                                              view.viewport().mapToGlobal(point)))


def type_into_focus(qtbot: Any, text: str) -> None:
    qtbot.keyClicks(QApplication.focusWidget(), text)


def test_double_click_renames_an_item_and_changes_its_time_box(agenda, qtbot: Any) -> None:
    window, event_id, items = agenda
    view = window.meeting_view

    def rename(dialog: Any) -> None:
        assert dialog.windowTitle() == "Rename agenda item"
        activated(qtbot, dialog)
        assert QApplication.focusWidget() is dialog.title and dialog.title.selectedText() == "Rent stirke"
        type_into_focus(qtbot, "Rent strike")  # types over the selected title
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is dialog.minutes
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        type_into_focus(qtbot, "20")
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    with_modal(lambda: click_row(qtbot, view.agenda_view, 1, double=True), rename)
    assert shown(view) == ["1. Welcome  [0:00 of 5 min]", "2. Rent strike  [0:00 of 20 min]", "3. Garden"]
    assert view.agenda.index(1).data().endswith("[0:00\u00a0of\u00a020\u00a0min]")  # one piece on screen
    item = window.group.meetings.item(items[1])
    assert (item.title, item.minutes) == ("Rent strike", 20)
    assert window.statusBar().currentMessage() == "Renamed to Rent strike."


def test_f2_renames_and_an_empty_title_is_refused_in_the_dialog(agenda, qtbot: Any) -> None:
    window, _event_id, items = agenda
    view = window.meeting_view
    before = window.group.replica.state_hash()
    seen: dict[str, str] = {}

    def rename(dialog: Any) -> None:
        activated(qtbot, dialog)
        assert QApplication.focusWidget() is dialog.title
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backspace)  # the selected title goes
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
        assert dialog.isVisible()  # refused: the dialog stays, saying why
        seen["error"] = dialog.error.text()
        seen["stored"] = window.group.replica.state_hash()
        qtbot.mouseClick(dialog.title, Qt.MouseButton.LeftButton)  # back into the title (the click left it)
        type_into_focus(qtbot, "Garden party")
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)

    click_row(qtbot, view.agenda_view, 2)
    with_modal(lambda: qtbot.keyClick(view.agenda_view, Qt.Key.Key_F2), rename)
    assert seen == {"error": "An agenda item needs a title; it cannot be empty.", "stored": before}
    assert shown(view)[2] == "3. Garden party"
    assert window.group.meetings.item(items[2]).minutes is None  # no time box given, none made


def test_delete_asks_first_no_is_the_default_and_yes_removes_it(agenda, qtbot: Any) -> None:
    window, event_id, items = agenda
    view = window.meeting_view
    asked: list[str] = []

    def press_return(box: Any) -> None:
        asked.append(box.text())
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
        qtbot.keyClick(box, Qt.Key.Key_Return)

    def click_yes(box: Any) -> None:
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)

    click_row(qtbot, view.agenda_view, 1)
    view.agenda_view.setFocus()  # the window is not active offscreen; a click gives a person's list the keys
    with_modal(lambda: qtbot.keyClick(view.agenda_view, Qt.Key.Key_Delete), press_return)
    assert asked == ["Remove “Rent stirke” from the agenda, on every laptop of the group?"]
    assert len(shown(view)) == 3 and len(window.group.meetings.items(event_id)) == 3  # No: nothing removed
    with_modal(lambda: qtbot.keyClick(view.agenda_view, Qt.Key.Key_Delete), click_yes)
    assert shown(view) == ["1. Welcome  [0:00 of 5 min]", "2. Garden"]
    assert [i.id for i in window.group.meetings.items(event_id)] == [items[0], items[2]]
    assert window.statusBar().currentMessage() == "Removed Rent stirke from the agenda."
    assert window.current_view() == "meeting"  # the window's Edit > Delete did not act as well


def test_the_right_click_menu_removes_the_item_being_discussed_and_the_projector_moves_on(
        agenda, qtbot: Any) -> None:
    window, event_id, items = agenda
    view, group = window.meeting_view, window.group
    group.meetings.advance(event_id, items[1])
    proposal = group.proposals.add(event_id, "Strike from 1 March", "consent", agenda_item=items[1])
    qtbot.waitUntil(lambda: shown(view)[1].startswith("▶ 2. Rent stirke"), timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_F11)
    projector = window.projector
    assert projector is not None and projector.item.text() == "Rent stirke"
    right_click(qtbot, view.agenda_view, 1)
    menu = view.agenda_actions.menu
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    asked: list[str] = []

    def click_yes(box: Any) -> None:
        asked.append(box.text())
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)

    where = menu.actionGeometry(view.agenda_actions.delete_action).center()
    qtbot.mouseMove(menu, where)
    with_modal(lambda: qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=where), click_yes)
    assert asked == ["Remove “Rent stirke” from the agenda, on every laptop of the group? The proposals and "
                     "tasks made under it stay with the meeting. It is being discussed: the meeting moves on "
                     "to the next item."]
    assert shown(view) == ["1. Welcome  [0:00 of 5 min]", "▶ 2. Garden"]
    assert "Now: <b>Garden</b>" in view.current_label.text()
    qtbot.waitUntil(lambda: projector.item.text() == "Garden", timeout=3000)
    assert view.decisions.proposals.row_of(proposal.id) >= 0  # the decision stays with the meeting
    qtbot.keyClick(projector, Qt.Key.Key_Escape)


def test_next_pressed_twice_is_undone_by_discuss_now_on_the_skipped_item(agenda, qtbot: Any) -> None:
    window, event_id, items = agenda
    view = window.meeting_view
    for _press in range(3):  # Welcome, then two presses where one was meant: Garden, not Rent strike
        qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    assert "Now: <b>Garden</b>" in view.current_label.text()
    right_click(qtbot, view.agenda_view, 1)
    menu = view.agenda_actions.menu
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    qtbot.keyClick(menu, Qt.Key.Key_N)  # Discuss now
    qtbot.waitUntil(lambda: not menu.isVisible(), timeout=2000)
    assert "Now: <b>Rent stirke</b>" in view.current_label.text()
    assert shown(view)[1].startswith("▶ 2. Rent stirke")
    assert window.group.meetings.state(event_id).current_item == items[1]
    assert window.statusBar().currentMessage() == "Now discussing Rent stirke."


def test_a_rename_and_a_removal_on_another_laptop_show_in_the_list(agenda, chair: Group, qtbot: Any) -> None:
    window, _event_id, items = agenda
    view = window.meeting_view
    sync_pair(window.group, chair)
    chair.meetings.edit_item(items[1], title="Rent strike")
    chair.meetings.delete_item(items[0])
    sync_pair(window.group, chair)
    qtbot.waitUntil(lambda: shown(view) == ["1. Rent strike  [0:00 of 30 min]", "2. Garden"], timeout=3000)


def test_edit_delete_in_the_menu_removes_the_chosen_agenda_item(agenda, qtbot: Any) -> None:
    window, event_id, items = agenda
    view = window.meeting_view

    def click_yes(box: Any) -> None:
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)

    click_row(qtbot, view.agenda_view, 0)
    view.agenda_view.setFocus()  # offscreen a click gives no focus to a window that is not active
    with_modal(lambda: click_menu(qtbot, window, window.delete_action), click_yes)
    assert [i.id for i in window.group.meetings.items(event_id)] == items[1:]


def test_edit_delete_with_the_keys_in_the_proposals_removes_no_agenda_item(agenda, qtbot: Any,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    window, event_id, _items = agenda
    view = window.meeting_view
    proposal = window.group.proposals.add(event_id, "Paint the banner", "consent")
    qtbot.waitUntil(lambda: view.decisions.proposals.row_of(proposal.id) >= 0, timeout=3000)
    click_row(qtbot, view.agenda_view, 0)
    click_row(qtbot, view.decisions.proposal_view, view.decisions.proposals.row_of(proposal.id))
    view.decisions.proposal_view.setFocus()
    asked: list[str] = []  # a question here would be the bug: recorded (and answered No), not waited for
    monkeypatch.setattr(QMessageBox, "question", lambda _p, _t, text, *a: asked.append(text)
                        or QMessageBox.StandardButton.No)
    click_menu(qtbot, window, window.delete_action)
    assert asked == [] and len(window.group.meetings.items(event_id)) == 3


def test_renaming_an_item_removed_meanwhile_on_another_laptop_says_so(agenda, chair: Group, qtbot: Any) -> None:
    window, event_id, items = agenda
    view = window.meeting_view
    sync_pair(window.group, chair)
    seen: dict[str, Any] = {}

    def rename(dialog: Any) -> None:
        activated(qtbot, dialog)
        chair.meetings.delete_item(items[1])  # while the dialog is open
        sync_pair(window.group, chair)
        type_into_focus(qtbot, "Rent strike")
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
        seen["open"], seen["error"] = dialog.isVisible(), dialog.error.text()

    with_modal(lambda: click_row(qtbot, view.agenda_view, 1, double=True), rename)
    assert seen == {"open": True, "error": "“Rent stirke” was removed from the agenda meanwhile, on another "
                                           "laptop; Cancel, and add it again if it is still wanted."}
    assert [i.title for i in window.group.meetings.items(event_id)] == ["Welcome", "Garden"]
    qtbot.waitUntil(lambda: shown(view) == ["1. Welcome  [0:00 of 5 min]", "2. Garden"], timeout=3000)


def test_when_the_item_being_discussed_goes_on_another_laptop_the_view_says_so_and_next_goes_on(
        agenda, chair: Group, qtbot: Any) -> None:
    window, event_id, items = agenda
    view = window.meeting_view
    window.group.meetings.advance(event_id, items[1])
    sync_pair(window.group, chair)
    chair.meetings.delete(items[1])  # a bare tombstone, as a laptop of an earlier version writes it
    sync_pair(window.group, chair)
    qtbot.waitUntil(lambda: shown(view) == ["1. Welcome  [0:00 of 5 min]", "2. Garden"], timeout=3000)
    qtbot.waitUntil(lambda: "was removed" in view.current_label.text(), timeout=3000)
    assert view.current_label.text() == ("The item being discussed was removed. Next item goes on to the one "
                                         "after it.")
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    assert shown(view)[1] == "▶ 2. Garden" and "Now: <b>Garden</b>" in view.current_label.text()
