"""The status bar says each thing once, in organisers' words: a laptop alone, then one connected and
up to date. Real sync nodes on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from tests.ui.test_peers_state import until

node_module = pytest.importorskip("organiser.net.node")


def status_bar_reads(window: MainWindow) -> list[str]:
    """The words shown in the status bar, left to right, as a person reads them."""
    labels = [w for w in window.statusBar().findChildren(QLabel) if w.isVisible() and w.text()]
    return [w.text() for w in sorted(labels, key=lambda w: w.mapTo(window, w.rect().topLeft()).x())]


def test_a_laptop_alone_and_then_in_step_says_so_once_in_its_status_bar(
        qtbot: Any, two_devices: tuple[Group, Group], tmp_path: Path, node_loop: asyncio.AbstractEventLoop) -> None:
    a, b = two_devices
    there = node_module.SyncNode(b, listen_host="127.0.0.1", discovery=False)
    here = node_module.SyncNode(a, listen_host="127.0.0.1", discovery=False)
    window = MainWindow(a, here, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()

    async def scene() -> None:
        await here.start()
        await there.start()
        try:
            window.update_peer_status()  # what the node's news does
            assert status_bar_reads(window) == ["No other laptop of the group reached"]
            await here.connect("127.0.0.1", there.port)
            await until(lambda: (window.update_peer_status() or True)
                        and status_bar_reads(window) == ["Up to date with 1 laptop"])
        finally:
            await here.stop()
            await there.stop()

    node_loop.run_until_complete(scene())
    window.close()
