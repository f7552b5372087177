"""The membership rules, on entries made by hand: the same set gives the same membership."""

from __future__ import annotations

import itertools

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from organiser.core.keys import device_id_for, public_key_hex
from organiser.core.membership import ADMIT, DEMOTE, FOUND, POLICY, PROMOTE, REMOVE, Entry, evaluate


def _device() -> tuple[str, str]:
    public = public_key_hex(Ed25519PrivateKey.generate())
    return device_id_for(public), public


FOUNDER, FOUNDER_KEY = _device()
B, B_KEY = _device()
C, C_KEY = _device()


def _e(author: str, seq: int, hlc: int, action: str, **value: object) -> Entry:
    return Entry(author, seq, hlc, 0, action, value)


def _base() -> list[Entry]:
    return [_e(FOUNDER, 1, 10, FOUND, name="door"),
            _e(FOUNDER, 2, 20, ADMIT, device=B, public_key=B_KEY, name="B"),
            _e(FOUNDER, 3, 30, ADMIT, device=C, public_key=C_KEY, name="C")]


def test_the_founder_is_the_first_admin_and_admits_devices():
    state = evaluate(_base(), FOUNDER, FOUNDER_KEY)
    assert state.admins() == [FOUNDER]
    assert state.admitted(B) and state.admitted(C) and not state.is_admin(B)
    assert state.devices[B].admitted_by == FOUNDER


def test_an_entry_by_a_device_that_is_not_an_admin_has_no_effect_and_is_reported():
    entries = [*_base(), _e(B, 1, 40, PROMOTE, device=B), _e(B, 2, 41, REMOVE, device=C, kept=0)]
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert not state.is_admin(B) and state.admitted(C)
    assert [reason for _e2, reason in state.ignored] == ["its author is not an admin"] * 2


def test_an_admission_whose_id_is_not_the_hash_of_its_key_has_no_effect():
    entries = [*_base()[:1], _e(FOUNDER, 2, 20, ADMIT, device=B, public_key=C_KEY, name="B")]
    assert not evaluate(entries, FOUNDER, FOUNDER_KEY).admitted(B)


def test_a_removed_device_cannot_undo_its_removal_with_entries_it_backdates():
    entries = [*_base(), _e(FOUNDER, 4, 50, PROMOTE, device=B),
               _e(FOUNDER, 5, 60, REMOVE, device=B, kept=0),
               # B, removed, claims to have promoted C and removed the founder long before
               _e(B, 1, 11, PROMOTE, device=C), _e(B, 2, 12, REMOVE, device=FOUNDER, kept=0)]
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert state.devices[B].removed and state.admins() == [FOUNDER] and not state.is_admin(C)


def test_a_removed_device_is_never_admitted_again():
    entries = [*_base(), _e(FOUNDER, 4, 50, REMOVE, device=B, kept=0),
               _e(FOUNDER, 5, 60, ADMIT, device=B, public_key=B_KEY, name="B again")]
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert state.devices[B].removed
    assert state.ignored[-1][1] == "a removed laptop cannot be admitted again"


def test_two_admins_removing_each_other_unseen_the_more_senior_wins_in_any_order():
    base = [*_base(), _e(FOUNDER, 4, 50, PROMOTE, device=B)]
    for founder_hlc, b_hlc in ((100, 200), (200, 100)):
        entries = [*base, _e(FOUNDER, 5, founder_hlc, REMOVE, device=B, kept=0),
                   _e(B, 1, b_hlc, REMOVE, device=FOUNDER, kept=4)]
        state = evaluate(entries, FOUNDER, FOUNDER_KEY)
        assert state.devices[B].removed and not state.devices[FOUNDER].removed, (founder_hlc, b_hlc)


def test_a_junior_admin_removes_a_senior_admin_it_has_heard_from():
    # The founder's laptop was stolen: B (admin) removes it; the thief's later entries are void.
    entries = [*_base(), _e(FOUNDER, 4, 50, PROMOTE, device=B), _e(B, 1, 60, REMOVE, device=FOUNDER, kept=4),
               _e(FOUNDER, 5, 70, REMOVE, device=B, kept=1)]
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert state.devices[FOUNDER].removed and state.admins() == [B]


def test_the_group_always_keeps_an_admin():
    entries = [*_base(), _e(FOUNDER, 4, 50, REMOVE, device=FOUNDER, kept=3), _e(FOUNDER, 5, 60, DEMOTE, device=FOUNDER)]
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert state.admins() == [FOUNDER]


def test_an_admin_cannot_demote_a_more_senior_admin():
    entries = [*_base(), _e(FOUNDER, 4, 50, PROMOTE, device=B), _e(B, 1, 60, DEMOTE, device=FOUNDER)]
    assert evaluate(entries, FOUNDER, FOUNDER_KEY).is_admin(FOUNDER)


def test_members_admit_only_while_the_policy_lets_them():
    d_id, d_key = _device()
    admit_d = _e(B, 1, 40, ADMIT, device=d_id, public_key=d_key, name="D")
    assert not evaluate([*_base(), admit_d], FOUNDER, FOUNDER_KEY).admitted(d_id)
    policy = _e(FOUNDER, 4, 35, POLICY, members_may_invite=True)
    assert evaluate([*_base(), policy, admit_d], FOUNDER, FOUNDER_KEY).admitted(d_id)


def test_every_order_and_duplicate_of_the_same_entries_gives_the_same_membership():
    entries = [*_base(), _e(FOUNDER, 4, 50, PROMOTE, device=B), _e(B, 1, 55, REMOVE, device=C, kept=0),
               _e(C, 1, 52, DEMOTE, device=B), _e(FOUNDER, 5, 60, DEMOTE, device=B)]
    expected = evaluate(entries, FOUNDER, FOUNDER_KEY)
    for order in itertools.permutations(entries):
        state = evaluate([*order, order[0]], FOUNDER, FOUNDER_KEY)
        assert state.devices == expected.devices


# ---- how far a demotion or a closing had seen (`seen`, core/membership_limits.py) ----------------

def _promoted_c() -> list[Entry]:
    return [*_base(), _e(FOUNDER, 4, 40, PROMOTE, device=C), _e(C, 1, 45, PROMOTE, device=B)]


def test_a_demoted_admins_entry_its_demotion_had_not_seen_counts_nowhere_whatever_its_stamp():
    # C's entry 2 claims stamp 50, before the demotion (60) that had seen C's chain up to 1 only.
    back_dated = _e(C, 2, 50, REMOVE, device=B, kept=0)
    entries = [*_promoted_c(), _e(FOUNDER, 5, 60, DEMOTE, device=C, seen=1), back_dated]
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert state.admitted(B) and state.is_admin(B) and not state.is_admin(C)
    assert (back_dated, "a demotion of its author had not seen it") in state.ignored


def test_an_entry_the_demotion_had_seen_counts_as_before():
    entries = [*_promoted_c(), _e(C, 2, 50, REMOVE, device=B, kept=0), _e(FOUNDER, 5, 60, DEMOTE, device=C, seen=2)]
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert state.devices[B].removed and not state.is_admin(C)


def test_an_old_demotion_without_seen_judges_by_the_stamps_as_before():
    """Entries written before `seen` existed evaluate exactly as they did: by their stamps."""
    entries = [*_promoted_c(), _e(FOUNDER, 5, 60, DEMOTE, device=C), _e(C, 2, 50, REMOVE, device=B, kept=0)]
    assert evaluate(entries, FOUNDER, FOUNDER_KEY).devices[B].removed


def test_a_demoted_admins_back_dated_removal_of_its_demoter_does_not_undo_the_demotion():
    entries = [*_promoted_c(), _e(FOUNDER, 5, 60, DEMOTE, device=C, seen=1), _e(C, 2, 50, REMOVE, device=FOUNDER,
                                                                                   kept=5)]
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert not state.devices[FOUNDER].removed and state.is_admin(FOUNDER) and not state.is_admin(C)


def test_a_demotion_with_a_malformed_seen_has_no_effect():
    for seen in (-1, "1", True, 1.5):
        state = evaluate([*_promoted_c(), _e(FOUNDER, 5, 60, DEMOTE, device=C, seen=seen)], FOUNDER, FOUNDER_KEY)
        assert state.is_admin(C), seen
        assert state.ignored[-1][1] == "the demotion is not well formed"


def test_a_members_admission_the_closing_had_not_seen_counts_nowhere_whatever_its_stamp():
    d_id, d_key = _device()
    opened = _e(FOUNDER, 4, 35, POLICY, members_may_invite=True)
    closed = _e(FOUNDER, 5, 60, POLICY, members_may_invite=False, seen={B: 0, C: 0})
    admit_d = _e(B, 1, 40, ADMIT, device=d_id, public_key=d_key, name="D")
    state = evaluate([*_base(), opened, closed, admit_d], FOUNDER, FOUNDER_KEY)
    assert not state.admitted(d_id)
    assert (admit_d, "a closing of the invite policy had not seen it") in state.ignored
    seen_it = _e(FOUNDER, 5, 60, POLICY, members_may_invite=False, seen={B: 1})
    assert evaluate([*_base(), opened, seen_it, admit_d], FOUNDER, FOUNDER_KEY).admitted(d_id)
    old_closing = _e(FOUNDER, 5, 60, POLICY, members_may_invite=False)  # written before `seen`: by stamps
    assert evaluate([*_base(), opened, old_closing, admit_d], FOUNDER, FOUNDER_KEY).admitted(d_id)


def test_of_two_admissions_of_one_key_the_more_senior_admitters_counts_whatever_the_stamps():
    d_id, d_key = _device()
    entries = [*_base(), _e(FOUNDER, 4, 40, POLICY, members_may_invite=True),
               _e(FOUNDER, 5, 90, ADMIT, device=d_id, public_key=d_key, name="by the founder"),
               _e(B, 1, 45, ADMIT, device=d_id, public_key=d_key, name="by B")]  # a member's, stamped earlier
    state = evaluate(entries, FOUNDER, FOUNDER_KEY)
    assert state.devices[d_id].admitted_by == FOUNDER and state.devices[d_id].name == "by the founder"
    assert state.devices[d_id].rank == (1, 90, d_id)  # after C (30), as the founder admitted it


def test_every_order_of_entries_with_seen_gives_the_same_membership():
    d_id, d_key = _device()
    entries = [*_promoted_c(), _e(FOUNDER, 5, 60, DEMOTE, device=C, seen=1), _e(C, 2, 50, REMOVE, device=FOUNDER,
                                                                                   kept=5),
               _e(FOUNDER, 6, 70, POLICY, members_may_invite=False, seen={B: 0}),
               _e(B, 1, 55, ADMIT, device=d_id, public_key=d_key, name="D")]
    expected = evaluate(entries, FOUNDER, FOUNDER_KEY)
    for order in itertools.permutations(entries[-4:]):
        assert evaluate([*entries[:-4], *order, order[0]], FOUNDER, FOUNDER_KEY).devices == expected.devices
