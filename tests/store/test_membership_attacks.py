"""Attacks on the membership rules by a device in bad faith (a member, a demoted admin, a removed
device's accomplice). The tests pin rules that hold (some fixed after this file found them: the
back-dating holes closed by judging demotions and closings of the invite policy by sequence
numbers, core/membership_limits.py). An xfail test, strict, would be a hole still open. A device
in bad faith signs with its own key whatever clock stamp it likes, so the tests sign such
changesets directly."""

from __future__ import annotations

import time

import pytest

from organiser.core.changeset import GENESIS, Op, sign_changeset
from organiser.core.membership import ADMIT, MEMBERSHIP_KIND, REMOVE
from organiser.core.records import new_id
from organiser.services.devices import MembershipRefused
from organiser.services.group import Group, join_group, prepare_join
from organiser.store.replica import LocalOp
from tests.conftest import add_device, sync_all, sync_pair


def _last_stamp(g: Group) -> int:
    """The clock stamp of this device's newest changeset."""
    row = g.replica.db.execute("SELECT hlc FROM changes WHERE author = ? ORDER BY seq DESC LIMIT 1",
                               [g.device_id]).fetchone()
    return int(row[0])


def _forged(g: Group, action: str, value: dict, hlc: int):
    """The next changeset of `g`'s chain, signed with `g`'s key, holding one membership entry and
    claiming the clock stamp `hlc` (as a device in bad faith can), not stored on `g`."""
    row = g.replica.db.execute(  # its own changesets a removal took back are its chain all the same
        "SELECT seq, hash FROM (SELECT seq, hash FROM changes WHERE author = ?1"
        " UNION ALL SELECT seq, hash FROM withdrawn_changes WHERE author = ?1) ORDER BY seq DESC LIMIT 1",
        [g.device_id]).fetchone()
    seq, prev = row if row is not None else (0, GENESIS)
    return sign_changeset(g.replica._key, g.replica.group_id, g.device_id, seq + 1, prev, hlc,
                          [Op(MEMBERSHIP_KIND, new_id(), action, value)])


def _roster(g: Group) -> dict[str, tuple[bool, bool]]:
    return {d.id: (d.removed, d.admin) for d in g.membership.list()}


def _new_key() -> tuple[str, str]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from organiser.core.keys import device_id_for, public_key_hex
    key = public_key_hex(Ed25519PrivateKey.generate())
    return key, device_id_for(key)


def test_a_demoted_admin_cannot_act_as_admin_by_back_dating_its_stamps(three):
    """c, demoted by the founder (and having seen it), signs 'remove b' stamped between its promotion
    and its demotion. The demotion names the last changeset of c the founder had seen; c's removal
    comes after it in c's chain, so it is judged as written after the demotion, whatever its stamp."""
    a, b, c = three
    a.membership.promote(c.device_id)
    promoted = _last_stamp(a)
    time.sleep(0.01)  # the demotion's stamp is a later millisecond: room for a stamp in between
    a.membership.demote(c.device_id)
    demoted = _last_stamp(a)
    assert demoted - promoted >= 2
    for x, y in ((a, b), (a, c), (b, c)):
        sync_pair(x, y)
    assert not _roster(c)[c.device_id][1]  # c knows it is no longer an admin
    b_seq = b.replica.version_vector().get(b.device_id, 0)
    cs = _forged(c, REMOVE, {"device": b.device_id, "kept": b_seq}, (promoted + demoted) // 2)
    a.replica.apply([cs])
    assert _roster(a)[b.device_id] == (False, False)
    assert any(e.author == c.device_id and reason == "a demotion of its author had not seen it"
               for e, reason in a.membership.membership().ignored)


def test_a_demoted_admin_cannot_remove_its_demoter_with_a_back_dated_removal(three):
    """c, demoted by the founder, signs 'remove a' (a junior admin may remove a senior one) stamped
    before its demotion, so that the demotion would come from a removed device: the demotion is
    judged in the log as the founder had seen of c, without that removal, and stands."""
    a, b, c = three
    a.membership.promote(c.device_id)
    promoted = _last_stamp(a)
    time.sleep(0.01)
    a.membership.demote(c.device_id)
    demoted = _last_stamp(a)
    assert demoted - promoted >= 2
    sync_all((a, b, c))
    a_seq = c.replica.version_vector()[a.device_id]
    cs = _forged(c, REMOVE, {"device": a.device_id, "kept": a_seq}, (promoted + demoted) // 2)
    for g in (a, b):
        g.replica.apply([cs])
        assert _roster(g)[a.device_id] == (False, True)
        assert _roster(g)[c.device_id] == (False, False)



def test_a_member_cannot_admit_after_the_invite_policy_closed_by_back_dating(three):
    """b, a plain member that has seen the invite policy close, signs an admission stamped while it
    was open. The closing names the last changeset of b the founder had seen; the admission comes
    after it in b's chain, so it is judged as written after the closing."""
    a, b, c = three
    a.membership.set_policy(members_may_invite=True)
    opened = _last_stamp(a)
    time.sleep(0.01)
    a.membership.set_policy(members_may_invite=False)
    closed = _last_stamp(a)
    assert closed - opened >= 2
    for x, y in ((a, b), (a, c), (b, c)):
        sync_pair(x, y)
    key, device = _new_key()
    cs = _forged(b, ADMIT, {"device": device, "public_key": key, "name": "accomplice"}, (opened + closed) // 2)
    a.replica.apply([cs])
    assert device not in _roster(a)
    c.replica.apply([cs])
    assert device not in _roster(c)



def test_a_removed_admins_taken_back_promotion_does_not_let_a_member_beat_its_removal(three, tmp_path):
    """d, an admin the founder removes, writes 'promote b' after the changeset the removal keeps; b, senior
    to the admin c by admission, keeps a 'remove c' in reserve. d's promotion counts nowhere, so b's
    reserve is no admin's removal and c's removal of b stands."""
    a, b, c = three
    d = add_device(a, tmp_path / "d", "bad laptop")
    try:
        a.membership.promote(c.device_id)
        a.membership.promote(d.device_id)
        everyone = (a, b, c, d)
        sync_all(everyone)
        a.membership.remove(d.device_id)  # keeps what a has seen of d
        d.membership.promote(b.device_id)  # d has not heard of its removal yet
        sync_pair(b, d)  # b holds d's promotion (and, with it, believes itself an admin)
        c_seq = c.replica.version_vector().get(c.device_id, 0)
        b.replica.commit([LocalOp(MEMBERSHIP_KIND, new_id(), REMOVE, {"device": c.device_id, "kept": c_seq})])
        c.membership.remove(b.device_id)  # c has not seen b's entry
        honest = (a, b, c)
        sync_all(honest, rounds=3)
        for g in (a, c):
            assert _roster(g)[d.device_id][0]
            assert _roster(g)[b.device_id][0], _roster(g)
            assert _roster(g)[c.device_id] == (False, True)
    finally:
        d.close()


def test_a_removed_admin_cannot_undo_its_removal_with_a_back_dated_removal_of_its_remover(three):
    """b (senior admin) removes c; c, having received its removal, signs 'remove b' stamped before it.
    A removal written after its author had seen its own removal counts nowhere."""
    a, b, c = three
    a.membership.promote(b.device_id)
    a.membership.promote(c.device_id)
    promoted = _last_stamp(a)
    for x, y in ((a, b), (a, c), (b, c)):
        sync_pair(x, y)
    time.sleep(0.01)
    b.membership.remove(c.device_id)
    removed = _last_stamp(b)
    assert removed - promoted >= 2
    for x, y in ((a, b), (b, c)):
        sync_pair(x, y)
    assert _roster(c)[c.device_id][0]  # c knows it was removed
    b_seq = c.replica.version_vector()[b.device_id]  # it has seen b's removal of it
    cs = _forged(c, REMOVE, {"device": b.device_id, "kept": b_seq}, (promoted + removed) // 2)
    a.replica.apply([cs])
    assert _roster(a)[c.device_id][0], _roster(a)
    assert _roster(a)[b.device_id] == (False, True)


def test_a_junior_admin_may_remove_a_more_senior_admin_the_recourse_against_a_rogue_one(three):
    """A design choice, kept: a junior admin may not demote a more senior admin (here the founder),
    but it may remove it. A rule that let no one remove the most senior admin would leave a group
    no way out when that admin's laptop is stolen or its holder turns against the group; the rules
    that would still allow it (a quorum of admins, a delay the senior may veto) need entries that
    wait for each other, which devices meeting now and then on a LAN cannot give in time. What protects
    a senior admin instead: it wins a removal race against a junior (both at once), and its
    demotion of a junior voids the junior's entries it had not seen, such as a removal of it."""
    a, b, c = three
    a.membership.promote(b.device_id)
    a.membership.promote(c.device_id)
    for x, y in ((a, b), (a, c), (b, c)):
        sync_pair(x, y)
    with pytest.raises(MembershipRefused, match="more senior"):
        c.membership.demote(a.device_id)
    c.membership.remove(a.device_id)
    sync_all((a, b, c))
    for g in (a, b, c):
        assert _roster(g)[a.device_id] == (True, False), g.device_name
        assert _roster(g)[c.device_id] == (False, True), g.device_name



def test_a_removed_member_cannot_admit_with_a_back_dated_admission_under_the_policy(three):
    """The rule holds: b, removed while members may invite, signs an admission after the changeset
    its removal keeps, stamped before the removal; the passes drop it (its number is past `kept`)."""
    a, b, c = three
    a.membership.set_policy(members_may_invite=True)
    opened = _last_stamp(a)
    sync_pair(a, b)
    time.sleep(0.01)
    a.membership.remove(b.device_id)
    removed = _last_stamp(a)
    assert removed - opened >= 2
    sync_pair(a, b)
    key, device = _new_key()
    cs = _forged(b, ADMIT, {"device": device, "public_key": key, "name": "accomplice"}, (opened + removed) // 2)
    a.replica.apply([cs])
    assert device not in _roster(a)
    assert _roster(a)[b.device_id][0]


def test_a_removed_junior_admin_claiming_a_concurrent_removal_of_its_remover_is_beaten(three):
    """The rule holds: c (junior admin), removed by b (senior admin), signs 'remove b' keeping less
    of b's chain than b's removal of it, as if it had not seen it, and stamps it earlier: the two
    removals count as concurrent and the more senior b wins."""
    a, b, c = three
    a.membership.promote(b.device_id)
    a.membership.promote(c.device_id)
    promoted = _last_stamp(a)
    for x, y in ((a, b), (a, c), (b, c)):
        sync_pair(x, y)
    b_seen = c.replica.version_vector().get(b.device_id, 0)
    time.sleep(0.01)
    b.membership.remove(c.device_id)
    removed = _last_stamp(b)
    assert removed - promoted >= 2
    for x, y in ((a, b), (b, c)):
        sync_pair(x, y)
    cs = _forged(c, REMOVE, {"device": b.device_id, "kept": b_seen}, (promoted + removed) // 2)
    a.replica.apply([cs])
    assert _roster(a)[c.device_id][0]
    assert _roster(a)[b.device_id] == (False, True)


def test_two_admins_removing_one_device_keeping_different_changesets_agree_everywhere(three, tmp_path):
    """The rule holds: b removes x keeping all it wrote, then c removes x again keeping only its
    first changeset; the removal keeping least stands, so what c took back stays taken back on c,
    on a (who heard of c's removal first) and on b alike."""
    from datetime import UTC, datetime
    a, b, c = three
    x = add_device(a, tmp_path / "x", "visitor laptop")
    try:
        a.membership.promote(b.device_id)
        a.membership.promote(c.device_id)
        x.members.add("one")
        time.sleep(0.01)
        cut = datetime.now(UTC)
        time.sleep(0.01)
        x.members.add("two")
        x.members.add("three")
        everyone = (a, b, c, x)
        sync_all(everyone)
        b.membership.remove(x.device_id)
        c.membership.remove(x.device_id, undo_since=cut)
        assert [m.name for m in c.members.list()] == ["one"]
        sync_pair(a, c)
        honest = (a, b, c)
        sync_all(honest, rounds=3)
        assert len({g.replica.state_hash() for g in honest}) == 1
        for g in honest:
            assert sorted(m.name for m in g.members.list()) == ["one"], g.device_name
            assert _roster(g)[x.device_id][0]
    finally:
        x.close()


def test_a_member_cannot_make_a_junior_admin_senior_by_admitting_it_again_back_dated(group, tmp_path):
    """d (a member admitted first, while members may invite) signs an admission of c, already a
    member, stamped before b's admission. Of several admissions of one key, the founder's (an
    admin's, the most senior's) counts whatever the stamps: c stays junior to b and cannot demote it."""
    a = group
    d = add_device(a, tmp_path / "d", "accomplice laptop")
    a.membership.set_policy(members_may_invite=True)
    opened = _last_stamp(a)
    time.sleep(0.01)
    b = add_device(a, tmp_path / "b", "minutes laptop")
    b_admitted = _last_stamp(a)
    assert b_admitted - opened >= 2
    c = add_device(a, tmp_path / "c", "spare laptop")
    try:
        a.membership.promote(b.device_id)
        a.membership.promote(c.device_id)
        everyone = (a, b, c, d)
        sync_all(everyone)
        c_key = c.replica.db.execute("SELECT public_key FROM devices WHERE id = ?", [c.device_id]).fetchone()[0]
        cs = _forged(d, ADMIT, {"device": c.device_id, "public_key": c_key, "name": "spare laptop"},
                     (opened + b_admitted) // 2)
        c.replica.apply([cs])
        try:
            c.membership.demote(b.device_id)
        except MembershipRefused:
            pass  # refused, as it should be
        sync_pair(a, c)
        assert _roster(a)[b.device_id] == (False, True)
    finally:
        for g in (b, c, d):
            g.close()


def test_a_senior_member_cannot_make_a_device_an_admin_admitted_senior_by_admitting_it_again(group, tmp_path):
    """d, a member admitted before the admin b, signs an admission of c (whom b admitted), stamped
    right after its own admission: an admin's admission counts before a member's, so c keeps the
    seniority b's admission gave it, on every device."""
    a = group
    d = add_device(a, tmp_path / "d", "accomplice laptop")
    a.membership.set_policy(members_may_invite=True)
    d_admitted = _last_stamp(a)
    time.sleep(0.01)
    b = add_device(a, tmp_path / "b", "minutes laptop")
    a.membership.promote(b.device_id)
    sync_pair(a, b)
    _path, public = prepare_join(tmp_path / "c", a.id)
    b.admit_device(public, "spare laptop")
    c = join_group(tmp_path / "c", b.credentials(), "spare laptop")
    try:
        sync_pair(a, b)
        a.membership.promote(c.device_id)
        everyone = (a, b, c, d)
        sync_all(everyone)
        ranked = [x.id for x in a.membership.list()]
        assert ranked.index(b.device_id) < ranked.index(c.device_id)
        cs = _forged(d, ADMIT, {"device": c.device_id, "public_key": public, "name": "spare laptop"}, d_admitted + 1)
        for g in everyone:
            g.replica.apply([cs])
        with pytest.raises(MembershipRefused, match="more senior"):
            c.membership.demote(b.device_id)
        for g in (a, c):
            listed = {x.id: x for x in g.membership.list()}
            assert [x.id for x in g.membership.list()] == ranked
            assert listed[c.device_id].admitted_by == b.device_id
    finally:
        for g in (b, c, d):
            g.close()


def test_a_removed_devices_two_versions_of_a_taken_back_changeset_do_not_split_the_group(three, tmp_path):
    """A removed admin signs two versions of its next changeset ('promote b' to a, 'promote c' to c):
    both are taken back, count nowhere, and a and c agree."""
    from organiser.core.membership import PROMOTE
    a, b, c = three
    d = add_device(a, tmp_path / "d", "bad laptop")
    try:
        a.membership.promote(c.device_id)
        a.membership.promote(d.device_id)
        everyone = (a, b, c, d)
        sync_all(everyone)
        a.membership.remove(d.device_id)
        sync_pair(a, c)  # a and c both know d is removed
        stamp = _last_stamp(a) + 1
        to_a = _forged(d, PROMOTE, {"device": b.device_id}, stamp)
        to_c = _forged(d, PROMOTE, {"device": c.device_id}, stamp)
        assert to_a.seq == to_c.seq and to_a.hash != to_c.hash
        a.replica.apply([to_a])
        c.replica.apply([to_c])
        c_seq = c.replica.version_vector().get(c.device_id, 0)
        b.replica.commit([LocalOp(MEMBERSHIP_KIND, new_id(), REMOVE, {"device": c.device_id, "kept": c_seq})])
        c.membership.remove(b.device_id)  # c has not seen b's entry
        honest = (a, b, c)
        sync_all(honest, rounds=3)
        assert _roster(a) == _roster(c)
        assert a.replica.state_hash() == c.replica.state_hash()
    finally:
        d.close()


def test_taking_back_a_members_admission_takes_back_the_admitted_devices_data_everywhere(three, tmp_path):
    """Probe: while members may invite, b admits x, and x adds a member; the founder then removes b
    taking back everything b wrote since before the admission. x no longer belongs: a, who stored
    x's changeset before, and c, who hears of it only afterwards, must show the same."""
    from datetime import UTC, datetime

    from organiser.services.group import join_group, prepare_join
    a, b, c = three
    a.membership.set_policy(members_may_invite=True)
    for p, q in ((a, b), (a, c)):
        sync_pair(p, q)
    time.sleep(0.01)
    cut = datetime.now(UTC)
    time.sleep(0.01)
    _path, public = prepare_join(tmp_path / "x", a.id)
    b.admit_device(public, "visitor laptop")
    x = join_group(tmp_path / "x", b.credentials(), "visitor laptop")
    try:
        sync_pair(b, x)
        x.members.add("Spam")
        sync_pair(b, x)
        sync_pair(a, b)
        assert "Spam" in [m.name for m in a.members.list()]
        a.membership.remove(b.device_id, undo_since=cut)
        for _round in range(2):
            sync_pair(a, c)
        assert x.device_id not in {d["id"] for d in a.devices()}
        assert [m.name for m in a.members.list()] == [m.name for m in c.members.list()]
        assert a.replica.state_hash() == c.replica.state_hash()
        assert "Spam" not in [m.name for m in a.members.list()]
    finally:
        x.close()


def test_an_admin_cannot_shield_a_removed_device_with_an_earlier_removal_keeping_everything(three, tmp_path):
    """The founder removes x; b (a junior admin) signs its own removal of x stamped earlier, keeping
    everything. Of several removals of one device the one keeping least stands: x stays removed."""
    a, b, c = three
    x = add_device(a, tmp_path / "x", "visitor laptop")
    try:
        a.membership.promote(b.device_id)
        promoted = _last_stamp(a)
        everyone = (a, b, c, x)
        sync_all(everyone)
        x.members.add("Spam")  # not heard by anyone yet
        time.sleep(0.01)
        a.membership.remove(x.device_id)
        removed = _last_stamp(a)
        assert removed - promoted >= 2
        cs = _forged(b, REMOVE, {"device": x.device_id, "kept": 10**9}, (promoted + removed) // 2)
        a.replica.apply([cs])
        sync_pair(a, x)
        assert _roster(a)[x.device_id][0]
        assert "Spam" not in [m.name for m in a.members.list()]
    finally:
        x.close()


def test_a_members_flood_taken_back_is_not_handed_on_again_once_a_policy_exists(three):
    """Under a policy only changesets holding an admission are handed on: a flood of demotions is not."""
    from datetime import UTC, datetime

    from organiser.core.membership import DEMOTE
    a, b, c = three
    a.membership.set_policy(members_may_invite=False)
    sync_pair(a, b)
    flood = [[LocalOp(MEMBERSHIP_KIND, new_id(), DEMOTE, {"device": a.device_id})] for _ in range(20)]
    b.replica.commit_batch(flood)
    sync_pair(a, b)
    a.membership.remove(b.device_id, undo_since=datetime.fromtimestamp(0, UTC))
    sync_pair(a, c)
    assert [cs.author for cs in a.replica.changes_since(c.replica.version_vector())] == []


def test_a_junior_admin_cannot_win_a_lost_removal_race_by_removing_again(three):
    """b (senior admin) and c (junior admin) remove each other at once: b wins. c's second 'remove b',
    written after, does not save its first."""
    a, b, c = three
    a.membership.promote(b.device_id)
    a.membership.promote(c.device_id)
    for x, y in ((a, b), (a, c), (b, c)):
        sync_pair(x, y)
    c.membership.remove(b.device_id)
    b.membership.remove(c.device_id)  # neither has heard of the other's removal
    sync_pair(b, c)
    b_seq = c.replica.version_vector()[b.device_id]
    cs = _forged(c, REMOVE, {"device": b.device_id, "kept": b_seq}, _last_stamp(b) + 1)
    for g in (a, b):
        sync_pair(g, c)
        g.replica.apply([cs])
    sync_pair(a, b)
    for g in (a, b):
        assert _roster(g)[c.device_id][0], _roster(g)
        assert _roster(g)[b.device_id] == (False, True)
