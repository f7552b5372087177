"""A peer that gets an author's changesets by another link asks a node to skip that author
(RELAY, only after both HELLOs list the feature "skip"): the node then sends none of them but
says in its gathered VECTOR notes how far it holds them, and sends them again, from where the
peer says it is, once the peer takes the author back. A peer that did not offer the feature
and sends RELAY anyway is refused. Real node, TLS on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest

from organiser.core.changeset import decode_changeset
from organiser.net.transport import close_quietly
from organiser.sync import packing
from organiser.sync import protocol as p
from tests.net.member_link import member_streams
from tests.net.test_node import joined, node

pytestmark = pytest.mark.asyncio


class Peer:
    """A hand-driven member laptop: says HELLO, reads the node's frames."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.decoder = p.FrameDecoder()
        self.frames: list[p.Frame] = []

    @classmethod
    async def hello(cls, group, port: int, features: tuple[str, ...]) -> Peer:  # type: ignore[no-untyped-def]
        peer = cls(*await member_streams(group, "127.0.0.1", port))
        await peer.send(p.encode_hello(group.device_id, group.replica.version_vector(), features=features))
        return peer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def read_until(self, wanted, timeout: float = 10.0) -> list[p.Frame]:  # type: ignore[no-untyped-def]
        """Frames until one for which `wanted(frame)` holds (all of them, that one last)."""
        seen: list[p.Frame] = []
        async with asyncio.timeout(timeout):
            while True:
                while self.frames:
                    seen.append(self.frames.pop(0))
                    if wanted(seen[-1]):
                        return seen
                chunk = await self.reader.read(65536)
                assert chunk, f"the node closed; frames: {[f.type.name for f in seen]}"
                self.frames += self.decoder.feed(chunk)


def _carried(frames: list[p.Frame]) -> list[int]:
    """The seqs of the changesets in these frames."""
    seqs = []
    for frame in frames:
        if frame.type in (p.FrameType.CHANGES, p.FrameType.PACKED):
            payload = packing.unpack(frame.payload, packing.available()) if frame.type == p.FrameType.PACKED \
                else frame.payload
            seqs += [decode_changeset(body, signature).seq for body, signature in p.decode_changes(payload)[0]]
    return seqs


async def test_a_skipped_author_is_noted_not_sent_and_sent_again_from_where_the_peer_takes_it(tmp_path, group):
    a = node(group)
    await a.start()
    try:
        b_group = await joined(a, tmp_path / "b", "second laptop")
        peer = await Peer.hello(b_group, a.port, (p.SKIP_FEATURE,))
        hello = await peer.read_until(lambda f: f.type == p.FrameType.HELLO)
        assert p.SKIP_FEATURE in p.parse_hello(hello[-1].payload).features
        await peer.read_until(lambda f: f.type == p.FrameType.SYNCED)
        await peer.send(p.encode_frame(p.FrameType.SYNCED))
        await peer.read_until(lambda f: f.type == p.FrameType.VECTOR)  # its acknowledgement of our stream
        held = group.replica.version_vector()[group.device_id]
        await peer.send(p.encode_relay(skip={group.device_id}))
        await asyncio.sleep(0.3)  # the RELAY is read before the next edit is pushed
        for i in range(3):
            group.members.add(f"Written while skipped {i}")
        note = await peer.read_until(lambda f: f.type == p.FrameType.VECTOR
                                     and p.decode_vector(f.payload).get(group.device_id, 0) >= held + 3)
        assert _carried(note) == []  # none of the three crossed, only the news of them
        await peer.send(p.encode_relay(take={group.device_id: held + 1}))  # as if one came by another link
        frames = await peer.read_until(lambda f: held + 3 in _carried([f]))
        assert _carried(frames) == [held + 2, held + 3]
        group.members.add("Written after it took the author back")
        frames = await peer.read_until(lambda f: held + 4 in _carried([f]))
        assert _carried(frames) == [held + 4]
        await close_quietly(peer.writer)
        b_group.close()
    finally:
        await a.stop()


async def test_a_relay_frame_from_a_peer_that_did_not_offer_the_feature_is_refused(tmp_path, group):
    a = node(group)
    await a.start()
    try:
        b_group = await joined(a, tmp_path / "b", "older laptop")
        peer = await Peer.hello(b_group, a.port, ())
        await peer.read_until(lambda f: f.type == p.FrameType.SYNCED)
        await peer.send(p.encode_relay(skip={group.device_id}))
        frames = await peer.read_until(lambda f: f.type == p.FrameType.ERROR)
        assert "RELAY" in p.decode_error(frames[-1].payload)
        await close_quietly(peer.writer)
        b_group.close()
    finally:
        await a.stop()
