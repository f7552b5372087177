"""Which version of a forked author's changesets stays: a pure rule, no I/O.

A device that signed two different changesets with one number (a fork) made two branches of
its chain. Every device holds some of the versions; each must end up showing the same ones.
Walking up the numbers from the first forked one, a version counts when it links to the
version chosen before it (its `prev`). Where one version links, it is chosen. Where two do,
the admins' decision (membership `keep` entries) names the one that stays; without one, the
author is set aside from that number on until an admin decides. Where none links, or the
decided version is not held here yet, or a number is missing, the walk ends: what this
device holds from there on belongs to a branch that was not kept (or waits, as proof, for
the versions before it to arrive).

The outcome depends only on the set of versions held and the decisions, so two devices
holding the same versions show the same records whatever order they learnt them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Version:
    """One signed version of an author's changeset number."""

    seq: int
    hash: str
    prev: str


@dataclass
class Walk:
    chosen: dict[int, str] = field(default_factory=dict)  # number -> hash of the version that stays
    aside_from: int | None = None  # an undecided fork: the author is set aside from here
    ended_at: int | None = None  # no version here links, or the kept one is not held yet


def _by_number(versions: Iterable[Version]) -> dict[int, dict[str, Version]]:
    by_seq: dict[int, dict[str, Version]] = {}
    for version in versions:
        by_seq.setdefault(version.seq, {})[version.hash] = version
    return by_seq


def _linked(at_number: dict[str, Version], link: str | None, decided: str | None) -> list[str]:
    """Hashes of the versions of one number that follow `link` (any, when None); only the one an admin
    kept, when one was."""
    linked = sorted(h for h, v in at_number.items() if link is None or v.prev == link)
    return [h for h in linked if h == decided] if decided is not None else linked


def follow(versions: Iterable[Version], kept: Mapping[int, str], before: str | None) -> Walk:
    """Walk an author's versions from its lowest number held on. `kept`: number -> hash an
    admin decided to keep; `before`: hash of the version held just below the lowest number
    (None when not held: then any version there may start the branch)."""
    by_seq = _by_number(versions)
    walk = Walk()
    if not by_seq:
        return walk
    link = before
    seq = min(by_seq)
    while seq in by_seq:
        decided = kept.get(seq)
        linked = _linked(by_seq[seq], link, decided)
        if decided is None and len(linked) > 1:
            walk.aside_from = seq
            return walk
        if not linked:
            walk.ended_at = seq
            return walk
        walk.chosen[seq] = link = linked[0]
        seq += 1
    if seq <= max(by_seq):  # a gap: what lies beyond cannot be linked to the chosen versions yet
        walk.ended_at = seq
    return walk
