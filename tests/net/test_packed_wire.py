"""Compressed batches between real nodes over TLS on 127.0.0.1: a peer of an older version
(no codecs in its HELLO) still gets everything as plain frames, a peer that offers zstandard
gets packed ones, and a compression bomb is refused, counted and kept away."""

from __future__ import annotations

import asyncio
import zlib

import pytest
import zstandard

from organiser.net.transport import close_quietly
from organiser.sync import protocol as p
from tests.net.member_link import member_streams
from tests.net.test_node import joined, node, until

pytestmark = pytest.mark.asyncio


async def _hello(group, port, codecs=()):  # type: ignore[no-untyped-def]
    reader, writer = await member_streams(group, "127.0.0.1", port)
    writer.write(p.encode_hello(group.device_id, group.replica.version_vector(), codecs=codecs))
    await writer.drain()
    return reader, writer


async def _frames_until_synced(reader) -> list[p.Frame]:  # type: ignore[no-untyped-def]
    decoder, frames = p.FrameDecoder(), []
    while not any(f.type == p.FrameType.SYNCED for f in frames):
        chunk = await asyncio.wait_for(reader.read(65536), 10)
        assert chunk, "the node closed before SYNCED"
        frames += decoder.feed(chunk)
    return frames


@pytest.mark.parametrize("codecs, expected", [((), p.FrameType.CHANGES), (("zstd", "zlib"), p.FrameType.PACKED),
                                              (("zlib",), p.FrameType.PACKED)])
async def test_a_node_packs_only_for_a_peer_that_offered_a_codec(tmp_path, group, codecs, expected):
    a = node(group)
    await a.start()
    try:
        b_group = await joined(a, tmp_path / "b", "older laptop")
        ops = [group.members.build_add({"name": f"Member {i}", "emails": [f"m{i}@example.org"]})[1]
               for i in range(300)]
        group.replica.commit_batch(ops)
        reader, writer = await _hello(b_group, a.port, codecs)
        frames = await _frames_until_synced(reader)
        await close_quietly(writer)
        carrying = [f for f in frames if f.type in (p.FrameType.CHANGES, p.FrameType.PACKED)]
        assert {f.type for f in carrying} == {expected}
        if expected == p.FrameType.PACKED:
            assert carrying[0].payload[0] == (1 if codecs[0] == "zstd" else 2)
        b_group.close()
    finally:
        await a.stop()


async def test_two_nodes_sync_packed_and_the_result_is_the_same_state(tmp_path, group):
    a = node(group)
    await a.start()
    try:
        b_group = await joined(a, tmp_path / "b", "B")
        group.replica.commit_batch([group.members.build_add({"name": f"M {i}"})[1] for i in range(2000)])
        b = node(b_group, a)
        await b.start()
        try:
            await until(lambda: b_group.replica.state_hash() == group.replica.state_hash(), 30, "equal state")
            (link,) = [lk for lk in b._links.values()]
            assert link.session.pack_with == "zstd"
        finally:
            await b.stop()
        b_group.close()
    finally:
        await a.stop()


@pytest.mark.parametrize("codec", ["zstd", "zlib"])
async def test_a_compression_bomb_from_a_member_is_refused_noted_and_kept_away(tmp_path, group, codec):
    a = node(group)
    await a.start()
    try:
        b_group = await joined(a, tmp_path / "b", "rogue laptop")
        zeros = b"\0" * (64 << 20)  # 64 MiB of zeros, 8x the limit: a few kilobytes packed
        bomb = (b"\x01" + zstandard.ZstdCompressor(level=3).compress(zeros) if codec == "zstd"
                else b"\x02" + zlib.compress(zeros, 9))
        del zeros
        reader, writer = await _hello(b_group, a.port, ("zstd", "zlib"))
        writer.write(p.encode_frame(p.FrameType.PACKED, bomb))
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
        await close_quietly(writer)
        assert b"expands beyond the limit" in answer  # told why, then closed
        await until(lambda: a.kept_away.active(b_group.device_id), what="the back-off")
        (incident,) = [i for i in group.incidents() if i["reason"] == "packed"]
        assert incident["device"]["id"] == b_group.device_id and "rogue laptop" in incident["message"]
        b_group.close()
    finally:
        await a.stop()
