"""A host's evening with three laptops (the room walk of 2026-12-02), as the host sees it: in
Laptops the size of the group follows what arrives while the view is open, and the group's
devices are all in sight, also once a removal is noted under them; in Members the answer buttons
are greyed while there is no upcoming event to answer for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from tests.conftest import add_device, sync_all, sync_pair
from tests.ui.conftest import click_row, row_of_text


def _open_peers(qtbot: Any, group: Group, tmp_path: Path) -> MainWindow:
    win = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(win)
    win.resize(1280, 800)  # the room's laptops: 1366x800 less the window's frame
    win.show()
    qtbot.mouseClick(win.sidebar.widgetForAction(win.view_actions["peers"]), Qt.MouseButton.LeftButton)
    assert win.current_view() == "peers"
    return win


def test_the_count_of_changes_follows_what_another_laptop_sends_while_the_view_is_open(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Path) -> None:
    """Two laptops up to date side by side said 7 and 8 changes: the open view kept the count it
    read when it was opened, while the other laptop's admission and check-ins arrived."""
    here, door = two_devices
    win = _open_peers(qtbot, here, tmp_path)
    before = here.size()["changes"]
    assert win.peers_view.size_label.text().startswith(f"The group holds {before:,} changes")
    for name in ("Farah Okafor", "Gus Novak", "Hana Sato"):
        door.members.add(name)
    sync_pair(here, door)
    qtbot.waitUntil(lambda: not win.bridge.busy, timeout=5000)
    after = here.size()["changes"]
    assert after == before + 3
    qtbot.waitUntil(lambda: win.peers_view.size_label.text().startswith(f"The group holds {after:,} changes"),
                    timeout=3000)
    win.close()


def test_every_device_of_the_group_shows_without_scrolling_also_under_a_removal_note(
        qtbot: Any, group: Group, tmp_path: Path) -> None:
    """The admin's window is open on Laptops while laptops join, then one is removed: the
    table of the group's devices showed two rows and a scroll bar with three devices, one row once
    the sentence about the removal took its place below it."""
    office = group
    win = _open_peers(qtbot, office, tmp_path)
    view = win.peers_view
    joined = []
    for name in ("second door", "minutes laptop", "welcome desk"):
        joined.append(add_device(office, tmp_path / name.replace(" ", "-"), name))
        qtbot.waitUntil(lambda: not win.bridge.busy, timeout=5000)
    try:
        sync_all([office, *joined], rounds=2)
        office.membership.remove(joined[1].device_id)
        qtbot.waitUntil(lambda: not win.bridge.busy, timeout=5000)
        qtbot.waitUntil(view.removal_note.isVisible, timeout=3000)  # 'minutes laptop' was removed on ...
        table = view.device_table
        names = [table.model().index(r, 0).data() for r in range(table.model().rowCount())]
        assert names == [f"{office.device_name} (this laptop)", "second door", "welcome desk"]

        def in_sight(row: int) -> bool:
            return table.viewport().rect().contains(table.visualRect(table.model().index(row, 0)))

        qtbot.waitUntil(lambda: all(in_sight(row) for row in range(len(names))), timeout=3000)
        win.close()
    finally:
        for device in joined:
            device.close()


def test_the_answer_buttons_stay_greyed_while_there_is_no_upcoming_event_to_answer_for(
        qtbot: Any, group: Group, tmp_path: Path) -> None:
    """The first members of a new group, no event yet: 'No upcoming events' above Yes / Maybe / No,
    and from the second member clicked on the buttons could be clicked, doing nothing at all."""
    for name in ("Ana López", "Bilal Haddad"):
        group.members.add(name)
    win = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(win)
    win.show()
    qtbot.mouseClick(win.sidebar.widgetForAction(win.view_actions["members"]), Qt.MouseButton.LeftButton)
    view = win.members_view
    for name in ("Ana López", "Bilal Haddad", "Ana López"):
        click_row(qtbot, view.table, row_of_text(view.table, name))
        assert view.rsvp_event.currentText() == "No upcoming events"
        assert not any(button.isEnabled() for button in view.answer.buttons.values()), f"answer buttons for {name}"
    win.close()
