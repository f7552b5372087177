"""Laptops waiting for an admin: admitted by a member's laptop beyond one step. Pure, no I/O.

Invitations by members reach one step (core/membership.py): a laptop a member admitted cannot
admit others until an admin admits it again (vouches for it) or promotes it. A group that let
members invite before that rule holds admissions it now ignores: the door laptop (an admin let
it in) admitted the middle laptop, which admitted the minutes laptop; the minutes laptop drops
out of the roster and its changesets are kept aside. An admin's vouch for the middle laptop
alone does not bring it back: its admission lies before the vouch in the log's order.

Nothing here changes the rules. What waits is read from the evaluation itself (the admissions
it ignores for the one-step reason), and an admin brings a waiting laptop in by admitting it:
ordinary admissions, which every laptop evaluates alike whatever order they arrive in, and
which no laptop of an earlier version refuses. So the roster stays within what admins admitted
times MAX_MEMBER_ADMISSIONS: each laptop that comes in was named by an admin.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from organiser.core.membership import (
    ADMIT,
    ONE_STEP,
    Entry,
    Membership,
    device_id_for_safe,
)
from organiser.core.membership_entries import Rank, entry_name, entry_text
from organiser.core.membership_limits import MAX_MEMBER_ADMISSIONS


@dataclass(frozen=True)
class Waiting:
    """A laptop a member's laptop admitted beyond one step: in the roster once an admin admits it."""

    id: str
    public_key: str
    name: str
    admitted_by: str  # the laptop whose admission of it the one-step rule ignores
    invite: str


def may_wait(held: Membership, admissions: Iterable[Entry], also: Collection[str] = ()) -> list[Entry]:
    """The admissions that may be waiting for an admin, to evaluate with the log: those of a current
    device not vouched for (or of a device in `also`: one an admin is about to admit), each author's
    first MAX_MEMBER_ADMISSIONS in its chain (the only ones that could ever count: a puppet's flood
    stays as bounded here as in the roster), of a device not in the roster."""
    authors = {d.id for d in held.devices.values() if not d.removed and not d.vouched_for} | set(also)
    by_author: dict[str, list[Entry]] = {}
    for e in admissions:
        if e.action == ADMIT and e.author in authors:
            by_author.setdefault(e.author, []).append(e)
    found: list[Entry] = []
    for entries in by_author.values():
        entries.sort(key=lambda e: (e.seq, e.index))
        found.extend(e for e in entries[:MAX_MEMBER_ADMISSIONS] if e.target not in held.devices)
    return found


def waiting_for_an_admin(tried: Membership) -> list[Waiting]:
    """The laptops waiting for an admin in `tried` (the log evaluated with `may_wait`'s
    admissions): those of its admissions the one-step rule ignores, by a device not removed, of
    devices not in the roster nor removed by an admin (`removed_by_an_admin`).
    A laptop two members' laptops admitted is listed once, under the senior one's admission (the
    one an admission of its own would count first), so every laptop lists the same, whatever order
    the entries arrived in."""
    first: dict[str, tuple[tuple[Rank, int, int], Entry]] = {}
    gone = removed_by_an_admin(tried)
    for e, reason in tried.ignored:
        if e.action != ADMIT or reason != ONE_STEP or not e.target or e.target in tried.devices or e.target in gone:
            continue
        if device_id_for_safe(e.value.get("public_key")) != e.target:
            continue  # an admin's admission of it would have no effect either
        author = tried.devices.get(e.author)
        if author is not None and author.removed:
            continue  # only a current device's admissions wait (`may_wait`), though an admin once vouched for it
        place = (author.rank if author is not None else (3, 0, e.author), e.seq, e.index)
        if e.target not in first or place < first[e.target][0]:
            first[e.target] = (place, e)
    return [Waiting(e.target, entry_text(e.value.get("public_key")).lower(), entry_name(e.value) or e.target[:8],
                    e.author, entry_text(e.value.get("invite")))
            for _place, e in sorted(first.values(), key=lambda found: found[0])]


def removed_by_an_admin(held: Membership) -> set[str]:
    """The devices an admin removed: those the roster holds as removed, and those an admin's removal
    names where, in the log's order, the roster does not hold them (`Membership.barred`): one
    removed under the earlier rules, when a member's laptop's admission of it beyond one step still
    counted, or one whose admission a later removal (of the laptop that admitted it) took back.
    None of them waits for an admin, and no admission of one counts."""
    return {d.id for d in held.devices.values() if d.removed} | held.barred
