"""What a segment holds, encoded and decoded with no I/O.

A segment is one device's run of signed changesets, exactly as signed (a receiver checks
them as it checks what a LAN peer sends). Plaintext: a JSON header line, then per changeset
4 bytes of body length, the body and its 64-byte signature; zlib-compressed, then sealed
(crypto.py). Compressing first keeps the folder smaller than the changesets themselves.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from organiser.core.changeset import Changeset, MalformedChangeset, decode_changeset

SIGNATURE_BYTES = 64
# What a writer puts in one segment: it closes one at either bound (services/folder_pass.py).
SEGMENT_CHANGESETS = 5000
SEGMENT_BYTES = 8 * 1024 * 1024
# The most a writer's segment inflates to: its bytes, the changeset that crossed the bound (at
# most store/checks.py MAX_CHANGESET_BYTES) and a header naming thousands of authors, with room
# to spare. Past it the file was not written by Organiser: a zip bomb is input too.
MAX_SEGMENT_PLAIN = 16 * 1024 * 1024
_LENGTH = struct.Struct(">I")


class BadSegment(ValueError):
    """An authenticated segment whose contents do not parse: refused whole, never in part."""


@dataclass
class SegmentInfo:
    writer: str
    group: str
    covers: dict[str, list[int]] = field(default_factory=dict)  # author -> [lowest, highest] seq
    count: int = 0
    # The writer's Ed25519 signature of `statement()` (empty from writers before it): the
    # folder key seals a file for every member alike, so only this says which device wrote it.
    signature: bytes = b""
    digest: str = ""  # sha256 of the changesets' bytes, as written or read

    def to_json(self) -> dict[str, Any]:
        head: dict[str, Any] = {"w": self.writer, "g": self.group, "c": self.covers, "n": self.count}
        if self.signature:
            head["s"] = self.signature.hex()
        return head

    def statement(self) -> bytes:
        """What the writer signs: its group, itself and the changesets it put in the segment."""
        return orjson.dumps({"segment": "organiser folder segment v1", "g": self.group, "w": self.writer,
                             "h": self.digest}, option=orjson.OPT_SORT_KEYS)


def encode_segment(writer: str, group: str, changesets: Iterable[tuple[str, int, bytes, bytes]],
                   sign: Callable[[bytes], bytes] | None = None) -> tuple[bytes, SegmentInfo]:
    """(author, seq, body, signature) rows -> compressed plaintext, and what it covers; signed by
    the writer's key with `sign`."""
    info = SegmentInfo(writer, group)
    parts: list[bytes] = []
    for author, seq, body, signature in changesets:
        if len(signature) != SIGNATURE_BYTES:
            raise ValueError("a changeset signature is 64 bytes")
        span = info.covers.get(author)
        if span is None:
            info.covers[author] = [seq, seq]
        else:
            span[0], span[1] = min(span[0], seq), max(span[1], seq)
        parts.append(_LENGTH.pack(len(body)))
        parts.append(body)
        parts.append(signature)
        info.count += 1
    body = b"".join(parts)
    info.digest = hashlib.sha256(body).hexdigest()
    if sign is not None:
        info.signature = sign(info.statement())
    header = orjson.dumps(info.to_json()) + b"\n"
    return zlib.compress(header + body, 6), info


def decode_segment(compressed: bytes) -> tuple[SegmentInfo, list[Changeset]]:
    """Compressed plaintext -> header and changesets; BadSegment if any part does not parse."""
    plain = _inflate(compressed)
    end = plain.find(b"\n")
    info = _header(plain[:end] if end > 0 else b"")
    if not 0 <= info.count <= SEGMENT_CHANGESETS:
        raise BadSegment(f"its header says it holds {info.count:,} changesets, where a segment holds at most "
                         f"{SEGMENT_CHANGESETS:,}")
    changesets = _changesets(plain, end + 1, info.count)
    _check_header_matches(info, changesets)
    info.digest = hashlib.sha256(memoryview(plain)[end + 1:]).hexdigest()
    return info, changesets


def _inflate(compressed: bytes) -> bytes:
    try:
        inflater = zlib.decompressobj()
        plain = inflater.decompress(compressed, MAX_SEGMENT_PLAIN)
        if inflater.unconsumed_tail or not inflater.eof:
            raise BadSegment("it is larger than a segment may be, or cut short")
    except zlib.error as exc:
        raise BadSegment(f"it does not decompress ({exc})") from None
    return plain


def _header(line: bytes) -> SegmentInfo:
    try:
        head = orjson.loads(line)
        signature = bytes.fromhex(head.get("s", ""))
        if signature and len(signature) != SIGNATURE_BYTES:
            raise ValueError("a signature is 64 bytes")
        return SegmentInfo(str(head["w"]), str(head["g"]),
                           {str(a): [int(s[0]), int(s[1])] for a, s in dict(head["c"]).items()}, int(head["n"]),
                           signature)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, IndexError, AttributeError):
        raise BadSegment("its header does not parse") from None


def _changesets(plain: bytes, at: int, count: int) -> list[Changeset]:
    """Each changeset from `at` on: 4 bytes of body length, the body, its signature; no more than
    the header's `count` are decoded."""
    changesets: list[Changeset] = []
    view = memoryview(plain)
    while at < len(plain):
        if len(changesets) == count:
            raise BadSegment(f"it holds more changesets than its header says ({count})")
        if at + 4 > len(plain):
            raise BadSegment("it ends in the middle of a changeset")
        (size,) = _LENGTH.unpack_from(plain, at)
        body_end = at + 4 + size
        if body_end + SIGNATURE_BYTES > len(plain):
            raise BadSegment("it ends in the middle of a changeset")
        try:
            changesets.append(decode_changeset(bytes(view[at + 4:body_end]),
                                               bytes(view[body_end:body_end + SIGNATURE_BYTES])))
        except MalformedChangeset as exc:
            raise BadSegment(f"changeset {len(changesets) + 1} in it is malformed ({exc})") from None
        at = body_end + SIGNATURE_BYTES
    return changesets


def _check_header_matches(info: SegmentInfo, changesets: list[Changeset]) -> None:
    if len(changesets) != info.count:
        raise BadSegment(f"it holds {len(changesets)} changesets where its header says {info.count}")
    for cs in changesets:
        span = info.covers.get(cs.author)
        if span is None or not span[0] <= cs.seq <= span[1]:
            raise BadSegment("its header does not match the changesets in it")


def encode_json(doc: Any) -> bytes:
    return zlib.compress(orjson.dumps(doc), 6)


def decode_json(compressed: bytes) -> Any:
    try:
        inflater = zlib.decompressobj()
        plain = inflater.decompress(compressed, 16 * 1024 * 1024)
        if inflater.unconsumed_tail or not inflater.eof:
            raise BadSegment("it is too large or cut short")
        return orjson.loads(plain)
    except (zlib.error, orjson.JSONDecodeError) as exc:
        raise BadSegment(f"it does not parse ({exc})") from None
