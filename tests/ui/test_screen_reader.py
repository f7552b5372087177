"""A host who uses only the keyboard and a screen reader (Orca): every control says its name,
and what an action did is spoken, not only shown."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication, QLineEdit, QToolButton, QWidget

from organiser.ui.main_window import VIEWS, MainWindow
from organiser.ui.spoken import voice
from tests.ui.conftest import click, with_modal
from tests.ui.test_date_time_fields import save, shown_dialog
from tests.ui.test_keyboard_walk import activate


def spoken_name(widget: QWidget) -> str:
    return QAccessible.queryAccessibleInterface(widget).text(QAccessible.Text.Name)


def clear_buttons(where: QWidget) -> dict[str, list[str]]:
    """Each field with a clear button, by its own name, and what a screen reader says for its buttons."""
    return {spoken_name(edit): [spoken_name(button) for button in edit.findChildren(QToolButton)]
            for edit in where.findChildren(QLineEdit) if edit.isClearButtonEnabled()}


def test_every_clear_button_in_the_window_and_the_task_form_says_clear_search(window: MainWindow,
                                                                             qtbot: Any) -> None:
    """Orca read the little cross in each search field as "button", with no name."""
    found = {}
    for name in VIEWS:
        window.switch_to(name)
        found.update(clear_buttons(window))
    dialog = shown_dialog(window, qtbot, "task")
    found.update(clear_buttons(dialog))
    assert {"Search members", "Find events", "Search tasks"} <= set(found)
    assert len(found) >= 7  # and the door's name field, the task filters' and the form's pickers
    assert {field: names for field, names in found.items() if names != ["Clear search"]} == {}


def test_the_named_clear_button_empties_the_members_search(window: MainWindow, qtbot: Any) -> None:
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)  # Members
    search = window.members_view.search
    click(qtbot, search)
    assert QApplication.focusWidget() is search
    qtbot.keyClicks(search, "ana")
    clear = next(button for button in search.findChildren(QToolButton) if spoken_name(button) == "Clear search")
    qtbot.waitUntil(clear.isVisible, timeout=2000)
    click(qtbot, clear)
    assert search.text() == ""


def test_a_member_added_from_the_keys_is_said_and_the_status_bar_reads_it(window: MainWindow, qtbot: Any,
                                                                         answer_yes: None) -> None:
    """Member added., Deleted …: shown in the status bar and in the pane, painted only, so a
    host on Orca heard nothing after pressing Save or Delete."""
    said: list[str] = []
    voice.said.connect(said.append)
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)  # Members
    view = window.members_view

    def fill(dialog: Any) -> None:
        qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.form.name)  # the form opens on Name
        qtbot.keyClicks(dialog.focusWidget(), "Zadie Quist")
        save(dialog, qtbot)

    with_modal(lambda: qtbot.keyClick(view.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier), fill)
    qtbot.waitUntil(lambda: "Member added." in said, timeout=2000)
    status = QAccessible.queryAccessibleInterface(window.statusBar())
    assert status.role() == QAccessible.Role.StatusBar and status.text(QAccessible.Text.Name) == "Member added."
    # Delete: the pane's note with Undo is said too
    qtbot.waitUntil(lambda: "Zadie Quist" in view.detail.text(), timeout=2000)
    click(qtbot, view.delete_button)
    qtbot.waitUntil(lambda: "Deleted Zadie Quist." in said, timeout=2000)
    voice.said.disconnect(said.append)


def test_the_sync_state_is_read_by_its_words_and_said_when_it_changes(window: MainWindow, qtbot: Any) -> None:
    said: list[str] = []
    voice.said.connect(said.append)
    window.update_peer_status()
    label = QAccessible.queryAccessibleInterface(window.sync_label)
    shown = window.sync_label.text() or window.peer_label.text()
    assert shown
    peers = QAccessible.queryAccessibleInterface(window.peer_label)
    assert peers.text(QAccessible.Text.Name) == window.peer_label.text()
    assert label.text(QAccessible.Text.Description) == "Sync state"
    window.update_peer_status()  # the same words again (every 5 s): not said again
    assert said.count(shown) <= 1
    voice.said.disconnect(said.append)
