"""Keeping one version of a fork: which admin's choice stands, and which versions a device
shows, from the versions it holds. Pure rules, on values made by hand."""

from __future__ import annotations

import itertools

from organiser.core.forks import Version, follow
from organiser.core.membership import KEEP, PROMOTE, REMOVE, Entry, evaluate
from tests.core.test_membership_rules import FOUNDER, FOUNDER_KEY, B, C, _base, _e

LIAR = C
LEFT, RIGHT = "a" * 64, "b" * 64


def _keep(author: str, number: int, hlc: int, *, forked: int, version: str, device: str = LIAR) -> Entry:
    """Entry `number` of `author`: keep `version` of the device's forked number `forked`."""
    return Entry(author, number, hlc, 0, KEEP, {"device": device, "seq": forked, "hash": version})


def test_an_admins_choice_of_version_is_the_one_kept():
    state = evaluate([*_base(), _keep(FOUNDER, 4, 40, forked=5, version=LEFT)], FOUNDER, FOUNDER_KEY)
    assert state.kept_branches[(LIAR, 5)].hash == LEFT
    assert state.kept_branches[(LIAR, 5)].decided_by == FOUNDER


def test_a_choice_by_a_device_that_is_not_an_admin_has_no_effect_and_is_reported():
    entry = _keep(B, 1, 40, forked=5, version=LEFT)
    state = evaluate([*_base(), entry], FOUNDER, FOUNDER_KEY)
    assert state.kept_branches == {}
    assert (entry, "its author is not an admin") in state.ignored


def test_a_choice_that_names_no_version_or_no_device_has_no_effect():
    for value in ({"device": LIAR, "seq": 5, "hash": "not a hash"}, {"device": LIAR, "seq": 0, "hash": LEFT},
                  {"device": LIAR, "seq": "5", "hash": LEFT}, {"device": "f" * 64, "seq": 5, "hash": LEFT},
                  {"device": LIAR, "seq": 5, "hash": LEFT.upper()}):
        state = evaluate([*_base(), Entry(FOUNDER, 4, 40, 0, KEEP, value)], FOUNDER, FOUNDER_KEY)
        assert state.kept_branches == {}, value


def test_the_more_senior_admins_choice_stands_whatever_the_order_and_one_admin_may_change_its_mind():
    promote = _e(FOUNDER, 4, 40, PROMOTE, device=B)
    by_founder = _keep(FOUNDER, 5, 50, forked=5, version=LEFT)
    by_b_later = _keep(B, 1, 60, forked=5, version=RIGHT)
    for entries in itertools.permutations([promote, by_founder, by_b_later]):
        state = evaluate([*_base(), *entries], FOUNDER, FOUNDER_KEY)
        assert state.kept_branches[(LIAR, 5)].hash == LEFT
    changed_mind = _keep(FOUNDER, 6, 70, forked=5, version=RIGHT)
    state = evaluate([*_base(), promote, by_founder, by_b_later, changed_mind], FOUNDER, FOUNDER_KEY)
    assert state.kept_branches[(LIAR, 5)].hash == RIGHT


def test_a_choice_made_after_its_author_was_removed_has_no_effect():
    entries = [*_base(), _e(FOUNDER, 4, 40, PROMOTE, device=B), _e(FOUNDER, 5, 50, REMOVE, device=B, kept=0),
               _keep(B, 1, 60, forked=5, version=LEFT)]
    assert evaluate(entries, FOUNDER, FOUNDER_KEY).kept_branches == {}


def test_one_version_after_the_history_held_is_chosen_alone():
    walk = follow([Version(5, LEFT, "p4"), Version(6, "c" * 64, LEFT)], {}, "p4")
    assert walk.chosen == {5: LEFT, 6: "c" * 64} and walk.aside_from is None and walk.ended_at is None


def test_two_versions_of_a_number_without_a_choice_set_the_author_aside_from_there():
    versions = [Version(5, LEFT, "p4"), Version(5, RIGHT, "p4"), Version(6, "c" * 64, LEFT)]
    walk = follow(versions, {}, "p4")
    assert walk.chosen == {} and walk.aside_from == 5


def test_the_kept_version_and_what_follows_it_are_chosen_and_the_other_branch_is_not():
    after_left, after_right = "c" * 64, "d" * 64
    versions = [Version(5, LEFT, "p4"), Version(5, RIGHT, "p4"), Version(6, after_left, LEFT),
                Version(6, after_right, RIGHT)]
    for order in itertools.permutations(versions):  # the same whatever order they were learnt in
        walk = follow(order, {5: LEFT}, "p4")
        assert walk.chosen == {5: LEFT, 6: after_left} and walk.aside_from is None


def test_without_the_kept_version_held_the_walk_ends_where_it_should_be():
    walk = follow([Version(5, RIGHT, "p4"), Version(6, "d" * 64, RIGHT)], {5: LEFT}, "p4")
    assert walk.chosen == {} and walk.ended_at == 5


def test_a_later_fork_on_the_kept_branch_sets_the_author_aside_again():
    versions = [Version(5, LEFT, "p4"), Version(5, RIGHT, "p4"), Version(6, "c" * 64, LEFT),
                Version(6, "e" * 64, LEFT)]
    walk = follow(versions, {5: LEFT}, "p4")
    assert walk.chosen == {5: LEFT} and walk.aside_from == 6
    assert follow(versions, {5: LEFT, 6: "e" * 64}, "p4").chosen == {5: LEFT, 6: "e" * 64}



def test_versions_beyond_a_missing_number_wait_and_are_not_chosen():
    versions = [Version(5, LEFT, "p4"), Version(5, RIGHT, "p4"), Version(7, "c" * 64, "x" * 64)]
    walk = follow(versions, {5: RIGHT}, "p4")
    assert walk.chosen == {5: RIGHT} and walk.ended_at == 6
