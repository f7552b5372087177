"""Forgetting a member from the Members view, as an admin does it: choose, Forget…, read, confirm."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from tests.ui.conftest import click_row, second_laptop

PHONE = "+44 7700 900321"


def _box(window: MainWindow, qtbot: Any) -> QMessageBox:
    found: list[QMessageBox] = []
    qtbot.waitUntil(lambda: bool(found.extend(b for b in window.findChildren(QMessageBox)
                                              if b.objectName() == "forget_member_box" and b.isVisible())
                                 or found), timeout=3000)
    return found[0]


def _button(box: QMessageBox, text: str) -> Any:
    return next(b for b in box.buttons() if b.text().replace("&", "") == text)


def _choose(window: MainWindow, qtbot: Any, name: str) -> None:
    window.switch_to("members")
    view = window.members_view
    row = next(r for r in range(view.model.rowCount()) if view.model.index(r, 0).data() == name)
    click_row(qtbot, view.table, row)
    assert view.current_row() is not None and view.current_row().name == name


def test_forgetting_asks_says_what_is_not_reached_and_cancel_keeps_the_member(window: MainWindow, qtbot: Any) -> None:
    member = window.group.members.add("Zofia Quisling", phones=[PHONE], roles=["medic"])
    _choose(window, qtbot, "Zofia Quisling")
    qtbot.mouseClick(window.members_view.forget_button, Qt.MouseButton.LeftButton)
    box = _box(window, qtbot)
    text = box.text()
    assert "Zofia Quisling" in text and "roles and skills" in text and "cannot be undone" in text
    assert "Not reached:" in text and "Backups, exports and copies made before" in text
    qtbot.mouseClick(_button(box, "Cancel"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not box.isVisible())
    assert window.group.members.get(member.id).phones == [PHONE]


def test_an_ampersand_in_the_name_shows_on_the_forget_button(window: MainWindow, qtbot: Any) -> None:
    """'Tom & Jo Baker' read 'Forget Tom _Jo Baker' (the & taken for the button's key)."""
    window.group.members.add("Tom & Jo Baker")
    _choose(window, qtbot, "Tom & Jo Baker")
    qtbot.mouseClick(window.members_view.forget_button, Qt.MouseButton.LeftButton)
    box = _box(window, qtbot)
    shown = [b.text() for b in box.buttons()]
    assert "&Forget Tom && Jo Baker" in shown  # Qt draws '&&' as one '&'
    qtbot.mouseClick(_button(box, "Cancel"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not box.isVisible())


def test_an_admin_forgets_a_member_and_the_file_no_longer_holds_their_phone(window: MainWindow, qtbot: Any) -> None:
    member = window.group.members.add("Zofia Quisling", phones=[PHONE], notes="key holder")
    assert PHONE.encode() in _file_bytes(window)  # the test can fail
    _choose(window, qtbot, "Zofia Quisling")
    qtbot.mouseClick(window.members_view.forget_button, Qt.MouseButton.LeftButton)
    box = _box(window, qtbot)
    qtbot.mouseClick(_button(box, "Forget Zofia Quisling"), Qt.MouseButton.LeftButton)
    view = window.members_view
    qtbot.waitUntil(lambda: view.model.row_of(member.id) == -1, timeout=3000)
    assert view.banner.isVisible() and "Forgot Zofia Quisling" in view.banner.label.text()
    assert "not reached" in view.banner.label.text()
    raw = _file_bytes(window)
    assert PHONE.encode() not in raw and b"Quisling" not in raw


def _file_bytes(window: MainWindow) -> bytes:
    path = Path(window.group.replica.database_path())
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


@pytest.fixture
def member_laptop(demo: Group, tmp_path: Path) -> Iterator[Group]:
    yield from second_laptop(demo, tmp_path / "member", "minutes laptop")


def test_on_a_members_laptop_forget_is_offered_to_no_one(member_laptop: Group, qtbot: Any, tmp_path: Path) -> None:
    win = MainWindow(member_laptop, None, settings=UiSettings(tmp_path / "ui-member"))
    qtbot.addWidget(win)
    win.show()
    win.switch_to("members")
    click_row(qtbot, win.members_view.table, 0)
    assert win.members_view.current_row() is not None and win.members_view.delete_button.isEnabled()
    assert not win.members_view.forget_button.isEnabled()
    assert win.members_view.forget_button.toolTip() == "Only an admin can forget a member"
    win.close()


def test_a_view_closed_while_the_erasure_runs_leaves_its_thread_ending_cleanly(qtbot: Any, monkeypatch: Any) -> None:
    """The window is locked or closed while a year-old group's erasure runs (seconds): the view
    that waited for it is gone; the erasure's thread ends without an error and is let go."""
    import threading

    import shiboken6
    from PySide6.QtCore import QObject

    from organiser.ui import forget_member

    errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    view = QObject()
    release = threading.Event()
    told: list[Any] = []
    forget_member.run_apart(view, lambda: release.wait(10), told.append)
    (thread,) = forget_member._running
    shiboken6.delete(view)  # the members view, and what carried the outcome to it, are gone
    release.set()
    thread.join(10)
    assert not thread.is_alive()
    assert errors == [] and told == [] and thread not in forget_member._running
