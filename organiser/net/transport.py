"""TLS 1.3 with mutual authentication over asyncio streams, by device key.

No home-made crypto: Python's `ssl` does the handshake and the encryption. Each side
presents a certificate for its own device key (credentials.py); the node checks the peer's
key against the membership log right after the handshake, before any group data flows.
No server name (SNI) is sent, and certificates name nothing.
"""

from __future__ import annotations

import asyncio
import ssl

from organiser.core.errors import OrganiserError
from organiser.net.credentials import TlsFiles, device_of_certificate

CONNECT_TIMEOUT = 5.0


def _context(purpose: int, files: TlsFiles | None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(purpose)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if files is not None:
        ctx.load_cert_chain(files.device_cert, files.device_key)
        ctx.load_verify_locations(cafile=str(files.issuer_cert))
    return ctx


def server_context(files: TlsFiles) -> ssl.SSLContext:
    ctx = _context(ssl.PROTOCOL_TLS_SERVER, files)
    # Optional, not required: a device redeeming an invite has no place in the group yet.
    # Such a connection may only redeem an invite (see pairing.py).
    ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx


def client_context(files: TlsFiles) -> ssl.SSLContext:
    ctx = _context(ssl.PROTOCOL_TLS_CLIENT, files)
    ctx.check_hostname = False  # devices are known by their key, not by a host name
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def pairing_context() -> ssl.SSLContext:
    """For a device that is not yet a member: it shows no certificate, and checks the
    member's key against the fingerprint in the invite code after the handshake."""
    ctx = _context(ssl.PROTOCOL_TLS_CLIENT, None)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def peer_certificate(writer: asyncio.StreamWriter) -> bytes | None:
    ssl_object = writer.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    return ssl_object.getpeercert(binary_form=True)


def peer_device(writer: asyncio.StreamWriter) -> tuple[str, str] | None:
    """(device id, public key hex) of a verified peer, or None if it showed no certificate."""
    der = peer_certificate(writer)
    return device_of_certificate(der) if der else None


def peer_address(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return f"{peer[0]}:{peer[1]}" if peer else ""


async def open_tls(host: str, port: int, ctx: ssl.SSLContext,
                   timeout: float = CONNECT_TIMEOUT) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect with TLS; one clear sentence if the address cannot be reached or refuses us."""
    try:
        return await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ctx, server_hostname="",  # "": no SNI at all
                                    ssl_handshake_timeout=timeout, limit=2**22),
            timeout)
    except ssl.SSLError as exc:
        raise OrganiserError(f"{host}:{port} refused the secure connection ({exc.reason or exc}); if it is a "
                             "device of this group, it may run an older Organiser: update the app there.") from None
    except TimeoutError:
        raise OrganiserError(f"{host}:{port} did not answer within {timeout:.0f} s.") from None
    except OSError as exc:
        raise OrganiserError(f"{host}:{port} cannot be reached ({exc.strerror or exc}).") from None


async def close_quietly(writer: asyncio.StreamWriter) -> None:
    try:
        writer.close()
        await asyncio.wait_for(writer.wait_closed(), 1.0)
    except (OSError, ssl.SSLError, TimeoutError, ConnectionError):
        pass
    except asyncio.CancelledError:
        writer.transport.abort()  # cancelled while closing (the node stopping): close at once
        raise
