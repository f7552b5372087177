"""Invites: making a one-time code, and redeeming it with any member device online.

The joining device has no certificate yet, so it connects with TLS without one. It
checks the member's certificate by hand: the CA the member shows must have the
fingerprint in the code, and must have signed the member's certificate (whose key TLS
proved the member holds). Only then does it send the token and its public key. The
member checks the token (known, unused, unexpired), admits the device to the roster,
marks the invite used (replicated, so no other member accepts it again) and sends the
group credentials and the new device's certificate.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from organiser.core.bus import EventBus
from organiser.core.errors import OrganiserError, ValidationError
from organiser.core.keys import device_id_for
from organiser.core.records import new_id
from organiser.net import peerbook
from organiser.net.credentials import (
    CertificateError,
    TlsFiles,
    ca_material,
    check_issued_by,
    device_of_certificate,
    fingerprint_of,
    group_tls_files,
    issue_device_certificate,
)
from organiser.net.invite_code import InviteCode, decode_invite, encode_invite, split_address, token_hash
from organiser.net.link import sync_with
from organiser.net.transport import close_quietly, open_tls, pairing_context, peer_certificate
from organiser.services.group import Group, credentials_from_json, join_group, prepare_join
from organiser.store.replica import LocalOp
from organiser.sync import protocol as p

log = logging.getLogger(__name__)

PAIR_TIMEOUT = 10.0
DEFAULT_EXPIRY = 24 * 3600


def make_invite(group: Group, addresses: list[str], expires_seconds: int = DEFAULT_EXPIRY) -> str:
    """Record a one-time invite (only its token's hash, replicated) and return the code."""
    if expires_seconds <= 0:
        raise ValidationError("expires", "expires: an invite must stay valid for some time.")
    files = group_tls_files(group)
    token = secrets.token_bytes(16)
    expires_at = int(time.time()) + int(expires_seconds)
    invite_id = new_id()
    group.replica.commit([LocalOp("invite", invite_id, "token_hash", token_hash(token)),
                          LocalOp("invite", invite_id, "expires_at", expires_at),
                          LocalOp("invite", invite_id, "created_by", group.device_id)])
    return encode_invite(InviteCode(group.id, files.fingerprint, token, expires_at, tuple(addresses)))


def _find_invite(group: Group, token: bytes) -> tuple[str, dict] | None:
    row = group.db.execute(
        "SELECT id, data FROM records WHERE kind = 'invite' AND deleted = 0 "
        "AND json_extract(data, '$.token_hash') = ?", [token_hash(token)]).fetchone()
    return (row[0], json.loads(row[1])) if row else None


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


def admit_by_invite(group: Group, token: bytes, public_hex: str, device_name: str) -> str:
    """Check a token and admit the device; return its certificate (PEM). Raises
    OrganiserError with the sentence the joining person will read."""
    found = _find_invite(group, token)
    if found is None:
        raise OrganiserError("this invite code is not known to the group (it may be mistyped, or made "
                             "on a device whose news has not reached this one yet).")
    invite_id, invite = found
    if invite.get("used_by"):
        raise OrganiserError("this invite code has already been used; ask for a new one with 'organiser invite'.")
    if int(invite.get("expires_at") or 0) < time.time():
        raise OrganiserError(f"this invite code expired at {_when(int(invite.get('expires_at') or 0))}; "
                             "ask for a new one with 'organiser invite'.")
    ca_key, ca_cert = ca_material(group.secret, group.id)
    certificate = issue_device_certificate(ca_key, ca_cert, public_hex).decode()
    device_id = group.admit_device(public_hex, device_name, certificate=certificate)
    group.replica.commit([LocalOp("invite", invite_id, "used_by", device_id)])
    log.info("admitted device %s ('%s') by invite %s", device_id[:12], device_name, invite_id[:8])
    return certificate


async def serve_redeem(group: Group, files: TlsFiles, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
    """A connection without a client certificate: it may redeem an invite, nothing else."""
    writer.write(p.encode_json(p.FrameType.PAIR_HELLO, {"ca": files.ca_cert.read_text()}))
    await writer.drain()
    header = await asyncio.wait_for(reader.readexactly(p.HEADER.size), PAIR_TIMEOUT)
    frame_type, length = p.parse_header(header)
    if frame_type != p.FrameType.REDEEM or length > 64 * 1024:
        raise p.ProtocolError("a device without a certificate may only redeem an invite")
    doc = p.decode_json(await asyncio.wait_for(reader.readexactly(length), PAIR_TIMEOUT))
    try:
        token = bytes.fromhex(p.text_field(doc, "token", 64))
        public_hex = p.text_field(doc, "public_key", 64)
        if len(bytes.fromhex(public_hex)) != 32 or len(token) != 16:
            raise ValueError("a device key is 32 bytes and a token 16")
        name = p.text_field(doc, "device_name", 200)
    except ValueError as exc:
        raise p.ProtocolError(f"a redeem request is not well formed ({exc})") from None
    try:
        certificate = admit_by_invite(group, token, public_hex, name)
    except OrganiserError as exc:
        log.warning("refused an invite redemption from %s: %s", writer.get_extra_info("peername"), exc)
        writer.write(p.encode_error(str(exc)))
    else:
        writer.write(p.encode_json(p.FrameType.WELCOME, {
            "credentials": group.credentials().to_json(), "certificate": certificate,
            "ca": files.ca_cert.read_text()}))
    await writer.drain()


async def _read_frame(reader: asyncio.StreamReader) -> p.Frame:
    header = await asyncio.wait_for(reader.readexactly(p.HEADER.size), PAIR_TIMEOUT)
    frame_type, length = p.parse_header(header)
    return p.Frame(frame_type, await asyncio.wait_for(reader.readexactly(length), PAIR_TIMEOUT))


async def _redeem_at(address: str, code: InviteCode, public_hex: str, device_name: str) -> tuple[dict, str]:
    host, port = split_address(address)
    reader, writer = await open_tls(host, port, pairing_context(), timeout=3.0)
    try:
        hello = await _read_frame(reader)
        if hello.type != p.FrameType.PAIR_HELLO:
            raise OrganiserError(f"{address} is not an Organiser device.")
        ca_pem = p.text_field(p.decode_json(hello.payload), "ca", 16384).encode()
        if fingerprint_of(x509.load_pem_x509_certificate(ca_pem)) != code.fingerprint:
            raise OrganiserError(f"{address} belongs to another group than this invite code.")
        leaf = peer_certificate(writer)
        if leaf is None:
            raise OrganiserError(f"{address} showed no certificate.")
        check_issued_by(leaf, ca_pem)
        member = device_of_certificate(leaf)[0]
        writer.write(p.encode_json(p.FrameType.REDEEM, {"token": code.token.hex(), "public_key": public_hex,
                                                        "device_name": device_name}))
        await writer.drain()
        answer = await _read_frame(reader)
        if answer.type == p.FrameType.ERROR:
            raise InviteRefused(p.decode_error(answer.payload))
        if answer.type != p.FrameType.WELCOME:
            raise OrganiserError(f"{address} answered the invite with something unexpected.")
        return p.decode_json(answer.payload), member
    except (p.ProtocolError, CertificateError, ValueError) as exc:
        raise OrganiserError(f"{address} did not answer the invite properly ({exc}).") from None
    except (asyncio.IncompleteReadError, ConnectionError, TimeoutError) as exc:
        raise OrganiserError(f"{address} closed the connection during the invite ({type(exc).__name__}).") from None
    finally:
        await close_quietly(writer)


class InviteRefused(OrganiserError):
    """A member device looked at the code and said no (used, expired, unknown)."""


async def redeem_invite(data_dir: Path, code: str, device_name: str, bus: EventBus | None = None, *,
                        passphrase: str | None = None) -> Group:
    """Join the group of an invite code through any member device online; then sync.
    Progress of that first sync is published as SyncProgress on `bus` (the group's bus)."""
    invite = decode_invite(code)
    device_name = device_name.strip()
    if not device_name:
        raise ValidationError("device-name", "device name: this device needs a name.")
    if invite.expires_at < time.time():
        raise OrganiserError(f"this invite code expired at {_when(invite.expires_at)}; "
                             "ask for a new one with 'organiser invite'.")
    if not invite.addresses:
        raise OrganiserError("this invite code names no member device to reach; ask for a new code "
                             "while a member device runs 'organiser serve' or the app.")
    path, public_hex = prepare_join(data_dir, invite.group_id, passphrase=passphrase)
    problems: list[str] = []
    welcome: dict | None = None
    used_address = member = ""
    for address in invite.addresses:
        try:
            welcome, member = await _redeem_at(address, invite, public_hex, device_name)
            used_address = address
            break
        except InviteRefused as exc:
            if "not known" not in str(exc):
                raise
            problems.append(str(exc))
        except OrganiserError as exc:
            problems.append(str(exc))
    if welcome is None:
        raise OrganiserError("no member device of the invite could admit this device: " + " ".join(problems))
    creds = credentials_from_json(json.dumps(welcome["credentials"]))
    group = join_group(data_dir, creds, device_name, bus, passphrase=passphrase)
    _store_certificate(group, str(welcome["certificate"]))
    peerbook.remember_address(group.db, member, used_address)  # so `serve` can dial it after a crash
    host, port = split_address(used_address)
    try:
        await sync_with(group, host, port, timeout=120.0)
    except OrganiserError as exc:  # joined all the same; the node finishes the sync later
        log.warning("joined, but the first sync did not finish: %s", exc)
    return group


def _store_certificate(group: Group, certificate_pem: str) -> None:
    """Check that the member issued a certificate for our key. Nothing is written to disk: this
    device makes its certificate in memory from the same group CA whenever it starts."""
    cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    public = cert.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    if device_id_for(public) != group.device_id:
        log.warning("the member device sent a certificate for another key; this device makes its own")
