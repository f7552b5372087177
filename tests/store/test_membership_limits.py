"""How far a demotion or a closing of the invite policy had seen (`seen`): written by the
services, checked on receipt like any peer input, and judged the same on every device."""

from __future__ import annotations

import sqlite3
import tarfile
from contextlib import closing
from pathlib import Path

import pytest

from organiser.core.changeset import Op
from organiser.core.membership import ADMIT, DEMOTE, MEMBERSHIP_KIND, POLICY, PROMOTE
from organiser.core.records import new_id
from organiser.services.group import Group, join_group, prepare_join
from tests.bad_peer import BadPeer
from tests.conftest import add_device, sync_all, sync_pair
from tests.store.test_membership_attacks import _new_key, _roster


def _entry(action: str, value: object) -> list[Op]:
    return [Op(MEMBERSHIP_KIND, new_id(), action, value)]


def _logged(g: Group, action: str) -> dict:
    import json
    row = g.db.execute("SELECT value FROM membership_log WHERE action = ? ORDER BY hlc DESC LIMIT 1",
                       [action]).fetchone()
    return json.loads(row[0])


def test_a_demotion_and_a_closing_name_the_last_changesets_their_author_had_seen(three):
    a, b, c = three
    a.membership.promote(c.device_id)
    sync_all((a, b, c))
    b.members.add("Ana")
    c.members.add("Bruno")
    sync_all((a, b, c))
    a.membership.demote(c.device_id)
    c_seq = a.replica.version_vector()[c.device_id]
    assert _logged(a, DEMOTE) == {"device": c.device_id, "seen": c_seq}
    a.membership.set_policy(members_may_invite=True)
    assert _logged(a, POLICY) == {"members_may_invite": True}
    a.membership.set_policy(members_may_invite=False)
    vector = a.replica.version_vector()
    own = vector[a.device_id] - 1  # the closing itself is the newest
    assert _logged(a, POLICY) == {"members_may_invite": False, "seen": {
        a.device_id: own, b.device_id: vector[b.device_id], c.device_id: vector[c.device_id]}}


def test_admitting_a_device_again_is_refused_with_a_sentence(three):
    a, b, _c = three
    key = a.db.execute("SELECT public_key FROM devices WHERE id = ?", [b.device_id]).fetchone()[0]
    from organiser.services.devices import MembershipRefused
    with pytest.raises(MembershipRefused, match="'minutes laptop' is already a member of the group"):
        a.membership.admit(key, "minutes laptop again")


BAD_SEEN = {
    "a demotion's seen below zero": (DEMOTE, lambda g: {"device": g, "seen": -1},
                                     "demote: 'seen' must be the number of a changeset of the demoted laptop"),
    "a demotion's seen as text": (DEMOTE, lambda g: {"device": g, "seen": "7"},
                                  "demote: 'seen' must be the number of a changeset"),
    "a demotion's seen as a flag": (DEMOTE, lambda g: {"device": g, "seen": True},
                                    "demote: 'seen' must be the number of a changeset"),
    "a closing's seen as a number": (POLICY, lambda g: {"members_may_invite": False, "seen": 3},
                                     "policy: 'seen' must map laptop ids"),
    "a closing's seen naming no device id": (POLICY, lambda g: {"members_may_invite": False, "seen": {"door": 3}},
                                             "policy: 'seen' must map laptop ids"),
    "a closing's seen with a number below zero": (POLICY, lambda g: {"members_may_invite": False, "seen": {g: -2}},
                                                  "policy: 'seen' must map laptop ids"),
    "a closing's seen with a list in it": (POLICY, lambda g: {"members_may_invite": False, "seen": {g: [1]}},
                                           "policy: 'seen' must map laptop ids"),
}


@pytest.mark.parametrize("case", sorted(BAD_SEEN))
def test_a_malformed_seen_from_a_peer_is_refused_with_a_sentence(two_devices, case):
    a, b = two_devices
    a.membership.promote(b.device_id)
    sync_pair(a, b)
    action, value, sentence = BAD_SEEN[case]
    before = a.membership.membership()
    cs = BadPeer(b).sign(_entry(action, value(a.device_id)))
    result = a.replica.apply([cs], source=b.device_id)
    assert result.applied == 0
    [refusal] = result.refused
    assert refusal.code == "value" and refusal.reason.startswith(sentence), refusal.reason
    assert a.membership.membership().devices == before.devices
    assert a.db.execute("SELECT count(*) FROM membership_log WHERE author = ?", [b.device_id]).fetchone()[0] == 0


def test_a_seen_claiming_changesets_its_own_author_had_not_written_yet_is_refused(two_devices):
    """A lie a receiver can see: no device has seen its own changesets from this one on."""
    a, b = two_devices
    a.membership.promote(b.device_id)
    sync_pair(a, b)
    next_seq = BadPeer(b).seq + 1
    itself = BadPeer(b).sign(_entry(DEMOTE, {"device": b.device_id, "seen": next_seq}))
    lie = BadPeer(b).sign(_entry(POLICY, {"members_may_invite": False, "seen": {b.device_id: next_seq + 5}}))
    for cs, action in ((itself, "demote"), (lie, "policy")):
        result = a.replica.apply([cs], source=b.device_id)
        [refusal] = result.refused
        assert refusal.reason.startswith(f"{action}: 'seen' claims changeset"), refusal.reason
        assert "of its own author, written in or after this one" in refusal.reason


def test_a_well_formed_seen_from_a_peer_is_stored_and_takes_effect(three):
    a, b, c = three
    a.membership.promote(b.device_id)
    a.membership.promote(c.device_id)
    sync_all((a, b, c))
    c_seq = b.replica.version_vector().get(c.device_id, 0)
    cs = BadPeer(b).sign(_entry(DEMOTE, {"device": c.device_id, "seen": c_seq}))
    assert a.replica.apply([cs], source=b.device_id).applied == 1
    assert not a.membership.membership().is_admin(c.device_id)


def test_a_closing_with_a_seen_of_ten_thousand_entries_too_many_is_refused(two_devices):
    from organiser.core.membership_limits import MAX_SEEN_DEVICES
    a, b = two_devices
    a.membership.promote(b.device_id)
    sync_pair(a, b)
    many = {f"{i:032x}": 1 for i in range(MAX_SEEN_DEVICES + 1)}
    cs = BadPeer(b).sign(_entry(POLICY, {"members_may_invite": False, "seen": many}))
    [refusal] = a.replica.apply([cs], source=b.device_id).refused
    assert refusal.reason.startswith("policy: 'seen' must map laptop ids") and "2,000 laptops" in refusal.reason


def test_a_promotion_or_admission_carrying_a_seen_is_not_refused(two_devices):
    """Only demotions and closings read `seen`; other entries are checked as before."""
    a, b = two_devices
    a.membership.set_policy(members_may_invite=True)
    sync_pair(a, b)
    key, device = _new_key()
    peer = BadPeer(b)
    ops = [*_entry(ADMIT, {"device": device, "public_key": key, "name": "x", "seen": -1}),
           *_entry(PROMOTE, {"device": device, "seen": "anything"})]
    assert a.replica.apply([peer.sign(ops)], source=b.device_id).applied == 1
    assert a.membership.membership().admitted(device)


FIXTURE = Path(__file__).parent / "fixtures" / "group-before-membership-limits.tar.gz"


def _stored_roster(db_file: Path) -> list[tuple]:
    """The roster as the code that wrote the database left it."""
    with closing(sqlite3.connect(db_file)) as db:
        return db.execute("SELECT id, name, admitted_by, admin, removed_kept, removed_by FROM devices "
                          "ORDER BY rank").fetchall()


def test_a_group_made_before_seen_keeps_its_roster_and_its_records(tmp_path):
    """Made by the code before `seen` (tests/store/fixtures/make_group_before_membership_limits.py):
    an admin's removal written before it heard of its demotion, and a member's admission written
    before it heard the policy close, both counted there. Their entries carry no `seen`, so they
    are judged by their stamps as before: every device keeps the roster and records it had."""
    from organiser.services.group import open_group
    from organiser.store.membership import load_membership
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(tmp_path, filter="data")
    names = ("founder", "second", "third")
    before = {name: _stored_roster(next((tmp_path / name).glob("groups/*/organiser.db"))) for name in names}
    assert before["founder"] == before["second"] == before["third"]
    groups = [open_group(tmp_path / name) for name in names]
    try:
        for g in groups:
            evaluated = load_membership(g.db)
            assert [(d.id, d.name, d.admitted_by, d.admin, d.removed_kept, d.removed_by)
                    for d in sorted(evaluated.devices.values(), key=lambda d: d.rank)] == before["founder"]
            assert {d.name: (d.removed, d.admin) for d in g.membership.list()} == {
                "door laptop": (False, True), "minutes laptop": (False, False), "spare laptop": (False, False),
                "visitor laptop": (True, False), "guest laptop": (False, False)}
            # the visitor's first changeset is the one c's removal keeps
            assert sorted(m.name for m in g.members.list()) == ["Ana López", "Guest's note", "Visitor's note"]
        sync_all(groups)
        assert len({g.replica.state_hash() for g in groups}) == 1
        founder, second, third = groups
        third.members.add("After the upgrade")  # it keeps writing, and a new demotion carries `seen`
        founder.membership.promote("minutes laptop")
        sync_all(groups)
        founder.membership.demote("minutes laptop")
        assert _logged(founder, DEMOTE)["seen"] == founder.replica.version_vector()[second.device_id]
        sync_all(groups)
        assert all(not g.membership.membership().is_admin(second.device_id) for g in groups)
        assert len({g.replica.state_hash() for g in groups}) == 1
    finally:
        for g in groups:
            g.close()


# ---- honest entries written at the same time as a demotion or a closing -----------------------------


def test_an_admins_entry_written_before_it_heard_of_its_demotion_counts_nowhere(three, tmp_path):
    """Honest, at the same time: c (admin) removes x before hearing that the founder demoted it, its
    clock even a little behind. The demotion had not seen c's removal: on every device, whichever
    order they hear of both, it is written after the demotion and has no effect."""
    a, b, c = three
    x = add_device(a, tmp_path / "x", "visitor laptop")
    try:
        a.membership.promote(c.device_id)
        sync_all((a, b, c, x))
        c.membership.remove(x.device_id)  # c's stamp is before the demotion's
        a.membership.demote(c.device_id)  # a has not seen it
        sync_pair(b, c)  # b hears of the removal first
        sync_pair(a, b)
        sync_all((a, b, c), rounds=2)
        for g in (a, b, c):
            assert _roster(g)[x.device_id] == (False, False), g.device_name
            assert _roster(g)[c.device_id] == (False, False), g.device_name
        assert len({g.replica.state_hash() for g in (a, b, c)}) == 1
    finally:
        x.close()


def test_a_members_admission_written_before_it_heard_the_policy_close_counts_nowhere(three, tmp_path):
    """Honest, at the same time: b admits a laptop under the open policy while the founder, not having
    seen it, closes the policy. On every device the admission is judged as written after the
    closing: the laptop does not belong, and what it wrote is taken back alike everywhere."""
    a, b, c = three
    a.membership.set_policy(members_may_invite=True)
    sync_all((a, b, c))
    _path, public = prepare_join(tmp_path / "x", a.id)
    b.admit_device(public, "visitor laptop")
    x = join_group(tmp_path / "x", b.credentials(), "visitor laptop")
    try:
        sync_pair(b, x)
        x.members.add("Spam")
        sync_pair(b, x)
        a.membership.set_policy(members_may_invite=False)  # a has not seen b's admission
        sync_pair(b, c)
        assert "Spam" in [m.name for m in c.members.list()]
        sync_all((a, b, c), rounds=2)
        for g in (a, b, c):
            assert x.device_id not in _roster(g), g.device_name
            assert "Spam" not in [m.name for m in g.members.list()], g.device_name
        assert len({g.replica.state_hash() for g in (a, b, c)}) == 1
    finally:
        x.close()


def test_a_senior_admins_demotion_beats_a_junior_admins_removal_of_it_written_at_the_same_time(three):
    """The founder demotes c while c, not having heard, removes the founder: the demotion had not seen
    the removal, so the removal is judged as written after it and has no effect."""
    a, b, c = three
    a.membership.promote(b.device_id)
    a.membership.promote(c.device_id)
    sync_all((a, b, c))
    c.membership.remove(a.device_id)
    a.membership.demote(c.device_id)
    sync_all((a, b, c), rounds=2)
    for g in (a, b, c):
        assert _roster(g)[a.device_id] == (False, True), g.device_name
        assert _roster(g)[c.device_id] == (False, False), g.device_name
