"""One click on *Invite a laptop…* is one invitation: the short code to say aloud and the long
code shown beside it. Once the short code has let a laptop in, the long code no longer works,
so a member removed later (who saw the dialog in the room) cannot come back with it.

A real sync node runs on 127.0.0.1 only, with discovery off."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from organiser.core.errors import OrganiserError
from organiser.services.group import Group
from organiser.ui.peers_view import PeersView
from tests.ui.conftest import finish_jobs, reads

node_module = pytest.importorskip("organiser.net.node")


def test_the_long_code_beside_a_used_short_code_no_longer_lets_anyone_in(
        qtbot: Any, group: Group, tmp_path: Path, loop: asyncio.AbstractEventLoop) -> None:
    from organiser.net.pairing import redeem_invite
    from organiser.net.spoken_join import redeem_spoken_invite

    node = node_module.SyncNode(group, listen_host="127.0.0.1", discovery=False)
    joined: list[Group] = []
    try:
        loop.run_until_complete(node.start())
        view = PeersView(group, None, node)
        qtbot.addWidget(view)
        view.show()

        async def admin_says_yes(_name: str, _code: str) -> bool:
            return True  # the admin admits what it is asked about, as a busy admin would

        node.confirm_admission = admin_says_yes
        dialogs: list[Any] = []
        view.inviteShown.connect(dialogs.append)
        qtbot.mouseClick(view.invite_button, Qt.MouseButton.LeftButton)
        finish_jobs(loop)
        dialog = dialogs[0]
        spoken, long_code = dialog.spoken_panel.spoken, dialog.code

        async def here(_n: int) -> list[str]:
            return [f"127.0.0.1:{spoken.port}"]

        joined.append(loop.run_until_complete(
            redeem_spoken_invite(tmp_path / "sam", spoken.text, "Sam laptop", find=here)))
        finish_jobs(loop)
        assert "no longer works" in dialog.long_code_note.text()
        assert not dialog.copy_button.isEnabled()

        async def come_back() -> Group:
            return await redeem_invite(tmp_path / "sam-again", long_code, "C laptop 2")

        with pytest.raises(OrganiserError, match="this invite code was withdrawn at .*: the short code shown "
                                                 "beside it let a laptop in"):
            joined.append(loop.run_until_complete(come_back()))
        assert "C laptop 2" not in {d["name"] for d in group.devices()}
        dialog.close()
        finish_jobs(loop)
    finally:
        loop.run_until_complete(node.stop())
        for g in joined:
            g.close()


@contextlib.contextmanager
def invite_shown(qtbot: Any, group: Group, loop: asyncio.AbstractEventLoop) -> Iterator[tuple[Any, Any]]:
    """Laptops over a real node on 127.0.0.1, its admin saying yes: *Invite a laptop…* clicked.
    Yields the dialog and `join(folder, name)`, a laptop joining with the short code it shows; the
    dialog is closed and the node stopped after."""
    from organiser.net.spoken_join import redeem_spoken_invite

    node = node_module.SyncNode(group, listen_host="127.0.0.1", discovery=False)
    joined: list[Group] = []
    try:
        loop.run_until_complete(node.start())
        view = PeersView(group, None, node)
        qtbot.addWidget(view)
        view.show()

        async def admin_says_yes(_name: str, _code: str) -> bool:
            return True

        node.confirm_admission = admin_says_yes
        dialogs: list[Any] = []
        view.inviteShown.connect(dialogs.append)
        qtbot.mouseClick(view.invite_button, Qt.MouseButton.LeftButton)
        finish_jobs(loop)
        dialog = dialogs[0]
        spoken = dialog.spoken_panel.spoken

        async def here(_n: int) -> list[str]:
            return [f"127.0.0.1:{spoken.port}"]

        def join(folder: Path, name: str) -> None:
            joined.append(loop.run_until_complete(redeem_spoken_invite(folder, spoken.text, name, find=here)))
            finish_jobs(loop)

        yield dialog, join
        dialog.close()
        finish_jobs(loop)
    finally:
        loop.run_until_complete(node.stop())
        for g in joined:
            g.close()


def test_markup_in_the_joining_laptops_name_shows_as_written_in_the_invite_dialog(
        qtbot: Any, group: Group, tmp_path: Path, loop: asyncio.AbstractEventLoop) -> None:
    # the name is the joiner's to choose: it must not restyle what the admin reads next to the long code
    name = "Sam <b>laptop</b><br><br><font size=6>All is well: send the long code below to Bob too</font>"
    with invite_shown(qtbot, group, loop) as (dialog, join):
        join(tmp_path / "sam", name)
        assert f"this invitation let '{name}' in." in reads(dialog.long_code_note)
        assert reads(dialog.spoken_panel.status).startswith(f"'{name}' joined the group")


def test_a_member_who_may_not_invite_is_told_where_the_app_shows_the_admins(
        qtbot: Any, group: Group, tmp_path: Path, loop: asyncio.AbstractEventLoop,
        warnings_shown: list[str]) -> None:
    """The second laptop of a new group clicks Invite a laptop…: the refusal names the app's own place
    for the admins, not a command to type in a terminal the member never opened."""
    from tests.conftest import add_device

    member = add_device(group, tmp_path / "member", "member laptop")
    node = node_module.SyncNode(member, listen_host="127.0.0.1", discovery=False)
    try:
        loop.run_until_complete(node.start())
        view = PeersView(member, None, node)
        qtbot.addWidget(view)
        view.show()
        qtbot.mouseClick(view.invite_button, Qt.MouseButton.LeftButton)
        with pytest.raises(OrganiserError):  # the refused job; the window shows it as below
            finish_jobs(loop)
        loop.run_until_complete(asyncio.sleep(0))  # a turn for the job's error to reach the window
        assert len(warnings_shown) == 1
        said = warnings_shown[0]
        assert said.startswith("Only an admin can make invites")
        assert "organiser device list" not in said
        assert "Laptops" in said and "admin" in said
    finally:
        loop.run_until_complete(node.stop())
        member.close()
