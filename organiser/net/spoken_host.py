"""Offering a spoken invite code: the inviting laptop's side.

The laptop listens on a port of its own for this one code (TLS with a fresh connection
certificate for each connection, naming nothing, as every connection has: credentials.py; the
joiner shows none), announces the code's nameplate on mDNS, and takes exactly one attempt.
The frames are the pairing frames (PAIR_HELLO from here, REDEEM from the joiner):

    here -> joiner   PAIR_HELLO {"spoken": 1}
    joiner -> here   REDEEM {"pake": msg}                         (the attempt begins)
    here -> joiner   PAIR_HELLO {"pake": msg, "proof": mac}
    joiner -> here   REDEEM {"proof": mac}                        (wrong code: the code is burned)
    here -> joiner   PAIR_HELLO {"group": id}
    joiner -> here   REDEEM {"public_key", "device_name"}
    here -> joiner   WELCOME {"credentials", "verification", "sync_addresses",
                              "inviter_key", "inviter_signature", "token"} or ERROR

Nothing names this device before the joiner's proof checks: the group id comes after it, and
the device key only in the WELCOME, signed over this session's channel binding (spoken_code.py).
The WELCOME also carries the invite's token, which only these two devices then hold: the new
laptop proves itself with it on its first sync, as a long-code joiner does
(handshake.remember_join_key), and this device accepts that proof because the invite admitted it.

An attempt that begins and does not end in a matching proof (a wrong code, a dropped
connection, a bad frame, a man in the middle) burns the code: the invite row expires at once,
the listener closes and the announcement goes away. The person at the inviting laptop is told,
and makes a new code. Admission itself is the long code's: a signed admit entry naming the
invite (pairing.admit_by_invite), after the app's person confirmed the new device's name.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from organiser.core.device_name import MAX_DEVICE_NAME, checked_device_name
from organiser.core.errors import OrganiserError, ValidationError
from organiser.core.keys import public_key_hex, short_id
from organiser.core.records import new_id
from organiser.net.credentials import connection_certificate
from organiser.net.invite_code import token_hash
from organiser.net.link import local_addresses
from organiser.net.pairing import (
    PAIR_TIMEOUT,
    ConfirmAdmission,
    admit_by_invite,
    confirmed_while_there,
    verification_code,
)
from organiser.net.spoken_code import (
    SPOKEN_EXPIRY,
    Exchange,
    ExchangeFailed,
    SpokenCode,
    channel_binding,
    make_spoken_code,
    sign_inviter,
)
from organiser.net.spoken_mdns import Announcement
from organiser.net.transport import Channel, channel_of, close_quietly, server_context
from organiser.services.devices import MembershipRefused, why_may_not_invite
from organiser.services.group import Group
from organiser.store import invites
from organiser.sync import protocol as p

log = logging.getLogger(__name__)

WAITING, ADMITTED, BURNED, EXPIRED, WITHDRAWN = "waiting", "admitted", "burned", "expired", "withdrawn"
BUSY = "another device is trying this code right now"


@dataclass(frozen=True)
class SpokenOutcome:
    state: str  # admitted, burned, expired, withdrawn
    message: str  # the sentence for the person at the inviting laptop
    device_name: str = ""


def _hex_field(doc: dict, name: str, size: int) -> bytes:
    value = bytes.fromhex(p.text_field(doc, name, 2 * size))
    if len(value) != size:
        raise ValueError(f"'{name}' must be {size} bytes")
    return value


class SpokenInvite:
    """One spoken code, offered from start() until it is used, burned, expired or closed."""

    def __init__(self, group: Group, confirm: ConfirmAdmission | None = None, *,
                 listen_host: str = "0.0.0.0", announce: bool = True, expires_seconds: int = SPOKEN_EXPIRY,
                 sync_addresses: Callable[[], list[str]] = list) -> None:
        self.group = group
        self.confirm = confirm
        self.listen_host = listen_host
        self.announce = announce
        self.expires_seconds = expires_seconds
        self.sync_addresses = sync_addresses  # where the new device can make its first sync
        self.code: SpokenCode = make_spoken_code()
        self.expires_at = 0.0
        self.port = 0
        self._token = secrets.token_bytes(16)
        self._invite_id = new_id()
        self._server: asyncio.Server | None = None
        self._announcement: Announcement | None = None
        self._claimed = False
        self._outcome: asyncio.Future[SpokenOutcome] | None = None
        self._expiry: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def text(self) -> str:
        return self.code.text

    async def start(self) -> None:
        refused = why_may_not_invite(self.group.membership.membership(), self.group.device_id)
        if refused is not None:
            raise MembershipRefused(refused)
        loop = asyncio.get_running_loop()
        self._outcome = loop.create_future()
        self.expires_at = time.time() + self.expires_seconds
        invites.add_invite(self.group.db, self._invite_id, token_hash(self._token), int(self.expires_at))
        # Plain TCP here: each connection starts TLS with a certificate of its own (_on_connection).
        self._server = await asyncio.start_server(self._on_connection, self.listen_host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._expiry = loop.call_later(self.expires_seconds, self._expire)
        if self.announce:
            hosts = local_addresses() if self.listen_host in ("", "0.0.0.0") else [self.listen_host]
            self._announcement = Announcement(self.code.nameplate, self.port, hosts)
            try:
                await self._announcement.start()
            except Exception as exc:  # no multicast here: the long code still works
                log.warning("cannot announce the spoken invite code on this network: %s", exc)
                self._announcement = None
        # Not the code's number (the journal keeps the log on the disk): "417-" is half of what is said aloud.
        log.info("offering a spoken invite code on port %d until %s", self.port,
                 time.strftime("%H:%M UTC", time.gmtime(self.expires_at)))

    async def outcome(self) -> SpokenOutcome:
        """Waits until the code is used, burned, expired or withdrawn."""
        if self._outcome is None:
            raise OrganiserError("this spoken invite code was never offered.")
        return await asyncio.shield(self._outcome)

    @property
    def state(self) -> str:
        if self._outcome is None or not self._outcome.done():
            return WAITING
        return self._outcome.result().state

    async def close(self) -> None:
        """Withdraw the code (the dialog closed, the node stops); nothing can redeem it after."""
        self._finish(SpokenOutcome(WITHDRAWN, f"Code {self.text} was withdrawn."))
        await self._stop_offering()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---- ending -----------------------------------------------------------------------------

    def _finish(self, outcome: SpokenOutcome) -> None:
        if self._outcome is not None and not self._outcome.done():
            self._outcome.set_result(outcome)
            if outcome.state != ADMITTED:
                ended = {BURNED: "burned", WITHDRAWN: "withdrawn"}.get(outcome.state, "")
                invites.burn_invite(self.group.db, self._invite_id, ended)
            if self._expiry is not None:
                self._expiry.cancel()
            task = asyncio.ensure_future(self._stop_offering())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _expire(self) -> None:
        when = time.strftime("%H:%M UTC", time.gmtime(self.expires_at))
        self._finish(SpokenOutcome(EXPIRED, f"Code {self.text} expired unused at {when}; make a new one."))

    def _burn(self, why: str) -> None:
        log.warning("spoken invite code burned: %s", why)
        self._finish(SpokenOutcome(BURNED, f"A device tried code {self.text} and failed ({why}), so the code "
                                   "no longer works: make a new one and read it out again."))

    async def _stop_offering(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._announcement is not None:
            announcement, self._announcement = self._announcement, None
            await announcement.stop()

    # ---- one connection ------------------------------------------------------------------------

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._answer(reader, writer)
        except asyncio.CancelledError:
            writer.transport.abort()  # closing: end normally, asyncio's server asks for the result
        except Exception:  # a bug costs this attempt, never the process
            log.exception("failed serving a spoken invite attempt")
            if self._claimed:
                self._burn("this laptop failed while checking it")
        finally:
            if task is not None:
                self._tasks.discard(task)
            await close_quietly(writer)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """TLS, then the code's one attempt; a device coming after it (or too late) hears why not."""
        certificate = connection_certificate()  # for this connection alone, naming nothing
        try:
            await writer.start_tls(server_context(certificate), ssl_handshake_timeout=5.0)
        except (OSError, TimeoutError, ConnectionError) as exc:
            log.info("a spoken invite connection failed its secure handshake: %s", exc or type(exc).__name__)
            return  # nothing was tried against the code
        if self._claimed or self.state != WAITING:
            writer.write(p.encode_error(BUSY if self.state == WAITING else self._gone()))
            await writer.drain()
            return
        await self._serve(reader, writer, channel_of(writer, certificate, "server"))

    def _gone(self) -> str:
        if self.state == EXPIRED or time.time() > self.expires_at:
            return f"this invite code expired at {time.strftime('%H:%M UTC', time.gmtime(self.expires_at))}; " \
                   "ask for a new one"
        return "this invite code was used or burned already; ask for a new one"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, channel: Channel) -> None:
        writer.write(p.encode_json(p.FrameType.PAIR_HELLO, {"spoken": 1}))
        await writer.drain()
        try:
            their_message = _hex_field(await _read_redeem(reader), "pake", 33)
        except (p.ProtocolError, ValueError, asyncio.IncompleteReadError, TimeoutError, ConnectionError) as exc:
            log.warning("refused a spoken invite attempt before it began: %s", exc or type(exc).__name__)
            writer.write(p.encode_error("a spoken invite begins with a key exchange message"))
            await writer.drain()
            return  # nothing was tried against the code: it stays valid
        self._claimed = True  # from here on this connection is the code's one attempt
        if time.time() > self.expires_at:
            self._expire()
            writer.write(p.encode_error(self._gone()))
            await writer.drain()
            return
        try:
            await self._attempt(reader, writer, channel, their_message)
        except ExchangeFailed as exc:
            self._burn("the code did not match")
            log.warning("spoken invite: %s", exc)
            writer.write(p.encode_error("the code did not match (mistyped, or another device is in between); "
                                        "it no longer works: ask for a new one"))
        except (p.ProtocolError, ValueError, ValidationError) as exc:  # ValidationError: its device name
            self._burn("it sent something that is not part of an invite")
            writer.write(p.encode_error(f"a spoken invite message is not well formed ({exc})"))
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError) as exc:
            self._burn(f"it went away during the exchange: {type(exc).__name__}")

    async def _attempt(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, channel: Channel,
                       their_message: bytes) -> None:
        ssl_object = writer.get_extra_info("ssl_object")
        binding = ssl_object.get_channel_binding("tls-unique") or b""
        exchange = Exchange(self.code, inviter=True)
        # Bound to this TLS session and both certificates as this side saw them (the joiner shows none).
        exchange.finish(their_message, binding, channel.client_fp, channel.server_fp)
        writer.write(p.encode_json(p.FrameType.PAIR_HELLO, {"pake": exchange.message.hex(),
                                                           "proof": exchange.proof().hex()}))
        await writer.drain()
        exchange.check(_hex_field(await _read_redeem(reader), "proof", 32))
        # Proven: the joiner holds the code and sits on this very TLS session. Only now is the group named.
        writer.write(p.encode_json(p.FrameType.PAIR_HELLO, {"group": self.group.id}))
        await writer.drain()
        request = await _read_redeem(reader)
        public_hex = _hex_field(request, "public_key", 32).hex()
        name = checked_device_name(p.text_field(request, "device_name", MAX_DEVICE_NAME))
        code = verification_code(writer)
        try:
            if self.confirm is not None and not await confirmed_while_there(self.confirm(name, code), reader):
                raise OrganiserError("the person at the admitting device did not confirm this device.")
            device_id = admit_by_invite(self.group, self._token, public_hex, name)
        except (OrganiserError, TimeoutError) as exc:
            reason = str(exc) or "nobody confirmed this device in time."
            self._finish(SpokenOutcome(BURNED, f"'{name}' was not admitted: {reason} Code {self.text} no "
                                       "longer works.", name))
            writer.write(p.encode_error(reason))
            await writer.drain()
            return
        log.info("admitted device %s by spoken invite", short_id(device_id))  # no code: the journal keeps it
        key = self.group.private_key()
        writer.write(p.encode_json(p.FrameType.WELCOME, {
            "credentials": self.group.credentials().to_json(), "verification": code,
            "sync_addresses": self.sync_addresses(),
            # Who admitted it, signed over this session, and the token its first sync proves itself with.
            "inviter_key": public_key_hex(key),
            "inviter_signature": sign_inviter(key, channel_binding(binding, channel.client_fp, channel.server_fp)),
            "token": self._token.hex()}))
        await writer.drain()
        self._finish(SpokenOutcome(ADMITTED, f"'{name}' joined the group with code {self.text}.", name))


async def _read_redeem(reader: asyncio.StreamReader) -> dict:
    header = await asyncio.wait_for(reader.readexactly(p.HEADER.size), PAIR_TIMEOUT)
    frame_type, length = p.parse_header(header)
    if frame_type != p.FrameType.REDEEM or length > 64 * 1024:
        raise p.ProtocolError("a device joining with a spoken code may only send invite messages")
    return p.decode_json(await asyncio.wait_for(reader.readexactly(length), PAIR_TIMEOUT))
