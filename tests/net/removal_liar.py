"""A laptop that answers whoever dials it with "this device was removed from the group" when that is
not so, for the tests of a removed laptop's notice. Either a stranger with no key, who answers before
any proof of membership (TLS with a certificate of its own is all it takes), or a member in bad faith,
who first proves membership and checks the caller's key, as the app does, then refuses it with the
word. Or any frame at all in place of the refusal (`payload`). On 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from organiser.net.credentials import connection_certificate
from organiser.net.handshake import _prove_membership, _read_identity, _send_identity
from organiser.net.outbound import REMOVED_MESSAGE
from organiser.net.transport import channel_of, close_quietly, server_context
from organiser.services.group import Group
from organiser.sync import protocol as p


@contextlib.asynccontextmanager
async def lying(member: Group | None, payload: bytes | None = None, *, admitted: bool = False) -> AsyncIterator[int]:
    """Serve on 127.0.0.1 until the block ends; yields the port. `member`: None for a stranger;
    `admitted`: the member lets the caller in (shows its own key) and says it in the conversation."""
    certificate = connection_certificate()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            channel = channel_of(writer, certificate, "server")
            if member is not None:
                await _prove_membership(member, reader, writer, channel, 5.0)
                await _read_identity(reader, writer, channel, 5.0)
                if admitted:
                    await _send_identity(writer, member.private_key(), channel)
                    _kind, length = p.parse_header(await reader.readexactly(p.HEADER.size))
                    await reader.readexactly(length)  # the caller's HELLO, answered by the refusal
            writer.write(payload if payload is not None else p.encode_error(REMOVED_MESSAGE))
            await writer.drain()
            await asyncio.wait_for(reader.read(), 5.0)  # until the caller, told, closes
        finally:
            await close_quietly(writer)

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_context(certificate))
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
