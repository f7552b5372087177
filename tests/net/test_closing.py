"""A laptop quitting or closing its group ends its connections cleanly: nothing of the network is
left half begun for the loop's last turn (sockets on 127.0.0.1 only)."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest

from organiser.core.errors import OrganiserError
from organiser.net.node import SyncNode
from organiser.net.pairing import redeem_invite
from organiser.net.transport import close_quietly
from organiser.services.group import Group


def not_started(loop: asyncio.AbstractEventLoop) -> list[str]:
    """The loop's tasks whose coroutine has not begun: if the loop ended now (the app quits), each
    would be "never awaited", and what it was to do (wait for a close) never done."""
    return [repr(task.get_coro()) for task in asyncio.all_tasks(loop)
            if inspect.getcoroutinestate(task.get_coro()) == inspect.CORO_CREATED]


def test_a_connection_closed_in_the_loops_last_turn_leaves_nothing_unstarted() -> None:
    """CI printed "coroutine 'StreamWriter.wait_closed' was never awaited": the close waited for the
    peer in a task of its own (asyncio.wait_for), which a loop ending in that turn never started."""
    loop = asyncio.new_event_loop()
    accepted: list[asyncio.StreamWriter] = []

    async def connected_pair() -> tuple[asyncio.Server, asyncio.StreamWriter]:
        server = await asyncio.start_server(lambda _r, w: accepted.append(w), "127.0.0.1", 0)
        _reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
        while not accepted:
            await asyncio.sleep(0.01)
        return server, writer

    try:
        server, writer = loop.run_until_complete(connected_pair())
        closing = loop.create_task(close_quietly(writer))
        loop.call_soon(loop.stop)
        loop.run_forever()  # one turn: the close begins, and the app could quit now
        assert not_started(loop) == []
        accepted[0].close()
        loop.run_until_complete(closing)
        server.close()
        loop.run_until_complete(server.wait_closed())
    finally:
        loop.close()


@pytest.mark.asyncio
async def test_a_node_stopped_while_it_connects_by_hand_links_with_nothing_and_leaves_nothing_running(
        tmp_path: Path, group: Group) -> None:
    """A person clicks Connect to address… and quits (or closes the group) before it connected: the
    connection made after the node stopped became a conversation on a stopped node, on a database
    about to close, that nothing would end."""
    a = SyncNode(group, listen_host="127.0.0.1", discovery=False)
    await a.start()
    b_group = await redeem_invite(tmp_path / "b", await a.create_invite(3600), "B")
    b = SyncNode(b_group, listen_host="127.0.0.1", discovery=False)
    await b.start()
    try:
        connecting = asyncio.create_task(a.connect("127.0.0.1", b.port))
        await a.stop()
        with pytest.raises(OrganiserError, match="the network stopped before the connection to 127.0.0.1:"):
            await connecting
        assert [peer.name for peer in a.peers() if peer.connected] == []
    finally:
        await b.stop()
        b_group.close()
    assert asyncio.all_tasks() == {asyncio.current_task()}
