"""Laptops as a newcomer reads it: where others reach this laptop (or that nobody can yet),
and whether it is up to date with the laptops it is connected to. Real sync nodes on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from organiser.services.group import Group
from organiser.ui import asyncjobs
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from tests.ui.conftest import click_row, peers_on_no_network, reads, row_of_text

node_module = pytest.importorskip("organiser.net.node")


def open_peers(qtbot: Any, window: MainWindow) -> None:
    """Click Laptops in the sidebar, as a person does."""
    button = window.sidebar.widgetForAction(window.view_actions["peers"])
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.current_view() == "peers"


async def until(condition: Callable[[], bool], seconds: float = 20) -> None:
    """Let the nodes talk until `condition` holds (bounded in time)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the laptops did not get there in time"
        await asyncio.sleep(0.05)


def test_a_laptop_no_other_can_reach_is_told_to_join_the_network_not_given_its_own_address(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Path, node_loop: asyncio.AbstractEventLoop) -> None:
    """Its node listens where only the laptop itself reaches it (as on a laptop on no network yet):
    127.0.0.1 typed on another laptop reaches that other laptop, so it is never offered."""
    a, _b = two_devices
    with peers_on_no_network(qtbot, a, tmp_path, node_loop) as window:
        said = reads(window.peers_view.state)
        assert "127.0.0.1" not in said
        assert ("This laptop, door laptop, is ready, but this laptop is not on a network that other laptops "
                "can reach: join the room's Wi-Fi (or the hotspot the group uses), and what to type on them "
                "appears here.") in said
        shown: list[Any] = []  # an invite made now is no use to another laptop either: the dialog says so
        window.peers_view.inviteShown.connect(shown.append)
        qtbot.mouseClick(window.peers_view.invite_button, Qt.MouseButton.LeftButton)
        node_loop.run_until_complete(asyncio.wait_for(asyncio.gather(*asyncjobs._running), 30))
        (dialog,) = shown
        assert dialog.unreachable.isVisible()
        assert reads(dialog.unreachable) == ("This laptop is not on a network that other laptops can reach: join "
                                             "the room's Wi-Fi (or the hotspot the group uses), then make a new "
                                             "invite: these codes name no address another laptop can reach.")
        dialog.close()
        node_loop.run_until_complete(asyncio.wait_for(asyncio.gather(*asyncjobs._running), 30))


def test_connected_and_in_step_reads_up_to_date_and_the_last_sync_only_once_nobody_is_reached(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Path, node_loop: asyncio.AbstractEventLoop) -> None:
    """Connected with nothing to exchange, the minutes go by: the view says up to date, not 'last sync
    6 min ago' (when changes last came). Once the other laptop is gone, the last sync is what tells."""
    a, b = two_devices
    b.members.add("Written on the minutes laptop")  # something to exchange at first
    there = node_module.SyncNode(b, listen_host="127.0.0.1", discovery=False)
    node_loop.run_until_complete(there.start())
    here = node_module.SyncNode(a, listen_host="127.0.0.1", discovery=False, static_peers=[("127.0.0.1", there.port)])
    window = MainWindow(a, here, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    open_peers(qtbot, window)
    view = window.peers_view

    def minutes_laptop_says() -> str:
        view.refresh_peers()  # what its timer and the node's news do every few seconds
        return str(view.peer_table.model().index(row_of_text(view.peer_table, "minutes laptop"), 2).data())

    async def scene() -> None:  # the window is used while the loop runs, as in the app
        await here.start()
        try:
            await until(lambda: any(m.name == "Written on the minutes laptop" for m in a.members.list())
                        and minutes_laptop_says() == "up to date")
            assert "Up to date with 1 laptop." in reads(view.state)
            assert " connected." not in reads(view.state)  # not again as "1 of 1 other device connected."
            assert window.sync_label.text() == "Up to date with 1 laptop"
            click_row(qtbot, view.peer_table, row_of_text(view.peer_table, "minutes laptop"))
            said = reads(view.peer_detail)  # the sentence first; the address a helper types comes after
            assert f": connected, up to date. Details: reached at 127.0.0.1:{there.port}." in said
            model = view.peer_table.model()
            name_at = model.index(row_of_text(view.peer_table, "minutes laptop"), 0)
            assert f"Network address: 127.0.0.1:{there.port}" in name_at.data(Qt.ItemDataRole.ToolTipRole)

            a.members.add("Written at the door")  # pushed at once: in step again
            await until(lambda: any(m.name == "Written at the door" for m in b.members.list())
                        and minutes_laptop_says() == "up to date")

            await there.stop()
            await until(lambda: minutes_laptop_says() == "just now")
            assert "No other laptop of the group reached; last sync just now." in reads(view.state)
            assert " connected." not in reads(view.state)  # not "0 of 1 other device connected." before it
        finally:
            await here.stop()
            await there.stop()

    node_loop.run_until_complete(scene())
    window.close()


ENGINEER_WORDS = ("peer", "fingerprint", "handshake", "tls", "mdns", "port", "address", "listening", "device")


def test_what_a_newcomer_reads_first_in_peers_and_group_is_in_organisers_words(
        qtbot: Any, tmp_path: Path, node_loop: asyncio.AbstractEventLoop) -> None:
    """A tenant-union volunteer opens Laptops: "Devices nearby", "This device, door laptop, is
    listening", an Address column and "Connect to address…" read as a network engineer's panel. The
    headings, the sentence under them, the table's columns, the hint and the buttons of the top pane
    say laptops nearby and this laptop; the network address stays in a tooltip."""
    from PySide6.QtWidgets import QLabel, QPushButton

    from organiser.services.group import create_group

    a = create_group(tmp_path / "a", "Riverside Tenants Union", "door laptop")
    try:
        with peers_on_no_network(qtbot, a, tmp_path, node_loop) as window:
            view = window.peers_view
            qtbot.waitUntil(view.peer_empty.isVisible, timeout=3000)  # no other laptop nearby yet
            top = view.split.widget(0)
            model = view.peer_table.model()
            read = [reads(label) for label in top.findChildren(QLabel) if label.isVisible()]
            read += [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())]
            read += [b.text().replace("&", "") for b in top.findChildren(QPushButton) if b.isVisible()]
            assert "Laptops nearby" in read
            assert any(text.startswith("This laptop, door laptop, is ready") for text in read)
            assert any("No other laptop of the group is nearby yet" in text for text in read)
            said = [(word, text) for text in read for word in ENGINEER_WORDS if word in text.lower()]
            assert said == []
            assert view.connect_button.toolTip().startswith("Type the other laptop's network address and port")
    finally:
        a.close()


def test_the_groups_laptops_conflicts_and_incidents_below_are_in_organisers_words_too(
        qtbot: Any, tmp_path: Path, node_loop: asyncio.AbstractEventLoop) -> None:
    """Below Laptops nearby, the page said Device, Invited by, Device id, Remove laptop…, From
    device and "Click a device to see who invited it and its full id". Now every table heading,
    button, hint and sentence there says laptop; the id is said only for the laptop clicked."""
    from PySide6.QtWidgets import QAbstractItemView, QLabel, QPushButton

    from organiser.services.group import create_group
    from tests.conftest import add_device, sync_pair

    a = create_group(tmp_path / "a", "Riverside Tenants Union", "door laptop")
    b = add_device(a, tmp_path / "b", "Sam's laptop")
    sync_pair(a, b)
    try:
        with peers_on_no_network(qtbot, a, tmp_path, node_loop) as window:
            view = window.peers_view
            assert window.sidebar.widgetForAction(window.view_actions["peers"]).toolTip() == "Laptops (Ctrl+4)"
            click_row(qtbot, view.device_table, row_of_text(view.device_table, "Sam's laptop"))
            read = [reads(label) for label in view.findChildren(QLabel) if label.isVisible()]
            read += [b.text().replace("&", "") for b in view.findChildren(QPushButton) if b.isVisible()]
            read += [b.toolTip() for b in view.findChildren(QPushButton) if b.isVisible()]
            for table in view.findChildren(QAbstractItemView):
                model = table.model()
                if table.isVisible() and model is not None and model.columnCount() > 1:
                    read += [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())]
            said = [(word, text) for text in read for word in ("device", "peer", "invited by") if word in text.lower()]
            assert said == []
            devices = view.devices
            assert [devices.headerData(c, Qt.Orientation.Horizontal) for c in range(devices.columnCount())] == [
                "Laptop", "Let in by", "Role"]
            assert [devices.index(r, 0).data() for r in range(devices.rowCount())] == [
                "door laptop (this laptop)", "Sam's laptop"]
            assert reads(view.device_detail) == f"Sam's laptop: let in by door laptop; its id: {b.device_id}"
            assert view.invite_button.text() == "&Invite a laptop…"
            assert view.remove_device_button.text() == "&Remove laptop…"
            assert view.conflicts.headerData(4, Qt.Orientation.Horizontal) == "From laptop"
    finally:
        b.close()
        a.close()


def test_two_laptops_of_one_name_are_told_apart_by_a_short_id(qtbot: Any, tmp_path: Path) -> None:
    from organiser.core.keys import short_id
    from organiser.services.group import create_group
    from organiser.ui.peers_view import PeersView
    from tests.conftest import add_device, sync_pair

    a = create_group(tmp_path / "a", "Riverside Tenants Union", "door laptop")
    b = add_device(a, tmp_path / "b", "Sam's laptop")
    c = add_device(a, tmp_path / "c", "Sam's laptop")
    sync_pair(a, b)
    sync_pair(a, c)
    try:
        view = PeersView(a, None)
        qtbot.addWidget(view)
        view.show()
        shown = sorted(view.devices.index(r, 0).data() for r in range(view.devices.rowCount()))
        assert shown == sorted(["door laptop (this laptop)", f"Sam's laptop ({short_id(b.device_id)})",
                                f"Sam's laptop ({short_id(c.device_id)})"])
    finally:
        for group in (c, b, a):
            group.close()
