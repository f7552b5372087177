"""Connections a node takes: bounded in number, a member's link or an invite redemption.

The TLS handshake says who connects: a member's certificate starts a sync conversation;
no certificate may only redeem an invite (net/pairing.py). Until one of those is settled
the connection counts as unauthenticated (net/limits.py), so strangers on the LAN cannot
fill the node's slots and keep the group's laptops out.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from organiser.net.credentials import CertificateError
from organiser.net.limits import ConnectionCount, LogOnce
from organiser.net.pairing import ConfirmAdmission, serve_redeem
from organiser.net.transport import close_quietly, peer_address, peer_device, server_context
from organiser.sync import protocol as p

if TYPE_CHECKING:
    from organiser.net.credentials import TlsFiles
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

    if TYPE_CHECKING:  # what the node provides (net/node.py)
        def _tls(self) -> TlsFiles: ...
        def _admit_peer(self, device: str, public_hex: str) -> bool: ...
        def _refusal_for(self, device: str) -> str: ...
        async def _run_link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, device: str,
                            public_hex: str, *, initiator: str, address: str) -> None: ...

    async def _on_inbound(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._connections.room_for_one_more():
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
        try:
            await writer.start_tls(server_context(self._tls()), ssl_handshake_timeout=HANDSHAKE_TIMEOUT)
            identity = peer_device(writer)
        except (OSError, CertificateError, TimeoutError, ConnectionError) as exc:
            if self._refusals_said.due(where.rsplit(":", 1)[0]):  # once per address, not per attempt
                hint = ""
                if isinstance(exc, ConnectionResetError) or "UNKNOWN_CA" in str(exc).upper():
                    # The peer gave up on our certificate. The old version trusted only its group's
                    # CA, which this one no longer has.
                    hint = "; if it is a laptop of the group, it runs an older Organiser: update the app there"
                log.warning("refused a connection from %s: the secure handshake failed (%s)%s", where,
                            exc or type(exc).__name__, hint)
            await close_quietly(writer)
            return
        try:
            if identity is None:
                await self._redeem(reader, writer, where)
                return
            device, public_hex = identity
            if not self._admit_peer(device, public_hex):
                writer.write(p.encode_error(self._refusal_for(device)))
                await writer.drain()
                return
            self._connections.authenticated(writer)  # a member's certificate: no longer a stranger
            await self._run_link(reader, writer, device, public_hex, initiator=device, address="")
        except (p.ProtocolError, asyncio.IncompleteReadError, TimeoutError, ConnectionError, OSError) as exc:
            log.warning("refused input from %s: %s", where, exc or type(exc).__name__)
        finally:
            await close_quietly(writer)

    async def _redeem(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, where: str) -> None:
        """No certificate: an invite redemption, if one of the few slots for them is free;
        counted as unauthenticated until it ends."""
        if not self._connections.may_redeem(writer):
            writer.write(p.encode_error(BUSY_MESSAGE))
            await writer.drain()
            return
        await serve_redeem(self.group, self._tls(), reader, writer, self.confirm_admission)
