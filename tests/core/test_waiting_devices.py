"""Laptops waiting for an admin (core/waiting_devices.py), on entries made by hand: a group that let
members invite before invitations by members reached one step. The door laptop (B, an admin let it
in) admitted the middle laptop (D), which admitted the minutes laptop (E). Whatever order the
entries arrive in, every laptop lists E as waiting, and an admin's vouch (admissions of D and E)
brings E in."""

from __future__ import annotations

import itertools
import random

from organiser.core.membership import ADMIT, FOUND, POLICY, Entry, Membership, evaluate
from organiser.core.membership_limits import MAX_MEMBER_ADMISSIONS
from organiser.core.waiting_devices import Waiting, may_wait, waiting_for_an_admin
from tests.core.test_membership_rules import _device

FOUNDER, FOUNDER_KEY = _device()
B, B_KEY = _device()
C, C_KEY = _device()
D, D_KEY = _device()
E, E_KEY = _device()


def _e(author: str, seq: int, hlc: int, action: str, index: int = 0, **value: object) -> Entry:
    return Entry(author, seq, hlc, index, action, value)


def _before_the_rule() -> list[Entry]:
    return [_e(FOUNDER, 1, 10, FOUND, name="office"),
            _e(FOUNDER, 2, 20, POLICY, members_may_invite=True),
            _e(FOUNDER, 3, 30, ADMIT, device=B, public_key=B_KEY, name="door laptop"),
            _e(B, 1, 40, ADMIT, device=D, public_key=D_KEY, name="middle laptop"),
            _e(D, 1, 50, ADMIT, device=E, public_key=E_KEY, name="minutes laptop")]


def _vouch_for_d() -> list[Entry]:
    """What the admin's vouch for the middle laptop writes: one changeset, two admissions."""
    return [_e(FOUNDER, 4, 60, ADMIT, 0, device=D, public_key=D_KEY, name="middle laptop", invite=""),
            _e(FOUNDER, 4, 60, ADMIT, 1, device=E, public_key=E_KEY, name="minutes laptop", invite="")]


def _listed(entries: list[Entry]) -> tuple[Membership, list[Waiting]]:
    """The roster and the laptops waiting, as a laptop holding these entries works them out (the
    roster's evaluation reads no admission of a laptop nobody vouched for: the store's shortcut)."""
    held = evaluate(entries, FOUNDER, FOUNDER_KEY)
    return held, waiting_for_an_admin(evaluate([*entries, *may_wait(held, entries)], FOUNDER, FOUNDER_KEY))


def _roster(state: Membership) -> dict[str, str]:
    return {d.id: d.admitted_by for d in state.devices.values() if not d.removed}


def test_the_minutes_laptop_a_members_laptop_let_in_waits_for_an_admin_in_every_order():
    for order in itertools.permutations(_before_the_rule()):
        held, waiting = _listed(list(order))
        assert E not in held.devices and held.admitted(D)
        assert waiting == [Waiting(E, E_KEY, "minutes laptop", D, "")]


def test_a_vouch_for_the_middle_laptop_alone_leaves_the_minutes_laptop_waiting():
    held, waiting = _listed([*_before_the_rule(), _vouch_for_d()[0]])
    assert held.devices[D].vouched_for and E not in held.devices
    assert [w.id for w in waiting] == [E]


def test_the_vouchs_admissions_bring_the_minutes_laptop_in_whatever_order_entries_arrive():
    entries = [*_before_the_rule(), *_vouch_for_d()]
    rosters = []
    for seed in range(40):
        shuffled = entries[:]
        random.Random(seed).shuffle(shuffled)
        held, waiting = _listed(shuffled)
        assert waiting == []
        rosters.append(_roster(held))
    assert all(roster == rosters[0] for roster in rosters)
    assert rosters[0][E] == FOUNDER and rosters[0][D] == FOUNDER


def test_a_laptop_two_members_laptops_let_in_is_listed_once_under_the_senior_ones_admission():
    entries = [*_before_the_rule(),
               _e(B, 2, 42, ADMIT, device=C, public_key=C_KEY, name="second laptop"),  # junior to D
               _e(C, 1, 45, ADMIT, device=E, public_key=E_KEY, name="notes laptop")]
    for order in itertools.permutations(entries[-3:]):
        held, waiting = _listed([*entries[:-3], *order])
        assert held.devices[D].rank < held.devices[C].rank
        assert [(w.id, w.admitted_by, w.name) for w in waiting] == [(E, D, "minutes laptop")]


def test_an_admission_whose_key_is_not_its_ids_waits_for_nobody():
    entries = [*_before_the_rule()[:-1], _e(D, 1, 50, ADMIT, device=E, public_key=C_KEY, name="minutes laptop")]
    assert _listed(entries)[1] == []


def test_nothing_waits_where_members_never_could_invite():
    entries = [e for e in _before_the_rule() if e.action != POLICY]
    entries[3] = _e(FOUNDER, 4, 40, ADMIT, device=D, public_key=D_KEY, name="middle laptop")
    entries.append(_e(FOUNDER, 5, 45, ADMIT, device=B, public_key=B_KEY, name="door laptop"))
    held, waiting = _listed(entries)
    assert waiting == [] and E not in held.devices


def test_a_puppets_flood_waits_within_the_cap_and_brings_no_laptop_in():
    puppet_admissions = []
    for i in range(MAX_MEMBER_ADMISSIONS + 50):
        device, key = _device()
        puppet_admissions.append(_e(D, 1 + i, 50 + i, ADMIT, device=device, public_key=key, name=f"puppet {i}"))
    held, waiting = _listed([*_before_the_rule()[:-1], *reversed(puppet_admissions)])
    assert len(waiting) == MAX_MEMBER_ADMISSIONS
    assert [w.name for w in waiting[:2]] == ["puppet 0", "puppet 1"]  # the first in the puppet's chain
    assert set(_roster(held)) == {FOUNDER, B, D}


def test_a_laptop_the_middle_laptop_admitted_before_its_vouch_but_heard_of_after_waits_in_every_order():
    """The admin's laptop had not heard of E when it vouched for D alone: E's admission lies before the
    vouch, so it waits, listed under D (vouched for now) on every laptop."""
    entries = [*_before_the_rule(), _vouch_for_d()[0]]
    for order in itertools.permutations(entries[-3:]):
        held, waiting = _listed([*entries[:-3], *order])
        assert held.devices[D].vouched_for and [(w.id, w.admitted_by) for w in waiting] == [(E, D)]
