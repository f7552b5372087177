"""Compressed batches (sync/packing.py): round trips, the codec both sides can use, and
payloads that would expand past the frame limit or are cut short, refused cleanly."""

from __future__ import annotations

import zlib

import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from organiser.sync import packing
from organiser.sync import protocol as p


def _changes(count: int) -> bytes:
    return p.changes_payload([(b'{"name": "Member %d", "email": "m%d@example.org"}' % (i, i), bytes(64))
                              for i in range(count)], 0)


@pytest.mark.parametrize("codec", [packing.ZSTD, packing.ZLIB])
def test_a_batch_of_changesets_packs_smaller_and_unpacks_to_the_same_bytes(codec):
    payload = _changes(500)
    packed = packing.pack(codec, payload)
    assert packed is not None and len(packed) < len(payload) / 4
    assert packing.unpack(packed, packing.available()) == payload


@given(st.binary(max_size=4000))
def test_any_payload_round_trips_or_stays_plain(payload):
    for codec in packing.available():
        packed = packing.pack(codec, payload)
        assert packed is None or packing.unpack(packed, [codec]) == payload


def test_a_small_or_incompressible_payload_is_sent_plain():
    assert packing.pack(packing.ZSTD, _changes(1)[:200]) is None
    import os
    assert packing.pack(packing.ZSTD, os.urandom(5000)) is None


def test_the_codec_is_our_first_preference_that_the_peer_can_unpack():
    assert packing.choose(("zstd", "zlib"), ["zlib", "zstd"]) == "zstd"
    assert packing.choose(("zstd", "zlib"), ["zlib", "brotli-9"]) == "zlib"
    assert packing.choose(("zstd", "zlib"), []) is None  # an older peer: plain CHANGES


def _bomb(kind: str, limit_past: int) -> bytes:
    """Only the kind asked for: compressing 200 MiB is most of a case's time."""
    zeros = b"\0" * limit_past
    if kind == "zlib":
        return b"\x02" + zlib.compress(zeros, 9)
    lying = kind == "zstd without a size"
    return b"\x01" + zstandard.ZstdCompressor(level=19, write_content_size=not lying).compress(zeros)


@pytest.mark.parametrize("kind", ["zlib", "zstd", "zstd without a size"])
def test_a_compression_bomb_is_refused_without_expanding_it(kind):
    bomb = _bomb(kind, 200 * 1024 * 1024)  # 200 MiB of zeros in a few kilobytes
    assert len(bomb) < 300_000
    with pytest.raises(packing.UnpackRefused):
        packing.unpack(bomb, packing.available())


def test_just_past_the_limit_is_refused_and_at_the_limit_is_taken():
    at_limit = b"x" * p.MAX_FRAME
    for codec in packing.available():
        assert packing.unpack(packing.pack(codec, at_limit), [codec]) == at_limit
        with pytest.raises(packing.UnpackRefused, match="beyond the limit"):
            packing.unpack(packing.pack(codec, at_limit + b"x"), [codec])


@pytest.mark.parametrize("codec", [packing.ZSTD, packing.ZLIB])
def test_a_packed_payload_cut_short_or_garbled_is_refused(codec):
    packed = packing.pack(codec, _changes(300))
    for bad in (packed[:-7], packed[:5], packed[:1], packed[:1] + b"garbage" * 20, b""):
        with pytest.raises(packing.UnpackRefused):
            packing.unpack(bad, packing.available())


def test_a_codec_not_offered_to_the_peer_is_refused():
    packed = packing.pack(packing.ZSTD, _changes(50))
    with pytest.raises(packing.UnpackRefused, match="not offered"):
        packing.unpack(packed, [packing.ZLIB])
    with pytest.raises(packing.UnpackRefused, match="not offered"):
        packing.unpack(b"\x09" + packed[1:], packing.available())


def test_hello_carries_the_codecs_and_an_old_hello_has_none():
    hello = p.parse_hello(p.encode_hello("d" * 64, {}, codecs=("zstd", "zlib"))[p.HEADER.size:])
    assert hello.codecs == ("zstd", "zlib")
    assert p.parse_hello(p.encode_hello("d" * 64, {})[p.HEADER.size:]).codecs == ()
    with pytest.raises(p.ProtocolError):
        p.parse_hello(b'{"device": "d", "vector": {}, "codecs": [1, 2]}')
