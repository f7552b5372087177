"""Signed, hash-chained changesets with canonical bytes."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from organiser.core.changeset import (
    GENESIS,
    MalformedChangeset,
    Op,
    decode_changeset,
    encode_body,
    sign_changeset,
    verify_signature,
)

GROUP = "a" * 32
AUTHOR = "b" * 32


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def ops() -> list[Op]:
    return [Op("member", "m1", "name", "Zoë Ñúñez", None),
            Op("member", "m1", "emails", ["z@example.org"], (5, "c" * 32), ((3, "d" * 32),))]


def test_a_signed_changeset_verifies_with_its_authors_key_and_no_other(key):
    cs = sign_changeset(key, GROUP, AUTHOR, 1, GENESIS, 42, ops())
    assert verify_signature(key.public_key(), cs)
    assert not verify_signature(Ed25519PrivateKey.generate().public_key(), cs)


def test_the_body_is_canonical_json_so_it_is_the_same_bytes_everywhere(key):
    body = encode_body(GROUP, AUTHOR, 1, GENESIS, 42, ops())
    assert body == encode_body(GROUP, AUTHOR, 1, GENESIS, 42, ops())
    doc = json.loads(body)
    assert body == json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert "Zoë Ñúñez".encode() in body  # text stays readable UTF-8, not \\u escapes


def test_a_changeset_survives_the_round_trip_through_bytes_unchanged(key):
    cs = sign_changeset(key, GROUP, AUTHOR, 3, "f" * 64, 42, ops())
    again = decode_changeset(cs.body, cs.signature)
    assert again == cs
    assert again.hash == cs.hash
    assert again.ops[1].base == (5, "c" * 32)
    assert again.ops[1].resolves == ((3, "d" * 32),)


def test_each_changeset_names_the_hash_of_the_one_before(key):
    first = sign_changeset(key, GROUP, AUTHOR, 1, GENESIS, 1, ops())
    second = sign_changeset(key, GROUP, AUTHOR, 2, first.hash, 2, ops())
    assert first.prev == GENESIS
    assert second.prev == first.hash
    assert first.hash != second.hash


def test_the_hash_covers_the_signature_too(key):
    cs = sign_changeset(key, GROUP, AUTHOR, 1, GENESIS, 1, ops())
    other = decode_changeset(cs.body, Ed25519PrivateKey.generate().sign(cs.body))
    assert other.hash != cs.hash


def test_a_tampered_body_no_longer_verifies(key):
    cs = sign_changeset(key, GROUP, AUTHOR, 1, GENESIS, 1, ops())
    forged = decode_changeset(cs.body.replace("Zoë".encode(), b"Zoe"), cs.signature)
    assert forged.ops[0].value == "Zoe Ñúñez"
    assert not verify_signature(key.public_key(), forged)


@pytest.mark.parametrize(("body", "signature"), [
    (b"not json", b"x" * 64),
    (b'{"g": "x"}', b"x" * 64),
    (json.dumps({"g": GROUP, "a": AUTHOR, "s": 0, "p": GENESIS, "h": 1, "o": []}).encode(), b"x" * 64),
    (json.dumps({"g": GROUP, "a": AUTHOR, "s": 1, "p": "short", "h": 1, "o": []}).encode(), b"x" * 64),
    (json.dumps({"g": GROUP, "a": AUTHOR, "s": 1, "p": GENESIS, "h": 1, "o": []}).encode(), b"x" * 10),
    (json.dumps({"g": GROUP, "a": AUTHOR, "s": 1, "p": GENESIS, "h": 1, "o": [["member"]]}).encode(), b"x" * 64),
])
def test_a_malformed_changeset_is_refused_with_a_reason(body, signature):
    with pytest.raises(MalformedChangeset, match="changeset"):
        decode_changeset(body, signature)
