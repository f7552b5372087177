"""The spoken invite code in the app: the invite dialog shows it large with what became of it,
and a newcomer types it into the start screen's join page and is in the group.

A real sync node runs on 127.0.0.1 only, with discovery off (no multicast may leave this
machine); the start screen's lookup of the nameplate is given that node's real address, and
everything after it (TLS, SPAKE2, admission, first sync) is the real exchange."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt

from organiser.services.group import Group
from organiser.ui.first_run import StartWindow
from tests.ui.conftest import finish_jobs, retype

node_module = pytest.importorskip("organiser.net.node")


def test_a_newcomer_types_the_spoken_code_and_joins(qtbot: Any, group: Group, tmp_path: Path,
                                                    loop: asyncio.AbstractEventLoop) -> None:
    group.members.add("Already Here")
    node = node_module.SyncNode(group, listen_host="127.0.0.1", discovery=False)
    joined: list[Group] = []
    try:
        loop.run_until_complete(node.start())
        spoken = loop.run_until_complete(node.offer_spoken_invite())

        async def on_this_lan(nameplate: int) -> list[str]:
            return [f"127.0.0.1:{spoken.port}"] if nameplate == spoken.code.nameplate else []

        start = StartWindow(tmp_path / "newcomer")
        start.find_inviter = on_this_lan
        qtbot.addWidget(start)
        start.show()
        start.groupReady.connect(joined.append)
        qtbot.mouseClick(start.join_choice, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(start.code.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
        qtbot.keyClicks(start.code, spoken.text.replace("-", " "))  # as heard: "417 purple sausage"
        retype(qtbot, start.join_device, "second laptop")
        qtbot.mouseClick(start.join_buttons.itemAt(2).widget(), Qt.MouseButton.LeftButton)
        finish_jobs(loop)
        assert [g.id for g in joined] == [group.id], start.join_error.text()
        assert "second laptop" in {d.get("name") for d in group.devices()}
        assert "Already Here" in {m.name for m in joined[0].members.list()}
    finally:
        loop.run_until_complete(node.stop())
        for g in joined:
            g.close()


def test_a_misheard_word_is_refused_on_the_join_page_before_any_network_wait(qtbot: Any, tmp_path: Path) -> None:
    start = StartWindow(tmp_path / "newcomer")
    qtbot.addWidget(start)
    start.show()
    qtbot.mouseClick(start.join_choice, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(start.code.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    qtbot.keyClicks(start.code, "7 purpel sausage")
    qtbot.mouseClick(start.join_buttons.itemAt(2).widget(), Qt.MouseButton.LeftButton)
    assert start.isEnabled() and start.join_error.isVisibleTo(start)
    assert "'purpel' is not a first word" in start.join_error.text()


def test_the_invite_dialog_shows_the_spoken_code_large_and_says_when_a_wrong_guess_burned_it(
        qtbot: Any, group: Group, tmp_path: Path, loop: asyncio.AbstractEventLoop) -> None:
    from organiser.net.pairing import InviteRefused
    from organiser.net.spoken_join import redeem_spoken_invite
    from organiser.ui.dialogs import InviteDialog

    node = node_module.SyncNode(group, listen_host="127.0.0.1", discovery=False)
    try:
        loop.run_until_complete(node.start())
        code = loop.run_until_complete(node.create_invite(3600))
        spoken = loop.run_until_complete(node.offer_spoken_invite())
        dialog = InviteDialog(code, 1, None, spoken=spoken, renew_spoken=node.offer_spoken_invite)
        qtbot.addWidget(dialog)
        dialog.show()
        shown = dialog.spoken_panel.code
        assert shown.text() == spoken.text and shown.isVisible()
        assert shown.font().pointSizeF() >= 2 * dialog.font().pointSizeF()
        assert "Waiting for the new laptop" in dialog.spoken_panel.status.text()

        async def wrong_guess() -> None:
            first, second = spoken.code.words
            wrong = f"{spoken.code.nameplate}-{'aardvark' if first != 'aardvark' else 'absurd'}-{second}"

            async def here(_n: int) -> list[str]:
                return [f"127.0.0.1:{spoken.port}"]

            with pytest.raises(InviteRefused):
                await redeem_spoken_invite(tmp_path / "guesser", wrong, "guesser", find=here)
            await spoken.outcome()

        loop.run_until_complete(wrong_guess())
        finish_jobs(loop)
        assert "no longer works: make a new one" in dialog.spoken_panel.status.text()
        assert dialog.spoken_panel.new_button.isVisible()
        qtbot.mouseClick(dialog.spoken_panel.new_button, Qt.MouseButton.LeftButton)
        loop.run_until_complete(asyncio.sleep(0.2))  # the new code is offered
        qtbot.waitUntil(lambda: dialog.spoken_panel.spoken is not spoken, timeout=5000)
        fresh = dialog.spoken_panel.spoken
        assert shown.text() == fresh.text and fresh.state == "waiting"
        assert "Waiting for the new laptop" in dialog.spoken_panel.status.text()
        dialog.close()
        finish_jobs(loop)
        assert fresh.state == "withdrawn"  # closing the dialog withdrew the code
    finally:
        loop.run_until_complete(node.stop())
