"""Forgetting a member: erasure orders and the stubs they vouch for (docs/erasure.md).

An order is an op of kind `erasure` in an admin's signed changeset. It names the records to
forget and lists every changeset that wrote one of them: (author, number, the hash the chain
knows it by, the SHA-256 of its stub). A stub is what a changeset becomes once erased: the
same JSON with each op on a forgotten record given the value null, in the canonical encoding.
It is a pure function of the body and the forgotten records, so every laptop makes the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

import orjson

ERASURE_KIND = "erasure"  # the op kind of an order
# What an order can erase: a member's details, roles and skills. An order naming any other
# record (an event an admin wrote, a membership entry such as a removal) erases nothing of it,
# and does not stop it being written: forgetting is not a way round the membership rules.
ERASABLE_KINDS = frozenset({"member", "member_role", "member_skill"})
ORDER_FIELD = "order"
MAX_RECORDS = 256  # records one order forgets: a member, their roles and skills
_KIND = itemgetter(0)  # an op's kind
MAX_LISTED = 4000  # changesets one order lists (~170 bytes each, well under a changeset's cap)


class Listed(NamedTuple):
    """One changeset an order erases: who wrote it, its number, its chain hash, its stub's hash."""

    author: str
    seq: int
    hash: str
    stub_hash: str


@dataclass(frozen=True)
class Order:
    records: tuple[str, ...]
    changesets: tuple[Listed, ...]

    def to_value(self) -> dict[str, Any]:
        return {"records": list(self.records), "changesets": [list(item) for item in self.changesets]}


def stub_of(body: bytes, forgotten: Collection[str]) -> bytes:
    """The body with each op on a forgotten record given the value null, canonically encoded.
    Only ops of the kinds an order erases (ERASABLE_KINDS) are touched."""
    doc = orjson.loads(body)
    for op in doc["o"]:
        if op[1] in forgotten and op[0] in ERASABLE_KINDS:
            op[3] = None
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def stub_hash(stub: bytes) -> str:
    return hashlib.sha256(stub).hexdigest()


def touches(ops: Iterable[Any], forgotten: Collection[str]) -> bool:
    """Whether any op (kind, record, ...) writes a forgotten record of a kind an order erases."""
    return any(op[1] in forgotten and op[0] in ERASABLE_KINDS for op in ops)


def carries_order(ops: Iterable[Any]) -> bool:
    return ERASURE_KIND in map(_KIND, ops)  # in C: asked of every changeset a first sync brings


def orders_in(ops: Iterable[Any]) -> list[Order]:
    """The well-formed orders among a changeset's ops."""
    found = []
    for op in ops:
        if op[0] == ERASURE_KIND:
            order = parse_order(op[3]) if op[2] == ORDER_FIELD else None
            if order is not None:
                found.append(order)
    return found


def _hex64(v: Any) -> bool:
    return type(v) is str and len(v) == 64 and all(c in "0123456789abcdef" for c in v)


def _record_id(v: Any) -> bool:
    return type(v) is str and 0 < len(v) <= 64 and v.isalnum() and v.isascii()


def _listed(item: Any) -> Listed | None:
    if type(item) is not list or len(item) != 4:
        return None
    author, seq, digest, stub = item
    if not (_record_id(author) and type(seq) is int and 1 <= seq < (1 << 62) and _hex64(digest) and _hex64(stub)):
        return None
    return Listed(author, seq, digest, stub)


def parse_order(value: Any) -> Order | None:
    """An order's value as an Order, or None when it is not one this app could have written."""
    if type(value) is not dict or set(value) != {"records", "changesets"}:
        return None
    records, changesets = value["records"], value["changesets"]
    if type(records) is not list or not 0 < len(records) <= MAX_RECORDS or not all(map(_record_id, records)):
        return None
    if type(changesets) is not list or len(changesets) > MAX_LISTED:
        return None
    listed = [_listed(item) for item in changesets]
    if any(item is None for item in listed):
        return None
    return Order(tuple(records), tuple(item for item in listed if item is not None))


def describe(value: Any) -> str:
    """An order in words, for the history: what it forgot, not the hashes it lists."""
    order = parse_order(value)
    if order is None:
        return "not a well-formed erasure order"
    return f"forgot {len(order.records)} record(s), erasing {len(order.changesets)} change(s) everywhere"
