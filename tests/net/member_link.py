"""For tests that speak the sync protocol by hand as a member device: TLS, then the member
handshake (organiser/net/handshake.py), then the raw streams."""

from __future__ import annotations

import asyncio

from organiser.core.changeset import decode_changeset
from organiser.net.handshake import member_handshake
from organiser.net.transport import dial
from organiser.services.group import Group
from organiser.sync import packing
from organiser.sync import protocol as p


async def member_streams(group: Group, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    link = await dial(host, port)
    await member_handshake(group, link.reader, link.writer, link.channel)
    return link.reader, link.writer


async def authors_streamed_until_synced(reader: asyncio.StreamReader) -> dict[str, int]:
    """Read a node's initial stream until its SYNCED; how many changesets it sent, by author."""
    decoder, counts, synced = p.FrameDecoder(), {}, False
    while not synced:
        chunk = await asyncio.wait_for(reader.read(65536), 10)
        assert chunk, "the node closed before SYNCED"
        for frame in decoder.feed(chunk):
            synced |= frame.type == p.FrameType.SYNCED
            if frame.type in (p.FrameType.CHANGES, p.FrameType.PACKED):
                payload = packing.unpack(frame.payload, packing.available()) if frame.type == p.FrameType.PACKED \
                    else frame.payload
                for body, signature in p.decode_changes(payload)[0]:
                    author = decode_changeset(body, signature).author
                    counts[author] = counts.get(author, 0) + 1
    return counts
