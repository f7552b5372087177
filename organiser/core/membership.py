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
  admitted again. An admin's removal of a device the roster does not hold at that point (one
  waiting for an admin, or one whose admission a later removal took back) bars it: no later
  admission of it counts.
- Two admins who remove each other without having seen the other's removal: the more
  senior one wins (the founder first, then by admission); a removal counts here only if its
  author was an admin when it wrote it, and one written after its author had seen its own
  removal by its target counts nowhere. Of several removals of one device, the one keeping
  least stands. An admin cannot demote a more senior admin. A removal that would take back
  the entries that let its author write it (an admin removing the admin who promoted it,
  keeping less than that promotion) counts nowhere: the passes would swing for ever.
  Admitting and removing one device at once: the removal wins.
- A demotion names the last changeset of the demoted device its author had seen (`seen`);
  closing the invite policy names that of every device. An entry past it that claims an
  earlier stamp is judged as written after the demotion (closing): by sequence number, not by
  the stamp its author chose (core/membership_limits.py). Entries without `seen` (written
  before the field existed) are judged by their stamps, as before.
- Of a device's admissions, only its first 200 (by place in its chain) count while it is not
  an admin: a member allowed to invite cannot fill the roster (core/membership_limits.py).
- Invitations by members reach one step: a member's admission counts only if an admin admitted
  its author (or promoted it once), or its author is the founder or of the old roster, where the
  admission lies in the log's order: a member's puppets do not each bring 200 more, and the
  roster stays within the devices admins admitted times 200 (core/membership_limits.py).
- A device is admitted once: of several admissions of one key, an admin's counts before a
  member's, then the most senior author's, then the one its author wrote first; the others
  change nothing (a back-dated duplicate cannot make a device senior).
- The group always keeps an admin: a removal or demotion of its last admin has no effect.
- A device that signed two versions of one changeset number (a fork) is set aside from that
  number until an admin keeps one version (`keep`: device, number, hash of the version
  kept). The most senior admin's choice stands; of one admin's choices, the latest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from organiser.core.keys import device_id_for, is_public_key_hex
from organiser.core.membership_entries import (
    ACTIONS,
    ADMIT,
    BARRED,
    DEMOTE,
    FOUND,
    KEEP,
    MEMBERSHIP_KIND,
    NOT_A_MEMBER,
    POLICY,
    PROMOTE,
    REMOVE,
    Admission,
    Device,
    Entry,
    KeptBranch,
    Membership,
    Rank,
    entry_name,
    entry_of,
    entry_text,
)
from organiser.core.membership_forks import keep_version
from organiser.core.membership_limits import (
    MAX_MEMBER_ADMISSIONS,
    ONE_STEP,
    Chain,
    Closings,
    Cutoffs,
    Order,
    admission_places,
    closed_before,
    demoted_before,
    limits_problem,
    promotable,
    seen_map,
    seen_number,
)
from organiser.core.membership_removals import bar, kept_of, remove, remove_again

__all__ = ["ACTIONS", "ADMIT", "DEMOTE", "FOUND", "KEEP", "MAX_PASSES", "MEMBERSHIP_KIND", "NOT_A_MEMBER", "ONE_STEP",
           "POLICY", "PROMOTE", "REMOVE", "Device", "Entry", "KeptBranch", "Membership", "entry_of", "evaluate"]

# Passes of the evaluation that drop entries written after their author's removal; each
# pass can only follow one more removal, and groups have few removals chained that way.
MAX_PASSES = 8
Beaten = Mapping[Order, frozenset[Order]]  # a removal lost to a more senior admin's -> the removals it lost to


def evaluate(entries: Iterable[Entry], founder: str, founder_key: str,
             legacy: Iterable[tuple[str, str, str, str]] = ()) -> Membership:
    """The membership that the set of `entries` makes, given the founder from the group's
    credentials. `legacy`: (device, public key, name, admitted by) of a group made before the
    membership log, admitted until the founder's found entry restates the roster."""
    # One entry per (author, seq, index): a duplicate delivery changes nothing.
    ordered = sorted({(e.author, e.seq, e.index): e for e in entries}.values(), key=lambda e: e.order)
    log = _Log(ordered, founder, founder_key, list(legacy), admission_places(ordered))
    first = _pass(log, Verdicts())
    limits: dict[str, int] = {}
    closed = _closings(first)
    beaten: Beaten = {}
    limits_by: dict[str, Order] = {}
    void: frozenset[Order] = frozenset()
    swings: list[tuple[dict[str, int], Closings, frozenset[Order]]] = []
    state = first
    passes = MAX_PASSES
    while passes > 0:
        passes -= 1
        demoted = _demotion_cutoffs(log, Verdicts(frozenset(beaten), limits, closed=closed, beaten_by=beaten,
                                                  limits_by=limits_by, void=void))
        # Whether a removal was an admin's is judged without the entries the last pass dropped
        # (a removed admin's later promotion makes no one an admin).
        by_admins = _removals_by_admins(log, Verdicts(limits=limits, demoted=demoted, closed=closed)) - void
        beaten = _beaten_removals(ordered, first, by_admins)
        state = _pass(log, Verdicts(frozenset(beaten), limits, demoted, closed, void=void))
        found, found_closed = state.limits(), _closings(state)
        if found == limits and found_closed == closed:
            break
        swinging = _swinging(swings, found, found_closed) - void
        if swinging:  # each is void from now on: the passes start again without them
            void, swings, passes = void | swinging, [], MAX_PASSES
        swings.append((found, found_closed, frozenset(state.removal_entries().values())))
        limits, closed, limits_by = found, found_closed, state.removal_entries()
    return state


def _swinging(swings: list[tuple[dict[str, int], Closings, frozenset[Order]]], limits: dict[str, int],
              closed: Closings) -> frozenset[Order]:
    """Removals that stand in some passes of a cycle and not in others: a pass that comes back to
    the limits of an earlier one. Such a removal takes back the entries that let it stand (an
    admin's removal of the device that promoted it, keeping less than that promotion): it counts
    nowhere, whatever the number of passes."""
    for i, (earlier, earlier_closed, _removals) in enumerate(swings):
        if earlier == limits and earlier_closed == closed:
            cycle = [removals for _limits, _closed, removals in swings[i:]]
            return frozenset.union(*cycle) - frozenset.intersection(*cycle)
    return frozenset()


@dataclass(frozen=True)
class _Log:
    """The entries in order, and what the group's credentials say."""

    ordered: list[Entry]
    founder: str
    founder_key: str
    legacy: list[tuple[str, str, str, str]]
    admission_places: dict[tuple[str, int, int], int]  # each admission's place among its author's


@dataclass(frozen=True)
class Verdicts:
    """What earlier passes decided, that a pass applies: removals beaten by a more senior
    admin's, the last changeset that stays of each removed device, the entries demotions and
    closings of the invite policy had not seen (core/membership_limits.py). `beaten_by`: the
    removals that beat each beaten one, and `limits_by` the removal that set each limit (a
    demotion is judged without some entries: a removal beaten only by those is not beaten
    there, and a removal left out sets no limit there)."""

    beaten: frozenset[Order] = frozenset()
    limits: Mapping[str, int] = field(default_factory=dict)
    demoted: Cutoffs = field(default_factory=dict)
    closed: Closings = ()
    beaten_by: Beaten = field(default_factory=dict)
    limits_by: Mapping[str, Order] = field(default_factory=dict)
    void: frozenset[Order] = frozenset()  # removals that take back what let them stand (_swinging)

    def without(self, left_out: set[Order]) -> Verdicts:
        """These verdicts in the log without the entries `left_out`."""
        beaten = frozenset(removal for removal, by in self.beaten_by.items() if not by <= left_out)
        limits = {device: kept for device, kept in self.limits.items() if self.limits_by.get(device) not in left_out}
        return Verdicts(beaten, limits, self.demoted, self.closed, self.beaten_by, self.limits_by, self.void)


def _closings(state: Membership) -> Closings:
    return tuple((order, seen) for order, seen in state.closings)


def _demotion_cutoffs(log: _Log, verdicts: Verdicts) -> Cutoffs:
    """The demotions (with `seen`) that take effect in the log as their author had seen of the
    demoted device: without its entries past `seen` that claim an earlier place. Judged so,
    the demoted device cannot keep its rights with back-dated entries, such as a removal of
    its demoter. Only demotions that leave out some entry are judged (the others change nothing).

    Each judgement is a replay of the log, so the work is bounded by what an attacker cannot
    multiply: only a device some admin could have promoted can demote with effect (a member's
    flood of demotions is not replayed at all), and the demotions that leave out the same
    entries share one replay (a flood in one changeset costs one). Demotions of their own author
    are judged together in the log as it is: such a demotion leaves out only its author's own
    entries, which its author, the device the cutoff binds, could use only to undo it (it would
    then stay an admin, for all to see)."""
    may_be_admins = promotable(log.founder, ((e.author, e.target) for e in log.ordered if e.action == PROMOTE))
    by_author: dict[str, list[tuple[int, Order]]] = {}
    for e in log.ordered:
        by_author.setdefault(e.author, []).append((e.seq, e.order))
    chains = {device: Chain(entries) for device, entries in by_author.items()}
    groups: dict[tuple[str, int], list[tuple[Entry, int]]] = {}
    for demotion in log.ordered:
        seen = seen_number(demotion.value) if demotion.action == DEMOTE else None
        chain = chains.get(demotion.target)
        if (seen is None or chain is None or demotion.author not in may_be_admins
                or limits_problem(demotion.author, demotion.seq, DEMOTE, demotion.value) is not None):
            continue
        first_unseen = chain.first_past(seen, demotion.order)
        if first_unseen is not None:
            key = ("", 0) if demotion.target == demotion.author else (demotion.target, first_unseen)
            groups.setdefault(key, []).append((demotion, seen))
    cutoffs: dict[str, list[tuple[Order, int]]] = {}
    for (target, first_unseen), demotions in groups.items():
        left_out = chains[target].from_seq(first_unseen) if target else set()
        judged = verdicts.without(left_out)
        # a removed demoter's demotions past the changeset its removal keeps never take effect
        demotions = [(d, seen) for d, seen in demotions if d.seq <= judged.limits.get(d.author, d.seq)]
        taking = _taking_effect(log, [demotion for demotion, _seen in demotions], left_out, judged)
        for demotion, seen in demotions:
            if demotion.order in taking:
                cutoffs.setdefault(demotion.target, []).append((demotion.order, seen))
    return {device: tuple(sorted(found)) for device, found in cutoffs.items()}


def _taking_effect(log: _Log, demotions: list[Entry], left_out: set[Order], verdicts: Verdicts) -> set[Order]:
    """Of `demotions` (none of them left out), those that take effect in the log up to each
    without the entries `left_out` that claim a place before it: one replay for them all."""
    pending = {d.order for d in demotions}
    taking: set[Order] = set()
    if not pending:
        return taking
    state = _initial_state(log)
    for e in log.ordered:
        if e.order in pending:
            if _apply(state, e, log, verdicts) is None:
                taking.add(e.order)
            pending.discard(e.order)
            if not pending:
                break
        elif e.order not in left_out:
            _apply(state, e, log, verdicts)
    return taking


def _beaten_removals(ordered: list[Entry], first: Membership, by_admins: frozenset[Order]) -> Beaten:
    """Removals lost to a concurrent removal of their author by a more senior admin. Two
    removals are concurrent when neither remover had seen the other's entry: each keeps
    less of the other's chain than the other's removal entry. Only a removal written by an
    admin (`by_admins`) beats another: a member senior by admission cannot keep a "removal" of
    an admin in reserve, to release when that admin removes it."""
    by_pair: dict[tuple[str, str], list[Entry]] = {}
    for e in ordered:
        if e.action == REMOVE and e.target and kept_of(e) is not None:
            by_pair.setdefault((e.author, e.target), []).append(e)
    beaten: dict[Order, frozenset[Order]] = {}
    for (remover, removed), entries in by_pair.items():
        # Every removal of the pair is judged: one written again later does not save the first.
        others = [o for o in by_pair.get((removed, remover), []) if o.order in by_admins]
        senior = _rank(first, remover) > _rank(first, removed)
        for e in entries:
            by = frozenset(o.order for o in others if (senior and _concurrent(e, o)) or _after_own_removal(e, o))
            if by:
                beaten[e.order] = by
    return beaten


def _after_own_removal(removal: Entry, other: Entry) -> bool:
    """`removal` was written by a device that had seen `other`, its own removal by its target, and
    after the last changeset of it that `other` keeps: whatever stamp it claims, it comes too late."""
    kept_of_other, kept_of_me = kept_of(removal), kept_of(other)
    assert kept_of_other is not None and kept_of_me is not None
    return kept_of_other >= other.seq and removal.seq > kept_of_me


def _removals_by_admins(log: _Log, verdicts: Verdicts) -> frozenset[Order]:
    """The removal entries whose author was an admin when it wrote them, as the log stands
    without any removal (a removal is what is being decided) and without the entries written
    after their author's removal in the last pass (`verdicts.limits`); nor one that a demotion
    of its author had not seen (`verdicts.demoted`)."""
    state = _initial_state(log)
    by_admins: set[Order] = set()
    for entry in log.ordered:
        if entry.action == REMOVE:
            if state.is_admin(entry.author) and not demoted_before(verdicts.demoted, entry.author, entry.seq,
                                                                   entry.order):
                by_admins.add(entry.order)
        else:
            _apply(state, entry, log, verdicts)
    return frozenset(by_admins)


def _concurrent(removal: Entry, other: Entry) -> bool:
    """Neither remover had seen the other's removal: each keeps less of the other's chain."""
    kept_of_other, kept_of_me = kept_of(removal), kept_of(other)
    assert kept_of_other is not None and kept_of_me is not None
    return kept_of_other < other.seq and kept_of_me < removal.seq


def _rank(state: Membership, device: str) -> Rank:
    found = state.devices.get(device)
    return found.rank if found is not None else (3, 0, device)


def _initial_state(log: _Log) -> Membership:
    """The founder as first admin (and an old group's roster until the founder restates it)."""
    state = Membership()
    founder = log.founder
    if founder and log.founder_key and device_id_for_safe(log.founder_key) == founder:
        state.devices[founder] = Device(founder, log.founder_key, rank=(0, 0, founder), admin=True)
    if not any(e.action == FOUND and e.author == founder for e in log.ordered):
        _seed_legacy(state, founder, log.legacy)
    return state


def _pass(log: _Log, verdicts: Verdicts) -> Membership:
    state = _initial_state(log)
    for entry in log.ordered:
        reason = _apply(state, entry, log, verdicts)
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
    """The id of a well-formed key, else "" (an entry naming another key has no effect)."""
    return device_id_for(public_key) if is_public_key_hex(public_key) else ""


def _apply(state: Membership, e: Entry, log: _Log, verdicts: Verdicts) -> str | None:
    """Apply one entry to the state; return why it has no effect, or None."""
    founder = log.founder
    if e.order in verdicts.void:
        return "it would take back the entries that let its author write it"
    why = _author_refusal(state, e, verdicts.beaten, verdicts.limits)
    if why is not None:
        return why
    author = state.devices[e.author]
    if e.action == FOUND:
        return _found(e, author, founder)
    as_admin = author.admin and not demoted_before(verdicts.demoted, e.author, e.seq, e.order)
    if e.action == ADMIT:
        if not as_admin and log.admission_places.get((e.author, e.seq, e.index), 0) >= MAX_MEMBER_ADMISSIONS:
            return f"a member's admissions count for its first {MAX_MEMBER_ADMISSIONS} only"
        return _admit(state, e, author, as_admin, verdicts.closed)
    if not as_admin:
        return "a demotion of its author had not seen it" if author.admin else "its author is not an admin"
    if e.action == KEEP:
        return keep_version(state, e, author)
    if e.action == POLICY:
        return _policy(state, e)
    target = state.devices.get(e.target)
    if target is not None and target.removed and e.action == REMOVE:
        return remove_again(e, author, target)
    if target is None and e.action == REMOVE and e.target:
        return bar(state, e)
    if target is None or target.removed:
        return NOT_A_MEMBER
    on_member = _ON_MEMBER.get(e.action)
    return "unknown membership action" if on_member is None else on_member(state, e, author, target)


def _author_refusal(state: Membership, e: Entry, beaten: frozenset[Order], limits: Mapping[str, int]) -> str | None:
    """Why the entry's author cannot write it at all (beaten, removed, unknown), or None."""
    if e.order in beaten:
        return "a more senior admin removed its author at the same time"
    limit = limits.get(e.author)
    author = state.devices.get(e.author)
    if (limit is not None and e.seq > limit) or (author is not None and author.removed_kept is not None
                                                 and e.seq > author.removed_kept):
        return "its author had been removed from the group"
    if author is None:
        return "its author is not a laptop of the group"
    return None


def _found(e: Entry, author: Device, founder: str) -> str | None:
    if e.author != founder:
        return "only the founding laptop founds the group"
    author.name = entry_name(e.value) or author.name
    return None


def _policy(state: Membership, e: Entry) -> str | None:
    may_invite = e.value.get("members_may_invite")
    if type(may_invite) is not bool or limits_problem(e.author, e.seq, POLICY, e.value) is not None:
        return "the policy entry is not well formed"
    state.members_may_invite = may_invite
    seen = seen_map(e.value)
    if not may_invite and seen is not None:
        state.closings.append((e.order, seen))
    return None


def _promote(_state: Membership, _e: Entry, _author: Device, target: Device) -> str | None:
    target.admin = True
    target.promoted = True
    return None


def _demote(state: Membership, e: Entry, author: Device, target: Device) -> str | None:
    if limits_problem(e.author, e.seq, DEMOTE, e.value) is not None:
        return "the demotion is not well formed"
    if not target.admin:
        return "it demotes a laptop that is not an admin"
    if target.rank < author.rank:
        return "an admin cannot demote a more senior admin"
    if state.admins() == [target.id]:
        return "the group would be left without an admin"
    target.admin = False
    return None


def _admit(state: Membership, e: Entry, author: Device, as_admin: bool, closed: Closings) -> str | None:
    if not as_admin:
        if not state.members_may_invite or author.removed:
            return "its author may not admit laptops"
        if closed_before(closed, e.author, e.seq, e.order):
            return "a closing of the invite policy had not seen it"
        if not author.vouched_for:
            return ONE_STEP
    public_key = e.value.get("public_key")
    if not e.target or device_id_for_safe(public_key) != e.target:
        return "the admitted laptop's id is not the hash of its key"
    if e.target in state.barred:
        return BARRED
    known = state.devices.get(e.target)
    admission: Admission = (0 if as_admin else 1, author.rank, e.seq, e.index)
    if known is not None and known.removed:
        return "a removed laptop cannot be admitted again"
    if known is not None and (known.admission is None or known.admission <= admission):
        return "the laptop is already a member"
    # Its first admission, or one that counts before the one taken so far (whatever their stamps)
    # the key as the app writes keys (a device proves itself with it so): in capitals, it locked the device out
    admitted = Device(e.target, str(public_key).lower(), entry_name(e.value), e.author,
                      entry_text(e.value.get("invite")), rank=(1, e.hlc, e.target), admission=admission)
    if known is not None:
        admitted.admin, admitted.promoted = known.admin, known.promoted
    state.devices[e.target] = admitted
    return None


# What an admin's entry about a member device does, by action.
_ON_MEMBER: dict[str, Callable[[Membership, Entry, Device, Device], str | None]] = {
    REMOVE: remove, PROMOTE: _promote, DEMOTE: _demote,
}
