"""A conversation that ends, and a dial that fails, are freed at once by reference counting.

Before, the error that ended a conversation (a pulled cable, a peer gone silent) kept the
session in a reference cycle (its traceback held the frame that held the failed task, which
held the error), and a failed dial kept asyncio's frames, its SSL context and stream alike.
Only the collector's full pass frees such cycles, and in a long-lived process it seldom runs:
over an evening of pulled cables the laptops' resident memory grew by the TLS buffers of every
dead connection (`python -m tests.perf.soak`). Here the collector is off while they end.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import weakref

import pytest

from organiser.core.errors import OrganiserError
from organiser.net import transport
from organiser.sync.session import Session
from tests.conftest import add_device, sync_pair

pytestmark = pytest.mark.asyncio


async def _connected_pair() -> tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter],
                                     tuple[asyncio.StreamReader, asyncio.StreamWriter], asyncio.Server]:
    accepted: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    server = await asyncio.start_server(lambda r, w: accepted.put_nowait((r, w)), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    dialled = await asyncio.open_connection("127.0.0.1", port)
    return dialled, await asyncio.wait_for(accepted.get(), 5), server


async def test_a_conversation_cut_off_is_freed_without_the_cyclic_collector(tmp_path, group):
    b = add_device(group, tmp_path / "b", "kitchen laptop")
    sync_pair(group, b)
    (a_reader, a_writer), (b_reader, b_writer), server = await _connected_pair()
    ours = Session(group.replica, a_reader, a_writer, b.device_id)
    theirs = Session(b.replica, b_reader, b_writer, group.device_id)
    gc.collect()
    was_on = gc.isenabled()  # off where Qt's thread collects (organiser/ui/collector.py): left so
    gc.disable()
    try:
        ours_run, theirs_run = asyncio.create_task(ours.run()), asyncio.create_task(theirs.run())
        await asyncio.wait_for(asyncio.gather(ours.received_all.wait(), theirs.received_all.wait()), 10)
        b_writer.transport.abort()  # B's cable is pulled: our receiver fails mid-conversation
        await asyncio.wait_for(asyncio.gather(ours_run, theirs_run), 10)
        assert ours.closed.is_set() and ours.close_reason
        gone = weakref.ref(ours)
        del ours, ours_run, a_reader, a_writer
        assert gone() is None, "the ended conversation is still alive, kept by a reference cycle"
    finally:
        if was_on:
            gc.enable()
        server.close()
        await server.wait_closed()
        b.close()


async def test_a_dial_where_nothing_listens_leaves_nothing_for_the_cyclic_collector():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # a port where nothing listens: the connection is refused
    gc.collect()
    was_on = gc.isenabled()
    gc.disable()
    try:
        for _ in range(3):
            with pytest.raises(OrganiserError, match="cannot be reached"):
                await transport.dial("127.0.0.1", port)
        gc.set_debug(gc.DEBUG_SAVEALL)
        found = gc.collect()
        left = sorted({type(obj).__name__ for obj in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_on:
            gc.enable()
    assert found == 0, f"failed dials left cycles behind: {left}"
