"""An infiltrator removed for good, seen from a laptop that was shut during the removal: what the
removed laptop wrote after its removal reached this laptop first (it had not heard yet), and
leaves the open window as soon as another member brings the news."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from organiser.services.group import Group
from organiser.ui.main_window import REMOVED_STATUS, MainWindow
from organiser.ui.settings import UiSettings
from tests.conftest import add_device, sync_all, sync_pair


def test_what_a_removed_laptop_wrote_after_its_removal_leaves_the_window_when_the_news_arrives(
        qtbot: Any, group: Group, tmp_path: Path) -> None:
    admin = group
    spy = add_device(admin, tmp_path / "x", "Sam laptop")
    back = add_device(admin, tmp_path / "c", "C laptop")
    try:
        spy.members.add("Sam Before")
        sync_all([admin, spy, back], rounds=2)
        admin.membership.remove(spy.device_id)  # C's laptop is shut meanwhile
        spy.members.add("Sam After")
        spy.tasks.add("Planted task")
        spy.events.add("Planted meeting", "2026-12-20T19:00")
        win = MainWindow(back, None, settings=UiSettings(tmp_path / "ui"))
        qtbot.addWidget(win)
        win.show()
        win.switch_to("members")
        sync_pair(spy, back)  # C comes back next to the infiltrator first
        qtbot.waitUntil(lambda: "Sam After" in _members(win), timeout=5000)
        for view in ("tasks", "events", "members"):  # as a person looks around after coming back
            win.switch_to(view)
            qtbot.waitUntil(lambda: not win.bridge.busy, timeout=5000)
        assert "Planted task" in _tasks(win) and "Planted meeting" in _events(win)

        sync_pair(admin, back)  # then meets a member who knows
        qtbot.waitUntil(lambda: not win.bridge.busy, timeout=5000)
        assert [m.name for m in back.members.list()] == ["Sam Before"]  # the store withdrew them
        qtbot.waitUntil(lambda: "Sam After" not in _members(win), timeout=3000)
        assert _members(win) == ["Sam Before"]
        for view in ("tasks", "events"):
            win.switch_to(view)
            qtbot.waitUntil(lambda: not win.bridge.busy, timeout=5000)
        assert "Planted task" not in _tasks(win)
        assert "Planted meeting" not in _events(win)
        win.close()
    finally:
        spy.close()
        back.close()


def _members(win: MainWindow) -> list[str]:
    return [r.name for r in win.members_view.model.rows]


def _tasks(win: MainWindow) -> list[str]:
    return [t.title for t in win.task_cache.tasks.values()]


def _events(win: MainWindow) -> list[str]:
    return [e.title for e in win.events_view.agenda.events.values()]


def test_the_removed_laptop_says_so_in_its_status_bar_on_every_view(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Path) -> None:
    from organiser.core.bus import PeersChanged

    admin, spy = two_devices
    win = MainWindow(spy, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(win)
    win.show()
    win.switch_to("members")
    admin.membership.remove(spy.device_id)
    spy.replica.set_meta("removed_notice", f"1800000000 {admin.device_id}")  # what its node keeps when told
    spy.bus.publish(PeersChanged())
    qtbot.waitUntil(lambda: win.sync_label.text() == REMOVED_STATUS, timeout=3000)
    assert "Alone" not in win.sync_label.text() + win.peer_label.text()
    win.close()


def test_refused_changes_of_a_removed_laptop_are_listed_under_its_name(
        qtbot: Any, two_devices: tuple[Group, Group]) -> None:
    from organiser.ui.peers_view import PeersView

    admin, spy = two_devices  # "door laptop" and "minutes laptop"
    admin.membership.remove(spy.device_id)
    spy.members.add("Written after removal")
    sync_pair(spy, admin)
    view = PeersView(admin, None)
    qtbot.addWidget(view)
    view.show()
    model = view.incidents.model
    cells = [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]
    assert cells and cells[0][0] == "minutes laptop"
    assert cells[0][1] == "'minutes laptop' was removed from the group: changes it made after that were refused."


def test_a_removed_laptop_asked_to_invite_is_told_it_was_removed_not_that_it_is_no_admin(
        qtbot: Any, two_devices: tuple[Group, Group], warnings_shown: list[str]) -> None:
    from organiser.ui.peers_view import PeersView

    admin, spy = two_devices
    admin.membership.remove(spy.device_id)
    spy.replica.set_meta("removed_notice", f"1800000000 {admin.device_id}")  # what its node keeps when told
    view = PeersView(spy, None)
    qtbot.addWidget(view)
    view.show()
    qtbot.mouseClick(view.invite_button, Qt.MouseButton.LeftButton)
    assert warnings_shown == ["This laptop was removed from the group: it can no longer invite anyone."]
