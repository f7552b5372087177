"""Invite codes: what a joining device needs to find and check the group. Pure functions.

A code carries the group id, the fingerprint of the group CA (to know it reached the
real group), a one-time token, an expiry and the addresses of member devices that were
online. It does not carry the group's secret or name. It is base32 (letters and digits
only, fine for a QR code's alphanumeric mode) with a checksum, so a mistyped code is
recognised as such rather than sent to the network.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from organiser.core.errors import OrganiserError

PREFIX = "ORG1"
_HEAD = struct.Struct(">B16s32s16sIB")
_CODE_VERSION = 1


class InviteCodeError(OrganiserError):
    """An invite code that cannot be read."""


@dataclass(frozen=True)
class InviteCode:
    group_id: str  # 32 hex
    fingerprint: str  # sha256 of the CA certificate, 64 hex
    token: bytes  # 16 random bytes; only its hash is stored
    expires_at: int  # epoch seconds
    addresses: tuple[str, ...]  # "host:port"


def token_hash(token: bytes) -> str:
    return hashlib.sha256(b"organiser invite token" + token).hexdigest()


def encode_invite(code: InviteCode) -> str:
    addresses = [a.encode("ascii") for a in code.addresses[:16] if len(a) < 256]
    raw = _HEAD.pack(_CODE_VERSION, bytes.fromhex(code.group_id), bytes.fromhex(code.fingerprint), code.token,
                     code.expires_at, len(addresses))
    raw += b"".join(bytes([len(a)]) + a for a in addresses)
    raw += hashlib.sha256(raw).digest()[:4]
    text = base64.b32encode(raw).decode().rstrip("=")
    groups = [text[i:i + 6] for i in range(0, len(text), 6)]
    return PREFIX + "-" + "-".join(groups)


_MISTYPED = "this invite code is mistyped or incomplete; copy the whole code again"


def decode_invite(text: str) -> InviteCode:
    """Parse a code as pasted or typed (spaces, dashes and case do not matter)."""
    clean = "".join(text.split()).replace("-", "").upper()
    if not clean.startswith(PREFIX):
        raise InviteCodeError(f"{_MISTYPED} (an invite code starts with {PREFIX}).")
    body = clean[len(PREFIX):]
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except ValueError:
        raise InviteCodeError(f"{_MISTYPED}.") from None
    if len(raw) < _HEAD.size + 4 or hashlib.sha256(raw[:-4]).digest()[:4] != raw[-4:]:
        raise InviteCodeError(f"{_MISTYPED}.")
    raw = raw[:-4]
    version, group, fingerprint, token, expires, count = _HEAD.unpack_from(raw)
    if version != _CODE_VERSION:
        raise InviteCodeError("this invite code was made by another version of Organiser.")
    pos, addresses = _HEAD.size, []
    for _ in range(count):
        if pos >= len(raw):
            raise InviteCodeError(f"{_MISTYPED}.")
        size = raw[pos]
        try:
            addresses.append(raw[pos + 1:pos + 1 + size].decode("ascii"))
        except UnicodeDecodeError:
            raise InviteCodeError(f"{_MISTYPED}.") from None
        pos += 1 + size
    return InviteCode(group.hex(), fingerprint.hex(), token, expires, tuple(addresses))


def split_address(address: str, *, any_port: bool = False) -> tuple[str, int]:
    """'host:port' (IPv6 as '[::1]:port') into (host, port), with a clear sentence if bad."""
    host, sep, port_text = address.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not (0 if any_port else 1) <= int(port_text) < 65536:
        raise OrganiserError(f"'{address}' is not an address of the form HOST:PORT.")
    return host, int(port_text)
