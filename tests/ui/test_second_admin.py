"""The only admin's laptop lost leaves nobody who can remove it or admit a laptop (the membership
rules keep the last admin). Laptops says so while there is one admin, and a second admin is
made with a click, as a person would: click the device, click Make admin."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from organiser.services.group import Group
from organiser.ui.peers_view import PeersView
from tests.ui.conftest import click_row


def _click_row_named(qtbot: Any, view: PeersView, start: str) -> None:
    names = [view.devices.index(row, 0).data() for row in range(view.devices.rowCount())]
    click_row(qtbot, view.device_table, next(row for row, name in enumerate(names) if name.startswith(start)))


def test_the_only_admin_is_warned_and_makes_a_second_admin_with_two_clicks(
        qtbot: Any, two_devices: tuple[Group, Group]) -> None:
    a, b = two_devices
    view = PeersView(a, None)
    qtbot.addWidget(view)
    view.show()
    assert "only admin" in view.admin_note.text() and view.admin_note.isVisible()
    assert not view.make_admin_button.isEnabled()  # nothing chosen yet
    _click_row_named(qtbot, view, "minutes laptop")
    assert view.make_admin_button.isEnabled()
    qtbot.mouseClick(view.make_admin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: b.device_id in {d["id"] for d in a.devices() if d["admin"]}, timeout=2000)
    assert [view.devices.index(r, 2).data() for r in range(view.devices.rowCount())] == ["admin", "admin"]
    assert not view.admin_note.isVisible()


def test_a_member_sees_that_the_group_has_one_admin_and_cannot_make_admins(
        qtbot: Any, two_devices: tuple[Group, Group]) -> None:
    _a, b = two_devices
    view = PeersView(b, None)
    qtbot.addWidget(view)
    view.show()
    assert "'door laptop' is the group's only admin" in view.admin_note.text()
    _click_row_named(qtbot, view, "door laptop")
    assert not view.make_admin_button.isEnabled()
    dialog = view.remove_device()  # the admin's laptop is lost: can this member remove it?
    assert not dialog.devices.isEnabled()
    assert "'door laptop' is the group's only admin" in dialog.intro.text() and "new group" in dialog.intro.text()
    dialog.close()


def test_the_only_admins_name_is_shown_as_its_member_wrote_it(qtbot: Any, tmp_path: Any) -> None:
    """A laptop named "Ana's <b>laptop</b>" (an apostrophe, and what looks like markup) is shown
    in those very characters: not '&#x27;', not bold."""
    from organiser.services.group import create_group
    from tests.conftest import add_device, sync_pair

    name = "Ana's <b>laptop</b>"
    a = create_group(tmp_path / "a", "Tenants Union", name)
    b = add_device(a, tmp_path / "b", "minutes laptop")
    sync_pair(a, b)
    view = PeersView(b, None)
    qtbot.addWidget(view)
    view.show()
    assert view.admin_note.text().startswith(f"'{name}' is the group's only admin")
    assert view.admin_note.textFormat() == Qt.TextFormat.PlainText
    dialog = view.remove_device()
    assert f"'{name}' is the group's only admin" in dialog.intro.text()
    assert dialog.intro.textFormat() == Qt.TextFormat.PlainText
    dialog.close()
    a.close()
    b.close()
