"""A laptop that hears a peer all the time but says nothing to it still pings it: the peer
judges silence by what it hears, and on a crowded Wi-Fi a sender's own ping waits behind the
data it queued. Real node, TLS on 127.0.0.1; the peer is spoken by hand."""

from __future__ import annotations

import asyncio
import time

import pytest

from organiser.net.transport import close_quietly
from organiser.sync import packing
from organiser.sync import protocol as p
from organiser.sync import session
from tests.conftest import add_device
from tests.net.member_link import member_streams
from tests.net.test_node import node

pytestmark = pytest.mark.asyncio


async def test_a_node_that_only_hears_a_peer_pings_it(tmp_path, group, monkeypatch):
    monkeypatch.setattr(session, "PING_EVERY", 0.4)
    peer = add_device(group, tmp_path / "b", "second laptop")
    peer.replica.apply(group.replica.changes_since({}))
    a = node(group)
    await a.start()
    try:
        reader, writer = await member_streams(peer, "127.0.0.1", a.port)
        writer.write(p.encode_hello(peer.device_id, peer.replica.version_vector(), codecs=packing.available()))
        await writer.drain()
        decoder, pings, synced_at = p.FrameDecoder(), 0, None
        deadline = time.monotonic() + 10
        # The peer talks every 0.1 s (PONG asks no answer), so the node never finds it quiet.
        while time.monotonic() < deadline and pings < 2:
            writer.write(p.encode_frame(p.FrameType.PONG))
            await writer.drain()
            try:
                chunk = await asyncio.wait_for(reader.read(65536), 0.1)
            except TimeoutError:
                continue
            assert chunk, "the node closed the conversation"
            for frame in decoder.feed(chunk):
                if frame.type == p.FrameType.SYNCED:
                    synced_at = time.monotonic()
                elif frame.type == p.FrameType.PING and synced_at is not None:
                    pings += 1
        assert pings >= 2, "the node said nothing to a peer it heard all the time"
        await close_quietly(writer)
    finally:
        await a.stop()
        peer.close()
