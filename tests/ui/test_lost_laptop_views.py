"""The app on a laptop that is not, or no longer, a device of the group says so, and how to keep
what only it holds: a copy restored from a backup after a theft, and a stolen laptop found again
after its removal (the member exports its notes, then wipes the copy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from organiser.formats.backup import write_backup
from organiser.services.backup import build_backup, restore_backup
from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings


def test_a_restored_copy_says_it_is_not_a_device_of_the_group_and_how_to_be_back(
        qtbot: Any, group: Group, tmp_path: Path) -> None:
    group.members.add("Ana López")
    restored = restore_backup(tmp_path / "new laptop", write_backup(build_backup(group)), "backup.json", "Ana's laptop")
    try:
        win = MainWindow(restored, None, settings=UiSettings(tmp_path / "ui"))
        qtbot.addWidget(win)
        win.show()
        win.update_peer_status()
        assert win.sync_label.text().startswith("Restored copy, not a laptop of the group")
        win.switch_to("peers")
        state = win.peers_view.state.text()
        assert "never admitted" in state and "Export" in state and "Wipe" in state and "invite" in state
    finally:
        restored.close()


def test_a_found_laptop_that_was_removed_says_how_to_keep_its_notes_before_wiping(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Path) -> None:
    admin, found = two_devices
    admin.membership.remove(found.device_id)
    found.replica.set_meta("removed_notice", "1764650000 127.0.0.1:9")  # as a member tells it (net/admission.py)
    found.members.add("Walk-in at the door")  # its notes since: to hand over before wiping
    win = MainWindow(found, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(win)
    win.show()
    win.switch_to("peers")
    win.peers_view.refresh_peers()
    state = win.peers_view.state.text()
    assert "removed this laptop" in state and "the notice above" in state
    notice = win.removed_notice  # how to keep its notes: above every view
    assert notice.isVisible() and notice.wipe_button.isVisible() and notice.list_button.isVisible()
    assert "Before wiping, hand over what did not reach the group." in notice.to_do.text()
    # Told by an address only: it says no more than it knows.
    assert notice.body.text().startswith("The laptop at 127.0.0.1:9 said so on ")
    assert not win.peers_view.admin_note.isVisible()  # it cannot hear who the admins are now
