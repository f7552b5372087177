"""A member's HELLO naming as many made-up devices as a frame holds: the node answers it with
a bounded number of queries on its event loop (the app's window), not one per device."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from organiser.net.transport import close_quietly
from organiser.sync import protocol as p
from tests.net.member_link import member_streams
from tests.net.test_node import joined, node

pytestmark = pytest.mark.asyncio

MADE_UP = 60_000  # with their vector entries, about as many as one 8 MiB frame carries


async def test_a_hello_naming_60000_made_up_devices_costs_a_bounded_number_of_queries(tmp_path, group):
    a = node(group)
    await a.start()
    try:
        b_group = await joined(a, tmp_path / "b", "minutes laptop")
        made_up = [f"{n:08x}" for n in range(MADE_UP)]
        vector = {**b_group.replica.version_vector(), **dict.fromkeys(made_up, 7)}
        heads = {d: secrets.token_hex(32) for d in made_up}
        hello = p.encode_hello(b_group.device_id, vector, 0, None, heads)
        queries: list[str] = []
        reader, writer = await member_streams(b_group, "127.0.0.1", a.port)
        try:
            group.db.conn.set_trace_callback(queries.append)
            writer.write(hello + p.encode_frame(p.FrameType.SYNCED))
            await writer.drain()
            answer = None
            while answer is None or answer.type != p.FrameType.VECTOR:  # the node's reply to our SYNCED
                frame_type, length = p.parse_header(await asyncio.wait_for(reader.readexactly(p.HEADER.size), 30))
                answer = p.Frame(frame_type, await reader.readexactly(length))
                assert answer.type != p.FrameType.ERROR, p.decode_error(answer.payload)
            group.db.conn.set_trace_callback(None)
        finally:
            group.db.conn.set_trace_callback(None)
            await close_quietly(writer)
        assert len(queries) < 200, (len(queries), queries[:5])
        b_group.close()
    finally:
        await a.stop()
