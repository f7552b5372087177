"""A first sync on a crowded Wi-Fi (tests/perf/wifi.py): a laptop that hears a peer all the time
but says nothing to it still pings it (the peer judges silence by what it hears, and a sender's
own ping waits behind the data it queued); a joiner's VECTOR during its first sync stops the
stream of what it already got elsewhere. Real node, TLS on 127.0.0.1; the peer is spoken by hand."""

from __future__ import annotations

import asyncio
import time

import pytest

from organiser.net.transport import close_quietly
from organiser.sync import packing, sending, session
from organiser.sync import protocol as p
from tests.conftest import add_device
from tests.net.member_link import authors_streamed_until_synced, member_streams
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


async def test_a_joiner_saying_what_it_holds_mid_stream_is_not_sent_it_again(tmp_path, group, monkeypatch):
    monkeypatch.setattr(sending, "STREAM_CHUNK", 20)
    joiner = add_device(group, tmp_path / "j", "joiner")
    joiner.replica.apply(group.replica.changes_since({}))  # the membership log, as an invite brings it
    group.replica.commit_batch([group.members.build_add({"name": f"Member {i}"})[1] for i in range(1000)])
    a = node(group)
    await a.start()
    try:
        reader, writer = await member_streams(joiner, "127.0.0.1", a.port)
        # Right after HELLO the joiner says it holds all of the founder's changesets: another laptop
        # of the room brought them (a claim a peer makes only about itself).
        writer.write(p.encode_hello(joiner.device_id, joiner.replica.version_vector(), codecs=packing.available())
                     + p.encode_vector(group.replica.version_vector()))
        await writer.drain()
        streamed = (await authors_streamed_until_synced(reader)).get(group.device_id, 0)
        assert streamed <= 3 * sending.STREAM_CHUNK, f"{streamed} of 1000 sent again"
        await close_quietly(writer)
    finally:
        await a.stop()
        joiner.close()
