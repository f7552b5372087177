"""Invites: making a one-time code, and redeeming it at the device that made it.

A code names the device that made it (the SHA-256 of its key), where it listens, a
one-time token and an expiry; no secret of the group and not its name. The joining device
has no place in the group yet, so it connects with TLS without a certificate and checks
that the key the member proved it holds is the one in the code. Only then does it send the
token and its public key. The member finds the token among the invites it made (local,
not replicated: only the device that made a code can redeem it), checks it is unused and
unexpired, and admits the device with a signed membership entry that names the invite;
storing that entry marks the invite used in the same transaction (store/membership.py).
Both sides show the same short verification code, taken from the TLS session.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from organiser.core.bus import EventBus
from organiser.core.device_name import MAX_DEVICE_NAME, checked_device_name
from organiser.core.errors import OrganiserError, ValidationError
from organiser.core.keys import public_key_hex, short_id
from organiser.core.records import new_id
from organiser.net import peerbook
from organiser.net.credentials import CertificateError, key_fingerprint
from organiser.net.handshake import UNKNOWN_INVITE, PeerRefused, prove_invite, remember_join_key
from organiser.net.invite_code import InviteCode, decode_invite, encode_invite, split_address, token_hash
from organiser.net.link import sync_with
from organiser.net.transport import close_quietly, dial
from organiser.services.devices import MembershipRefused, why_may_not_invite
from organiser.services.group import Group, credentials_from_json, join_group, prepare_join
from organiser.store import invites
from organiser.store.membership import InviteUsed
from organiser.sync import protocol as p

log = logging.getLogger(__name__)

PAIR_TIMEOUT = 10.0
DEFAULT_EXPIRY = 24 * 3600
MAX_EXPIRY = 7 * 24 * 3600


def make_invite(group: Group, addresses: list[str], expires_seconds: int = DEFAULT_EXPIRY) -> str:
    """Record a one-time invite on this device (only its token's hash) and return the code."""
    if expires_seconds <= 0:
        raise ValidationError("expires", "expires: an invite must stay valid for some time.")
    if expires_seconds > MAX_EXPIRY:
        raise ValidationError("expires", "expires: an invite stays valid at most 7 days (7d).")
    refused = why_may_not_invite(group.membership.membership(), group.device_id)
    if refused is not None:
        raise MembershipRefused(refused)
    token = secrets.token_bytes(16)
    expires_at = int(time.time()) + int(expires_seconds)
    invites.add_invite(group.db, new_id(), token_hash(token), expires_at)
    fingerprint = key_fingerprint(public_key_hex(group.private_key()))
    return encode_invite(InviteCode(group.id, fingerprint, token, expires_at, tuple(addresses)))


def withdraw_invite(group: Group, code: str) -> None:
    """The long code made here no longer admits anyone (it expires now), unless it was used
    already: what is left of an invitation another code of the same dialog has answered."""
    found = invites.find_invite(group.db, token_hash(decode_invite(code).token))
    if found is not None:
        invites.burn_invite(group.db, found.id, "withdrawn")


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


def verification_code(writer: asyncio.StreamWriter) -> str:
    """Six digits both ends of one TLS session compute alike (from its channel binding):
    the same on both screens only if nobody sits in between."""
    ssl_object = writer.get_extra_info("ssl_object")
    binding = ssl_object.get_channel_binding("tls-unique") if ssl_object is not None else None
    number = int.from_bytes(hashlib.sha256(b"organiser verification" + (binding or b"")).digest()[:8], "big")
    return f"{number % 1_000_000:06d}"


def admit_by_invite(group: Group, token: bytes, public_hex: str, device_name: str) -> str:
    """Check a token against this device's invites and admit the device; return its id.
    Raises OrganiserError with the sentence the joining person will read."""
    found = invites.find_invite(group.db, token_hash(token))
    if found is None:
        raise OrganiserError("this invite code was not made by this device (a code works only at the device "
                             "that made it), or it is mistyped.")
    if found.used_by:
        raise OrganiserError("this invite code has already been used; ask for a new one with 'organiser invite'.")
    if found.ended == "withdrawn":
        raise OrganiserError(f"this invite code was withdrawn at {_when(found.expires_at)}: the short code shown "
                             "beside it let a laptop in. Ask for a new one with 'organiser invite'.")
    if found.ended == "burned":
        raise OrganiserError(f"this invite code was spent at {_when(found.expires_at)} by a wrong try; "
                             "ask for a new one with 'organiser invite'.")
    if found.expires_at < time.time():
        raise OrganiserError(f"this invite code expired at {_when(found.expires_at)}; "
                             "ask for a new one with 'organiser invite'.")
    if not group.membership.membership().may_invite(group.device_id):
        raise OrganiserError("the device that made this invite code may no longer admit devices; ask an admin "
                             "for a new code.")
    try:
        device_id = group.admit_device(public_hex, device_name, invite=found.id)
    except InviteUsed:
        raise OrganiserError("this invite code has already been used; ask for a new one.") from None
    log.info("admitted device %s by invite %s", short_id(device_id), found.id[:8])  # its name names a person
    return device_id


# Asked before admitting, with the new device's name and the verification code; True admits.
# The app asks the person at the admitting device; the CLI (None) admits without asking.
ConfirmAdmission = Callable[[str, str], Awaitable[bool]]
CONFIRM_TIMEOUT = 120.0


async def confirmed_while_there(asking: Awaitable[bool], reader: asyncio.StreamReader) -> bool:
    """The person's answer, while the new device waits for it. If the device goes away first, the
    question is withdrawn (cancelled: the app closes it): left on screen, it could be answered Admit
    after the person had moved on to a later try, with another code, letting in a device nobody holds
    and spending the invite."""
    answer = asyncio.ensure_future(asking)
    gone = asyncio.ensure_future(reader.read(1))  # the new device sends nothing more until answered
    try:
        done, _pending = await asyncio.wait({answer, gone}, timeout=CONFIRM_TIMEOUT,
                                            return_when=asyncio.FIRST_COMPLETED)
        if answer in done:
            return answer.result()
        if gone in done:
            raise OrganiserError("the new device went away before anyone confirmed it." if not gone.result()
                                 else "the new device sent something before it was confirmed.")
        raise TimeoutError
    finally:
        answer.cancel()
        gone.cancel()


async def serve_redeem(group: Group, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter, confirm: ConfirmAdmission | None = None) -> None:
    """A connection without a client certificate: it may redeem an invite, nothing else."""
    writer.write(p.encode_json(p.FrameType.PAIR_HELLO, {}))
    await writer.drain()
    # One deadline for the whole request: a stranger holds a redemption slot at most this long.
    doc = p.decode_json(await asyncio.wait_for(_read_redeem(reader), PAIR_TIMEOUT))
    try:
        token = bytes.fromhex(p.text_field(doc, "token", 64))
        public_hex = p.text_field(doc, "public_key", 64)
        if len(bytes.fromhex(public_hex)) != 32 or len(token) != 16:
            raise ValueError("a device key is 32 bytes and a token 16")
        name = checked_device_name(p.text_field(doc, "device_name", MAX_DEVICE_NAME))
    except (ValueError, ValidationError) as exc:
        raise p.ProtocolError(f"a redeem request is not well formed ({exc})") from None
    code = verification_code(writer)
    try:
        if _still_open(invites.find_invite(group.db, token_hash(token))) and confirm is not None:
            if not await confirmed_while_there(confirm(name, code), reader):
                raise OrganiserError("the person at the admitting device did not confirm this device.")
        device_id = admit_by_invite(group, token, public_hex, name)
    except (OrganiserError, TimeoutError) as exc:
        reason = str(exc) or "nobody confirmed this device in time."
        log.warning("refused an invite redemption from %s: %s", writer.get_extra_info("peername"), reason)
        writer.write(p.encode_error(reason))
    else:
        # Not the verification code: the journal keeps the log on the disk, outside the encrypted store.
        log.info("sent device %s the group's credentials", short_id(device_id))
        writer.write(p.encode_json(p.FrameType.WELCOME, {
            "credentials": group.credentials().to_json(), "verification": code}))
    await writer.drain()


def _still_open(invite: invites.Invite | None) -> bool:
    """Whether an invite could still admit someone: only then is the person at this device asked
    (a used, withdrawn or expired code is refused with its reason, without a question)."""
    return (invite is not None and invite.used_by is None and not invite.ended  # ended holds if the clock goes back
            and invite.expires_at > time.time())


async def _read_redeem(reader: asyncio.StreamReader) -> bytes:
    frame_type, length = p.parse_header(await reader.readexactly(p.HEADER.size))
    if frame_type != p.FrameType.REDEEM or length > 64 * 1024:
        raise p.ProtocolError("a device without a certificate may only redeem an invite")
    return await reader.readexactly(length)


async def _read_frame(reader: asyncio.StreamReader, timeout: float | None = None) -> p.Frame:
    """One frame; its header within `timeout` (the pause allowed between messages unless given:
    an answer a person gives takes longer), the rest within the pause allowed."""
    header = await asyncio.wait_for(reader.readexactly(p.HEADER.size), timeout or PAIR_TIMEOUT)
    frame_type, length = p.parse_header(header)
    return p.Frame(frame_type, await asyncio.wait_for(reader.readexactly(length), PAIR_TIMEOUT))


async def _redeem_at(address: str, code: InviteCode, public_hex: str, device_name: str,
                     on_verification: Callable[[str], None] | None = None) -> tuple[dict, str, str]:
    """(welcome, member device id, verification code) from the device that made the code."""
    host, port = split_address(address)
    link = await dial(host, port, with_certificate=False, timeout=3.0)
    reader, writer = link.reader, link.writer
    try:
        try:  # it shows its key only to a device holding a code it made (net/handshake.py)
            member = (await prove_invite(reader, writer, link.channel, code.token, code.fingerprint)).device
        except PeerRefused as exc:
            if exc.message == UNKNOWN_INVITE:  # another device at that address now: try the next one
                raise OrganiserError(f"{address} is not the device that made this invite code.") from None
            raise OrganiserError(f"{address} did not take the invite now: {exc.message}.") from None
        hello = await _read_frame(reader)
        if hello.type == p.FrameType.ERROR:  # busy with other invites, for one
            raise OrganiserError(f"{address} did not take the invite now: {p.decode_error(hello.payload)}.")
        if hello.type != p.FrameType.PAIR_HELLO:
            raise OrganiserError(f"{address} is not an Organiser device.")
        writer.write(p.encode_json(p.FrameType.REDEEM, {"token": code.token.hex(), "public_key": public_hex,
                                                        "device_name": device_name}))
        await writer.drain()
        if on_verification is not None:
            on_verification(verification_code(writer))  # shown while the other side confirms
        answer = await _read_frame(reader, CONFIRM_TIMEOUT)  # the admin reads and compares the codes
        if answer.type == p.FrameType.ERROR:
            raise InviteRefused(p.decode_error(answer.payload))
        if answer.type != p.FrameType.WELCOME:
            raise OrganiserError(f"{address} answered the invite with something unexpected.")
        return p.decode_json(answer.payload), member, verification_code(writer)
    except (p.ProtocolError, CertificateError, ValueError) as exc:
        raise OrganiserError(f"{address} did not answer the invite properly ({exc}).") from None
    except (asyncio.IncompleteReadError, ConnectionError, TimeoutError) as exc:
        raise OrganiserError(f"{address} closed the connection during the invite ({type(exc).__name__}).") from None
    finally:
        await close_quietly(writer)


class InviteRefused(OrganiserError):
    """A member device looked at the code and said no (used, expired, unknown)."""


async def redeem_invite(data_dir: Path, code: str, device_name: str, bus: EventBus | None = None,
                        on_verification: Callable[[str], None] | None = None, *,
                        passphrase: str | None = None) -> Group:
    """Join the group of an invite code at the device that made it; then sync.
    Progress of that first sync is published as SyncProgress on `bus` (the group's bus).
    The verification code both screens showed is kept in meta `verification_code`."""
    invite = decode_invite(code)
    device_name = checked_device_name(device_name)
    if invite.expires_at < time.time():
        raise OrganiserError(f"this invite code expired at {_when(invite.expires_at)}; "
                             "ask for a new one with 'organiser invite'.")
    if not invite.addresses:
        raise OrganiserError("this invite code names no address of the device that made it; ask for a new code.")
    # A passphrase's key derivation takes half a second or more: off the app's (Qt) thread
    path, public_hex = await asyncio.to_thread(prepare_join, data_dir, invite.group_id, passphrase=passphrase)
    problems: list[str] = []
    welcome: dict | None = None
    used_address = member = verification = ""
    for address in invite.addresses:
        try:
            welcome, member, verification = await _redeem_at(address, invite, public_hex, device_name,
                                                             on_verification)
            used_address = address
            break
        except InviteRefused:
            raise
        except OrganiserError as exc:
            problems.append(str(exc))
    if welcome is None:
        raise OrganiserError("the device that made this invite code cannot be reached (it must run the app or "
                             "'organiser serve'): " + " ".join(problems))
    creds = credentials_from_json(welcome["credentials"])
    group = await asyncio.to_thread(join_group, data_dir, creds, device_name, bus, passphrase=passphrase)
    group.replica.set_meta("verification_code", verification)
    remember_join_key(group, invite.token)  # proves this device to the admitting one until the first sync
    peerbook.remember_address(group.db, member, used_address)  # so `serve` can dial it after a crash
    host, port = split_address(used_address)
    try:
        await sync_with(group, host, port, timeout=120.0, inviter=member)
    except OrganiserError as exc:  # joined all the same; the node finishes the sync later
        log.warning("joined, but the first sync did not finish: %s", getattr(exc, "logged", exc))
    return group
