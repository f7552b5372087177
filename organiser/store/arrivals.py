"""Sorting out what a peer sent before anything is checked: which changesets are new, which
we hold already, which are a second version of a number we hold; and, once stored, how far
each author's run of changesets now reaches without a gap (the version vector)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter

from sqlite_utils import Database

from organiser.core.changeset import Changeset
from organiser.store.verify import Refusal


@dataclass
class ApplyResult:
    applied: int = 0
    duplicates: int = 0
    refused: list[Refusal] = field(default_factory=list)
    changed_records: set[str] = field(default_factory=set)


def combined(first: ApplyResult, second: ApplyResult) -> ApplyResult:
    """Two applies' results as one."""
    return ApplyResult(first.applied + second.applied, first.duplicates + second.duplicates,
                       first.refused + second.refused, first.changed_records | second.changed_records)


def new_ones(db: Database, group_id: str, changesets: Iterable[Changeset], result: ApplyResult,
             suspects: list[Changeset], links: Callable[[Changeset], bool]) -> list[Changeset]:
    """Drop duplicates and changesets we hold; refuse other groups'; put second versions
    of a held number (forks, if signed) in `suspects`, whether the version held is stored or
    kept aside after its author's removal. `links` says whether a changeset fits the chain
    held around it. The new ones come back in (author, seq) order."""
    first: dict[tuple[str, int], Changeset] = {}
    candidates: list[Changeset] = []
    for cs in changesets:
        if cs.group != group_id:
            result.refused.append(Refusal(cs.author, cs.seq, "it belongs to another group", "group"))
            continue
        candidates.append(cs)
    held = held_hashes(db, candidates)
    aside = held_hashes(db, candidates, "withdrawn_changes")
    for cs in candidates:
        key = (cs.author, cs.seq)
        earlier = first.get(key)
        known = earlier.hash if earlier is not None else held.get(key)
        if known is None and aside.get(key, cs.hash) != cs.hash:
            suspects.append(cs)  # another version of a changeset kept aside: a fork, if signed
            continue
        if known is not None:
            if known == cs.hash:
                result.duplicates += 1
            elif earlier is not None and links(cs) and not links(earlier):
                # Two versions in one batch (a peer's proof of a fork), neither held: the one
                # that fits our chain goes on, or it would be refused with the other forever.
                first[key] = cs
                suspects.append(earlier)
            else:
                suspects.append(cs)
            continue
        first[key] = cs
    return sorted(first.values(), key=attrgetter("author", "seq"))


def held_hashes(db: Database, changesets: list[Changeset], table: str = "changes") -> dict[tuple[str, int], str]:
    """Hashes we already hold (in `changes`, or the changesets kept aside after a removal in
    `withdrawn_changes`) in the seq range each author's incoming changesets span."""
    spans: dict[str, list[int]] = {}
    for cs in changesets:
        span = spans.setdefault(cs.author, [cs.seq, cs.seq])
        span[0] = min(span[0], cs.seq)
        span[1] = max(span[1], cs.seq)
    held: dict[tuple[str, int], str] = {}
    for author, (low, high) in spans.items():
        for seq, digest in db.conn.execute(
            f"SELECT seq, hash FROM {table} WHERE author = ? AND seq BETWEEN ? AND ?", [author, low, high]
        ):
            held[(author, seq)] = digest
    return held


def advance_vector(db: Database, authors: Iterable[str]) -> None:
    """Move each author's vector entry up to the end of its run of stored changesets."""
    for author in authors:
        row = db.execute("SELECT seq FROM vector WHERE author = ?", [author]).fetchone()
        top = row[0] if row else 0
        for (seq,) in db.execute(
            "SELECT seq FROM changes WHERE author = ? AND seq > ? ORDER BY seq", [author, top]
        ):
            if seq != top + 1:
                break
            top = seq
        db.execute(
            "INSERT INTO vector (author, seq) VALUES (?, ?) ON CONFLICT (author) DO UPDATE SET seq = excluded.seq",
            [author, top],
        )
