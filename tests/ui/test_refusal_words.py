"""Refusals in the meeting view read as people say them: no service field name in front
("member: ..."), no voter notation ("role:working group: Housing") at the end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from organiser.core.changeset import Op
from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from tests.bad_peer import BadPeer
from tests.conftest import add_device, sync_pair
from tests.ui.conftest import reads, vote_by_someone_outside_the_working_group
from tests.ui.test_folders_dialog import _add, _click_row, _open_empty
from tests.ui.test_small_screens import click_view


def test_a_vote_by_someone_outside_the_working_group_is_refused_in_plain_words(
        evening: MainWindow, qtbot: Any, said: list[str]) -> None:
    window = evening
    view = vote_by_someone_outside_the_working_group(window, qtbot)
    sentence = "Quentin Newcomer may not vote on this proposal: only the Housing working group votes."
    assert reads(view.tally_label) == sentence
    assert sentence in said


def test_a_peers_bad_minutes_change_is_described_in_plain_words(window: MainWindow, qtbot: Any,
                                                               tmp_path: Path) -> None:
    """A modified laptop sends minutes marked deleted with a text: the Laptops view's incident
    said "is not how a minutes's deleted is stored"."""
    event_id = window.events_view.current_id()
    rogue = add_device(window.group, tmp_path / "rogue", "rogue laptop")
    try:
        sync_pair(window.group, rogue)
        bad = BadPeer(rogue).sign([Op("minutes", event_id, "deleted", "x")])
        assert window.group.replica.apply([bad], source=rogue.device_id).refused
        click_view(window, qtbot, "peers")
        panel = window.peers_view.incidents
        qtbot.waitUntil(lambda: panel.table.model().rowCount() > 0, timeout=5000)
        model = panel.table.model()
        details = [model.index(row, 1).data(Qt.ItemDataRole.ToolTipRole) for row in range(model.rowCount())]
        assert any("deleted: a text of 1 character is not how the minutes' deleted is stored" in d
                   for d in details), details
        assert not any("minutes's" in d for d in details)
    finally:
        rogue.close()


def test_a_pulled_stick_is_explained_in_laptops_not_devices(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Path, warnings_shown: list[str]) -> None:
    """Laptops > Sync through a folder…, the stick pulled out (its mount point left empty), Sync
    now: the warning and the folder's detail said "none of the files this device read or wrote
    there is left"."""
    a, _b = two_devices
    stick = tmp_path / "STICK"
    stick.mkdir()
    dialog = _open_empty(qtbot, a)
    _add(qtbot, dialog, stick)
    qtbot.mouseClick(dialog.sync_button, Qt.MouseButton.LeftButton)
    stick.rename(tmp_path / "in a pocket")
    stick.mkdir()
    qtbot.mouseClick(dialog.sync_button, Qt.MouseButton.LeftButton)
    assert "none of the files this laptop read or wrote there is left" in warnings_shown[-1]
    dialog.reload()
    _click_row(qtbot, dialog.table, 0)
    assert "none of the files this laptop read or wrote there is left" in dialog.detail.text()
    assert "device" not in warnings_shown[-1] + dialog.detail.text()
