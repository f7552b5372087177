"""Spoken invite codes as pure functions: reading what people type, and the SPAKE2 proofs."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from organiser.core.keys import public_key_hex
from organiser.net.spoken_code import (
    EVEN,
    ODD,
    Exchange,
    ExchangeFailed,
    SpokenCode,
    SpokenCodeError,
    channel_binding,
    check_inviter,
    looks_spoken,
    parse_spoken_code,
    sign_inviter,
)


def test_spoken_codes_are_read_as_people_type_them() -> None:
    code = parse_spoken_code("  7 Purple-SAUSAGE ".replace("Purple", EVEN[5]).replace("SAUSAGE", ODD[9].upper()))
    assert code == SpokenCode(7, (EVEN[5], ODD[9])) and code.text == f"7-{EVEN[5]}-{ODD[9]}"
    assert looks_spoken("7-purple-sausage") and not looks_spoken("ORG1-ABCDEF")
    for text, words in (("7-purpel-" + ODD[0], "not a first word"), (f"7-{ODD[0]}-{EVEN[0]}", "swapped"),
                        ("0-" + EVEN[0] + "-" + ODD[0], "from 1 to 999"), ("7-" + EVEN[0], "two words")):
        with pytest.raises(SpokenCodeError, match=words):
            parse_spoken_code(text)


def test_the_proofs_match_only_with_the_same_code_session_and_certificates() -> None:
    code = SpokenCode(7, (EVEN[1], ODD[2]))
    certificate = b"\x01" * 32  # the fingerprint of the inviter's connection certificate

    def run(joiner_code: SpokenCode, joiner_session: bytes, joiner_sees: bytes, joiner_shows: bytes = b"") -> bool:
        inviter, joiner = Exchange(code, inviter=True), Exchange(joiner_code, inviter=False)
        inviter.finish(joiner.message, b"session", b"", certificate)
        joiner.finish(inviter.message, joiner_session, joiner_shows, joiner_sees)
        try:
            joiner.check(inviter.proof())
            inviter.check(joiner.proof())
        except Exception:
            return False
        return True

    assert run(code, b"session", certificate)
    assert not run(SpokenCode(7, (EVEN[1], ODD[3])), b"session", certificate)
    assert not run(code, b"another session", certificate)
    assert not run(code, b"session", b"\x02" * 32)  # a relay's own certificate
    assert not run(code, b"session", certificate, joiner_shows=b"\x03" * 32)  # a certificate the inviter never saw


def test_the_inviter_key_is_accepted_only_signed_over_this_session() -> None:
    key = Ed25519PrivateKey.generate()
    here = channel_binding(b"session", b"", b"\x01" * 32)
    signature = sign_inviter(key, here)
    check_inviter(public_key_hex(key), signature, here)
    elsewhere = channel_binding(b"other session", b"", b"\x01" * 32), channel_binding(b"session", b"", b"\x02" * 32)
    for binding in elsewhere:
        with pytest.raises(ExchangeFailed, match="does not sign this connection"):
            check_inviter(public_key_hex(key), signature, binding)
    with pytest.raises(ExchangeFailed):
        check_inviter(public_key_hex(Ed25519PrivateKey.generate()), signature, here)
    with pytest.raises(ExchangeFailed):
        check_inviter("zz", signature, here)
