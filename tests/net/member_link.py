"""For tests that speak the sync protocol by hand as a member device: TLS, then the member
handshake (organiser/net/handshake.py), then the raw streams."""

from __future__ import annotations

import asyncio

from organiser.net.handshake import member_handshake
from organiser.net.transport import dial
from organiser.services.group import Group


async def member_streams(group: Group, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    link = await dial(host, port)
    await member_handshake(group, link.reader, link.writer, link.channel)
    return link.reader, link.writer
