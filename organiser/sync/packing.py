"""Compressed batches of changesets on the wire. Pure functions, no I/O.

A PACKED frame carries one codec byte and then a whole CHANGES payload compressed. Each
side says in its HELLO which codecs it can unpack ("codecs"); a sender packs only with
one the peer named, so a peer of an older version (no "codecs") still gets plain CHANGES
frames, and a peer that sends PACKED with a codec it was not offered is refused.

Unpacking is bounded: a payload may expand to at most MAX_FRAME bytes (what a plain
CHANGES frame may hold); a "zip bomb" that would expand further is refused after that
many bytes of output, never decompressed in full.

The codec was chosen by measurement (`python -m tests.perf.wire`, a first sync of 35,002
changesets): zstandard at level 1 packs its 28.3 MB to 5.6 MB in 0.11 s, smaller than
zstandard 3 or 9 (5.9, 5.8 MB) and zlib 6 (6.7 MB in 0.64 s), and unpacks 3x faster than
zlib; zlib stays as the fallback a peer may offer alone.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence

from organiser.sync.protocol import MAX_FRAME, ProtocolError

try:  # an optional speed-up: without it, zlib (always there) packs
    import zstandard
except ImportError:  # pragma: no cover - zstandard is a declared dependency
    zstandard = None  # type: ignore[assignment]

ZSTD, ZLIB = "zstd", "zlib"
_CODE = {ZSTD: 1, ZLIB: 2}
_NAME = {code: name for name, code in _CODE.items()}
ZSTD_LEVEL = 1
ZLIB_LEVEL = 6
PACK_FROM = 512  # bytes: a lone small changeset gains too little to be worth the call


class UnpackRefused(ProtocolError):
    """A PACKED payload that cannot be unpacked, or would expand beyond the limit."""


def available() -> tuple[str, ...]:
    """The codecs this installation can pack and unpack, preferred first."""
    return (ZSTD, ZLIB) if zstandard is not None else (ZLIB,)


def choose(ours: Sequence[str], theirs: Iterable[str]) -> str | None:
    """The codec to pack with: our first preference that the peer can unpack, or None."""
    theirs = set(theirs)
    return next((name for name in ours if name in theirs), None)


def pack(codec: str, payload: bytes) -> bytes | None:
    """A PACKED payload for `payload` (a CHANGES payload), or None when packing does not pay."""
    if len(payload) < PACK_FROM:
        return None
    if codec == ZSTD and zstandard is not None:
        packed = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(payload)
    elif codec == ZLIB:
        packed = zlib.compress(payload, ZLIB_LEVEL)
    else:
        raise ValueError(f"cannot pack with codec {codec!r}")
    if len(packed) + 1 >= len(payload):
        return None
    return bytes([_CODE[codec]]) + packed


def unpack(packed: bytes, accepted: Sequence[str], limit: int = MAX_FRAME) -> bytes:
    """The CHANGES payload inside a PACKED payload; refuses a codec not in `accepted` and any
    output beyond `limit` bytes (decompression stops there)."""
    if not packed:
        raise UnpackRefused("a packed frame is empty")
    codec = _NAME.get(packed[0])
    if codec is None or codec not in accepted:
        raise UnpackRefused(f"a packed frame uses codec {packed[0]}, which was not offered to the peer")
    body = packed[1:]
    if codec == ZSTD:
        return _unzstd(body, limit)
    return _unzlib(body, limit)


def _too_big(limit: int) -> UnpackRefused:
    return UnpackRefused(f"a packed frame expands beyond the limit of {limit} bytes (a compression bomb?)")


def _unzlib(body: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise UnpackRefused(f"a packed frame is not valid zlib data ({exc})") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise _too_big(limit)
    if not inflater.eof or inflater.unused_data:
        raise UnpackRefused("a packed frame's zlib data is cut short or followed by other bytes")
    return out


def _unzstd(body: bytes, limit: int) -> bytes:
    if zstandard is None:  # pragma: no cover - then ZSTD is never offered
        raise UnpackRefused("a packed frame uses zstandard, which this installation lacks")
    # Only what comes out is trusted, read up to limit + 1 bytes through a streaming reader;
    # the size the frame header declares (the packer always writes it) must match it, so a
    # payload cut short is refused too.
    try:
        declared = zstandard.frame_content_size(body)
        if declared < 0:
            raise UnpackRefused("a packed frame's zstandard header does not say how large it is")
        if declared > limit:
            raise _too_big(limit)
        with zstandard.ZstdDecompressor().stream_reader(body, read_across_frames=False) as reader:
            out = reader.read(limit + 1)
    except zstandard.ZstdError as exc:
        raise UnpackRefused(f"a packed frame is not valid zstandard data ({exc})") from None
    if len(out) > limit:
        raise _too_big(limit)
    if len(out) != declared:
        raise UnpackRefused("a packed frame's zstandard data is cut short or does not match its header")
    return out
