"""The door laptop an admin removed an hour ago, as its volunteer sees it: a notice above every view
says which laptop of the group told it and when, what that means, and counts each check-in made since that did not
reach the group; the list of them is one click away, to copy for an admin."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QScrollArea

from organiser.core.bus import PeersChanged
from organiser.services.group import Group, create_group
from organiser.services.removed_here import REMOVED_NOTICE
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from tests.conftest import add_device, sync_pair
from tests.ui.conftest import click, open_event, reads, row_of_text, with_modal
from tests.ui.test_door import type_at_door
from tests.ui.test_peers_state import open_peers, until

node_module = pytest.importorskip("organiser.net.node")


def _told_by(office: Group, door: Group) -> None:
    """What the door laptop's sync node keeps when the office laptop refuses it (net/admission.py):
    that it was told, when, and by whom."""
    door.replica.set_meta(REMOVED_NOTICE, f"{int(time.time()) - 1} {office.device_id}")
    door.bus.publish(PeersChanged())


def test_the_removed_door_laptop_says_who_told_it_and_counts_the_check_ins_that_did_not_reach_the_group(
        qtbot: Any, tmp_path: Path) -> None:
    office = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    door = add_device(office, tmp_path / "door", "door laptop")
    try:
        event = office.events.add("General meeting", "2031-03-01T19:00")
        for name in ("Ana López", "Sam Lee"):
            office.members.add(name)
        sync_pair(office, door)
        win = MainWindow(door, None, settings=UiSettings(tmp_path / "ui"))
        qtbot.addWidget(win)
        win.show()
        notice = win.removed_notice
        assert not notice.isVisible()  # a laptop of the group shows nothing of the kind
        open_event(qtbot, win, event.id)

        office.membership.remove("door laptop")
        _told_by(office, door)
        qtbot.waitUntil(notice.isVisible, timeout=3000)
        assert reads(notice.title) == "This laptop was removed from the group"
        assert reads(notice.body).startswith("office laptop (Rosa) said so on ")
        assert "no longer reaches the group's other laptops" in reads(notice.body)
        assert reads(notice.not_reached).startswith("Nothing entered here since this laptop was told is missing from "
                                                    "the group")
        assert "hand over" not in reads(notice.to_do)  # nothing to hand over yet: its list is greyed

        for person in ("Ana", "Sam Lee"):  # the queue at the door goes on
            type_at_door(qtbot, win, person)
            qtbot.waitUntil(lambda: win.events_view.detail.checkin_search.text() == "", timeout=3000)
        qtbot.waitUntil(lambda: reads(notice.not_reached) == (
            "At least 2 changes made here since this laptop was told did not reach the group (2 RSVPs or "
            "check-ins): they are kept on this laptop only."), timeout=3000)
        assert reads(notice.to_do).endswith("Before wiping, hand over what did not reach the group.")
        for view in ("tasks", "members", "peers", "events"):
            win.switch_to(view)
            assert notice.isVisible()
        devices = win.peers_view.device_table
        assert devices.model().index(row_of_text(devices, "door laptop (this laptop)"), 2).data() == "removed"

        click(qtbot, notice.list_button)
        dialog = notice.dialog
        assert dialog is not None and dialog.isVisible()
        listed = [dialog.model.index(r, 1).data() for r in range(dialog.model.rowCount())]
        assert listed == ["check-in or RSVP 'Ana López' at General meeting",
                          "check-in or RSVP 'Sam Lee' at General meeting"]
        click(qtbot, dialog.copy_button)
        copied = QApplication.clipboard().text()
        # the names of who came, kept out of clipboard histories (saved to disk by KDE's Klipper)
        assert bytes(QApplication.clipboard().mimeData().data("x-kde-passwordManagerHint").data()) == b"secret"
        assert "Ana López" in copied and "Sam Lee" in copied
        dialog.close()
        assert office.events.rsvps(event.id) == []  # nothing of it at the office

        said: list[str] = []

        def read_and_cancel(wipe: Any) -> None:  # the volunteer reads what wiping would destroy, and thinks again
            said.extend(reads(label) for label in wipe.findChildren(QLabel))
            click(qtbot, wipe.buttons.button(QDialogButtonBox.StandardButton.Cancel))

        with_modal(lambda: click(qtbot, notice.wipe_button), read_and_cancel)
        assert any("At least 2 changes made here since this laptop was told (2 RSVPs or check-ins) are on no "
                   "other laptop of the group: wiping destroys them. Hand them over first" in text
                   for text in said), said
        assert any("An admin removed this laptop from the group already." in text for text in said)
        assert door.members.list()  # nothing wiped
        win.close()
    finally:
        door.close()
        office.close()


def test_the_admins_peers_view_says_plainly_that_the_removed_door_laptop_is_still_trying_to_connect(
        qtbot: Any, tmp_path: Path, node_loop: asyncio.AbstractEventLoop) -> None:
    office = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    door = add_device(office, tmp_path / "door", "door laptop")
    sync_pair(office, door)
    here = node_module.SyncNode(office, listen_host="127.0.0.1", discovery=False)
    node_loop.run_until_complete(here.start())
    there = node_module.SyncNode(door, listen_host="127.0.0.1", discovery=False,
                                 static_peers=[("127.0.0.1", here.port)])
    window = MainWindow(office, here, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    open_peers(qtbot, window)
    state = window.peers_view.state
    try:
        office.membership.remove("door laptop")  # an hour before the meeting; then the door laptop comes in

        async def scene() -> None:
            await there.start()
            await until(lambda: "Removed laptop nearby:" in reads(state))

        node_loop.run_until_complete(scene())
        assert ("Removed laptop nearby: 'door laptop', which an admin removed from the group, was here at "
                in reads(state))
        assert ", trying to sync, and was refused. What is entered on it reaches no laptop of the group" in reads(state)
        # Incidents, further down, must not say "Nothing refused" under it
        incidents = reads(window.peers_view.incidents.note)
        assert "Nothing refused" not in incidents, incidents
    finally:
        node_loop.run_until_complete(there.stop())
        node_loop.run_until_complete(here.stop())
        window.close()
        door.close()
        office.close()


def test_the_removal_arriving_mid_name_at_the_door_takes_neither_the_focus_nor_a_letter(
        qtbot: Any, tmp_path: Path) -> None:
    office = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    door = add_device(office, tmp_path / "door", "door laptop")
    try:
        event = office.events.add("General meeting", "2031-03-01T19:00")
        office.members.add("Ana Lopez")
        sync_pair(office, door)
        win = MainWindow(door, None, settings=UiSettings(tmp_path / "ui"))
        qtbot.addWidget(win)
        win.show()
        open_event(qtbot, win, event.id)
        field = win.events_view.detail.checkin_search
        click(qtbot, field)
        qtbot.keyClicks(field, "Ana")
        assert win.focusWidget() is field
        office.membership.remove("door laptop")
        _told_by(office, door)  # the sync node hears it between two letters
        qtbot.waitUntil(win.removed_notice.isVisible, timeout=3000)
        assert win.focusWidget() is field  # the notice took no focus: the next letters go on
        qtbot.keyClicks(win.focusWidget(), " Lopez")
        assert field.text() == "Ana Lopez"
        qtbot.keyClick(field, Qt.Key.Key_Return)
        ana = next(m.id for m in door.members.list() if m.name == "Ana Lopez")
        qtbot.waitUntil(lambda: [(r.member, r.checked_in_at is not None) for r in door.events.rsvps(event.id)]
                        == [(ana, True)], timeout=3000)
    finally:
        office.close()
        door.close()


def test_an_admins_laptop_with_a_200_letter_name_does_not_widen_the_removed_laptops_window_past_the_screen(
        qtbot: Any, tmp_path: Path) -> None:
    """A name is at most 200 characters, with no space needed: one word, which a wrapped label cannot
    break. In the notice it set the window's least width at some 2,700 pixels, so on a 1366-pixel laptop
    the window ran past the screen's edge, Wipe this laptop's copy… with it."""
    long_name = "W" * 200
    office = create_group(tmp_path / "office", "Tenants Union", long_name)
    door = add_device(office, tmp_path / "door", "door laptop")
    try:
        sync_pair(office, door)
        win = MainWindow(door, None, settings=UiSettings(tmp_path / "ui"))
        qtbot.addWidget(win)
        win.show()
        office.membership.remove("door laptop")
        _told_by(office, door)
        qtbot.waitUntil(win.removed_notice.isVisible, timeout=3000)
        assert win.minimumSizeHint().width() <= 1366
        assert long_name in reads(win.removed_notice.body).replace("\u200b", "")  # the whole name, still
    finally:
        office.close()
        door.close()


def test_a_removed_laptop_with_a_200_letter_name_knocking_does_not_make_peers_and_group_scroll_sideways(
        qtbot: Any, tmp_path: Path, node_loop: asyncio.AbstractEventLoop) -> None:
    """The office laptop's Laptops says the removed laptop is nearby, and who has heard of its
    removal, by its name: one word of 200 letters pushed the view wider than the window."""
    from organiser.core.errors import OrganiserError
    from organiser.net.link import sync_with

    long_name = "W" * 200
    office = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    door = add_device(office, tmp_path / "door", long_name)
    here = node_module.SyncNode(office, listen_host="127.0.0.1", discovery=False)
    try:
        sync_pair(office, door)
        office.membership.remove(door.device_id)
        node_loop.run_until_complete(here.start())
        with pytest.raises(OrganiserError, match="removed from the group"):  # it knocks, and is refused
            node_loop.run_until_complete(sync_with(door, "127.0.0.1", here.port, timeout=10))
        win = MainWindow(office, here, settings=UiSettings(tmp_path / "ui"))
        qtbot.addWidget(win)
        win.resize(1000, 700)
        win.show()
        open_peers(qtbot, win)
        state = win.peers_view.state
        qtbot.waitUntil(lambda: "Removed laptop nearby" in reads(state), timeout=3000)
        assert long_name in reads(state).replace("\u200b", "")
        assert long_name in reads(win.peers_view.removal_note).replace("\u200b", "")
        sideways = win.peers_view.findChild(QScrollArea).horizontalScrollBar()
        assert sideways.maximum() == 0
    finally:
        node_loop.run_until_complete(here.stop())
        office.close()
        door.close()
