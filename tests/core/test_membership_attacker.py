"""The membership rules against a device in bad faith, on entries made by hand: floods that would
make every device evaluate the log for minutes, races between a demotion and the demoted admin's
removals, and `seen` values that lie. What the tests in tests/store/test_membership_attacks.py
do through replicas, these do on the pure rules (core/membership.py)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import organiser.core.membership as rules
from organiser.core.membership import DEMOTE, MAX_PASSES, POLICY, PROMOTE, REMOVE, Entry, evaluate
from organiser.core.membership_limits import MAX_SEEN_DEVICES, limits_problem, seen_map
from tests.core.test_membership_rules import FOUNDER, FOUNDER_KEY, B, C, _base, _device, _e

FLOOD = 1_000  # entries of one flood: one changeset holds up to 5,000


@pytest.fixture
def applied(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the rules apply one entry to a state, while the test runs: the work of an
    evaluation, counted instead of timed."""
    count = [0]
    apply = rules._apply

    def counted(*args):  # type: ignore[no-untyped-def]
        count[0] += 1
        return apply(*args)

    monkeypatch.setattr(rules, "_apply", counted)
    return count


def _flood(author: str, seq: int, hlc: int, action: str, value: dict) -> list[Entry]:
    """`FLOOD` copies of one entry in one changeset."""
    return [Entry(author, seq, hlc, index, action, value) for index in range(FLOOD)]


def test_a_members_flood_of_demotions_costs_each_device_a_few_passes_not_one_per_demotion(applied):
    """B, a plain member, signs a thousand demotions of the founder, each naming `seen` 0 and stamped
    after the founder's entries, so that each would leave some out. A member's demotion never has
    effect: judging each by a replay of the log cost a thousand replays (over a second here, half a
    minute for a full changeset), at every evaluation of every device, for good."""
    entries = [*_base(), *_flood(B, 1, 1_000, DEMOTE, {"device": FOUNDER, "seen": 0})]
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert state.admins() == [FOUNDER]
    assert applied[0] < 20 * len(entries), applied[0]  # a few passes; it was 500 times that


def test_a_removed_admins_flood_of_back_dated_demotions_in_one_changeset_costs_one_replay(applied):
    """B, an admin the founder removes keeping nothing, signs a changeset of a thousand demotions of C
    stamped before its removal: they all leave out the same entries of C, and share one replay."""
    entries = [*_base(), _e(FOUNDER, 4, 40, PROMOTE, device=B), _e(FOUNDER, 5, 41, PROMOTE, device=C),
               _e(C, 1, 45, PROMOTE, device=B), _e(FOUNDER, 6, 90, REMOVE, device=B, kept=0),
               *_flood(B, 1, 60, DEMOTE, {"device": C, "seen": 0})]
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert state.devices[B].removed and state.is_admin(C)
    assert applied[0] < 20 * len(entries), applied[0]


def test_demotions_sharing_one_replay_are_judged_each_as_if_alone():
    """Two demotions of C, by the founder and by B, had seen the same of C: judged in one replay,
    each still takes effect only where it would alone (B's, after the founder demoted B, does not)."""
    entries = [*_base(), _e(FOUNDER, 4, 40, PROMOTE, device=B), _e(FOUNDER, 5, 41, PROMOTE, device=C),
               _e(C, 1, 42, PROMOTE, device=B),
               _e(B, 1, 50, DEMOTE, device=C, seen=0),  # B's, before the founder demotes B
               _e(FOUNDER, 6, 55, DEMOTE, device=B, seen=1),
               _e(FOUNDER, 7, 60, DEMOTE, device=C, seen=0),
               _e(C, 2, 46, REMOVE, device=FOUNDER, kept=3)]  # back-dated after both demotions
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert not state.devices[FOUNDER].removed and state.admins() == [FOUNDER]
    for order in itertools.permutations(entries[-4:]):
        assert evaluate([*entries[:-4], *order], FOUNDER, FOUNDER_KEY).devices == state.devices


def test_a_demoted_admin_cannot_keep_its_removal_of_its_demoter_by_demoting_itself_back_dated():
    """C, demoted by the founder (who had seen C's chain up to 1), signs a removal of the founder and,
    after it, a demotion of itself, both stamped before the founder's demotion: its own demotion
    names nothing it had not seen, and the founder's demotion voids both."""
    entries = [*_base(), _e(FOUNDER, 4, 40, PROMOTE, device=C), _e(C, 1, 45, PROMOTE, device=B),
               _e(FOUNDER, 5, 60, DEMOTE, device=C, seen=1),
               _e(C, 2, 50, REMOVE, device=FOUNDER, kept=5), _e(C, 3, 51, DEMOTE, device=C, seen=2)]
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert not state.devices[FOUNDER].removed and not state.is_admin(C)


def _race() -> tuple[list[Entry], list[Entry], str]:
    """C (senior by admission) and X (junior), both admins, remove each other at once, while the
    founder, not having seen C's removal, demotes C."""
    x, x_key = _device()
    entries = [*_base(), _e(FOUNDER, 4, 40, PROMOTE, device=C),
               _e(FOUNDER, 5, 41, rules.ADMIT, device=x, public_key=x_key, name="X"),
               _e(FOUNDER, 6, 42, PROMOTE, device=x)]
    race = [_e(C, 1, 50, REMOVE, device=x, kept=0), _e(x, 1, 51, REMOVE, device=C, kept=0),
            _e(FOUNDER, 7, 52, DEMOTE, device=C, seen=0)]
    return entries, race, x


@pytest.mark.parametrize("passes", [1, 2, 3, 8, 9])
def test_an_admin_demoted_while_in_a_removal_race_gets_one_outcome_however_many_passes(monkeypatch, passes):
    """The rules settle instead of swinging between two answers at each pass (the outcome was the
    parity of MAX_PASSES: at 8, neither removal stood, each undone by a verdict the other's pass
    had drawn). The demotion is judged as the founder had seen of C: there, X's removal of C comes
    first and the demotion changes nothing, so C's removal counts, is an admin's, and, C being the
    more senior, beats X's. The demotion then takes C's rights."""
    entries, race, x = _race()
    monkeypatch.setattr(rules, "MAX_PASSES", passes)
    state = evaluate([*entries, *race], FOUNDER, FOUNDER_KEY)
    assert state.devices[x].removed and not state.devices[C].removed
    assert state.admins() == [FOUNDER]


def test_an_admin_demoted_while_in_a_removal_race_gets_the_same_outcome_in_any_order():
    entries, race, _x = _race()
    expected = evaluate([*entries, *race], FOUNDER, FOUNDER_KEY)
    for order in itertools.permutations(race):
        assert evaluate([*entries, *order, order[0]], FOUNDER, FOUNDER_KEY).devices == expected.devices


def test_a_demotion_claiming_to_have_seen_more_than_exists_only_weakens_itself():
    """A design choice: `seen` past what the demoted device wrote cannot be told from an honest one
    written after hearing of changesets still travelling. It harms no one but its author's demotion:
    the demoted admin's entries are then judged by their stamps, as before `seen` existed."""
    entries = [*_base(), _e(FOUNDER, 4, 40, PROMOTE, device=C),
               _e(FOUNDER, 5, 60, DEMOTE, device=C, seen=10**15), _e(C, 1, 50, REMOVE, device=B, kept=0)]
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert not state.is_admin(C) and state.devices[B].removed  # by its stamp, before the demotion


def test_a_closings_seen_naming_devices_that_do_not_exist_changes_nothing_for_them():
    d_id, d_key = _device()
    ghosts = {f"{n:032x}": 7 for n in range(50)}
    entries = [*_base(), _e(FOUNDER, 4, 35, POLICY, members_may_invite=True),
               _e(B, 1, 40, rules.ADMIT, device=d_id, public_key=d_key, name="D"),
               _e(FOUNDER, 5, 60, POLICY, members_may_invite=False, seen={**ghosts, B: 1})]
    assert evaluate(entries, FOUNDER, FOUNDER_KEY).admitted(d_id)


@pytest.mark.parametrize("number", [-1, 2**53 + 1, 2**63, True, 1.0, "1", None, [1], {"n": 1}])
def test_a_closings_seen_number_that_no_local_closing_writes_is_a_problem(number):
    """Numbers past 2^53 (orjson reads up to 2^64) are refused like those of every other entry."""
    seen = {B: number}
    assert seen_map({"seen": seen}) is None
    why = limits_problem(FOUNDER, 9, POLICY, {"members_may_invite": False, "seen": seen})
    assert why is not None and why.startswith("'seen' must map laptop ids")


def test_a_closings_seen_of_more_devices_than_allowed_is_a_problem_however_many():
    seen = {f"{n:032x}": 1 for n in range(MAX_SEEN_DEVICES * 50)}  # 10^5
    assert limits_problem(FOUNDER, 9, POLICY, {"members_may_invite": False, "seen": seen}) is not None


# ---- a removal that takes back what let it stand ------------------------------------------------

def _self_undoing() -> list[Entry]:
    """The founder promotes B; B promotes C; C removes B taking back all B wrote, its promotion of C
    too: if the removal stands, C was never an admin, so it cannot stand; if it does not, it can."""
    return [*_base(), _e(FOUNDER, 4, 40, PROMOTE, device=B), _e(B, 1, 50, PROMOTE, device=C),
            _e(C, 1, 60, REMOVE, device=B, kept=0)]


@pytest.mark.parametrize("passes", [3, 8, 9, 20])
def test_a_removal_taking_back_its_own_authors_promotion_counts_nowhere_however_many_passes(monkeypatch, passes):
    """It swung at each pass (at 8 passes C had lost its rights while B kept its own, at 9 B was
    removed and C an admin by B's taken-back entry). Now it counts nowhere: B and C stay admins."""
    monkeypatch.setattr(rules, "MAX_PASSES", passes)
    state = evaluate(_self_undoing(), FOUNDER, FOUNDER_KEY)
    assert not state.devices[B].removed
    assert state.admins() == sorted([FOUNDER, B, C])
    assert state.ignored[-1][1] == "it would take back the entries that let its author write it"


def test_a_removal_keeping_its_own_authors_promotion_stands():
    entries = [*_self_undoing()[:-1], _e(C, 1, 60, REMOVE, device=B, kept=1)]
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert state.devices[B].removed and state.admins() == sorted([FOUNDER, C])


DEVICES = [FOUNDER, B, C]


@st.composite
def _logs(draw: st.DrawFn) -> list[Entry]:
    """The founder's entries, then up to a dozen entries by anyone, of any stamp: promotions,
    demotions naming any `seen`, removals keeping anything, the policy."""
    x, x_key = _device()
    devices = [*DEVICES, x]
    entries = [*_base(), _e(FOUNDER, 4, 25, rules.ADMIT, device=x, public_key=x_key, name="X")]
    seqs = {FOUNDER: 4, B: 0, C: 0, x: 0}
    for _ in range(draw(st.integers(2, 12))):
        author, target = draw(st.sampled_from(devices)), draw(st.sampled_from(devices))
        action = draw(st.sampled_from([PROMOTE, DEMOTE, REMOVE, POLICY]))
        number = draw(st.integers(0, 5))
        value = {PROMOTE: {"device": target}, DEMOTE: {"device": target, "seen": number},
                 REMOVE: {"device": target, "kept": number}, POLICY: {"members_may_invite": number % 2 == 0}}[action]
        seqs[author] += 1
        entries.append(Entry(author, seqs[author], draw(st.integers(26, 80)), 0, action, value))
    return entries


@settings(max_examples=300, deadline=None)
@given(_logs())
def test_the_rules_settle_on_one_outcome_whatever_the_number_of_passes(entries):
    """A pass draws verdicts from the one before; if they swung for good, the outcome would be the
    parity of MAX_PASSES (about one random log in 25 did), and a version changing it would split groups."""
    def outcome(passes: int) -> list[tuple[str, bool, int | None]]:
        rules.MAX_PASSES = passes
        try:
            state = evaluate(entries, FOUNDER, FOUNDER_KEY)
        finally:
            rules.MAX_PASSES = MAX_PASSES
        return sorted((d.id, d.admin, d.removed_kept) for d in state.devices.values())

    assert outcome(MAX_PASSES) == outcome(MAX_PASSES + 1) == outcome(3 * MAX_PASSES)
