"""Connections a node takes: bounded in number, a member's link or an invite redemption.

A connection certificate starts the member handshake (net/handshake.py), then a sync
conversation; no certificate may only redeem an invite (net/pairing.py). Until one of those is settled
the connection counts as unauthenticated (net/limits.py), so strangers on the LAN cannot
fill the node's slots and keep the group's laptops out.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import TYPE_CHECKING

from organiser.net.credentials import connection_certificate
from organiser.net.handshake import HandshakeRefused, Peer, answer_invite_proof, member_handshake
from organiser.net.limits import ConnectionCount, LogOnce
from organiser.net.outdated import (
    OldClientFlag,
    old_device,
    old_laptops_context,
    tell_to_update,
    watch_for_old_clients,
)
from organiser.net.pairing import ConfirmAdmission, serve_redeem
from organiser.net.transport import Channel, channel_of, close_quietly, peer_address, server_context
from organiser.sync import protocol as p

if TYPE_CHECKING:
    from organiser.services.group import Group

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 5.0
BUSY_MESSAGE = "this device is busy with other invites; try again in a minute"


class InboundConnections:
    """The part of a sync node that answers connections (SyncNode inherits it)."""

    group: Group
    confirm_admission: ConfirmAdmission | None
    _connections: ConnectionCount
    _refusals_said: LogOnce
    _tasks: set[asyncio.Task]
    _stopping: bool

    if TYPE_CHECKING:  # what the node provides (net/node.py)
        def _outdated_peer(self, host: str, device: str) -> None: ...
        def _admission(self, peer: Peer) -> str: ...
        def _refusal_for(self, device: str) -> str: ...
        async def _run_link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, device: str,
                            public_hex: str, *, initiator: str, address: str) -> None: ...

    async def _on_inbound(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._stopping or not self._connections.room_for_one_more():  # stopping: accepted as the server closed
            writer.transport.abort()
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)  # so stop() can end it
        self._connections.open += 1
        # Dropped for a newcomer by cancelling its task, not by aborting its socket: an abort just
        # as the handshake completes leaves the stream without a transport.
        drop = task.cancel if task is not None else writer.transport.abort
        self._connections.arrived(writer, peer_address(writer).rsplit(":", 1)[0], drop)
        try:
            await self._serve_inbound(reader, writer)
        except asyncio.CancelledError:
            # Stopping, dropped for a newcomer, or cancelled while closing: this task must end normally, since asyncio's
            # server asks a finished handler for its exception and a cancelled one raises there
            # ("Exception in callback ... CancelledError"). No await here: it may be cancelled again.
            writer.transport.abort()
        except Exception:  # a bug must cost one connection, never the node
            log.exception("failed serving a connection from %s", peer_address(writer))
            writer.transport.abort()
        finally:
            self._connections.authenticated(writer)  # or gone: either way no longer a stranger's slot
            self._connections.open -= 1
            if task is not None:
                self._tasks.discard(task)

    async def _serve_inbound(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        where = peer_address(writer)
        certificate = connection_certificate()
        ctx = server_context(certificate)
        old_client = watch_for_old_clients(ctx, lambda: old_laptops_context(self.group, where.rsplit(":", 1)[0]))
        if not await self._secured(writer, ctx, old_client, where):
            return
        if old_client.answering:  # an old laptop of the group: told to update, and nothing else
            await self._tell_old_laptop(reader, writer, where)
            return
        await self._serve_secured(reader, writer, channel_of(writer, certificate, "server"), where)

    async def _secured(self, writer: asyncio.StreamWriter, ctx: ssl.SSLContext, old_client: OldClientFlag,
                       where: str) -> bool:
        """TLS is up; else the connection is closed, and an older Organiser of the group is
        noted as one to update, anyone else logged once per address (not per attempt)."""
        try:
            await writer.start_tls(ctx, ssl_handshake_timeout=HANDSHAKE_TIMEOUT)
            return True
        except (OSError, TimeoutError, ConnectionError) as exc:
            host = where.rsplit(":", 1)[0]
            if old_client:
                self._outdated_peer(host, "")
            elif self._refusals_said.due(host):
                log.warning("refused a connection from %s: the secure handshake failed (%s)", where,
                            exc or type(exc).__name__)
            await close_quietly(writer)
            return False

    async def _tell_old_laptop(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, where: str) -> None:
        try:
            self._outdated_peer(where.rsplit(":", 1)[0], old_device(writer, self.group))
            await tell_to_update(reader, writer)
        except (OSError, ConnectionError) as exc:
            log.info("could not tell the older Organiser at %s to update: %s", where, exc)
        finally:
            await close_quietly(writer)

    async def _serve_secured(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, channel: Channel,
                             where: str) -> None:
        """A member's conversation (after the member handshake) or, without a certificate, an invite."""
        try:
            if not channel.client_fp:
                await self._redeem(reader, writer, channel, where)
                return
            try:
                peer = await member_handshake(self.group, reader, writer, channel, self._admission)
            except HandshakeRefused as exc:
                if self._refusals_said.due(where.rsplit(":", 1)[0]):
                    log.warning("refused a connection from %s: %s", where, getattr(exc, "logged", exc))
                return
            self._connections.authenticated(writer)  # a member: no longer a stranger
            await self._run_link(reader, writer, peer.device, peer.public_hex, initiator=peer.device, address="")
        except (p.ProtocolError, asyncio.IncompleteReadError, TimeoutError, ConnectionError, OSError) as exc:
            log.warning("refused input from %s: %s", where, exc or type(exc).__name__)
        finally:
            await close_quietly(writer)

    async def _redeem(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, channel: Channel,
                      where: str) -> None:
        """No certificate: an invite redemption, if one of the few slots for them is free;
        counted as unauthenticated until it ends."""
        if not self._connections.may_redeem(writer):
            writer.write(p.encode_error(BUSY_MESSAGE))
            await writer.drain()
            return
        try:
            await answer_invite_proof(self.group, reader, writer, channel)
        except HandshakeRefused as exc:
            log.warning("refused an invite redemption from %s: %s", where, exc)
            return
        await serve_redeem(self.group, reader, writer, self.confirm_admission)
