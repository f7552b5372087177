"""Invitations by members reach one step (core/membership.py): while the group's policy lets
members invite, a member an admin admitted may admit a newcomer's laptop at the door, but that
laptop cannot admit others until an admin admits it again or promotes it. So the laptops whose
keys one member holds do not each bring their own MAX_MEMBER_ADMISSIONS
(tests/store/test_member_admission_flood.py has the attack)."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from organiser.core.changeset import Op
from organiser.core.keys import device_id_for, public_key_hex
from organiser.core.membership import ADMIT, MEMBERSHIP_KIND, ONE_STEP, Entry, Membership, evaluate
from organiser.core.records import new_id
from organiser.services.devices import ADMITTED_BY_A_MEMBER, MembershipRefused, why_may_not_invite
from tests.bad_peer import BadPeer
from tests.conftest import add_device, sync_all


def _key() -> str:
    return public_key_hex(Ed25519PrivateKey.generate())


def _members(g) -> set[str]:
    return {d.name for d in g.membership.list() if not d.removed}


@pytest.fixture
def at_the_door(three, tmp_path):
    """The admin (a) lets members invite; member b admits a newcomer's laptop (d) at the door."""
    a, b, c = three
    a.membership.set_policy(members_may_invite=True)
    sync_all([a, b, c])
    d = add_device(b, tmp_path / "d", "newcomer laptop")
    sync_all([a, b, c, d], rounds=2)
    yield a, b, c, d
    d.close()


def test_a_member_admits_a_newcomers_laptop_at_the_door(at_the_door):
    a, b, c, d = at_the_door

    for g in (a, b, c, d):
        assert "newcomer laptop" in _members(g)
        assert g.membership.membership().devices[d.device_id].admitted_by == b.device_id
    assert why_may_not_invite(b.membership.membership(), b.device_id) is None


def test_the_laptop_a_member_admitted_cannot_admit_others_and_is_told_why(at_the_door):
    a, b, c, d = at_the_door
    written = d.replica.version_vector()

    with pytest.raises(MembershipRefused, match="admitted by a member, not by an admin"):
        d.admit_device(_key(), "a friend's laptop")
    assert d.replica.version_vector() == written
    assert why_may_not_invite(d.membership.membership(), d.device_id) == ADMITTED_BY_A_MEMBER


def test_an_admission_the_laptop_signs_anyway_counts_on_no_laptop(at_the_door):
    a, b, c, d = at_the_door
    key = _key()
    forged = BadPeer(d).sign([Op(MEMBERSHIP_KIND, new_id(), ADMIT, {"device": device_id_for(key), "public_key": key,
                                                                    "name": "puppet", "invite": ""})])
    for g in (a, b, c):
        g.replica.apply([forged], source=d.device_id)

    for g in (a, b, c):
        assert "puppet" not in _members(g)
    # kept in the log, and the full evaluation (not only the store's shortcut) gives it no effect
    assert (ADMIT, ONE_STEP) in {(e.action, why) for e, why in _full_evaluation(a).ignored if e.author == d.device_id}


def _full_evaluation(g) -> Membership:
    """Every stored entry evaluated, without the store's shortcut query."""
    meta = dict(g.db.execute("SELECT key, value FROM meta WHERE key IN ('founder', 'founder_key')").fetchall())
    entries = [Entry(author, seq, hlc, index, action, json.loads(value)) for author, seq, index, hlc, action, value
               in g.db.execute("SELECT author, seq, idx, hlc, action, value FROM membership_log")]
    return evaluate(entries, meta["founder"], meta["founder_key"])


def test_after_an_admin_admits_it_again_it_can_admit(at_the_door):
    a, b, c, d = at_the_door
    a.admit_device(d.membership.membership().devices[d.device_id].public_key, "newcomer laptop")
    sync_all([a, d])
    assert a.membership.membership().devices[d.device_id].admitted_by == a.device_id

    d.admit_device(_key(), "a friend's laptop")
    sync_all([a, b, c, d], rounds=2)

    for g in (a, b, c, d):
        assert "a friend's laptop" in _members(g)


def test_an_admin_admitting_again_a_laptop_an_admin_admitted_is_told_it_is_a_member(at_the_door):
    a, b, c, d = at_the_door

    with pytest.raises(MembershipRefused, match="already a member"):
        a.admit_device(b.membership.membership().devices[b.device_id].public_key, "minutes laptop")
    with pytest.raises(MembershipRefused, match="already a member"):  # a member's second admission changes nothing
        b.admit_device(d.membership.membership().devices[d.device_id].public_key, "newcomer laptop")


def test_a_laptop_promoted_and_demoted_again_may_still_invite_as_a_member(at_the_door):
    a, b, c, d = at_the_door
    a.membership.promote(d.device_id)
    sync_all([a, d])
    a.membership.demote(d.device_id)
    sync_all([a, d])
    assert not d.membership.membership().is_admin(d.device_id)

    d.admit_device(_key(), "a friend's laptop")
    sync_all([a, d])

    assert "a friend's laptop" in _members(a)
