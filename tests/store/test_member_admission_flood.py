"""A member allowed to invite (the group's policy) signs admissions by the tens of thousands:
each admitted device joined every laptop's roster, and once the log held 80,000 of them each
later admission cost every laptop seconds of evaluation (`/tmp` measurement in the report:
3.6 s per admission of one device, 68 MB on disk). Only a member's first MAX_MEMBER_ADMISSIONS
admissions, by place in its chain, count."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from organiser.core.changeset import Op
from organiser.core.keys import device_id_for, public_key_hex
from organiser.core.membership import ADMIT, MEMBERSHIP_KIND
from organiser.core.membership_limits import MAX_MEMBER_ADMISSIONS
from organiser.core.records import new_id
from organiser.store.replica import LocalOp
from tests.bad_peer import BadPeer
from tests.conftest import sync_pair


def _admissions(count: int) -> list[Op]:
    ops = []
    for _ in range(count):
        key = public_key_hex(Ed25519PrivateKey.generate())
        ops.append(Op(MEMBERSHIP_KIND, new_id(), ADMIT,
                      {"device": device_id_for(key), "public_key": key, "name": "guest", "invite": ""}))
    return ops



def _admitted_by(g, device: str) -> int:
    return sum(1 for d in g.membership.list() if d.admitted_by == device and not d.removed)


def test_a_members_flood_of_admissions_admits_its_first_ones_only_and_costs_no_more_to_evaluate(three, evaluated):
    a, b, c = three
    a.membership.set_policy(members_may_invite=True)
    sync_pair(a, b)
    modified = BadPeer(b)
    flood = [modified.sign(_admissions(150)) for _frame in range(4)]  # 600 admissions

    for cs in flood:
        assert a.replica.apply([cs], source=b.device_id).refused == []

    assert _admitted_by(a, b.device_id) == MAX_MEMBER_ADMISSIONS
    evaluated.clear()
    one_more = modified.sign(_admissions(1))
    a.replica.apply([one_more], source=b.device_id)
    assert _admitted_by(a, b.device_id) == MAX_MEMBER_ADMISSIONS
    assert evaluated == []  # stored without evaluating the log again: it can count nowhere


def test_a_laptop_hearing_the_flood_in_another_order_admits_the_same_devices(three):
    a, b, c = three
    a.membership.set_policy(members_may_invite=True)
    sync_pair(a, b)
    sync_pair(a, c)
    modified = BadPeer(b)
    flood = [modified.sign(_admissions(90)) for _frame in range(3)]

    for cs in flood:
        a.replica.apply([cs], source=b.device_id)
    for cs in reversed(flood):  # later changesets first: kept, their predecessors arriving after
        c.replica.apply([cs], source=b.device_id)

    admitted = [sorted(d.id for d in g.membership.list() if d.admitted_by == b.device_id) for g in (a, c)]
    assert admitted[0] == admitted[1] and len(admitted[0]) == MAX_MEMBER_ADMISSIONS
    first = {op.value["device"] for cs in flood for op in cs.ops}
    assert set(admitted[0]) == {op.value["device"] for cs in flood[:2] for op in cs.ops} | {
        op.value["device"] for op in flood[2].ops[:MAX_MEMBER_ADMISSIONS - 180]}
    assert set(admitted[0]) < first


def test_an_admins_admissions_are_not_capped(three):
    a, b, c = three
    a.membership.promote(b.device_id)
    sync_pair(a, b)
    cs = BadPeer(b).sign(_admissions(MAX_MEMBER_ADMISSIONS + 10))

    assert a.replica.apply([cs], source=b.device_id).refused == []
    assert _admitted_by(a, b.device_id) == MAX_MEMBER_ADMISSIONS + 10


def test_a_member_admitting_past_its_first_admissions_is_told_why_and_nothing_is_written(three):
    from organiser.services.devices import MembershipRefused

    a, b, _c = three
    a.membership.set_policy(members_may_invite=True)
    sync_pair(a, b)
    b.replica.commit_batch([[LocalOp(*op[:4]) for op in _admissions(MAX_MEMBER_ADMISSIONS)]])
    written = b.replica.version_vector()

    told = f"A member's admissions count for its first {MAX_MEMBER_ADMISSIONS} only"
    with pytest.raises(MembershipRefused, match=told):
        b.admit_device(public_key_hex(Ed25519PrivateKey.generate()), "one more laptop")
    assert b.replica.version_vector() == written


def test_a_members_puppets_do_not_each_bring_their_own_200(three):
    """The member admits five laptops whose keys it holds, and each of those signs 200 admissions
    of its own: with the cap counted per admitting device, one member's right to invite let 1,005
    devices in (100 puppets: 20,103). Invitations by members reach one step (core/membership.py):
    the puppets are members, their admissions count nowhere."""
    from organiser.core.changeset import GENESIS, sign_changeset

    a, b, _c = three
    a.membership.set_policy(members_may_invite=True)
    sync_pair(a, b)
    puppets = [Ed25519PrivateKey.generate() for _ in range(5)]
    keys = [public_key_hex(k) for k in puppets]
    admitting = [Op(MEMBERSHIP_KIND, new_id(), ADMIT, {"device": device_id_for(key), "public_key": key,
                                                       "name": "guest", "invite": ""}) for key in keys]
    assert a.replica.apply([BadPeer(b).sign(admitting)], source=b.device_id).refused == []
    for private, key in zip(puppets, keys, strict=True):
        cs = sign_changeset(private, a.id, device_id_for(key), 1, GENESIS, a.replica.clock.now(),
                            _admissions(MAX_MEMBER_ADMISSIONS))
        a.replica.apply([cs], source=b.device_id)
    admins = {a.device_id}
    by_members = [d for d in a.membership.list() if not d.removed and d.admitted_by not in admins]
    assert len(by_members) <= MAX_MEMBER_ADMISSIONS
    assert {d.id for d in by_members if d.admitted_by} == {device_id_for(key) for key in keys}  # the puppets only
