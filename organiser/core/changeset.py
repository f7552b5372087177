"""Signed, hash-chained changesets: the unit every device writes, relays and checks.

A changeset's body is canonical JSON (sorted keys, no spaces), so the same changeset
always has the same bytes, signature and hash wherever it travels.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from organiser.core.keys import short_id

GENESIS = "0" * 64  # the "previous hash" of a device's first changeset
MAX_INT = 1 << 62  # sequence numbers and clock stamps must fit SQLite's 64-bit integers


@dataclass(frozen=True)
class Version:
    """Who wrote a field value, and when: the total order of last-writer-wins."""

    hlc: int
    device: str

    def as_list(self) -> list[Any]:
        return [self.hlc, self.device]


class Op(NamedTuple):
    """Set one field of one record. `base` is the version this write overwrote.

    A NamedTuple rather than a dataclass: a sync decodes hundreds of thousands of these."""

    kind: str
    record: str
    field: str
    value: Any
    base: tuple[int, str] | None = None
    # Conflict losers (as [hlc, device]) that this write settles, e.g. "use this value".
    resolves: tuple[tuple[int, str], ...] = ()

    def to_json(self) -> list[Any]:
        out: list[Any] = [self.kind, self.record, self.field, self.value,
                          list(self.base) if self.base else None]
        if self.resolves:
            out.append([list(v) for v in self.resolves])
        return out

    @classmethod
    def from_json(cls, item: list[Any]) -> Op:
        kind, record, field_, value, base = item[:5]
        if not (type(kind) is str and type(record) is str and type(field_) is str):
            raise TypeError("an op's kind, record and field must be text")
        resolves = tuple(_version(h, d) for h, d in item[5]) if len(item) > 5 else ()
        return cls(kind, record, field_, value, _version(base[0], base[1]) if base else None, resolves)


class UnstampedVersion(ValueError):
    """Said in the app's words alone: the reason of a refusal quotes nothing a peer wrote."""


def _version(hlc: Any, device: Any) -> tuple[int, str]:
    """A version an op names (the one it overwrote, a conflict it settles): a stamp a clock can
    make, as the changeset's own must be. 2^64 - 1 decoded, and storing it raised OverflowError."""
    if type(hlc) is not int or not 0 < hlc < MAX_INT:
        raise UnstampedVersion("an op names a version no clock stamps")
    return hlc, str(device)


class Changeset:
    """One signed changeset. Treated as immutable; a plain class with slots rather than a
    frozen dataclass, whose field-by-field set-up cost half the time of decoding one."""

    __slots__ = ("group", "author", "seq", "prev", "hlc", "ops", "body", "signature", "hash")

    def __init__(self, group: str, author: str, seq: int, prev: str, hlc: int, ops: tuple[Op, ...],
                 body: bytes, signature: bytes, hash: str = "") -> None:
        self.group = group
        self.author = author
        self.seq = seq
        self.prev = prev
        self.hlc = hlc
        self.ops = ops
        self.body = body
        self.signature = signature
        # SHA-256 of body + signature; computed once, it is needed for every chain check.
        self.hash = hash or changeset_hash(body, signature)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Changeset):
            return NotImplemented
        return self.body == other.body and self.signature == other.signature

    def __hash__(self) -> int:
        return hash(self.hash)

    def __repr__(self) -> str:
        return f"Changeset(author={short_id(self.author)!r}, seq={self.seq}, hlc={self.hlc}, ops={len(self.ops)})"

    @property
    def version(self) -> Version:
        return Version(self.hlc, self.author)


def changeset_hash(body: bytes, signature: bytes) -> str:
    # The chain covers the signature too, so one verified signature at the head of a
    # batch vouches for every earlier body and signature it links to.
    return hashlib.sha256(body + signature).hexdigest()


def encode_body(group: str, author: str, seq: int, prev: str, hlc: int, ops: list[Op]) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8 (the bytes json.dumps(sort_keys=True,
    separators=(",", ":"), ensure_ascii=False) gives). Signatures cover these exact bytes,
    and a received body is never encoded again, only checked."""
    doc = {"g": group, "a": author, "s": seq, "p": prev, "h": hlc, "o": [o.to_json() for o in ops]}
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def sign_changeset(
    key: Ed25519PrivateKey, group: str, author: str, seq: int, prev: str, hlc: int, ops: list[Op]
) -> Changeset:
    body = encode_body(group, author, seq, prev, hlc, ops)
    return Changeset(group, author, seq, prev, hlc, tuple(ops), body, key.sign(body))


class MalformedChangeset(ValueError):
    pass


def decode_changeset(body: bytes, signature: bytes) -> Changeset:
    """Parse a body received from elsewhere; raise MalformedChangeset with the reason."""
    try:
        doc = orjson.loads(body)
        ops = _decode_ops(doc["o"])
        cs = Changeset(str(doc["g"]), str(doc["a"]), int(doc["s"]), str(doc["p"]), int(doc["h"]),
                       ops, bytes(body), bytes(signature))
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise MalformedChangeset(f"the changeset is not well formed ({_what_is_wrong(exc)})") from None
    if not 1 <= cs.seq < MAX_INT or len(cs.prev) != 64 or len(signature) != 64:
        raise MalformedChangeset("the changeset has an impossible sequence number or hash")
    if not 0 < cs.hlc < MAX_INT:
        raise MalformedChangeset("the changeset's clock stamp is out of range")
    return cs


def _what_is_wrong(exc: Exception) -> str:
    """Which way a body is malformed, quoting nothing of it: Python's own messages quote the value
    ("invalid literal for int(): 'Ana ...'"), and the reason goes to the log and the incidents."""
    if isinstance(exc, UnstampedVersion):
        return str(exc)
    if isinstance(exc, orjson.JSONDecodeError):
        return "not JSON"
    if isinstance(exc, KeyError):
        return "a part is missing"
    if isinstance(exc, IndexError):
        return "an op is too short"
    return "a part is not of its type"


_new_tuple = tuple.__new__


def _decode_ops(items: list[Any]) -> tuple[Op, ...]:
    # The common op, a first write with no base, skips the general parser (inline, no call
    # per op): a first sync decodes hundreds of thousands of them. What it saves is measured
    # by `python -m tests.perf.store` (apply.decode_fast_path); keep it only while that pays.
    ops: list[Op] = []
    append = ops.append
    str_ = str
    for item in items:
        if (type(item) is list and len(item) == 5 and item[4] is None and type(item[0]) is str_
                and type(item[1]) is str_ and type(item[2]) is str_):
            append(_new_tuple(Op, (item[0], item[1], item[2], item[3], None, ())))
        else:
            append(Op.from_json(item))
    return tuple(ops)


def verify_signature(public_key: Ed25519PublicKey, cs: Changeset) -> bool:
    try:
        public_key.verify(cs.signature, cs.body)
    except InvalidSignature:
        return False
    return True
