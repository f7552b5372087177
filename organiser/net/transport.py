"""TLS 1.3 over asyncio streams, with a fresh certificate for every connection.

No home-made crypto: Python's `ssl` does the handshake and the encryption. Each side
presents a connection certificate made for this connection alone (credentials.py), so what
TLS shows to whoever connects names no device and no group, and follows nobody from venue
to venue. Who is at the other end is settled inside the encrypted channel, before any
group data flows (handshake.py), by proofs that name both connection certificates.
No server name (SNI) is sent.
"""

from __future__ import annotations

import asyncio
import ssl
import traceback
from dataclasses import dataclass

from organiser.core.errors import OrganiserError
from organiser.net.credentials import ConnectionCertificate, connection_certificate, fingerprint, issuer_pem, load_into

CONNECT_TIMEOUT = 5.0
OLD_SERVER_NAME = "organiser"  # the fixed SNI the previous protocol sent (net/outdated.py)


def _context(purpose: int, certificate: ConnectionCertificate | None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(purpose)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if certificate is not None:
        load_into(ctx, certificate)
    return ctx


def server_context(certificate: ConnectionCertificate) -> ssl.SSLContext:
    ctx = _context(ssl.PROTOCOL_TLS_SERVER, certificate)
    ctx.load_verify_locations(cadata=issuer_pem())
    # Optional, not required: a device redeeming an invite has no place in the group yet.
    # Such a connection may only redeem an invite (see pairing.py).
    ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx


def client_context(certificate: ConnectionCertificate | None) -> ssl.SSLContext:
    ctx = _context(ssl.PROTOCOL_TLS_CLIENT, certificate)
    # The server's certificate proves nothing by itself (anyone can make one): who it is, the
    # in-channel handshake proves, by signing this certificate's fingerprint (handshake.py).
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def pairing_context() -> ssl.SSLContext:
    """For a device that is not yet a member: it shows no certificate."""
    return client_context(None)


@dataclass(frozen=True)
class Channel:
    """One TLS connection as the in-channel proofs name it: which side we are, and the
    fingerprints of both connection certificates (b"" for a side that showed none)."""

    role: str  # ours: "client" (we dialled) or "server"
    client_fp: bytes
    server_fp: bytes

    @property
    def peer_role(self) -> str:
        return "server" if self.role == "client" else "client"

    def transcript(self, role: str) -> bytes:
        """What a proof by the side in `role` covers: a proof made for one connection, or by
        one side, is worth nothing on another connection or from the other side."""
        return role.encode() + b"\0" + bytes([len(self.client_fp)]) + self.client_fp + self.server_fp


def channel_of(writer: asyncio.StreamWriter, own: ConnectionCertificate | None, role: str) -> Channel:
    peer = peer_certificate(writer)
    own_fp, peer_fp = (own.fingerprint if own else b""), (fingerprint(peer) if peer else b"")
    return Channel(role, own_fp, peer_fp) if role == "client" else Channel(role, peer_fp, own_fp)


def peer_certificate(writer: asyncio.StreamWriter) -> bytes | None:
    ssl_object = writer.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    return ssl_object.getpeercert(binary_form=True)


def peer_address(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return f"{peer[0]}:{peer[1]}" if peer else ""


@dataclass
class Dialled:
    """A TLS connection we opened, with what the in-channel handshake needs."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    channel: Channel


async def dial(host: str, port: int, *, with_certificate: bool = True,
               timeout: float = CONNECT_TIMEOUT) -> Dialled:
    """Connect with TLS, showing a fresh connection certificate (none when redeeming an invite)."""
    certificate = connection_certificate() if with_certificate else None
    reader, writer = await open_tls(host, port, client_context(certificate), timeout)
    return Dialled(reader, writer, channel_of(writer, certificate, "client"))


async def open_tls(host: str, port: int, ctx: ssl.SSLContext,
                   timeout: float = CONNECT_TIMEOUT) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect with TLS; one clear sentence if the address cannot be reached or refuses us."""
    try:
        return await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ctx, server_hostname="",  # "": no SNI at all
                                    ssl_handshake_timeout=timeout, limit=2**22),
            timeout)
    except ssl.SSLError as exc:
        _forget_frames(exc)
        raise OrganiserError(f"{host}:{port} refused the secure connection ({exc.reason or exc}); if it is a "
                             "device of this group, it may run an older Organiser: update the app there.") from None
    except TimeoutError as exc:
        _forget_frames(exc)
        raise OrganiserError(f"{host}:{port} did not answer within {timeout:.0f} s.") from None
    except OSError as exc:
        _forget_frames(exc)
        raise OrganiserError(f"{host}:{port} cannot be reached ({exc.strerror or exc}).") from None


def _forget_frames(exc: BaseException) -> None:
    """asyncio's failed connect leaves a cycle (the error's traceback holds frames that hold the
    error, with the SSL context, socket and stream made for it), which only the collector's rare
    full pass frees: over an evening of pulled cables and dialers retrying, megabytes of TLS
    contexts. Clearing the finished frames' variables lets reference counting free it at once."""
    seen: BaseException | None = exc
    for _ in range(8):  # the error and what it arose from (a timeout: the connect it cancelled)
        if seen is None:
            break
        traceback.clear_frames(seen.__traceback__)
        seen = seen.__cause__ or seen.__context__


async def close_quietly(writer: asyncio.StreamWriter) -> None:
    """Close, waiting a second at most for the peer to see the connection go, then cut it. The wait
    runs in this task: asyncio.wait_for (Python 3.11) waits in a task of its own, which a loop ending
    right after (the app quitting) never starts, leaving the close half done and its coroutine
    never awaited."""
    try:
        writer.close()
        async with asyncio.timeout(1.0):
            await writer.wait_closed()
    except TimeoutError:  # the peer did not answer the close: cut it now, not at TLS's own 30 s
        writer.transport.abort()
    except RuntimeError:  # no running loop to time the wait (a step in qasync's last turn): cut it now
        writer.transport.abort()
    except (OSError, ssl.SSLError, ConnectionError):
        pass
    except asyncio.CancelledError:
        writer.transport.abort()  # cancelled while closing (the node stopping): close at once
        raise
