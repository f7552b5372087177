"""Who is at the other end, told only to a member: the first messages inside TLS.

TLS (transport.py) gives an encrypted channel between two connection certificates that
name nothing. Before anything else flows, both sides, at once:

1. send MEMBER_PROOF: HMAC-SHA256 tags, under keys only current members hold (the
   discovery key, and the keys it had before the latest removals, for members who have not
   heard of them yet), over both certificates' fingerprints and the sender's role;
2. check the peer's tags. A peer with no valid tag (a stranger) is told it is not a member
   and the connection closes: it has learnt nothing but that it reached an Organiser.
   Otherwise send IDENTITY: the device key, and its Ed25519 signature over both
   fingerprints and the sender's role;
3. check the peer's signature. It names the certificates of *this* TLS connection, so a
   man in the middle relaying between two members fails even if it holds the discovery key:
   the signature it relays names certificates its victim never saw.

The node then accepts the peer only when the membership log admits its key and has not
removed it (node.py). A removed device holds no current discovery key and no admitted key;
it may still hold a key from before its removal, which gets it as far as being told, once,
that it was removed, and no further.

A device that has joined but not yet synced knows no discovery key (it lacks the changesets
it is made from); it proves itself to the device that admitted it with a key derived from
the invite's token, which only those two hold. A device redeeming an invite proves it holds
a code this device made (INVITE_PROOF, keyed by the token's hash) before this device shows
its key, which the joining device checks against the code's fingerprint.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from organiser.core.device_name import one_line
from organiser.core.errors import OrganiserError
from organiser.core.keys import device_id_for, public_key_hex, short_id
from organiser.net.credentials import key_fingerprint
from organiser.net.invite_code import token_hash
from organiser.net.outdated import refuse_if_old
from organiser.net.transport import Channel, Dialled, close_quietly
from organiser.services.group import Group
from organiser.store import invites
from organiser.store.membership import discovery_keys
from organiser.sync import protocol as p

HANDSHAKE_TIMEOUT = 5.0
KEY_GENERATIONS = 4  # discovery keys accepted: now, and before each of the last three removals
MAX_TAGS = 64
# A proof shows a multiple of this many tags, the real ones shuffled among random ones: a sniffer
# sees the length of the first record each side sends, and the count of real tags (this week's
# used invites, a recent join, the removals) would tell one laptop from another, evening after
# evening. Laptops of the previous release take the extra tags as ones that do not match.
PROOF_TAGS = 16
MAX_FRAME = 16 * 1024
INVITE_WEEK = 7 * 24 * 3600  # invites live at most this long (pairing.MAX_EXPIRY)
JOIN_KEY = "join_key"  # meta: this device's key for its first sync with the device that admitted it

_PROOF = b"organiser member proof v1\0"
_IDENTITY = b"organiser device identity v1\0"
_INVITE = b"organiser invite proof v1\0"
_JOIN = b"organiser first sync v1"

NOT_A_MEMBER = "you did not prove that you belong to this device's group (or have not synced since joining)"
UNKNOWN_INVITE = ("this invite code was not made by this device (a code works only at the device that made it), "
                  "or it is mistyped.")


class HandshakeRefused(OrganiserError):
    """The peer is not (or could not prove it is) a member, or refused us; the sentence says which."""


class PeerRefused(HandshakeRefused):
    """The peer said no, in its own words (`message`)."""

    def __init__(self, message: str) -> None:
        # Printed by `organiser sync` and shown on screen: a peer's control codes and line breaks shown as codes.
        super().__init__(f"the peer refused us: {one_line(message)}")
        self.message = message
        # Not logged: its words are its own (a member's name, put there for the journal to keep).
        self.logged = f"the peer refused us (its words, {len(message):,} characters, are not logged)"
        # Whether the peer had proved that it belongs to the group before it said no: a stranger
        # answers before any proof, and what it says of this laptop ("removed") counts for nothing.
        self.by_member = False


class NotMet(OrganiserError):
    """Meeting a laptop failed: the sentence for the person (`organiser sync`, Connect by hand)
    quotes what it said; `logged`, what the log says, does not."""

    def __init__(self, message: str, logged: str) -> None:
        super().__init__(message)
        self.logged = logged


# How a handshake can fail; each costs that one connection and nothing else.
HANDSHAKE_FAILURES = (HandshakeRefused, p.ProtocolError, asyncio.IncompleteReadError, TimeoutError, OSError)


@dataclass(frozen=True)
class Peer:
    """A device that proved, on this connection, that it holds this key."""

    device: str
    public_hex: str


# ---- keys ---------------------------------------------------------------------------------

def _join_key(invite_token_hash: str) -> bytes:
    return hmac.new(bytes.fromhex(invite_token_hash), _JOIN, hashlib.sha256).digest()


def remember_join_key(group: Group, token: bytes) -> None:
    """Right after joining: keep the key for the first sync with the admitting device."""
    group.replica.set_meta(JOIN_KEY, _join_key(token_hash(token)).hex())


def _admitted_by_invite(group: Group) -> list[bytes]:
    """Join keys of the invites this device made that admitted a device this week."""
    since = int(time.time()) - INVITE_WEEK
    return [_join_key(hashed) for hashed, used_by in invites.recent_token_hashes(group.db, since) if used_by]


def proof_keys(group: Group) -> list[bytes]:
    """What this device proves membership with (and accepts proofs under)."""
    own = group.replica.meta(JOIN_KEY)
    keys = [bytes.fromhex(own)] if own else []
    # Newest invites first: with more than a few dozen this week, the oldest are left out.
    return (keys + discovery_keys(group.db, KEY_GENERATIONS) + _admitted_by_invite(group))[:MAX_TAGS]


def _tag(key: bytes, context: bytes, channel: Channel, role: str) -> str:
    return hmac.new(key, context + channel.transcript(role), hashlib.sha256).hexdigest()


# ---- frames -------------------------------------------------------------------------------

async def _read(reader: asyncio.StreamReader, wanted: p.FrameType, timeout: float) -> dict:
    """The next frame, which must be `wanted`; an ERROR becomes HandshakeRefused."""
    async def read() -> p.Frame:
        frame_type, length = p.parse_header(await reader.readexactly(p.HEADER.size))
        if length > MAX_FRAME:
            raise p.ProtocolError(f"a handshake message of {length} bytes is too large")
        return p.Frame(frame_type, await reader.readexactly(length))

    frame = await asyncio.wait_for(read(), timeout)
    if frame.type == p.FrameType.ERROR:
        raise PeerRefused(p.decode_error(frame.payload))
    if frame.type != wanted:
        raise p.ProtocolError(f"expected {wanted.name} at the start of the connection, got {frame.type.name}")
    return p.decode_json(frame.payload)


async def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(data)
    await writer.drain()


async def _refuse(writer: asyncio.StreamWriter, message: str) -> None:
    try:
        await asyncio.wait_for(_send(writer, p.encode_error(message)), 1.0)
    except (OSError, ConnectionError, TimeoutError):
        pass  # closing anyway


async def _send_identity(writer: asyncio.StreamWriter, key: Ed25519PrivateKey, channel: Channel) -> None:
    signature = key.sign(_IDENTITY + channel.transcript(channel.role))
    await _send(writer, p.encode_json(p.FrameType.IDENTITY, {"key": public_key_hex(key),
                                                             "signature": signature.hex()}))


async def _read_identity(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, channel: Channel,
                         timeout: float) -> Peer:
    doc = await _read(reader, p.FrameType.IDENTITY, timeout)
    try:
        public_hex = p.text_field(doc, "key", 64)
        signature = bytes.fromhex(p.text_field(doc, "signature", 128))
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            signature, _IDENTITY + channel.transcript(channel.peer_role))
    except (ValueError, InvalidSignature):
        await _refuse(writer, "your device key does not sign this connection")
        raise HandshakeRefused("the peer's device key does not sign this connection (a relay in the middle, or "
                               "a forgery)") from None
    return Peer(device_id_for(public_hex), public_hex)


# ---- members ------------------------------------------------------------------------------

# Whether to accept a peer that proved its key: "" accepts, else the sentence it is refused with.
Admission = Callable[[Peer], str]


async def member_handshake(group: Group, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                           channel: Channel, admit: Admission = lambda peer: "",
                           timeout: float = HANDSHAKE_TIMEOUT) -> Peer:
    """Prove membership, check the peer's, then exchange device keys (see the module's text):
    the side that dialled shows its key first, and the other shows its own only once it has
    admitted the caller, so a refusal (say, "this device was removed from the group") always
    arrives as the caller's answer. Raises HandshakeRefused (after telling the peer) or ProtocolError."""
    await _prove_membership(group, reader, writer, channel, timeout)
    try:
        if channel.role == "client":
            await _send_identity(writer, group.private_key(), channel)
        peer = await _read_identity(reader, writer, channel, timeout)
    except PeerRefused as exc:
        exc.by_member = True  # its refusal comes after its proof of membership
        raise
    refusal = admit(peer)
    if refusal:
        # Never with the changeset that removed the peer: the group's new folder and discovery keys are
        # chained from its hash, which the removed laptop must never learn (store/folders.py).
        await _refuse(writer, refusal)
        raise HandshakeRefused(f"device {short_id(peer.device)}: {refusal}")
    if channel.role == "server":
        await _send_identity(writer, group.private_key(), channel)
    return peer


async def _prove_membership(group: Group, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                            channel: Channel, timeout: float) -> None:
    """Both sides show tags under every membership key they hold; one that matches ours proves the peer."""
    keys = proof_keys(group)
    ours = _padded([_tag(k, _PROOF, channel, channel.role) for k in keys])
    await _send(writer, p.encode_json(p.FrameType.MEMBER_PROOF, {"tags": ours}))
    tags = (await _read(reader, p.FrameType.MEMBER_PROOF, timeout)).get("tags")
    if not isinstance(tags, list) or len(tags) > MAX_TAGS or not all(isinstance(t, str) for t in tags):
        raise p.ProtocolError("a membership proof is not a short list of tags")
    expected = {_tag(k, _PROOF, channel, channel.peer_role) for k in keys}
    if not expected.intersection(tags):
        await _refuse(writer, NOT_A_MEMBER)
        raise HandshakeRefused("it did not prove that it belongs to this group")


def _padded(tags: list[str]) -> list[str]:
    """`tags` among random ones of the same form, PROOF_TAGS at a time (MAX_TAGS at most), in a random order."""
    count = min(MAX_TAGS, -(-max(len(tags), 1) // PROOF_TAGS) * PROOF_TAGS)
    mixed = tags + [secrets.token_hex(hashlib.sha256().digest_size) for _ in range(count - len(tags))]
    secrets.SystemRandom().shuffle(mixed)
    return mixed


# ---- invites ------------------------------------------------------------------------------

async def prove_invite(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, channel: Channel,
                       token: bytes, fingerprint: str, timeout: float = HANDSHAKE_TIMEOUT) -> Peer:
    """The joining device: prove it holds a code, then check the member is the one that made it."""
    key = bytes.fromhex(token_hash(token))
    await _send(writer, p.encode_json(p.FrameType.INVITE_PROOF, {"tag": _tag(key, _INVITE, channel, "client")}))
    member = await _read_identity(reader, writer, channel, timeout)
    if key_fingerprint(member.public_hex) != fingerprint:
        raise HandshakeRefused("it is not the device that made this invite code")
    return member


async def answer_invite_proof(group: Group, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                              channel: Channel, timeout: float = HANDSHAKE_TIMEOUT) -> None:
    """The member: show its key only to a device holding a code it made this week (used or
    expired ones too, so the person hears why it no longer works). Raises HandshakeRefused."""
    tag = (await _read(reader, p.FrameType.INVITE_PROOF, timeout)).get("tag")
    if not isinstance(tag, str):
        raise p.ProtocolError("an invite proof carries no tag")
    since = int(time.time()) - INVITE_WEEK
    for hashed, _used_by in invites.recent_token_hashes(group.db, since):
        if hmac.compare_digest(_tag(bytes.fromhex(hashed), _INVITE, channel, "client"), tag):
            await _send_identity(writer, group.private_key(), channel)
            return
    await _refuse(writer, UNKNOWN_INVITE)
    raise HandshakeRefused("it holds no invite code this device made")


async def meet_member(group: Group, link: Dialled, host: str, address: str, admit: Admission,
                      on_refused: Callable[[PeerRefused], None] = lambda exc: None) -> Peer:
    """The dialling side's start of every conversation: an older Organiser is told to update
    (net/outdated.py), then the member handshake. Any failure closes the connection and says so in
    one sentence naming `address`; `on_refused` first hears the peer's own refusal."""
    try:
        await refuse_if_old(group, link.writer, host)
        return await member_handshake(group, link.reader, link.writer, link.channel, admit)
    except HANDSHAKE_FAILURES as exc:
        await close_quietly(link.writer)
        if isinstance(exc, PeerRefused):
            on_refused(exc)
        why = str(exc) or type(exc).__name__
        logged = exc.logged if isinstance(exc, PeerRefused) else why
        raise NotMet(f"{address} is not a device of this group, or refused us ({why}).",
                     f"{address} is not a device of this group, or refused us ({logged}).") from None
    except OrganiserError:
        await close_quietly(link.writer)
        raise
