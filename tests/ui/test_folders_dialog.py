"""Peers & group > Sync through a folder…, used as a person would: open it, type the folder's
path, add it, select it, sync now, read how far each device is, remove it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from organiser.services.folders import Folders
from organiser.services.group import Group
from organiser.ui.peers_view import PeersView


def _click_row(qtbot: Any, view: Any, row: int) -> None:
    index = view.model().index(row, 0)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())


def _dialog() -> Any:
    return [w for w in QApplication.topLevelWidgets() if w.windowTitle() == "Sync through a folder"
            and w.isVisible()][0]


def test_a_person_adds_a_folder_syncs_and_sees_each_device_then_removes_it(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Any, warnings_shown: list[str]) -> None:
    a, b = two_devices
    shared = tmp_path / "Sync" / "tenants"
    shared.mkdir(parents=True)
    b.members.add("Bruno from the branch")
    Folders(b.replica).add(str(shared))
    Folders(b.replica).sync()
    view = PeersView(a, None)
    qtbot.addWidget(view)
    view.show()
    qtbot.mouseClick(view.folders_button, Qt.MouseButton.LeftButton)
    dialog = _dialog()
    assert dialog.model.rowCount() == 0
    assert "No folder yet" in dialog.detail.text()

    # A mistyped path: one sentence, nothing added.
    qtbot.mouseClick(dialog.path, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.path, str(tmp_path / "nowhere"))
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert warnings_shown and "is not a folder" in warnings_shown[-1]
    assert dialog.model.rowCount() == 0

    dialog.path.selectAll()
    qtbot.keyClicks(dialog.path, str(shared))
    qtbot.keyClick(dialog.path, Qt.Key.Key_Return)  # adds it and makes a first pass
    assert dialog.model.rowCount() == 1
    assert dialog.model.item(0, 0).text() == str(shared)
    headers = [dialog.model.headerData(n, Qt.Orientation.Horizontal) for n in range(dialog.model.columnCount())]
    assert headers == ["Folder", "Last checked", "Files in it", "State"]  # words, not the format's
    assert [m.name for m in a.members.list()] == ["Bruno from the branch"]

    b.members.add("Carla, later")
    Folders(b.replica).sync()
    _click_row(qtbot, dialog.table, 0)
    with qtbot.waitSignal(dialog.synced, timeout=5000):
        qtbot.mouseClick(dialog.sync_button, Qt.MouseButton.LeftButton)
    assert sorted(m.name for m in a.members.list()) == ["Bruno from the branch", "Carla, later"]
    detail = dialog.detail.text()
    assert "<b>door laptop</b>" in detail and "<b>minutes laptop</b>" in detail
    assert "has read everything" in detail
    assert dialog.model.item(0, 2).text() != "0"

    _click_row(qtbot, dialog.table, 0)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert dialog.model.rowCount() == 0
    assert Folders(a.replica).list() == []
