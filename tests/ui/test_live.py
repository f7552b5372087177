"""Live with the room: a second device's changes show in the open window without a refresh,
keeping the selection; an edit open during a peer's change is never silently overwritten;
recorded conflicts can be settled with "use this value"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from organiser.services.group import Group
from organiser.ui.editor import RecordDialog
from organiser.ui.main_window import MainWindow
from organiser.ui.models.live import ID_ROLE
from organiser.ui.settings import UiSettings
from tests.conftest import sync_pair
from tests.ui.conftest import click_row, open_event, row_of_text, with_modal


@pytest.fixture
def door(qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Path) -> tuple[MainWindow, Group]:
    a, b = two_devices
    for name in ("Asha Bell", "Bruno Chen", "Cleo Diaz", "Dev Evans"):
        a.members.add(name)
    sync_pair(a, b)
    win = MainWindow(a, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(win)
    win.show()
    win.switch_to("members")
    return win, b


def arrive(qtbot: Any, win: MainWindow, a: Group, b: Group) -> None:
    """Sync the two devices, then let the window's event loop take in what arrived."""
    sync_pair(a, b)
    assert win.bridge.busy  # nothing shows before the event loop turns
    qtbot.waitUntil(lambda: not win.bridge.busy, timeout=5000)


def shown(win: MainWindow) -> list[str]:
    return [r.name for r in win.members_view.model.rows]


def test_a_member_added_on_another_laptop_appears_and_selection_stays(door: tuple[MainWindow, Group],
                                                                       qtbot: Any) -> None:
    win, other = door
    view = win.members_view
    cleo = next(r.id for r in view.model.rows if r.name == "Cleo Diaz")
    click_row(qtbot, view.table, row_of_text(view.table, "Cleo Diaz"))
    resets: list[int] = []
    view.model.modelReset.connect(lambda: resets.append(1))
    other.members.add("Aaron Able")
    dev = next(m for m in other.members.list() if m.name == "Dev Evans")
    other.members.edit(dev.id, name="Devika Evans")
    arrive(qtbot, win, win.group, other)
    assert shown(win) == ["Aaron Able", "Asha Bell", "Bruno Chen", "Cleo Diaz", "Devika Evans"]
    assert view.current_id() == cleo  # still the selected row, one further down
    assert not resets  # rows were inserted and updated, not reloaded
    other.members.delete(dev.id)
    arrive(qtbot, win, win.group, other)
    assert "Devika Evans" not in shown(win)


def test_an_rsvp_checked_in_at_the_other_door_updates_the_count(door: tuple[MainWindow, Group], qtbot: Any) -> None:
    win, other = door
    event = win.group.events.add("Assembly", "2031-05-05T19:00", capacity=10)
    sync_pair(win.group, other)  # the event goes to the other laptop
    open_event(qtbot, win, event.id)
    asha = next(m for m in other.members.list() if m.name == "Asha Bell")
    other.events.checkin(event.id, asha.id)
    arrive(qtbot, win, win.group, other)
    assert win.events_view.detail.count.text().startswith("1 of 10 places checked in")
    assert [win.events_view.detail.rsvps.index(r, 0).data() for r in range(win.events_view.detail.rsvps.rowCount())] \
        == ["Asha Bell"]


def test_editing_while_a_peer_changes_the_same_member_asks_before_overwriting(
        door: tuple[MainWindow, Group], qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    win, other = door
    bruno = next(m for m in win.group.members.list() if m.name == "Bruno Chen")
    dialog = RecordDialog(win.group, win.bridge, "member", bruno.id, parent=win)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.form.name)  # typing starts in the first field
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(dialog.focusWidget(), "Bruno C. (mine)")
    other.members.edit(bruno.id, name="Bruno Chen-Ortiz", notes="moved to flat 3")
    arrive(qtbot, win, win.group, other)
    assert dialog.banner.isVisible()
    assert "changed name" in dialog.banner.label.text() and "asked which to keep" in dialog.banner.label.text()
    assert dialog.form.notes.toPlainText() == "moved to flat 3"  # their untouched field is shown
    asked: list[str] = []

    def keep_theirs(box: Any) -> None:
        asked.append(box.text())
        theirs = next(b for b in box.buttons() if b.text() == "Keep theirs")
        qtbot.mouseClick(theirs, Qt.MouseButton.LeftButton)

    with_modal(lambda: qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save),
                                        Qt.MouseButton.LeftButton), keep_theirs)
    assert len(asked) == 1 and "yours: “Bruno C. (mine)”" in asked[0] and "theirs: “Bruno Chen-Ortiz”" in asked[0]
    kept = win.group.members.get(bruno.id)
    assert kept.name == "Bruno Chen-Ortiz" and kept.notes == "moved to flat 3"


def test_a_recorded_conflict_can_be_settled_with_use_this_value(door: tuple[MainWindow, Group], qtbot: Any) -> None:
    win, other = door
    asha = next(m for m in win.group.members.list() if m.name == "Asha Bell")
    win.group.members.edit(asha.id, notes="here")
    other.members.edit(asha.id, notes="there")
    arrive(qtbot, win, win.group, other)
    win.switch_to("peers")
    view = win.peers_view
    assert view.conflicts.rowCount() == 1
    row = [view.conflicts.index(0, c).data() for c in range(5)]
    assert row[0] == "member: Asha Bell" and row[1] == "notes"
    losing = row[3]
    assert not view.use_other.isEnabled()  # nothing picked yet
    click_row(qtbot, view.conflict_table, 0)
    assert "Asha Bell" in view.conflict_note.text() and f"“{losing}”" in view.conflict_note.text()
    qtbot.mouseClick(view.use_other, Qt.MouseButton.LeftButton)
    assert win.group.members.get(asha.id).notes == losing
    assert view.conflicts.rowCount() == 0
    assert view.conflict_empty.isVisible() and "No conflicts" in view.conflict_empty.text()


def test_views_not_on_screen_take_in_a_peers_changes_as_they_are_opened(door: tuple[MainWindow, Group],
                                                                         qtbot: Any) -> None:
    win, other = door
    for name in ("tasks", "events", "members"):  # each view read once, then Members on screen
        win.switch_to(name)
    qtbot.waitUntil(lambda: win.tasks_view.loaded and win.events_view.agenda.loaded)
    todo = win.tasks_view.columns["todo"].model
    resets: list[int] = []
    todo.modelReset.connect(lambda: resets.append(1))
    event = other.events.add("Street stall", "2031-06-01T10:00")
    task = other.tasks.add("Print leaflets")
    arrive(qtbot, win, win.group, other)
    assert todo.row_of(task.id) == -1 and win.events_view.agenda.row_of(event.id) == -1  # noted, not done
    win.switch_to("tasks")
    assert todo.index(todo.row_of(task.id), 0).data().startswith("Print leaflets")
    assert not resets  # the row went in; the column was not reloaded
    win.switch_to("events")
    assert win.events_view.agenda.index(win.events_view.agenda.row_of(event.id), 0).data().endswith("Street stall")
    win.switch_to("tasks")  # the list, read when first opened, has it too
    bar = win.tasks_view.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
    assert task.id in [win.tasks_view.proxy.index(r, 0).data(ID_ROLE) for r in range(win.tasks_view.proxy.rowCount())]
