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
    assert state.ignored[-1][1] == "a removed device cannot be admitted again"


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
