"""Checking changesets from peers before anything is stored.

Each changeset names its predecessor's hash, so for a run of one author's changesets
that continues what we hold, checking the hash links plus the newest signature proves
the whole run. Only when that fails is each signature checked on its own, so one bad
changeset is refused and the good ones around it still apply.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from organiser.core.changeset import GENESIS, Changeset, verify_signature


@dataclass(frozen=True)
class Refusal:
    author: str
    seq: int
    reason: str
    code: str = "refused"  # one of a small fixed set: incidents are counted per (device, code)
    note: str = ""  # a detail for people, e.g. how far ahead a clock is


class HeldChain(Protocol):
    """What we already hold of an author's chain."""

    def hash_at(self, author: str, seq: int) -> str | None: ...

    def prev_at(self, author: str, seq: int) -> str | None: ...


def verify_run(
    run: list[Changeset], key: Ed25519PublicKey, held: HeldChain, vouched: Collection[tuple[str, int]] = ()
) -> tuple[list[Changeset], list[Refusal]]:
    """Verify one author's changesets (sorted by seq, none already held). `vouched`: the
    (author, seq) of stubs an admin's erasure order vouches for (store/erasure.py `vouch`),
    whose bytes its author never signed; their hash links are checked like any other's."""
    hashes = {cs.seq: cs.hash for cs in run}

    def predecessor_hash(seq: int) -> str | None:
        if seq == 1:
            return GENESIS
        return hashes.get(seq - 1) or held.hash_at(run[0].author, seq - 1)

    contiguous = all(b.seq == a.seq + 1 for a, b in zip(run, run[1:], strict=False))
    if contiguous and all(cs.prev == predecessor_hash(cs.seq) for cs in run):
        last = run[-1]
        if _follower_links(last, held) and _genuine(key, last, vouched):
            return run, []
    return _one_by_one(run, key, held, vouched)


def _genuine(key: Ed25519PublicKey, cs: Changeset, vouched: Collection[tuple[str, int]]) -> bool:
    return bool(vouched) and (cs.author, cs.seq) in vouched or verify_signature(key, cs)


def _follower_links(cs: Changeset, held: HeldChain) -> bool:
    """A changeset we already hold after this one must name this one as its predecessor."""
    expected = held.prev_at(cs.author, cs.seq + 1)
    return expected is None or expected == cs.hash


def _one_by_one(
    run: list[Changeset], key: Ed25519PublicKey, held: HeldChain, vouched: Collection[tuple[str, int]] = ()
) -> tuple[list[Changeset], list[Refusal]]:
    good: list[Changeset] = []
    refused: list[Refusal] = []
    accepted_hash: dict[int, str] = {}
    for cs in run:
        if not _genuine(key, cs, vouched):
            refused.append(Refusal(cs.author, cs.seq, "its signature does not match its author's key", "signature"))
            continue
        if cs.seq == 1:
            before: str | None = GENESIS
        else:
            before = accepted_hash.get(cs.seq - 1) or held.hash_at(cs.author, cs.seq - 1)
        if before is not None and cs.prev != before:
            refused.append(Refusal(cs.author, cs.seq, "it does not link to its predecessor (broken hash chain)",
                                   "chain"))
            continue
        if not _follower_links(cs, held):
            refused.append(Refusal(cs.author, cs.seq, "the changeset after it does not link to it (broken hash chain)",
                                   "chain"))
            continue
        accepted_hash[cs.seq] = cs.hash
        good.append(cs)
    return good, refused
