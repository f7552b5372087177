"""The window open while the command line (another process on the same store) changes the group:
the window's watch of the store notices the commit at its next look and the views show it, and a
form the person is typing in keeps what she typed. The look is driven here by its timer's signal,
so nothing depends on when the timer would have fired."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from organiser.services.group import Group, open_group
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from tests.cli_in_process import cli_in_process
from tests.ui.conftest import click, click_row, with_modal


def data_dir(group: Group) -> Path:
    return group.path.parent.parent


def look(window: MainWindow) -> None:
    """The watch's timer fires once, as it does every second or so in the app."""
    window.store_watch.timer.timeout.emit()


def devices_listed(window: MainWindow) -> list[str]:
    devices = window.peers_view.devices
    return [devices.index(r, 0).data() for r in range(devices.rowCount())]


def members_listed(window: MainWindow) -> list[str]:
    model = window.members_view.table.model()
    return [model.index(r, 0).data() for r in range(model.rowCount())]


@pytest.fixture
def admin_window(qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Path) -> Iterator[MainWindow]:
    a, _b = two_devices
    win = MainWindow(a, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def test_a_device_removed_with_the_command_line_leaves_the_open_windows_list(
        admin_window: MainWindow, qtbot: Any) -> None:
    window = admin_window
    qtbot.mouseClick(window.sidebar.widgetForAction(window.view_actions["peers"]), Qt.MouseButton.LeftButton)
    assert window.current_view() == "peers"
    assert any(name.startswith("minutes laptop") for name in devices_listed(window))
    code, _out, err = cli_in_process(data_dir(window.group), "device", "remove", "minutes laptop")
    assert code == 0, err
    look(window)
    qtbot.waitUntil(lambda: devices_listed(window) == ["door laptop (this laptop)"], timeout=3000)


def test_a_member_added_with_the_command_line_shows_in_the_open_directory(window: MainWindow, qtbot: Any) -> None:
    qtbot.mouseClick(window.sidebar.widgetForAction(window.view_actions["members"]), Qt.MouseButton.LeftButton)
    assert "Zadie Quist" not in members_listed(window)
    code, _out, err = cli_in_process(data_dir(window.group), "member", "add", "--name", "Zadie Quist")
    assert code == 0, err
    look(window)
    qtbot.waitUntil(lambda: "Zadie Quist" in members_listed(window), timeout=3000)


def test_what_this_app_stored_through_its_other_connection_is_not_announced_twice(
        window: MainWindow, qtbot: Any) -> None:
    """An import, the sync worker, the folder watcher write through their own connections and
    announce what they stored on the window's bus: the watch leaves those to that announcement."""
    heard: list[Any] = []
    window.bridge.recordsChanged.connect(heard.append)
    group = window.group
    worker = open_group(data_dir(group), group.id, bus=group.bus)  # as an import's worker opens it
    try:
        worker.members.add(name="Ines Ortega")
    finally:
        worker.close()
    qtbot.waitUntil(lambda: "Ines Ortega" in members_listed(window) or len(heard) >= 1, timeout=3000)
    assert len(heard) == 1
    look(window)
    qtbot.wait(50)  # a few turns of the loop: an announcement from the look would have arrived
    assert len(heard) == 1


def test_a_form_being_typed_in_keeps_what_was_typed_when_the_command_line_changes_that_member(
        window: MainWindow, qtbot: Any) -> None:
    qtbot.mouseClick(window.sidebar.widgetForAction(window.view_actions["members"]), Qt.MouseButton.LeftButton)
    view = window.members_view
    target = view.model.rows[0]
    click_row(qtbot, view.table, 0)
    seen: dict[str, Any] = {}

    def type_then_hear_of_the_change(dialog: Any) -> None:
        click(qtbot, dialog.form.name)
        qtbot.keyClick(dialog.form.name, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(dialog.form.name, "Typed Before The Change")
        code, _out, err = cli_in_process(data_dir(window.group), "member", "edit", target.id, "--notes",
                                         "moved to the east branch")
        assert code == 0, err
        look(window)
        qtbot.waitUntil(lambda: dialog.banner.isVisible(), timeout=3000)
        seen["banner"] = dialog.banner.label.text()
        seen["name"] = dialog.form.name.text()
        seen["notes"] = dialog.form.values().get("notes")
        dialog.reject()

    with_modal(lambda: click(qtbot, view.edit_button), type_then_hear_of_the_change)
    assert seen["banner"].startswith("Someone on another laptop just changed")
    assert seen["name"] == "Typed Before The Change"
    assert seen["notes"] == "moved to the east branch"
    assert window.group.members.get(target.id).notes == "moved to the east branch"


def test_a_member_added_after_changesets_were_taken_back_from_the_top_of_the_log_shows(
        two_devices: tuple[Group, Group], qtbot: Any, tmp_path: Path) -> None:
    """The door laptop's window shows Bea, whom `serve` (another process) brought from the minutes
    laptop. `serve` then takes that changeset back, the newest in the log (as a removal's withdrawal
    does: store/membership.py), and the command line adds Zadie, all between two looks of the watch.
    SQLite gave Zadie's changeset the id Bea's had, at or below the last the watch had read: the
    window never showed her."""
    door, minutes = two_devices
    window = MainWindow(door, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    qtbot.mouseClick(window.sidebar.widgetForAction(window.view_actions["members"]), Qt.MouseButton.LeftButton)
    minutes.members.add("Bea Lin")
    serve = open_group(data_dir(door), door.id)  # its own connection and bus, as `serve` has
    try:
        serve.replica.apply(minutes.replica.changes_since(serve.replica.version_vector()))
        look(window)
        qtbot.waitUntil(lambda: "Bea Lin" in members_listed(window), timeout=3000)
        with serve.db.atomic():
            serve.db.execute("DELETE FROM changes WHERE author = ? AND seq > ?",
                             [minutes.device_id, minutes.replica.version_vector()[minutes.device_id] - 1])
    finally:
        serve.close()
    code, _out, err = cli_in_process(data_dir(door), "member", "add", "--name", "Zadie Quist")
    assert code == 0, err
    look(window)
    qtbot.waitUntil(lambda: "Zadie Quist" in members_listed(window), timeout=3000)
    window.close()


def test_what_a_removal_on_the_command_line_takes_back_leaves_the_open_members_list(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Path) -> None:
    """An admin beside the open window types `organiser device remove … --undo-since`: the list of
    laptops lost the removed one, but Members still showed the member it had added and the name it
    had changed, until something else made the list read them again."""
    from tests.conftest import sync_pair

    a, b = two_devices
    carmen = a.members.add("Carmen Berg").id
    sync_pair(a, b)
    b.members.add("Zed Added By The Mole")
    b.members.edit(carmen, name="Carmen Renamed By The Mole")
    sync_pair(a, b)
    window = MainWindow(a, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    qtbot.mouseClick(window.sidebar.widgetForAction(window.view_actions["members"]), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: members_listed(window) == ["Carmen Renamed By The Mole", "Zed Added By The Mole"],
                    timeout=3000)
    code, _out, err = cli_in_process(data_dir(a), "device", "remove", "minutes laptop",
                                     "--undo-since", "2020-01-01T00:00")
    assert code == 0, err
    look(window)
    qtbot.waitUntil(lambda: members_listed(window) == ["Carmen Berg"], timeout=3000)
    assert window.members_view.count.text() == "1 member"
    window.close()
