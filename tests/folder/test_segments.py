"""The pure parts: segments encoded and decoded, files sealed and opened, keys sealed to a device.
Whatever bytes come in, decoding either gives back exactly what was written or refuses it."""

from __future__ import annotations

import zlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from organiser.core.changeset import GENESIS, Op, sign_changeset
from organiser.folder import crypto
from organiser.folder.segments import BadSegment, decode_segment, encode_segment

KEY = Ed25519PrivateKey.generate()


def _rows(count: int) -> list[tuple[str, int, bytes, bytes]]:
    rows, prev = [], GENESIS
    for seq in range(1, count + 1):
        cs = sign_changeset(KEY, "g" * 32, "a" * 32, seq, prev, 1 << 40, [Op("member", f"m{seq}", "name", f"N{seq}")])
        rows.append((cs.author, cs.seq, cs.body, cs.signature))
        prev = cs.hash
    return rows


def test_a_segment_gives_back_exactly_the_changesets_written():
    rows = _rows(50)
    plain, info = encode_segment("w" * 32, "g" * 32, rows)
    got, changesets = decode_segment(plain)
    assert got.covers == {"a" * 32: [1, 50]} == info.covers and got.count == 50 and got.writer == "w" * 32
    assert [(c.author, c.seq, c.body, c.signature) for c in changesets] == rows


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_are_refused_as_a_segment(data):
    with pytest.raises(BadSegment):
        decode_segment(data)


@settings(max_examples=100, deadline=None)
@given(cut=st.integers(min_value=0, max_value=10_000), flip=st.integers(min_value=0, max_value=10_000))
def test_a_cut_or_changed_segment_is_refused_or_intact(cut, flip):
    plain = zlib.decompress(encode_segment("w" * 32, "g" * 32, _rows(5))[0])
    damaged = bytearray(plain[: cut % (len(plain) + 1)])
    if damaged:
        damaged[flip % len(damaged)] ^= 0x20
    try:
        _info, changesets = decode_segment(zlib.compress(bytes(damaged)))
    except BadSegment:
        return
    assert len(changesets) <= 5  # parsed whole: header and count agree with what is there


def test_a_segment_that_inflates_past_the_bound_is_refused(monkeypatch):
    from organiser.folder import segments

    monkeypatch.setattr(segments, "MAX_SEGMENT_PLAIN", 1000)
    with pytest.raises(BadSegment, match="larger than a segment may be"):
        decode_segment(zlib.compress(b"x" * 5000))


def test_a_sealed_file_opens_only_in_its_place_with_its_key():
    key, other = crypto.folder_keys([b"1" * 32, b"2" * 32])
    sealed = crypto.seal(key, b"hello", "abc/00000001.seg")
    assert crypto.open_sealed({key.key_id: key}, sealed, "abc/00000001.seg")[1] == b"hello"
    with pytest.raises(crypto.Unreadable, match="authenticate"):
        crypto.open_sealed({key.key_id: key}, sealed, "abc/00000002.seg")
    with pytest.raises(crypto.Unreadable, match="does not hold"):
        crypto.open_sealed({other.key_id: other}, sealed, "abc/00000001.seg")
    with pytest.raises(crypto.Unreadable, match="cut short"):
        crypto.open_sealed({key.key_id: key}, sealed[:20], "abc/00000001.seg")
    with pytest.raises(crypto.Unreadable, match="authenticate"):
        crypto.open_sealed({key.key_id: key}, sealed[:-1], "abc/00000001.seg")


def test_a_key_sealed_to_one_device_opens_only_there():
    alice, bob = crypto.exchange_key(Ed25519PrivateKey.generate()), crypto.exchange_key(Ed25519PrivateKey.generate())
    sealed = crypto.seal_to(crypto.public_bytes(alice), b"k" * 32)
    assert crypto.open_sealed_to(alice, sealed) == b"k" * 32
    assert crypto.open_sealed_to(bob, sealed) is None
    assert crypto.open_sealed_to(alice, sealed[:-1]) is None
