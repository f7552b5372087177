"""The start screen joins through a shared folder or a USB stick, as a person far away does
with the ORGF- code sent apart from the stick (from the folder walk: the app refused that code
as broken; only 'organiser join --folder' on the command line took it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from organiser.services.folder_invites import make_folder_invite
from organiser.services.folders import Folders
from organiser.services.group import Group
from organiser.ui.first_run import StartWindow
from tests.ui.conftest import retype


def test_a_far_laptop_joins_from_the_start_screen_with_a_folder_code(
        qtbot: Any, group: Group, tmp_path: Path, monkeypatch: Any) -> None:
    group.members.add("Already Here")
    stick = tmp_path / "media" / "STICK"
    stick.mkdir(parents=True)
    code = make_folder_invite(group, str(stick), 3600)
    asked: list[str] = []

    def person_picks_the_stick(_parent: Any, title: str, *args: Any, **kwargs: Any) -> str:
        asked.append(title)
        return str(stick)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", person_picks_the_stick)
    start = StartWindow(tmp_path / "far laptop")
    qtbot.addWidget(start)
    joined: list[Group] = []
    start.groupReady.connect(joined.append)
    qtbot.mouseClick(start.join_choice, Qt.MouseButton.LeftButton)
    assert "USB stick" in start.join_hint.text()
    qtbot.mouseClick(start.code, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(start.code, code)
    retype(qtbot, start.join_device, "far laptop")
    qtbot.mouseClick(start.join_buttons.itemAt(2).widget(), Qt.MouseButton.LeftButton)
    try:
        assert [g.id for g in joined] == [group.id], start.join_error.text()
        assert asked and "folder" in asked[0].lower()
        assert [f.path for f in Folders(joined[0].replica).list()] == [str(stick)]
        # The inviting laptop's next pass admits it; the far laptop's reads everything.
        Folders(group.replica).sync()
        assert "far laptop" in {d.get("name") for d in group.devices()}
        Folders(joined[0].replica).sync()
        assert [m.name for m in joined[0].members.list()] == ["Already Here"]
    finally:
        for g in joined:
            g.close()


def test_a_folder_code_with_no_folder_chosen_says_what_to_do(
        qtbot: Any, group: Group, tmp_path: Path, monkeypatch: Any) -> None:
    stick = tmp_path / "STICK"
    stick.mkdir()
    code = make_folder_invite(group, str(stick), 3600)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: "")  # the person cancels
    start = StartWindow(tmp_path / "far laptop")
    qtbot.addWidget(start)
    joined: list[Group] = []
    start.groupReady.connect(joined.append)
    qtbot.mouseClick(start.join_choice, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(start.code, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(start.code, code)
    qtbot.mouseClick(start.join_buttons.itemAt(2).widget(), Qt.MouseButton.LeftButton)
    assert joined == []
    assert "choose the folder" in start.join_error.text().lower()
