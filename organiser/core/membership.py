"""Who belongs to the group: the membership log and the rules every device evaluates. Pure, no I/O.

Membership is decided by signed entries (found, admit, remove, promote, demote, policy)
that travel as ops of kind `membership` inside ordinary signed, hash-chained changesets.
Last-writer-wins never decides who belongs: `evaluate` computes the membership from the
*set* of entries, so two devices holding the same entries agree, whatever order the
entries arrived in. The rules (docs/replication.md, "Membership"):

- The founding device (named by the group's credentials) is the first admin.
- Only an admin's entries change membership (an admit entry also counts from any member
  while the group's policy lets members invite); any other entry has no effect and is
  reported in `Membership.ignored`.
- A removal names the last changeset of the removed device that stays (`kept`). Every
  entry (and every other changeset) of that device after it has no effect, whatever
  clock stamp it claims: a removed device cannot undo its removal, and it can never be
  admitted again.
- Two admins who remove each other without having seen the other's removal: the more
  senior one wins (the founder first, then by admission); a removal counts here only if its
  author was an admin when it wrote it, and one written after its author had seen its own
  removal by its target counts nowhere. Of several removals of one device, the one keeping
  least stands. An admin cannot demote a more senior admin.
  Admitting and removing one device at once: the removal wins.
- The group always keeps an admin: a removal or demotion of its last admin has no effect.
- A device that signed two versions of one changeset number (a fork) is set aside from that
  number until an admin keeps one version (`keep`: device, number, hash of the version
  kept). The most senior admin's choice stands; of one admin's choices, the latest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from organiser.core.keys import device_id_for

MEMBERSHIP_KIND = "membership"  # the op kind of membership entries
FOUND, ADMIT, REMOVE, PROMOTE, DEMOTE, POLICY = "found", "admit", "remove", "promote", "demote", "policy"
KEEP = "keep"  # an admin keeps one version of a forked changeset number
ACTIONS = (FOUND, ADMIT, REMOVE, PROMOTE, DEMOTE, POLICY, KEEP)
# Passes of the evaluation that drop entries written after their author's removal; each
# pass can only follow one more removal, and groups have few removals chained that way.
MAX_PASSES = 8

Rank = tuple[int, int, str]  # seniority: smaller is more senior


@dataclass(frozen=True)
class Entry:
    """One membership entry: op number `index` of changeset `seq` of device `author`."""

    author: str
    seq: int
    hlc: int
    index: int
    action: str
    value: Mapping[str, Any]

    @property
    def order(self) -> tuple[int, str, int, int]:
        return (self.hlc, self.author, self.seq, self.index)

    @property
    def target(self) -> str:
        device = self.value.get("device")
        return device if type(device) is str else ""


@dataclass
class Device:
    """A device as the membership log sees it."""

    id: str
    public_key: str
    name: str = ""
    admitted_by: str = ""
    invite: str = ""
    rank: Rank = (2, 0, "")
    admin: bool = False
    removed_kept: int | None = None  # its last changeset that stays, once removed
    removed_by: str = ""
    removed_hlc: int = 0

    @property
    def removed(self) -> bool:
        return self.removed_kept is not None


@dataclass(frozen=True)
class KeptBranch:
    """An admin's choice of the version of a forked changeset number that stays."""

    hash: str
    decided_by: str
    hlc: int
    rank: Rank  # the deciding admin's seniority: a more senior admin's choice stands


@dataclass
class Membership:
    devices: dict[str, Device] = field(default_factory=dict)
    members_may_invite: bool = False
    kept_branches: dict[tuple[str, int], KeptBranch] = field(default_factory=dict)  # by (device, seq)
    removals: int = 0  # effective removals so far (the discovery key changes with each)
    ignored: list[tuple[Entry, str]] = field(default_factory=list)

    def admitted(self, device: str) -> bool:
        found = self.devices.get(device)
        return found is not None and not found.removed

    def is_admin(self, device: str) -> bool:
        found = self.devices.get(device)
        return found is not None and found.admin and not found.removed

    def may_invite(self, device: str) -> bool:
        return self.is_admin(device) or (self.members_may_invite and self.admitted(device))

    def limits(self) -> dict[str, int]:
        """Removed devices and the last sequence number of theirs that stays."""
        return {d.id: d.removed_kept for d in self.devices.values() if d.removed_kept is not None}

    def admins(self) -> list[str]:
        return sorted(d.id for d in self.devices.values() if d.admin and not d.removed)


def entry_of(author: str, seq: int, hlc: int, index: int, action: str, value: Any) -> Entry | None:
    """An Entry from an op's fields, or None if it cannot be one (ignored everywhere alike)."""
    if action not in ACTIONS or not isinstance(value, dict):
        return None
    return Entry(author, seq, hlc, index, action, value)


def evaluate(entries: Iterable[Entry], founder: str, founder_key: str,
             legacy: Iterable[tuple[str, str, str, str]] = ()) -> Membership:
    """The membership that the set of `entries` makes, given the founder from the group's
    credentials. `legacy`: (device, public key, name, admitted by) of a group made before the
    membership log, admitted until the founder's found entry restates the roster."""
    # One entry per (author, seq, index): a duplicate delivery changes nothing.
    ordered = sorted({(e.author, e.seq, e.index): e for e in entries}.values(), key=lambda e: e.order)
    legacy = list(legacy)
    first = _pass(ordered, founder, founder_key, legacy, frozenset(), {})
    limits: dict[str, int] = {}
    state = first
    for _ in range(MAX_PASSES):
        # Whether a removal was an admin's is judged without the entries the last pass dropped
        # (a removed admin's later promotion makes no one an admin).
        by_admins = _removals_by_admins(ordered, founder, founder_key, legacy, limits)
        state = _pass(ordered, founder, founder_key, legacy, _beaten_removals(ordered, first, by_admins), limits)
        found = state.limits()
        if found == limits:
            break
        limits = found
    return state


def _beaten_removals(ordered: list[Entry], first: Membership,
                     by_admins: frozenset[tuple[int, str, int, int]]) -> frozenset[tuple[int, str, int, int]]:
    """Removals lost to a concurrent removal of their author by a more senior admin. Two
    removals are concurrent when neither remover had seen the other's entry: each keeps
    less of the other's chain than the other's removal entry. Only a removal written by an
    admin (`by_admins`) beats another: a member senior by admission cannot keep a "removal" of
    an admin in reserve, to release when that admin removes it."""
    by_pair: dict[tuple[str, str], list[Entry]] = {}
    for e in ordered:
        if e.action == REMOVE and e.target and _kept(e) is not None:
            by_pair.setdefault((e.author, e.target), []).append(e)
    beaten: set[tuple[int, str, int, int]] = set()
    for (remover, removed), entries in by_pair.items():
        # Every removal of the pair is judged: one written again later does not save the first.
        others = [o for o in by_pair.get((removed, remover), []) if o.order in by_admins]
        senior = _rank(first, remover) > _rank(first, removed)
        beaten |= {e.order for e in entries
                   if any((senior and _concurrent(e, o)) or _after_own_removal(e, o) for o in others)}
    return frozenset(beaten)


def _after_own_removal(removal: Entry, other: Entry) -> bool:
    """`removal` was written by a device that had seen `other`, its own removal by its target, and
    after the last changeset of it that `other` keeps: whatever stamp it claims, it comes too late."""
    kept_of_other, kept_of_me = _kept(removal), _kept(other)
    assert kept_of_other is not None and kept_of_me is not None
    return kept_of_other >= other.seq and removal.seq > kept_of_me


def _removals_by_admins(ordered: list[Entry], founder: str, founder_key: str, legacy: list[tuple[str, str, str, str]],
                        limits: Mapping[str, int]) -> frozenset[tuple[int, str, int, int]]:
    """The removal entries whose author was an admin when it wrote them, as the log stands
    without any removal (a removal is what is being decided) and without the entries written
    after their author's removal in the last pass (`limits`)."""
    state = _initial_state(ordered, founder, founder_key, legacy)
    by_admins: set[tuple[int, str, int, int]] = set()
    for entry in ordered:
        if entry.action == REMOVE:
            if state.is_admin(entry.author):
                by_admins.add(entry.order)
        else:
            _apply(state, entry, founder, frozenset(), limits)
    return frozenset(by_admins)


def _concurrent(removal: Entry, other: Entry) -> bool:
    """Neither remover had seen the other's removal: each keeps less of the other's chain."""
    kept_of_other, kept_of_me = _kept(removal), _kept(other)
    assert kept_of_other is not None and kept_of_me is not None
    return kept_of_other < other.seq and kept_of_me < removal.seq


def _rank(state: Membership, device: str) -> Rank:
    found = state.devices.get(device)
    return found.rank if found is not None else (3, 0, device)


def _kept(entry: Entry) -> int | None:
    kept = entry.value.get("kept")
    return kept if type(kept) is int and kept >= 0 else None


def _initial_state(ordered: list[Entry], founder: str, founder_key: str,
                   legacy: list[tuple[str, str, str, str]]) -> Membership:
    """The founder as first admin (and an old group's roster until the founder restates it)."""
    state = Membership()
    if founder and founder_key and device_id_for_safe(founder_key) == founder:
        state.devices[founder] = Device(founder, founder_key, rank=(0, 0, founder), admin=True)
    if not any(e.action == FOUND and e.author == founder for e in ordered):
        _seed_legacy(state, founder, legacy)
    return state


def _pass(ordered: list[Entry], founder: str, founder_key: str, legacy: list[tuple[str, str, str, str]],
          beaten: frozenset[tuple[int, str, int, int]], limits: Mapping[str, int]) -> Membership:
    state = _initial_state(ordered, founder, founder_key, legacy)
    for entry in ordered:
        reason = _apply(state, entry, founder, beaten, limits)
        if reason is not None:
            state.ignored.append((entry, reason))
    return state


def _seed_legacy(state: Membership, founder: str, legacy: list[tuple[str, str, str, str]]) -> None:
    """Until the founder restates it as signed entries, the old version's roster admits its devices."""
    for device, public_key, name, admitted_by in legacy:
        if device not in state.devices and device_id_for_safe(public_key) == device:
            state.devices[device] = Device(device, public_key, name, admitted_by, rank=(1, 0, device))
        elif device == founder and device in state.devices:
            state.devices[device].name = name


def device_id_for_safe(public_key: Any) -> str:
    try:
        if type(public_key) is not str or len(public_key) != 64:
            return ""
        return device_id_for(public_key)
    except ValueError:
        return ""


def _apply(state: Membership, e: Entry, founder: str, beaten: frozenset[tuple[int, str, int, int]],
           limits: Mapping[str, int]) -> str | None:
    """Apply one entry to the state; return why it has no effect, or None."""
    why = _author_refusal(state, e, beaten, limits)
    if why is not None:
        return why
    author = state.devices[e.author]
    if e.action == FOUND:
        return _found(e, author, founder)
    if e.action == ADMIT:
        return _admit(state, e, author)
    if not author.admin:
        return "its author is not an admin"
    if e.action == KEEP:
        return _keep(state, e, author)
    if e.action == POLICY:
        return _policy(state, e)
    target = state.devices.get(e.target)
    if target is not None and target.removed and e.action == REMOVE:
        return _remove_again(e, author, target)
    if target is None or target.removed:
        return "it names a device that is not a member"
    on_member = _ON_MEMBER.get(e.action)
    return "unknown membership action" if on_member is None else on_member(state, e, author, target)


def _author_refusal(state: Membership, e: Entry, beaten: frozenset[tuple[int, str, int, int]],
                    limits: Mapping[str, int]) -> str | None:
    """Why the entry's author cannot write it at all (beaten, removed, unknown), or None."""
    if e.order in beaten:
        return "a more senior admin removed its author at the same time"
    limit = limits.get(e.author)
    author = state.devices.get(e.author)
    if (limit is not None and e.seq > limit) or (author is not None and author.removed_kept is not None
                                                 and e.seq > author.removed_kept):
        return "its author had been removed from the group"
    if author is None:
        return "its author is not a device of the group"
    return None


def _found(e: Entry, author: Device, founder: str) -> str | None:
    if e.author != founder:
        return "only the founding device founds the group"
    author.name = _text(e.value.get("name")) or author.name
    return None


def _policy(state: Membership, e: Entry) -> str | None:
    may_invite = e.value.get("members_may_invite")
    if type(may_invite) is not bool:
        return "the policy entry is not well formed"
    state.members_may_invite = may_invite
    return None


def _promote(_state: Membership, _e: Entry, _author: Device, target: Device) -> str | None:
    target.admin = True
    return None


def _demote(state: Membership, _e: Entry, author: Device, target: Device) -> str | None:
    if not target.admin:
        return "it demotes a device that is not an admin"
    if target.rank < author.rank:
        return "an admin cannot demote a more senior admin"
    if state.admins() == [target.id]:
        return "the group would be left without an admin"
    target.admin = False
    return None


def _admit(state: Membership, e: Entry, author: Device) -> str | None:
    if not (author.admin or (state.members_may_invite and not author.removed)):
        return "its author may not admit devices"
    public_key = e.value.get("public_key")
    if not e.target or device_id_for_safe(public_key) != e.target:
        return "the admitted device's id is not the hash of its key"
    known = state.devices.get(e.target)
    if known is not None:
        return "a removed device cannot be admitted again" if known.removed else "the device is already a member"
    state.devices[e.target] = Device(e.target, str(public_key), _text(e.value.get("name")), e.author,
                                     _text(e.value.get("invite")), rank=(1, e.hlc, e.target))
    return None


def _remove(state: Membership, e: Entry, author: Device, target: Device) -> str | None:
    kept = _kept(e)
    if kept is None:
        return "the removal does not name the last changeset that stays"
    if target.admin and state.admins() == [target.id]:
        return "the group would be left without an admin"
    target.removed_kept = kept
    target.removed_by = author.id
    target.removed_hlc = e.hlc
    target.admin = False
    state.removals += 1
    return None


def _remove_again(e: Entry, author: Device, target: Device) -> str | None:
    """Another admin's removal of a removed device: of all its removals, the one keeping least
    stands, whatever their stamps (an earlier-stamped removal keeping everything must not shield it)."""
    kept = _kept(e)
    if kept is None:
        return "the removal does not name the last changeset that stays"
    assert target.removed_kept is not None
    if kept >= target.removed_kept:
        return "the device was removed already, keeping no more than this"
    target.removed_kept, target.removed_by, target.removed_hlc = kept, author.id, e.hlc
    return None


# What an admin's entry about a member device does, by action.
_ON_MEMBER: dict[str, Callable[[Membership, Entry, Device, Device], str | None]] = {
    REMOVE: _remove, PROMOTE: _promote, DEMOTE: _demote,
}


def _keep(state: Membership, e: Entry, author: Device) -> str | None:
    """An admin keeps one version of a forked number; a removed device's fork may still need it
    (its changesets up to the last that stays)."""
    if e.target not in state.devices:
        return "it names a device that is not a member"
    seq, branch = e.value.get("seq"), e.value.get("hash")
    if type(seq) is not int or seq < 1 or type(branch) is not str or not _is_hash(branch):
        return "it does not name the version to keep"
    key = (e.target, seq)
    before = state.kept_branches.get(key)
    if before is not None and before.rank < author.rank:
        return "a more senior admin chose the version to keep"
    state.kept_branches[key] = KeptBranch(branch, author.id, e.hlc, author.rank)
    return None


def _is_hash(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _text(value: Any) -> str:
    return value[:200] if type(value) is str else ""
