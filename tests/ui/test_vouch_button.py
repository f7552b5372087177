"""Laptops, the group's devices: a laptop waiting for an admin (the minutes laptop, admitted
by a laptop a member let in before invitations by members reached one step) is listed as such, and
the admin brings it back as a person would: click the middle laptop, click Vouch…, read what
follows, click Vouch."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from organiser.ui.peers_view import PeersView
from tests.conftest import let_in_before_one_step, sync_all, waiting_scene
from tests.ui.conftest import click_row, row_of_text


@pytest.fixture
def after_the_update(tmp_path: Any) -> Any:
    scene = waiting_scene(tmp_path, before_sync=lambda _m, minutes: minutes.members.add(name="Noted at the meeting"))
    yield scene
    for g in scene:
        g.close()


def _shown(view: PeersView) -> dict[str, tuple[str, str]]:
    """Each row as the table shows it: device -> (invited by, role)."""
    model = view.devices
    return {model.index(r, 0).data(): (model.index(r, 1).data(), model.index(r, 2).data())
            for r in range(model.rowCount())}


def _open_view(qtbot: Any, group: Any) -> PeersView:
    view = PeersView(group, None)
    qtbot.addWidget(view)
    view.resize(1000, 760)
    view.show()
    qtbot.waitExposed(view)
    return view


def _the_question(qtbot: Any, view: PeersView) -> QMessageBox:
    qtbot.waitUntil(lambda: any(box.isVisible() for box in view.findChildren(QMessageBox)), timeout=2000)
    return next(box for box in view.findChildren(QMessageBox) if box.isVisible())


def test_the_admin_clicks_vouch_for_the_middle_laptop_and_the_minutes_laptop_is_back(qtbot: Any,
                                                                                     after_the_update: Any) -> None:
    admin, door, middle, minutes = after_the_update
    view = _open_view(qtbot, admin)
    assert _shown(view)["minutes laptop"] == ("middle laptop", "waiting for an admin")
    assert _shown(view)["middle laptop"] == ("door laptop", "member, let in by a member")
    assert not view.vouch_button.isEnabled()  # nothing chosen yet

    click_row(qtbot, view.device_table, row_of_text(view.device_table, "middle laptop"))
    assert "it cannot invite in turn until an admin vouches for it" in view.device_detail.text()
    assert view.vouch_button.isEnabled() and view.vouch_button.isVisible()
    qtbot.mouseClick(view.vouch_button, Qt.MouseButton.LeftButton)
    question = _the_question(qtbot, view)
    assert "Vouch for 'middle laptop'?" in question.text()
    assert "1 laptop it admitted" in question.text() and "'minutes laptop'" in question.text()
    assert "minutes laptop" not in {d["name"] for d in admin.devices()}  # asking writes nothing
    qtbot.mouseClick(question.vouch_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: _shown(view)["minutes laptop"][1] == "member", timeout=2000)
    assert _shown(view) == {"office laptop (this laptop)": ("founded the group", "admin"),
                            "door laptop": ("office laptop", "member"),
                            "middle laptop": ("office laptop", "member"),
                            "minutes laptop": ("office laptop", "member")}
    sync_all([admin, minutes])
    assert "Noted at the meeting" in {m.name for m in admin.members.list()}


def test_a_click_on_the_waiting_laptop_vouches_for_it_alone_and_cancel_writes_nothing(
        qtbot: Any, after_the_update: Any) -> None:
    admin, door, middle, minutes = after_the_update
    view = _open_view(qtbot, admin)
    written = admin.replica.version_vector()

    click_row(qtbot, view.device_table, row_of_text(view.device_table, "minutes laptop"))
    assert "waiting for an admin" in view.device_detail.text() and not view.make_admin_button.isEnabled()
    qtbot.mouseClick(view.vouch_button, Qt.MouseButton.LeftButton)
    question = _the_question(qtbot, view)
    assert "Vouch for 'minutes laptop'?" in question.text() and "it admitted" not in question.text()
    qtbot.mouseClick(question.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not question.isVisible(), timeout=2000)
    assert admin.replica.version_vector() == written
    assert _shown(view)["minutes laptop"][1] == "waiting for an admin"

    qtbot.mouseClick(view.vouch_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(_the_question(qtbot, view).vouch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _shown(view)["minutes laptop"][1] == "member", timeout=2000)
    assert _shown(view)["middle laptop"][1] == "member, let in by a member"


def test_a_member_sees_who_waits_but_has_no_vouch_to_click(qtbot: Any, after_the_update: Any) -> None:
    admin, door, middle, minutes = after_the_update
    view = _open_view(qtbot, door)
    assert _shown(view)["minutes laptop"][1] == "waiting for an admin"
    click_row(qtbot, view.device_table, row_of_text(view.device_table, "minutes laptop"))
    assert not view.vouch_button.isEnabled()


def test_the_vouch_writes_what_the_question_named_and_not_a_laptop_that_came_to_wait_meanwhile(
        qtbot: Any, after_the_update: Any, tmp_path: Any) -> None:
    admin, door, middle, minutes = after_the_update
    view = _open_view(qtbot, admin)
    click_row(qtbot, view.device_table, row_of_text(view.device_table, "middle laptop"))
    qtbot.mouseClick(view.vouch_button, Qt.MouseButton.LeftButton)
    question = _the_question(qtbot, view)
    assert "'minutes laptop'" in question.text()
    late = let_in_before_one_step(middle, tmp_path / "late", "late laptop")  # arrives while the admin reads
    sync_all([admin, middle])
    qtbot.mouseClick(question.vouch_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: _shown(view)["minutes laptop"][1] == "member", timeout=2000)
    assert _shown(view)["late laptop"] == ("middle laptop", "waiting for an admin")
    late.close()


def test_the_admin_removes_the_waiting_laptop_for_good_and_a_vouch_for_the_middle_one_leaves_it_out(
        qtbot: Any, after_the_update: Any) -> None:
    from PySide6.QtWidgets import QApplication

    from organiser.ui.devices_dialog import RemoveDeviceDialog

    admin, _door, _middle, _minutes = after_the_update
    view = _open_view(qtbot, admin)
    qtbot.mouseClick(view.remove_device_button, Qt.MouseButton.LeftButton)
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, RemoveDeviceDialog) and w.isVisible())
    shown = [dialog.model.item(r).text() for r in range(dialog.model.rowCount())]
    row = shown.index("minutes laptop, waiting for an admin (let in by middle laptop)")
    click_row(qtbot, dialog.devices, row)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "minutes laptop" not in _shown(view), timeout=2000)
    assert admin.membership.plan_vouch("middle laptop").brings == ()  # nothing waits on it any more
