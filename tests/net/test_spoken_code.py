"""Spoken invite codes as pure functions: reading what people type, and the SPAKE2 proofs."""

from __future__ import annotations

import pytest

from organiser.net.spoken_code import (
    EVEN,
    ODD,
    Exchange,
    SpokenCode,
    SpokenCodeError,
    looks_spoken,
    parse_spoken_code,
)


def test_spoken_codes_are_read_as_people_type_them() -> None:
    code = parse_spoken_code("  7 Purple-SAUSAGE ".replace("Purple", EVEN[5]).replace("SAUSAGE", ODD[9].upper()))
    assert code == SpokenCode(7, (EVEN[5], ODD[9])) and code.text == f"7-{EVEN[5]}-{ODD[9]}"
    assert looks_spoken("7-purple-sausage") and not looks_spoken("ORG1-ABCDEF")
    for text, words in (("7-purpel-" + ODD[0], "not a first word"), (f"7-{ODD[0]}-{EVEN[0]}", "swapped"),
                        ("0-" + EVEN[0] + "-" + ODD[0], "from 1 to 999"), ("7-" + EVEN[0], "two words")):
        with pytest.raises(SpokenCodeError, match=words):
            parse_spoken_code(text)


def test_the_proofs_match_only_with_the_same_code_session_and_inviter_key() -> None:
    code = SpokenCode(7, (EVEN[1], ODD[2]))

    def run(joiner_code: SpokenCode, joiner_session: bytes, joiner_sees_key: bytes) -> bool:
        inviter, joiner = Exchange(code, inviter=True), Exchange(joiner_code, inviter=False)
        inviter.finish(joiner.message, b"session", b"inviter key")
        joiner.finish(inviter.message, joiner_session, joiner_sees_key)
        try:
            joiner.check(inviter.proof())
            inviter.check(joiner.proof())
        except Exception:
            return False
        return True

    assert run(code, b"session", b"inviter key")
    assert not run(SpokenCode(7, (EVEN[1], ODD[3])), b"session", b"inviter key")
    assert not run(code, b"another session", b"inviter key")
    assert not run(code, b"session", b"attacker key")
