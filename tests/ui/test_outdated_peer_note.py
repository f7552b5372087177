"""Laptops says, in words, that a laptop of the group runs an older Organiser."""

from __future__ import annotations

from organiser.net import outdated
from organiser.net.node import SyncNode
from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings


def test_peers_and_group_says_which_laptop_must_be_updated(qtbot, demo: Group, tmp_path) -> None:
    # What the node notes when an older laptop of the group tried to sync (tests/net/test_old_protocol.py).
    outdated.note(demo.db, "10.77.0.5")
    node = SyncNode(demo, listen_host="127.0.0.1", discovery=False)  # not started: the window only reads it
    window = MainWindow(demo, node, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    window.switch_to("peers")
    state = window.peers_view.state
    qtbot.waitUntil(lambda: "Update needed" in state.text(), timeout=5000)
    assert ("a laptop at 10.77.0.5 runs an older Organiser and cannot sync with this device: "
            "update the app on that laptop.") in state.text()
    window.close()
