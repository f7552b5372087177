"""Joining with a spoken invite code: the new laptop's side (the frames: spoken_host.py).

It finds the inviting laptop by the code's nameplate on mDNS, opens TLS without a certificate
of its own, runs SPAKE2 with the code, and checks the inviter's proof, bound to this TLS
session and the fingerprint of the connection certificate it was shown, before it tells
anything about itself. Only then does it learn the group's id, make its device key, and ask to
be admitted. The WELCOME names the inviting device (its key, signed over this session) and
the invite's token, with which the first sync proves this laptop to the inviter
(handshake.remember_join_key), as after a long code.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from organiser.core.bus import EventBus
from organiser.core.device_name import checked_device_name
from organiser.core.errors import OrganiserError
from organiser.core.keys import device_id_for
from organiser.net import peerbook
from organiser.net.handshake import remember_join_key
from organiser.net.invite_code import split_address
from organiser.net.link import sync_with
from organiser.net.pairing import CONFIRM_TIMEOUT, PAIR_TIMEOUT, InviteRefused, verification_code
from organiser.net.spoken_code import (
    Exchange,
    ExchangeFailed,
    SpokenCode,
    channel_binding,
    check_inviter,
    parse_spoken_code,
)
from organiser.net.spoken_mdns import find_inviter
from organiser.net.transport import Channel, Dialled, close_quietly, dial
from organiser.services.group import Group, credentials_from_json, join_group, prepare_join
from organiser.sync import protocol as p

log = logging.getLogger(__name__)

_GROUP_ID = re.compile(r"[0-9a-f]{32}")
FindInviter = Callable[[int], Awaitable[list[str]]]
WRONG_CODE = ("the code did not match: it was mistyped or misheard, or another device on this network is in "
              "between. The code no longer works; ask for a new one.")


async def redeem_spoken_invite(data_dir: Path, text: str, device_name: str, bus: EventBus | None = None,
                               on_verification: Callable[[str], None] | None = None, *,
                               passphrase: str | None = None, find: FindInviter = find_inviter) -> Group:
    """Join the group whose laptop offers this spoken code on the LAN; then sync.
    `find` looks up where the nameplate is offered (mDNS unless told otherwise)."""
    code = parse_spoken_code(text)
    device_name = checked_device_name(device_name)
    addresses = await find(code.nameplate)
    if not addresses:
        raise OrganiserError(f"no laptop on this network offers a code starting with {code.nameplate} right now: "
                             "it may have expired (codes last 10 minutes) or been used, or this network blocks "
                             "discovery; then use the long code (Copy code) instead.")
    welcome, member, token, verification = await _exchange(addresses[0], code, data_dir, device_name, passphrase,
                                                           on_verification)
    creds = credentials_from_json(welcome.get("credentials"))
    # A passphrase's key derivation takes half a second or more: off the app's (Qt) thread
    group = await asyncio.to_thread(join_group, data_dir, creds, device_name, bus, passphrase=passphrase)
    group.replica.set_meta("verification_code", verification)
    remember_join_key(group, token)  # proves this device to the inviting one until the first sync
    await _first_sync(group, member, welcome.get("sync_addresses"))
    return group


async def _first_sync(group: Group, member: str, addresses: object) -> None:
    for address in addresses if isinstance(addresses, list) else []:
        try:
            host, port = split_address(str(address))
            peerbook.remember_address(group.db, member, str(address))
            await sync_with(group, host, port, timeout=120.0, inviter=member)
            return
        except OrganiserError as exc:  # joined all the same; the node finishes the sync later
            log.warning("joined, but the first sync with %s did not finish: %s", address, getattr(exc, "logged", exc))


async def _exchange(address: str, code: SpokenCode, data_dir: Path, device_name: str, passphrase: str | None,
                    on_verification: Callable[[str], None] | None) -> tuple[dict, str, bytes, str]:
    """(welcome, inviting device id, invite token, verification code), after both sides proved the code."""
    link = await _dial_inviter(address, code)
    reader, writer, channel = link.reader, link.writer, link.channel
    try:
        binding = await _prove_code(reader, writer, channel, code, address)
        group_id = await _read_group_id(reader)
        _path, public_hex = await asyncio.to_thread(prepare_join, data_dir, group_id, passphrase=passphrase)
        _send(writer, {"public_key": public_hex, "device_name": device_name})
        await writer.drain()
        if on_verification is not None:
            on_verification(verification_code(writer))  # shown while the other side confirms
        welcome, member, token = await _read_welcome(reader, channel, binding)
        return welcome, member, token, verification_code(writer)
    except ExchangeFailed:
        raise InviteRefused(WRONG_CODE) from None
    except (p.ProtocolError, ValueError) as exc:
        raise OrganiserError(f"{address} did not answer the invite properly ({exc}).") from None
    except (asyncio.IncompleteReadError, ConnectionError, TimeoutError) as exc:
        raise OrganiserError(f"{address} closed the connection during the invite ({type(exc).__name__}).") from None
    finally:
        await close_quietly(writer)


async def _dial_inviter(address: str, code: SpokenCode) -> Dialled:
    host, port = split_address(address)
    try:
        return await dial(host, port, with_certificate=False, timeout=5.0)
    except OrganiserError as exc:
        raise OrganiserError(f"the laptop that offered code {code.nameplate}-… no longer answers: the code may "
                             f"have expired (codes last 10 minutes) or been used; ask for a new one ({exc})") from None


async def _prove_code(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, channel: Channel,
                      code: SpokenCode, address: str) -> bytes:
    """Both sides prove they hold the code (SPAKE2 bound to this TLS session and both certificates);
    returns the session's channel binding. Raises ExchangeFailed on a wrong code."""
    hello = await _read(reader, p.FrameType.PAIR_HELLO)
    if hello.get("spoken") != 1:
        raise OrganiserError(f"{address} does not offer a spoken invite code.")
    if not channel.server_fp:
        raise OrganiserError(f"{address} showed no certificate.")
    ssl_object = writer.get_extra_info("ssl_object")
    binding = ssl_object.get_channel_binding("tls-unique") or b""
    exchange = Exchange(code, inviter=False)
    _send(writer, {"pake": exchange.message.hex()})
    answer = await _read(reader, p.FrameType.PAIR_HELLO)
    exchange.finish(bytes.fromhex(p.text_field(answer, "pake", 66)), binding, channel.client_fp,
                    channel.server_fp)
    exchange.check(bytes.fromhex(p.text_field(answer, "proof", 64)))
    _send(writer, {"proof": exchange.proof().hex()})
    return binding


async def _read_group_id(reader: asyncio.StreamReader) -> str:
    group_id = p.text_field(await _read(reader, p.FrameType.PAIR_HELLO), "group", 32)
    if not _GROUP_ID.fullmatch(group_id):  # it names a folder here
        raise p.ProtocolError("the group id is not 32 hexadecimal digits")
    return group_id


async def _read_welcome(reader: asyncio.StreamReader, channel: Channel, binding: bytes) -> tuple[dict, str, bytes]:
    """(welcome, inviting device id, invite token), once the inviter's signature over this session holds."""
    welcome = await _read(reader, p.FrameType.WELCOME, CONFIRM_TIMEOUT)
    member_key = p.text_field(welcome, "inviter_key", 64)
    try:
        check_inviter(member_key, p.text_field(welcome, "inviter_signature", 128),
                      channel_binding(binding, channel.client_fp, channel.server_fp))
    except ExchangeFailed as exc:
        raise p.ProtocolError(str(exc)) from None
    token = bytes.fromhex(p.text_field(welcome, "token", 32))
    if len(token) != 16:
        raise p.ProtocolError("the invite token is not 16 bytes")
    return welcome, device_id_for(member_key), token


def _send(writer: asyncio.StreamWriter, doc: dict) -> None:
    writer.write(p.encode_json(p.FrameType.REDEEM, doc))


async def _read(reader: asyncio.StreamReader, expected: p.FrameType, timeout: float = PAIR_TIMEOUT) -> dict:
    header = await asyncio.wait_for(reader.readexactly(p.HEADER.size), timeout)
    frame_type, length = p.parse_header(header)
    payload = await asyncio.wait_for(reader.readexactly(length), timeout)
    if frame_type == p.FrameType.ERROR:
        raise InviteRefused(p.decode_error(payload))
    if frame_type != expected:
        raise p.ProtocolError(f"expected a {expected.name} frame, got {frame_type.name}")
    return p.decode_json(payload)
