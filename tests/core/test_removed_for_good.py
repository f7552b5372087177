"""Removed for good, as the rules decide it on every laptop: an admin's removal of a device the
roster does not hold at that point in the log (a laptop waiting for an admin, or one whose admission
a later removal took back) bars it, so a member's modified client cannot let the key back in."""

from __future__ import annotations

import itertools

from organiser.core.membership import ADMIT, FOUND, POLICY, REMOVE, Entry, evaluate
from organiser.core.waiting_devices import removed_by_an_admin
from tests.core.test_membership_rules import _device

ADMIN, ADMIN_KEY = _device()
SPARE, SPARE_KEY = _device()  # a laptop an admin let in; it let the stolen laptop in
STOLEN, STOLEN_KEY = _device()
MOLE, MOLE_KEY = _device()  # a member acting in bad faith, with a modified client


def _e(author: str, seq: int, hlc: int, action: str, **value: object) -> Entry:
    return Entry(author, seq, hlc, 0, action, value)


def _stolen_then_spare_removed_with_what_it_wrote() -> list[Entry]:
    return [_e(ADMIN, 1, 10, FOUND, name="office"),
            _e(ADMIN, 2, 20, POLICY, members_may_invite=True),
            _e(ADMIN, 3, 30, ADMIT, device=SPARE, public_key=SPARE_KEY, name="spare"),
            _e(ADMIN, 4, 40, ADMIT, device=MOLE, public_key=MOLE_KEY, name="mole"),
            _e(SPARE, 1, 50, ADMIT, device=STOLEN, public_key=STOLEN_KEY, name="stolen"),
            _e(ADMIN, 5, 60, REMOVE, device=STOLEN, kept=0),  # the laptop was stolen
            _e(ADMIN, 6, 70, REMOVE, device=SPARE, kept=0)]  # and everything the spare wrote taken back


def test_a_member_cannot_let_a_removed_laptop_back_in_after_its_admission_was_taken_back() -> None:
    entries = [*_stolen_then_spare_removed_with_what_it_wrote(),
               _e(MOLE, 1, 80, ADMIT, device=STOLEN, public_key=STOLEN_KEY, name="stolen")]
    for order in itertools.permutations(entries[-3:]):  # any order of arrival
        state = evaluate([*entries[:-3], *order], ADMIN, ADMIN_KEY)
        assert not state.admitted(STOLEN)
        assert STOLEN in removed_by_an_admin(state)
    assert (entries[-1], "an admin removed this laptop: it cannot be admitted again") in state.ignored


def test_a_member_back_dating_the_admission_before_the_removal_still_leaves_it_out() -> None:
    entries = [*_stolen_then_spare_removed_with_what_it_wrote(),
               _e(MOLE, 1, 55, ADMIT, device=STOLEN, public_key=STOLEN_KEY, name="stolen")]  # before the removal
    assert not evaluate(entries, ADMIN, ADMIN_KEY).admitted(STOLEN)


def test_an_admin_removes_a_laptop_waiting_for_an_admin_for_good() -> None:
    entries = [_e(ADMIN, 1, 10, FOUND, name="office"),
               _e(ADMIN, 2, 20, POLICY, members_may_invite=True),
               _e(ADMIN, 3, 30, ADMIT, device=MOLE, public_key=MOLE_KEY, name="mole"),
               _e(MOLE, 1, 40, ADMIT, device=SPARE, public_key=SPARE_KEY, name="puppet"),
               _e(SPARE, 1, 50, ADMIT, device=STOLEN, public_key=STOLEN_KEY, name="waits"),  # beyond one step
               _e(ADMIN, 4, 60, REMOVE, device=STOLEN, kept=0),
               _e(MOLE, 2, 70, ADMIT, device=STOLEN, public_key=STOLEN_KEY, name="waits")]  # one step: would count
    state = evaluate(entries, ADMIN, ADMIN_KEY)
    assert state.admitted(MOLE) and not state.admitted(STOLEN)


def test_a_removal_by_a_member_bars_nobody() -> None:
    entries = [_e(ADMIN, 1, 10, FOUND, name="office"),
               _e(ADMIN, 2, 20, ADMIT, device=MOLE, public_key=MOLE_KEY, name="mole"),
               _e(MOLE, 1, 30, REMOVE, device=SPARE, kept=0),  # not an admin: no effect
               _e(ADMIN, 3, 40, ADMIT, device=SPARE, public_key=SPARE_KEY, name="spare")]
    assert evaluate(entries, ADMIN, ADMIN_KEY).admitted(SPARE)
