"""The sync wire format: versioned, length-prefixed frames. Pure functions, no I/O.

A frame is a 6-byte header (protocol version, frame type, payload length as a 32-bit
big-endian number) followed by the payload. Control messages carry compact JSON;
changesets travel as their signed bytes, so relaying never re-encodes them. Anything
that does not parse raises ProtocolError with the reason; nothing else escapes.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import orjson

PROTOCOL_VERSION = 1
# Features a HELLO may list; a peer uses one only when the other side listed it too.
SKIP_FEATURE = "skip"  # RELAY frames: a peer asks not to be sent an author's copies it gets elsewhere
# Each side's first frame after HELLO is a RELAY naming the authors it takes from another link (maybe
# none), and each waits for the peer's before streaming: a joiner takes a first sync from one link.
SOURCE_FEATURE = "source"
# NEIGHBOURS also says how many links away the sender is from each laptop it reaches ("hops"): each
# laptop then keeps, for each author, the link to a peer nearer that author (sync/routes.py).
TREE_FEATURE = "tree"
MAX_HOPS = 16  # a route longer than this is no route (a room's diameter is 3-4 links)
MAX_FRAME = 8 * 1024 * 1024  # bytes of payload; a batch of changesets is split below this
BATCH_BYTES = 1024 * 1024  # what a sender aims for in one CHANGES frame
SIGNATURE_SIZE = 64
HEADER = struct.Struct(">BBI")
_CHANGES_HEAD = struct.Struct(">II")
_ITEM_HEAD = struct.Struct(">I")


class ProtocolError(ValueError):
    """Bytes from a peer that are not a frame of this protocol."""


class FrameType(IntEnum):
    HELLO = 1  # {"device", "vector"}: who I am and what I hold
    CHANGES = 2  # changesets, in per-author order
    SYNCED = 3  # I have sent everything you lacked when we met
    VECTOR = 4  # {"vector"}: what I hold now (an acknowledgement)
    PING = 5
    PONG = 6
    ERROR = 7  # {"message"}: why I am closing
    PAIR_HELLO = 8  # {"ca"}: the group CA certificate, to check against an invite code
    REDEEM = 9  # {"token", "public_key", "device_name"}
    WELCOME = 10  # {"credentials", "certificate", ...}: what a new device needs
    NEIGHBOURS = 11  # {"devices"}: devices whose new changesets reach me directly from them
    REQUEST = 12  # {"vector"}: send me what I lack beyond this (after I lost a neighbour)
    PACKED = 13  # a CHANGES payload compressed with a codec the receiver offered (sync/packing.py)
    RELAY = 14  # {"skip", "take"}: stop / start again relaying these authors to me (only to a peer
    #             whose HELLO lists the feature "skip": older versions close on an unknown frame)
    # Right after TLS, before anything else (net/handshake.py):
    MEMBER_PROOF = 20  # {"tags"}: HMACs under keys only members hold, over both connection certificates
    IDENTITY = 21  # {"key", "signature"}: my device key, signing both connection certificates
    INVITE_PROOF = 22  # {"tag"}: an HMAC under an invite's token hash (a device redeeming a code)


@dataclass(frozen=True)
class Frame:
    type: FrameType
    payload: bytes = b""


def encode_frame(frame_type: FrameType, payload: bytes = b"") -> bytes:
    if len(payload) > MAX_FRAME:
        raise ProtocolError(f"a frame of {len(payload)} bytes is larger than the limit of {MAX_FRAME}")
    return HEADER.pack(PROTOCOL_VERSION, int(frame_type), len(payload)) + payload


def parse_header(header: bytes) -> tuple[FrameType, int]:
    """(type, payload length) from the 6 header bytes; refuses other versions and oversize."""
    if len(header) != HEADER.size:
        raise ProtocolError("the frame header is cut short")
    version, type_code, length = HEADER.unpack(header)
    if version != PROTOCOL_VERSION:
        raise ProtocolError(f"the peer speaks protocol version {version}, this device speaks {PROTOCOL_VERSION}")
    try:
        frame_type = FrameType(type_code)
    except ValueError:
        raise ProtocolError(f"unknown frame type {type_code}") from None
    if length > MAX_FRAME:
        raise ProtocolError(f"a frame of {length} bytes is larger than the limit of {MAX_FRAME}")
    return frame_type, length


class FrameDecoder:
    """Turns a byte stream into frames, however it is cut into pieces."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while len(self._buffer) >= HEADER.size:
            frame_type, length = parse_header(bytes(self._buffer[:HEADER.size]))
            end = HEADER.size + length
            if len(self._buffer) < end:
                break
            frames.append(Frame(frame_type, bytes(self._buffer[HEADER.size:end])))
            del self._buffer[:end]
        return frames

    @property
    def pending(self) -> int:
        return len(self._buffer)


# ---- control messages (JSON objects) ----------------------------------------------------

def encode_json(frame_type: FrameType, doc: dict[str, Any]) -> bytes:
    return encode_frame(frame_type, json.dumps(doc, separators=(",", ":"), sort_keys=True).encode())


def decode_json(payload: bytes) -> dict[str, Any]:
    # orjson stops at a nesting depth of 1024 with an error (json.loads recurses until
    # Python's stack runs out: a RecursionError from a few kilobytes of brackets).
    try:
        doc = orjson.loads(payload)
    except (orjson.JSONDecodeError, ValueError, UnicodeDecodeError, RecursionError):
        raise ProtocolError("a control message is not valid JSON, or nested too deeply") from None
    if not isinstance(doc, dict):
        raise ProtocolError("a control message is not a JSON object")
    return doc


def text_field(doc: dict[str, Any], name: str, max_len: int = 4096) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or len(value) > max_len:
        raise ProtocolError(f"the message field '{name}' is missing or not text")
    return value


def check_vector(value: Any) -> dict[str, int]:
    if not isinstance(value, dict) or len(value) > 100_000:
        raise ProtocolError("a version vector is not a map of device to number")
    out: dict[str, int] = {}
    for author, seq in value.items():
        if not isinstance(author, str) or len(author) > 64 or type(seq) is not int or seq < 0:
            raise ProtocolError("a version vector is not a map of device to number")
        out[author] = seq
    return out


def encode_hello(device: str, vector: dict[str, int], listen_port: int = 0, wall_ms: int | None = None,
                 heads: dict[str, str] | None = None, codecs: tuple[str, ...] = (),
                 neighbours: frozenset[str] = frozenset(), features: tuple[str, ...] = ()) -> bytes:
    doc: dict[str, Any] = {"device": device, "vector": vector}
    if features:  # optional frames the sender understands (older versions send and ignore none)
        doc["features"] = list(features)
    if neighbours:  # devices whose changesets reach the sender directly: not to be streamed to it again
        doc["neighbours"] = sorted(neighbours)
    if codecs:  # what the sender can unpack (PACKED frames), preferred first
        doc["codecs"] = list(codecs)
    if wall_ms is not None:  # so both sides see at once when their clocks are more than a day apart
        doc["time"] = wall_ms
    if heads:  # the hash at each author's vector entry, so two versions of one number meet
        doc["heads"] = heads
    if listen_port:
        doc["listen"] = listen_port  # where the sender takes connections, so it can be dialled later
    return encode_json(FrameType.HELLO, doc)


@dataclass(frozen=True)
class Hello:
    """A HELLO, parsed once: its payload may be megabytes of JSON."""

    device: str
    vector: dict[str, int]
    heads: dict[str, str]  # the hash at each author's vector entry ({} when it gives none)
    listen: int  # the port its sender listens on, or 0
    wall_ms: int | None  # the wall clock its sender had (ms since the epoch), or None
    codecs: tuple[str, ...] = ()  # what its sender can unpack; () from a version that packs nothing
    neighbours: frozenset[str] = frozenset()  # devices its sender hears directly (as NEIGHBOURS says)
    features: tuple[str, ...] = ()  # optional frames its sender understands (SKIP_FEATURE)


def parse_hello(payload: bytes) -> Hello:
    doc = decode_json(payload)
    return Hello(text_field(doc, "device", 64), check_vector(doc.get("vector")), _hello_heads(doc),
                 _hello_listen(doc), _hello_time(doc), _names(doc, "codecs"), _devices(doc.get("neighbours", [])),
                 _names(doc, "features"))


def _names(doc: dict[str, Any], key: str) -> tuple[str, ...]:
    names = doc.get(key, [])
    if not isinstance(names, list) or len(names) > 16 or not all(isinstance(c, str) and len(c) <= 16
                                                                 for c in names):
        raise ProtocolError(f"a HELLO's {key} are not a short list of names")
    return tuple(names)


def _hello_listen(doc: dict[str, Any]) -> int:
    port = doc.get("listen", 0)
    return port if type(port) is int and 0 < port < 65536 else 0


def _hello_time(doc: dict[str, Any]) -> int | None:
    value = doc.get("time")
    return value if type(value) is int and 0 < value < 1 << 62 else None


def _hello_heads(doc: dict[str, Any]) -> dict[str, str]:
    heads = doc.get("heads", {})
    if not isinstance(heads, dict) or len(heads) > 100_000 or not all(
            isinstance(a, str) and len(a) <= 64 and isinstance(h, str) and len(h) == 64 for a, h in heads.items()):
        raise ProtocolError("a HELLO's heads are not a map of device to hash")
    return heads


def decode_hello_listen(payload: bytes) -> int:
    """The port a HELLO says its sender listens on, or 0."""
    return _hello_listen(decode_json(payload))


def decode_hello_time(payload: bytes) -> int | None:
    """The wall clock a HELLO says its sender had (ms since the epoch), or None."""
    return _hello_time(decode_json(payload))


def decode_hello_heads(payload: bytes) -> dict[str, str]:
    """The hash a HELLO gives for each author's vector entry ({} when it gives none)."""
    return _hello_heads(decode_json(payload))


def decode_hello(payload: bytes) -> tuple[str, dict[str, int]]:
    doc = decode_json(payload)
    return text_field(doc, "device", 64), check_vector(doc.get("vector"))


def encode_vector(vector: dict[str, int], *, answers_synced: bool = False) -> bytes:
    doc: dict[str, Any] = {"vector": vector}
    if answers_synced:  # sent on reading the peer's SYNCED: all it sent before was read (older versions omit it)
        doc["synced"] = True
    return encode_json(FrameType.VECTOR, doc)


def decode_vector(payload: bytes) -> dict[str, int]:
    return check_vector(decode_json(payload).get("vector"))


def decode_vector_answer(payload: bytes) -> tuple[dict[str, int], bool]:
    """A VECTOR's vector, and whether it answers our SYNCED (so all we sent before it was read)."""
    doc = decode_json(payload)
    return check_vector(doc.get("vector")), doc.get("synced") is True


def encode_neighbours(devices: frozenset[str] | set[str], hops: dict[str, int] | None = None) -> bytes:
    """NEIGHBOURS: devices heard directly; with TREE_FEATURE, also how many links away the sender
    is from every device it reaches (`hops`; a previous version ignores the field)."""
    doc: dict[str, Any] = {"devices": sorted(devices)}
    if hops is not None:
        doc["hops"] = hops
    return encode_json(FrameType.NEIGHBOURS, doc)


def decode_neighbours(payload: bytes) -> frozenset[str]:
    return decode_neighbours_hops(payload)[0]


def decode_neighbours_hops(payload: bytes) -> tuple[frozenset[str], dict[str, int] | None]:
    """The devices, and the hops (None when the sender gave none)."""
    doc = decode_json(payload)
    devices, hops = _devices(doc.get("devices")), doc.get("hops")
    if hops is None:
        return devices, None
    if not isinstance(hops, dict) or len(hops) > 10_000 or not all(
            isinstance(d, str) and len(d) <= 64 and type(n) is int and 1 <= n <= MAX_HOPS for d, n in hops.items()):
        raise ProtocolError(f"a neighbours message's hops are not devices with a number of links from 1 to {MAX_HOPS}")
    return devices, hops


def _devices(devices: Any, what: str = "a neighbours message") -> frozenset[str]:
    if not isinstance(devices, list) or len(devices) > 10_000 or not all(
            isinstance(d, str) and len(d) <= 64 for d in devices):
        raise ProtocolError(f"{what} is not a list of devices")
    return frozenset(devices)


def encode_relay(skip: set[str] | frozenset[str] = frozenset(), take: dict[str, int] | None = None) -> bytes:
    """RELAY: `skip` authors whose changesets reach me by another link (copies are waste);
    `take` authors to relay to me again, each with the number I hold (send what follows)."""
    return encode_json(FrameType.RELAY, {"skip": sorted(skip), "take": take or {}})


def decode_relay(payload: bytes) -> tuple[frozenset[str], dict[str, int]]:
    doc = decode_json(payload)
    skip, take = _devices(doc.get("skip", []), "a relay message's skip"), check_vector(doc.get("take", {}))
    if skip & take.keys():
        raise ProtocolError("a relay message both skips and takes the same author")
    return skip, take


def encode_request(vector: dict[str, int]) -> bytes:
    return encode_json(FrameType.REQUEST, {"vector": vector})


def encode_error(message: str) -> bytes:
    return encode_json(FrameType.ERROR, {"message": message[:1000]})


def decode_error(payload: bytes) -> str:
    return text_field(decode_json(payload), "message")


# ---- changesets ------------------------------------------------------------------------

def encode_changes(items: list[tuple[bytes, bytes]], remaining: int = 0) -> bytes:
    """One CHANGES frame: (body, signature) pairs, plus how many more the sender will
    stream after this frame (for progress; 0 in the live phase)."""
    return encode_frame(FrameType.CHANGES, changes_payload(items, remaining))


def changes_payload(items: list[tuple[bytes, bytes]], remaining: int = 0) -> bytes:
    """The payload of a CHANGES frame (what a PACKED frame carries compressed)."""
    parts = [_CHANGES_HEAD.pack(remaining, len(items))]
    for body, signature in items:
        if len(signature) != SIGNATURE_SIZE:
            raise ProtocolError("a changeset signature must be 64 bytes")
        parts += [_ITEM_HEAD.pack(len(body)), body, signature]
    return b"".join(parts)


def decode_changes(payload: bytes) -> tuple[list[tuple[bytes, bytes]], int]:
    """The (body, signature) pairs of a CHANGES frame and the sender's `remaining` count."""
    if len(payload) < _CHANGES_HEAD.size:
        raise ProtocolError("a changes frame is cut short")
    remaining, count = _CHANGES_HEAD.unpack_from(payload)
    pos = _CHANGES_HEAD.size
    items: list[tuple[bytes, bytes]] = []
    for _ in range(count):
        if pos + _ITEM_HEAD.size > len(payload):
            raise ProtocolError("a changes frame is cut short")
        (size,) = _ITEM_HEAD.unpack_from(payload, pos)
        pos += _ITEM_HEAD.size
        end = pos + size + SIGNATURE_SIZE
        if end > len(payload):
            raise ProtocolError("a changeset in a changes frame is cut short")
        items.append((payload[pos:pos + size], payload[pos + size:end]))
        pos = end
    if pos != len(payload):
        raise ProtocolError("a changes frame has bytes after its last changeset")
    return items, remaining


def batches(items: list[tuple[bytes, bytes]], max_bytes: int = BATCH_BYTES) -> list[list[tuple[bytes, bytes]]]:
    """Split (body, signature) pairs into frame-sized groups, keeping their order."""
    out: list[list[tuple[bytes, bytes]]] = []
    current: list[tuple[bytes, bytes]] = []
    size = 0
    for item in items:
        item_size = len(item[0]) + SIGNATURE_SIZE + _ITEM_HEAD.size
        if current and size + item_size > max_bytes:
            out.append(current)
            current, size = [], 0
        current.append(item)
        size += item_size
    if current:
        out.append(current)
    return out
