"""How far the author of a demotion or of a closing of the invite policy had seen: the limits
that judge state-dependent entries by sequence numbers instead of by the stamps their authors
choose. Pure, no I/O.

A device in bad faith signs whatever clock stamp it likes, so an entry's stamp cannot say
whether it was written before or after a demotion. Its sequence number can: a device's
changesets form one hash-linked chain, and an honest admin writing a demotion records the
last changeset of the demoted device it had seen (`seen`). An entry of that device past
`seen` was not seen by the demoter, whatever its stamp: if it claims a stamp before the
demotion, it was written at the same time (before the device heard of it) or back-dated
after it, and either way it is judged as written after the demotion (the more senior admin's
demotion wins, as between two removals). Closing the invite policy records the same for
every device of the group at once (`seen`: device id -> its last changeset seen), and a
member's admission past its number that claims a stamp before the closing does not count.

Entries written before these fields existed have none, and are judged by their stamps as
they always were.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from typing import Any

from organiser.core.field_rules import MAX_WHOLE_NUMBER

Order = tuple[int, str, int, int]  # an entry's place: (clock stamp, author, seq, op index)
# device -> (order, seen) of each demotion of it that takes effect: its entries past `seen`
# claiming a place before that demotion's are written after it
Cutoffs = Mapping[str, tuple[tuple[Order, int], ...]]
# (order, seen) of each closing of the invite policy that takes effect; a device absent from
# `seen` had written nothing its author had seen
Closings = tuple[tuple[Order, Mapping[str, int]], ...]

# Admissions of one device that count while it is not an admin, by place in its chain (seq, op):
# a member admitting laptops at the door admits a few dozen; one allowed to invite that signed
# 80,000 filled every laptop's roster, and each later admission cost seconds to evaluate.
MAX_MEMBER_ADMISSIONS = 200
# Why a member's admission has no effect when a member admitted its author: the cap counted per
# admitting device, and a member's puppets (laptops whose keys it held) each admitted 200 more.
ONE_STEP = ("a laptop a member admitted cannot admit others until an admin admits it again or promotes it "
            "(invitations by members reach one step)")
MAX_SEEN_DEVICES = 2_000  # devices one closing names: far beyond a group's laptops, ~90 KB at most
DEVICE_ID_LENGTH = 32  # hex digits (core/keys.py device_id_for)


def demoted_before(cutoffs: Cutoffs, author: str, seq: int, order: Order) -> bool:
    """An entry (`author`'s changeset `seq`, at `order`) that a demotion of its author had not
    seen and that claims a place before it: written after the demotion, whatever its stamp."""
    return any(seq > seen and order < at for at, seen in cutoffs.get(author, ()))


def closed_before(closings: Closings, author: str, seq: int, order: Order) -> bool:
    """An entry that a closing of the invite policy had not seen and that claims a place before it."""
    return any(seq > seen.get(author, 0) and order < at for at, seen in closings)


def seen_number(value: Mapping[str, Any]) -> int | None:
    """A demotion's `seen`: the last changeset of the demoted device its author had seen."""
    seen = value.get("seen")
    return seen if type(seen) is int and seen >= 0 else None


def seen_map(value: Mapping[str, Any]) -> dict[str, int] | None:
    """A closing's `seen`: device id -> the last changeset of it the closing's author had seen."""
    seen = value.get("seen")
    if type(seen) is not dict or len(seen) > MAX_SEEN_DEVICES:
        return None
    # numbers as large as the entry's other numbers may be (what every JSON reader holds exactly)
    if all(_is_device_id(device) and type(number) is int and 0 <= number <= MAX_WHOLE_NUMBER
           for device, number in seen.items()):
        return seen
    return None


def limits_problem(author: str, seq: int, action: str, value: Mapping[str, Any]) -> str | None:
    """Why the `seen` of a demotion (`demote`) or policy entry (`policy`) is malformed or a lie
    (one sentence), or None. An absent or null `seen` is an entry written before the field."""
    if value.get("seen") is None:
        return None
    if action == "demote":
        seen = seen_number(value)
        if seen is None:
            return "'seen' must be the number of a changeset of the demoted laptop (a whole number, 0 or more)"
        if value.get("device") == author and seen >= seq:
            return f"'seen' claims changeset {seen} of its own author, written in or after this one ({seq})"
        return None
    if action == "policy":
        seen_by = seen_map(value)
        if seen_by is None:
            return (f"'seen' must map laptop ids (32 hex digits) to changeset numbers (whole numbers from 0 to 2^53), "
                    f"for at most {MAX_SEEN_DEVICES:,} laptops")
        if seen_by.get(author, 0) >= seq:
            return f"'seen' claims changeset {seen_by[author]} of its own author, written in or after this one ({seq})"
        return None
    return None  # no other entry reads a 'seen'


class Chain:
    """One device's entries, as (seq, place), by sequence number: which of them lie past a
    `seen`, found at once however many demotions ask."""

    def __init__(self, entries: list[tuple[int, Order]]) -> None:
        self.entries = sorted(entries)
        self.seqs = [seq for seq, _order in self.entries]
        # the earliest place claimed by the entries from each position on
        self.earliest = [order for _seq, order in self.entries]
        for i in range(len(self.entries) - 2, -1, -1):
            self.earliest[i] = min(self.earliest[i], self.earliest[i + 1])

    def first_past(self, seen: int, before: Order) -> int | None:
        """The first number past `seen` of an entry, if some entry past `seen` claims a place
        before `before` (a demotion at `before` that had seen up to `seen` leaves it out)."""
        i = bisect.bisect_right(self.seqs, seen)
        return self.seqs[i] if i < len(self.seqs) and self.earliest[i] < before else None

    def from_seq(self, seq: int) -> set[Order]:
        """The places of the entries from number `seq` on."""
        return {order for _seq, order in self.entries[bisect.bisect_left(self.seqs, seq):]}


def promotable(founder: str, promotions: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The founder and every device that a device of these promotes (author, device): no other
    device is an admin at any point of any evaluation (an admission keeps a device's rights, it
    gives none), so no other device's demotion needs judging."""
    promoted: dict[str, set[str]] = {}
    for author, device in promotions:
        if device:
            promoted.setdefault(author, set()).add(device)
    found, todo = {founder}, [founder]
    while todo:
        for device in promoted.get(todo.pop(), ()):
            if device not in found:
                found.add(device)
                todo.append(device)
    return frozenset(found)


def _is_device_id(text: Any) -> bool:
    return type(text) is str and len(text) == DEVICE_ID_LENGTH and all(c in "0123456789abcdef" for c in text)


def admission_places(entries: Iterable[Any]) -> dict[tuple[str, int, int], int]:
    """(author, seq, op index) of each admission -> its place among its author's admissions in
    chain order, from 0: set by what the author signed, not by stamps or by what else arrived,
    so every laptop holding the same entries gives the same places."""
    by_author: dict[str, list[tuple[int, int]]] = {}
    for e in entries:
        if e.action == "admit":
            by_author.setdefault(e.author, []).append((e.seq, e.index))
    return {(author, seq, index): place for author, found in by_author.items()
            for place, (seq, index) in enumerate(sorted(found))}
