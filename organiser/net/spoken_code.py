"""Spoken invite codes (`417-purple-sausage`): making, reading and proving them. Pure functions.

As in magic-wormhole: a nameplate number says which inviting laptop to look for on the LAN
(its mDNS announcement carries only a tag derived from the number), and the whole code is the
password of a SPAKE2 exchange (the `spake2` package). Two words from the PGP word list carry
16 bits: far too few for a code that could be tested offline, but SPAKE2 lets each attempt test
one guess only, against the live inviter, and the inviter takes a single attempt per code.

Each side then proves it derived the same key with an HMAC over the transcript: both SPAKE2
messages, the TLS channel binding (tls-unique) of *this* connection and the fingerprints of both
connection certificates as this side saw them (transport.Channel; the joiner shows none). The
inviter's certificate is made for this connection alone and names nothing. A man in the middle
holds two TLS sessions with two bindings and shows its own certificate on each, so even relaying
the SPAKE2 messages untouched, neither proof matches.

Only after the joiner's proof checks does the inviter say who it is: its device key, with a
signature over the same channel binding (`sign_inviter`), inside the WELCOME.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from spake2 import SPAKE2_A, SPAKE2_B

from organiser.net.invite_code import InviteCodeError
from organiser.net.invite_words import EVEN, ODD

NAMEPLATES = 999  # spoken as one to three digits
SPOKEN_EXPIRY = 600  # seconds: a spoken code is for people in the same room, now
_JOINER_ID = b"organiser spoken invite v1: joining device"
_INVITER_ID = b"organiser spoken invite v1: inviting device"
_INVITER_SIGNED = b"organiser spoken invite v2: inviting device key\0"
_SHAPE = re.compile(r"^\s*(\d{1,3})[\s\-]+([a-z]+)[\s\-]+([a-z]+)\s*$", re.IGNORECASE)
_LOOKS_SPOKEN = re.compile(r"^\s*\d{1,4}[\s\-]+[a-z]", re.IGNORECASE)
_EVEN, _ODD = frozenset(EVEN), frozenset(ODD)


class SpokenCodeError(InviteCodeError):
    """A spoken code that cannot be right as typed (exit code 2 on the CLI)."""


class ExchangeFailed(Exception):
    """The other side's SPAKE2 message or proof does not match: wrong code or someone in between."""


@dataclass(frozen=True)
class SpokenCode:
    nameplate: int
    words: tuple[str, str]

    @property
    def text(self) -> str:
        return f"{self.nameplate}-{self.words[0]}-{self.words[1]}"

    @property
    def password(self) -> bytes:
        return self.text.encode("ascii")


def make_spoken_code() -> SpokenCode:
    return SpokenCode(1 + secrets.randbelow(NAMEPLATES), (secrets.choice(EVEN), secrets.choice(ODD)))


def looks_spoken(text: str) -> bool:
    """A number and a word (`7-purple-…`): the short kind; otherwise the long, pasted kind."""
    return bool(_LOOKS_SPOKEN.match(text))


def parse_spoken_code(text: str) -> SpokenCode:
    """Read a code as a person typed it (case, spaces or dashes between the parts do not matter)."""
    found = _SHAPE.match(text)
    if not found:
        raise SpokenCodeError("a spoken invite code is a number and two words, like 7-purple-sausage.")
    number, first, second = int(found.group(1)), found.group(2).lower(), found.group(3).lower()
    if not 1 <= number <= NAMEPLATES:
        raise SpokenCodeError(f"a spoken invite code starts with a number from 1 to {NAMEPLATES}.")
    for word, words, where in ((first, _EVEN, "first"), (second, _ODD, "second")):
        if word not in words:
            other = _ODD if words is _EVEN else _EVEN
            hint = " (the two words may be swapped)" if word in other else "; check its spelling"
            raise SpokenCodeError(f"'{word}' is not a {where} word of spoken invite codes{hint}.")
    return SpokenCode(number, (first, second))


def nameplate_tag(nameplate: int) -> str:
    """What the inviter's mDNS record carries: stands for the number only, never the group."""
    return hashlib.sha256(f"organiser spoken invite nameplate v1 {nameplate}".encode()).hexdigest()[:16]


class Exchange:
    """One side's SPAKE2 run for one connection: start(), then finish() with the other's message."""

    def __init__(self, code: SpokenCode, *, inviter: bool) -> None:
        kind = SPAKE2_B if inviter else SPAKE2_A
        self.inviter = inviter
        self._spake = kind(code.password, idA=_JOINER_ID, idB=_INVITER_ID)
        self.message = self._spake.start()
        self._key = b""
        self._transcript = b""

    def finish(self, their_message: bytes, tls_binding: bytes, client_fp: bytes, server_fp: bytes) -> None:
        """`tls_binding`: tls-unique of this session; `client_fp`, `server_fp`: the SHA-256 of each
        side's connection certificate as this side saw it (b"" for none)."""
        try:
            self._key = self._spake.finish(their_message)
        except Exception as exc:  # spake2 refuses a bad point, a wrong side or a reflection in several ways
            raise ExchangeFailed(f"the other side's key exchange message is not valid ({exc})") from None
        joiner, inviter = (their_message, self.message) if self.inviter else (self.message, their_message)
        self._transcript = _transcript(joiner, inviter, tls_binding, client_fp, server_fp)

    def proof(self) -> bytes:
        """What this side sends to show it holds the code and sits on this very TLS session."""
        return self._mac(b"inviter" if self.inviter else b"joiner")

    def check(self, their_proof: bytes) -> None:
        expected = self._mac(b"joiner" if self.inviter else b"inviter")
        if not hmac.compare_digest(expected, their_proof):
            raise ExchangeFailed("the proofs do not match")

    def _mac(self, role: bytes) -> bytes:
        if not self._key:
            raise ExchangeFailed("the key exchange has not finished")
        return hmac.new(self._key, b"organiser spoken invite proof " + role + self._transcript,
                        hashlib.sha256).digest()


def channel_binding(tls_binding: bytes, client_fp: bytes, server_fp: bytes) -> bytes:
    """What the inviter's device key signs in the WELCOME: this TLS session and both certificates."""
    return _transcript(b"inviter identity", tls_binding, client_fp, server_fp)


def sign_inviter(key: Ed25519PrivateKey, binding: bytes) -> str:
    return key.sign(_INVITER_SIGNED + binding).hex()


def check_inviter(public_hex: str, signature_hex: str, binding: bytes) -> None:
    """Raises ExchangeFailed unless the inviter's device key signed this very session."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(signature_hex), _INVITER_SIGNED + binding)
    except (ValueError, InvalidSignature):
        raise ExchangeFailed("the inviting device's key does not sign this connection") from None


def _transcript(*parts: bytes) -> bytes:
    digest = hashlib.sha256(b"organiser spoken invite transcript v2")
    for part in parts:
        digest.update(len(part).to_bytes(4, "big") + part)
    return digest.digest()
