"""Laptops > Sync through a folder…, used as a person would: open it, type the folder's
path, add it, select it, sync now, read how far each device is, remove it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from organiser.services.folders import Folders
from organiser.services.group import Group
from organiser.ui.folders_dialog import FoldersDialog
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


def _open_empty(qtbot: Any, group: Group) -> Any:
    view = PeersView(group, None)
    qtbot.addWidget(view)
    view.show()
    qtbot.mouseClick(view.folders_button, Qt.MouseButton.LeftButton)
    return view.findChild(FoldersDialog)


def _add(qtbot: Any, dialog: Any, path: Any) -> None:
    qtbot.mouseClick(dialog.path, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.path, str(path))
    qtbot.keyClick(dialog.path, Qt.Key.Key_Return)


def test_the_state_of_the_first_folder_added_is_shown_whole(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Any) -> None:
    """From the folder walk: the State column, sized while the list was empty, showed 'e…g'."""
    a, _b = two_devices
    stick = tmp_path / "STICK"
    stick.mkdir()
    dialog = _open_empty(qtbot, a)
    _add(qtbot, dialog, stick)
    state = dialog.model.index(0, 3)
    text = state.data()
    assert text == "every device has read everything" or text.startswith("not yet read by")
    shown = dialog.table.visualRect(state).width()
    assert shown >= dialog.table.fontMetrics().horizontalAdvance(text)


def test_the_dialog_follows_the_folder_while_it_is_open(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Any) -> None:
    """From the folder walk: the app's watcher passes every second, but the open dialog kept the
    'Last checked' and state of its opening; a stick pulled out went on reading 'every device has
    read everything'."""
    a, _b = two_devices
    stick = tmp_path / "STICK"
    stick.mkdir()
    dialog = _open_empty(qtbot, a)
    _add(qtbot, dialog, stick)
    assert "cannot be used" not in dialog.model.item(0, 3).text()
    stick.rename(tmp_path / "in a pocket")  # pulled out; nobody touches the dialog
    qtbot.waitUntil(lambda: "cannot be used now" in dialog.model.item(0, 3).text(), timeout=5000)
    assert "plug the stick in" in dialog.model.item(0, 3).toolTip()


def test_the_dialog_says_how_to_choose_a_stick_and_where_this_device_writes(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Any, monkeypatch: Any) -> None:
    """From the folder walk: nothing said how to pick a USB stick, Choose… opened where the app
    was started, a folder chosen there still waited for Add folder, and nothing said which of the
    folder's files are this device's."""
    import os

    from PySide6.QtWidgets import QFileDialog

    from organiser.ui import folders_dialog

    a, _b = two_devices
    media = tmp_path / "media" / "ana"
    stick = media / "STICK"
    stick.mkdir(parents=True)
    monkeypatch.setattr(folders_dialog, "MEDIA_PLACES", [str(tmp_path / "run" / "media" / "{user}"),
                                                        str(tmp_path / "media" / "{user}")])
    monkeypatch.setenv("USER", "ana")
    opened_at: list[str] = []

    def chooser(_parent: Any, _title: str, start: str, *args: Any, **kwargs: Any) -> str:
        opened_at.append(start)
        return str(stick)  # the person picks the stick

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", chooser)
    dialog = _open_empty(qtbot, a)
    assert "USB stick" in dialog.explanation.text() and "Choose" in dialog.explanation.text()
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    assert opened_at == [str(media)]  # where sticks appear, not where the app was started
    assert dialog.model.rowCount() == 1 and dialog.model.item(0, 0).text() == str(stick)
    own = [p.name for p in stick.iterdir() if p.is_dir()]
    assert len(own) == 1
    assert f"writes its files in {os.path.join(str(stick), own[0])}" in dialog.detail.text()


def test_a_folder_that_cannot_be_used_says_so_in_short_and_what_to_do_below(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Any, warnings_shown: list[str]) -> None:
    """From the folder walk: the whole sentence in the State cell pushed the folder's path out of
    view behind a scroll bar."""
    a, _b = two_devices
    stick = tmp_path / "STICK"
    stick.mkdir()
    dialog = _open_empty(qtbot, a)
    _add(qtbot, dialog, stick)
    stick.rename(tmp_path / "in a pocket")
    qtbot.mouseClick(dialog.sync_button, Qt.MouseButton.LeftButton)
    assert warnings_shown and "plug the stick in" in warnings_shown[-1].lower()
    dialog.reload()
    assert dialog.table.horizontalScrollBar().maximum() == 0  # path, time, files and state all in view
    state = dialog.model.item(0, 3)
    assert "select it" in state.text() and "plug the stick in" in state.toolTip().lower()
    _click_row(qtbot, dialog.table, 0)
    assert "plug the stick in" in dialog.detail.text().lower()


def test_an_admin_invites_a_far_laptop_through_the_selected_folder(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Any) -> None:
    """From the folder walk: inviting a laptop through the stick needed 'organiser invite --folder'."""
    from organiser.services.folder_invites import redeem_folder_invite
    from tests.ui.conftest import with_modal

    a, _b = two_devices
    stick = tmp_path / "STICK"
    stick.mkdir()
    dialog = _open_empty(qtbot, a)
    assert not dialog.invite_button.isEnabled()  # which folder? none chosen yet
    _add(qtbot, dialog, stick)
    _click_row(qtbot, dialog.table, 0)
    shown: list[str] = []
    with_modal(lambda: qtbot.mouseClick(dialog.invite_button, Qt.MouseButton.LeftButton),
               lambda box: shown.append(box.text()))
    said = shown[0]
    code = next(word for word in said.replace("<", " ").replace(">", " ").split() if word.startswith("ORGF-"))
    assert "apart from" in said and "7 days" in said and "Join a group" in said
    assert QApplication.clipboard().text() == code
    assert list(stick.glob("*.invite"))
    far = redeem_folder_invite(tmp_path / "far", str(stick), code, "far laptop")
    try:
        qtbot.mouseClick(dialog.sync_button, Qt.MouseButton.LeftButton)  # the office's pass admits it
        assert "far laptop" in {d.get("name") for d in a.devices()}
    finally:
        far.close()


def test_a_laptop_that_joined_through_the_folder_is_told_it_waits_to_be_admitted(
        qtbot: Any, group: Group, tmp_path: Any) -> None:
    """From the folder walk: the far laptop's window opened on the group and read everything in the
    folder, but nothing said that its own changes wait until the stick has been back to the laptop
    that invited it."""
    from organiser.services.folder_invites import make_folder_invite, redeem_folder_invite

    stick = tmp_path / "STICK"
    stick.mkdir()
    code = make_folder_invite(group, str(stick), 3600)
    far = redeem_folder_invite(tmp_path / "far", str(stick), code, "far laptop")
    try:
        dialog = _open_empty(qtbot, far)
        state = dialog.model.item(0, 3)
        assert "waits to be admitted" in state.text()
        _click_row(qtbot, dialog.table, 0)
        assert "door laptop" in dialog.detail.text() and "carry" in dialog.detail.text().lower()
        Folders(group.replica).sync()  # the stick back at the door laptop: admitted
        with qtbot.waitSignal(dialog.synced, timeout=5000):
            qtbot.mouseClick(dialog.sync_button, Qt.MouseButton.LeftButton)
        assert "waits" not in dialog.model.item(0, 3).text()
    finally:
        far.close()


def test_a_stick_that_also_carries_documents_reads_as_fine(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Any) -> None:
    """From the folder walk: the union's documents on the stick made the state read '29 files ignored'."""
    a, _b = two_devices
    stick = tmp_path / "STICK"
    stick.mkdir()
    for n in range(29):
        (stick / f"minutes-{n}.pdf").write_bytes(b"%PDF")
    dialog = _open_empty(qtbot, a)
    _add(qtbot, dialog, stick)
    assert "ignored" not in dialog.model.item(0, 3).text()
    _click_row(qtbot, dialog.table, 0)
    assert "<br>29 files and folders beside the laptops" in dialog.detail.text()  # a sentence of its own


def test_a_folder_last_checked_on_another_day_says_which_day(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Any) -> None:
    """'Last checked' showed the time alone: a stick last passed over on Monday evening read, on
    Thursday, as checked at 18:40 today. The day is pinned (FROZEN_NOW, Thursday 26 November
    2026), and so is the last pass: the day the suite runs changes nothing."""
    from datetime import datetime

    a, _b = two_devices
    stick = tmp_path / "STICK"
    stick.mkdir()
    folders = Folders(a.replica)
    folders.add(str(stick))
    for checked, shown in ((datetime(2026, 11, 23, 18, 40), "Mon 23 Nov 18:40"),
                           (datetime(2026, 11, 26, 9, 30, 5), "09:30:05"),
                           (datetime(2025, 12, 2, 18, 40), "Tue 2 Dec 2025 18:40")):
        with folders.db.atomic():  # the last pass, as the watcher wrote it then
            folders.db.execute("UPDATE folders SET last_pass_at = ?", [checked.timestamp()])
        dialog = _open_empty(qtbot, a)
        assert dialog.model.item(0, 1).text() == shown
        dialog.close()
