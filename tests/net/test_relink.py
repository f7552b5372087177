"""A link that drops for a moment and is made again (net/node.py): what the laptops say afterwards.

Two laptops whose Wi-Fi dropped between them for a moment link again at once, while their old
link is not done with: it is replaced (one noticed the silence first and dialled while the other
still held it), or it ended and its close still waits for an answer that cannot come. When the old
link is finally done, `organiser status` must still show the peer connected; it showed it offline
until the next edit crossed (the heartbeat writes only what moved). Real nodes and TLS on
127.0.0.1; the hand-made side speaks as a member device with the node's own Session. The timers are
the test's: no keepalive and no heartbeat run by themselves, each step comes when the test says.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from organiser.net import peerbook
from organiser.net.node import SyncNode
from organiser.services.group import Group
from organiser.sync import session as conversation
from organiser.sync.session import Session
from tests.conftest import add_device, sync_pair
from tests.net.member_link import member_streams
from tests.net.test_node import node, until

pytestmark = pytest.mark.asyncio


@dataclass
class Conversation:
    """One conversation this test holds with the node, as the device `group` is."""

    session: Session
    writer: asyncio.StreamWriter
    task: asyncio.Task[None]

    async def end(self) -> None:
        self.writer.transport.abort()
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def dial_as(group: Group, other: SyncNode) -> Conversation:
    reader, writer = await member_streams(group, "127.0.0.1", other.port)
    session = Session(group.replica, reader, writer, other.device_id)
    return Conversation(session, writer, asyncio.create_task(session.run()))


def shown(group: Group) -> list[str]:
    """The peers' states as `organiser status` shows them (read from the node's rows)."""
    return [p["state"] for p in peerbook.peer_status(group)]


async def test_when_the_link_a_new_one_replaced_ends_late_the_peer_still_shows_connected(tmp_path, group, monkeypatch):
    monkeypatch.setattr(conversation, "PING_EVERY", 3600.0)  # the old link ends when the test ends it
    monkeypatch.setattr(peerbook, "HEARTBEAT_EVERY", 3600.0)  # the heartbeat beats when the test says
    third = add_device(group, tmp_path / "c", "third laptop")
    sync_pair(group, third)  # it holds the membership log (the keys the handshake proves)
    door = node(group)
    await door.start()
    old = new = None
    try:
        old = await dial_as(third, door)
        await until(lambda: shown(group) == ["connected"], what="the first link up")
        old_on_door = door._links[third.device_id].session
        # The Wi-Fi drops: nothing the third laptop is sent on the old link is answered any more.
        old.writer.transport.pause_reading()
        # The third laptop noticed first and dials again; the door still holds the old link.
        new = await dial_as(third, door)
        await until(lambda: door._links[third.device_id].session is not old_on_door
                    and door._links[third.device_id].session.in_step, what="the new link up")
        assert not old_on_door.closed.is_set()  # replaced, and still waiting for its close to be answered
        await door._heartbeat(False)
        assert shown(group) == ["connected"]
        await old.end()  # the old connection is finally gone
        await until(lambda: old_on_door.closed.is_set() and door._connections.open == 1,
                    what="the old link's end handled")
        await door._heartbeat(False)
        assert [p.state for p in door.peers()] == ["connected"]  # what the app shows
        assert shown(group) == ["connected"]  # what `organiser status` shows: the new link, not the old one's end
    finally:
        for held in (old, new):
            if held is not None:
                await held.end()
        await door.stop()
        third.close()


async def test_when_a_dropped_link_finishes_closing_after_the_next_is_up_the_peer_still_shows_connected(
        tmp_path, group, monkeypatch):
    """The link ended (silence), and closing it waits up to a second for the close to be answered; the
    Wi-Fi came back within that second and the next link is already up when the close gives up."""
    from organiser.net import node as node_module

    monkeypatch.setattr(conversation, "PING_EVERY", 3600.0)
    monkeypatch.setattr(peerbook, "HEARTBEAT_EVERY", 3600.0)
    closing = asyncio.Event()  # the second that closing the old connection waits, ended when the test says
    close_quietly = node_module.close_quietly

    async def close_when_told(writer: asyncio.StreamWriter) -> None:
        await closing.wait()
        await close_quietly(writer)

    monkeypatch.setattr(node_module, "close_quietly", close_when_told)
    third = add_device(group, tmp_path / "c", "third laptop")
    sync_pair(group, third)
    door = node(group)
    await door.start()
    old = new = None
    try:
        old = await dial_as(third, door)
        await until(lambda: shown(group) == ["connected"], what="the first link up")
        old_on_door = door._links[third.device_id].session
        await old.end()  # the old connection drops: the door's conversation ends, its close still waits
        await until(lambda: old_on_door.closed.is_set() and third.device_id not in door._links,
                    what="the old link ended")
        assert shown(group) == ["offline"]
        new = await dial_as(third, door)  # the Wi-Fi is back within that second: the next link
        await until(lambda: third.device_id in door._links and door._links[third.device_id].session.in_step,
                    what="the new link up")
        await door._heartbeat(False)
        assert shown(group) == ["connected"]
        closing.set()  # closing the old connection gives up now
        await until(lambda: door._connections.open == 1, what="the old connection's end handled")
        await door._heartbeat(False)
        assert [p.state for p in door.peers()] == ["connected"]
        assert shown(group) == ["connected"]
    finally:
        closing.set()
        for held in (old, new):
            if held is not None:
                await held.end()
        await door.stop()
        third.close()
