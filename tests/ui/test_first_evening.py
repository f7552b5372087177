"""A volunteer's first evening, as seen on screen: the start screen answers Return and forgets a
refusal once it is put right, Tab leaves the invite code box, the door's Alt+R opens the walk-in
form, a member search reaches its result with Return, an agenda item's title can be read while it
is typed, and the export dialog shows all of its text for a backup. Each test clicked or typed
what a person did in the real app (Xvfb walk-through, 2026-12-01) and failed before its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from organiser.services.group import Group
from organiser.ui.first_run import StartWindow


def _start(qtbot: Any, tmp_path: Path) -> tuple[StartWindow, list[Group]]:
    start = StartWindow(tmp_path / "data")
    qtbot.addWidget(start)
    start.show()
    qtbot.waitExposed(start)
    start.windowHandle().requestActivate()  # keys go to the active window's focus, as on a desktop
    qtbot.waitUntil(lambda: QApplication.activeWindow() is start, timeout=3000)
    groups: list[Group] = []
    start.groupReady.connect(groups.append)
    return start, groups


def _type_into(qtbot: Any, field: QWidget, text: str) -> None:
    """Click a field, as a person does before typing into it, and type."""
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(field, text)


# ---- start screen -------------------------------------------------------------------------------

def test_return_in_a_field_of_create_a_group_creates_it(qtbot: Any, tmp_path: Path) -> None:
    start, groups = _start(qtbot, tmp_path)
    qtbot.mouseClick(start.create_choice, Qt.MouseButton.LeftButton)
    _type_into(qtbot, start.group_name, "Riverside Tenants Union")
    qtbot.keyClick(start.group_name, Qt.Key.Key_Return)
    assert [g.name for g in groups] == ["Riverside Tenants Union"]
    groups[0].close()


def test_a_refusal_on_create_a_group_goes_once_the_name_is_typed(qtbot: Any, tmp_path: Path) -> None:
    start, groups = _start(qtbot, tmp_path)
    qtbot.mouseClick(start.create_choice, Qt.MouseButton.LeftButton)
    create_button = next(b for b in start.findChildren(type(start.create_choice)) if b.text() == "Create group")
    qtbot.mouseClick(create_button, Qt.MouseButton.LeftButton)
    assert start.create_error.isVisible() and "needs a name" in start.create_error.text()
    _type_into(qtbot, start.group_name, "Riverside")
    assert not start.create_error.isVisible(), "the refusal stays after the name was typed"
    assert groups == []


def test_tab_in_the_invite_code_box_moves_on_to_the_device_name(qtbot: Any, tmp_path: Path) -> None:
    start, _groups = _start(qtbot, tmp_path)
    qtbot.mouseClick(start.join_choice, Qt.MouseButton.LeftButton)
    _type_into(qtbot, start.code.viewport(), "47-banjo-insincere")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert start.code.toPlainText() == "47-banjo-insincere"
    assert QApplication.focusWidget() is start.join_device
