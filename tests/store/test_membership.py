"""Removal on real databases: later changesets refused, applied ones withdrawn, everywhere alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from organiser.core.errors import NotFoundError
from organiser.services.devices import MembershipRefused
from organiser.store.replica import RemovedError
from tests.conftest import add_device, admins_acting_unaware, sync_all, sync_pair


def test_a_removal_withdraws_what_the_device_wrote_after_the_kept_changeset_on_every_device(three):
    a, b, c = three
    ana = a.members.add("Ana")
    sync_pair(a, b)
    cut = datetime.now(UTC)
    b.members.edit(ana.id, name="Ana (vandalised)")
    b.members.add("Spam")
    sync_pair(b, c)  # c applies b's damage before anyone hears of the removal
    sync_pair(a, b)
    assert [m.name for m in c.members.list()] == ["Ana (vandalised)", "Spam"]
    a.membership.remove("minutes laptop", undo_since=cut)
    sync_pair(a, c)
    for g in (a, c):
        assert [m.name for m in g.members.list()] == ["Ana"]
    assert a.replica.state_hash() == c.replica.state_hash()
    sync_pair(a, b)  # b hears of its removal and takes its own changes back too
    assert b.replica.state_hash() == a.replica.state_hash()
    assert b.membership.this_device_removed()
    with pytest.raises(RemovedError):
        b.members.add("After removal")


def test_changesets_a_removed_device_writes_later_are_refused(three):
    a, b, c = three
    a.membership.remove(b.device_id)
    b.members.add("Written after removal")  # b has not heard yet
    result = c.replica.apply(b.replica.changes_since(c.replica.version_vector()))
    assert result.applied == 1  # c has not heard either
    sync_pair(a, c)
    assert c.members.list() == [] and a.members.list() == []
    refused = a.replica.apply(b.replica.changes_since({}))
    assert {r.reason for r in refused.refused} == {"its author was removed from the group"}


def test_only_admins_remove_promote_and_demote(three):
    a, b, c = three
    with pytest.raises(MembershipRefused, match="only an admin"):
        b.membership.remove(c.device_id)
    a.membership.promote("minutes laptop")
    sync_pair(a, b)
    b.membership.remove("spare laptop")
    sync_pair(a, b)
    assert not any(d["id"] == c.device_id for d in a.devices())
    with pytest.raises(MembershipRefused, match="more senior"):
        b.membership.demote("door laptop")


def test_a_removed_device_cannot_come_back_with_an_admission_it_writes_itself(three, tmp_path):
    a, b, c = three
    a.membership.promote(b.device_id)
    sync_pair(a, b)
    a.membership.remove(b.device_id)
    # b, not knowing, admits a device of its own making after the removal
    from organiser.services.group import prepare_join

    _path, public = prepare_join(tmp_path / "x", a.id)
    b.admit_device(public, "accomplice")
    sync_pair(a, b)
    sync_pair(a, c)
    for g in (a, b, c):
        assert {d["name"] for d in g.devices()} == {"door laptop", "spare laptop"}


def test_an_invite_is_used_once_in_the_admissions_transaction_and_others_cannot_burn_it(three):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from organiser.core.keys import public_key_hex
    from organiser.core.membership import MEMBERSHIP_KIND
    from organiser.store import invites
    from organiser.store.membership import InviteUsed
    from organiser.store.replica import LocalOp

    a, b, _c = three
    invites.add_invite(a.db, "invite-1", "hash-1", 2_000_000_000)
    first, second = (public_key_hex(Ed25519PrivateKey.generate()) for _ in range(2))
    a.admit_device(first, "first laptop", invite="invite-1")
    assert invites.find_invite(a.db, "hash-1").used_by is not None
    head = a.replica.version_vector()
    with pytest.raises(InviteUsed):
        a.admit_device(second, "second laptop", invite="invite-1")
    assert a.replica.version_vector() == head  # nothing stored
    # a member naming that invite in an admission of its own changes nothing, and breaks nothing
    b.replica.commit([LocalOp(MEMBERSHIP_KIND, "x" * 32, "admit", {"device": "0" * 32, "public_key": second,
                                                                   "name": "sneaky", "invite": "invite-1"})])
    result = a.replica.apply(b.replica.changes_since(a.replica.version_vector()))
    assert result.applied == 1 and not result.refused
    assert "sneaky" not in {d["name"] for d in a.devices()}


def test_entries_a_removal_took_back_still_reach_every_device_so_all_agree(group, tmp_path):
    """Found by tests/store/test_membership_machine.py. Three admins act before hearing of each
    other: d0 demotes d2, then itself; d2 removes d1 and all it wrote; d1 removes d0, keeping what
    it had seen. Whichever removal stands decides which of the others count, and the devices that
    hold d1's removal of d0 only kept aside (d1's own changesets are taken back) must still hand it
    on: d3 and d4, who did nothing, hold the same entries and agree with everyone."""
    d = [group, *(add_device(group, tmp_path / f"d{i}", f"device {i}") for i in range(1, 5))]
    try:
        admins_acting_unaware(d)
        sync_all(d, rounds=len(d) + 2)
        rosters = [sorted((m.id, m.admin, m.removed, m.kept) for m in g.membership.list()) for g in d]
        assert all(r == rosters[0] for r in rosters), rosters
        assert len({g.replica.state_hash() for g in d}) == 1
    finally:
        for g in d[1:]:
            g.close()


def test_a_members_flood_taken_back_is_not_handed_on_again(three):
    """A member (never an admin) fills the log with entries that count for nothing, and an admin
    removes it taking back all it wrote: the flood stays aside, it is not sent at every sync."""
    from organiser.core.membership import DEMOTE, MEMBERSHIP_KIND
    from organiser.core.records import new_id
    from organiser.store.replica import LocalOp

    a, b, c = three
    flood = [[LocalOp(MEMBERSHIP_KIND, new_id(), DEMOTE, {"device": a.device_id})] for _ in range(20)]
    b.replica.commit_batch(flood)
    sync_pair(a, b)
    a.membership.remove(b.device_id, undo_since=datetime.fromtimestamp(0, UTC))
    sync_pair(a, c)
    sync_pair(b, c)
    assert a.replica.db.execute("SELECT count(*) FROM withdrawn_changes").fetchone()[0] >= 20
    assert a.replica.kept_aside_entries({}) == []
    assert [cs.author for cs in a.replica.changes_since(c.replica.version_vector())] == []


def test_a_member_cannot_keep_a_removal_of_an_admin_in_reserve_to_survive_its_own_removal(three):
    """b, admitted before c and so senior to it by admission, is no admin. It writes a "removal"
    of the admin c and keeps it to itself; when c removes b, b releases it, as if two admins had
    removed each other at once (where the more senior wins). Only an admin's removal beats one."""
    from organiser.core.membership import MEMBERSHIP_KIND, REMOVE
    from organiser.core.records import new_id
    from organiser.store.replica import LocalOp

    a, b, c = three
    a.membership.promote(c.device_id)
    for x, y in ((a, b), (a, c), (b, c)):
        sync_pair(x, y)
    c_seq = c.replica.version_vector().get(c.device_id, 0)
    b.replica.commit([LocalOp(MEMBERSHIP_KIND, new_id(), REMOVE, {"device": c.device_id, "kept": c_seq})])
    c.membership.remove(b.device_id)  # c has not seen b's entry
    for _round in range(3):
        for x, y in ((a, b), (a, c), (b, c)):
            sync_pair(x, y)
    for g in (a, c):
        assert {d.id: d.removed for d in g.membership.list()}[b.device_id], g.membership.list()
        assert {d.id: d.admin for d in g.membership.list()}[c.device_id]


def test_a_removed_device_is_removed_again_only_to_take_back_more(three):
    """An admin removed b keeping all it wrote, then finds its recent edits were damage: removing
    it again with an undo time takes them back (the removal keeping least stands); removing it
    again without one is refused with a sentence saying how."""
    a, b, c = three
    b.members.add("Damage")
    sync_pair(a, b)
    a.membership.remove(b.device_id)
    assert [m.name for m in a.members.list()] == ["Damage"]
    with pytest.raises(MembershipRefused, match="removed already; to take back more of what it wrote, give an undo"):
        a.membership.remove(b.device_id)
    a.membership.remove(b.device_id, undo_since=datetime.fromtimestamp(0, UTC))
    with pytest.raises(MembershipRefused, match="only an earlier undo time takes back more"):
        a.membership.remove(b.device_id, undo_since=datetime.fromtimestamp(0, UTC))
    sync_pair(a, c)
    for g in (a, c):
        assert g.members.list() == []
        assert {d.id: d.kept for d in g.membership.list()}[b.device_id] == 0


def test_a_new_laptop_named_like_a_removed_one_is_the_one_its_name_removes(three, tmp_path):
    a, b, _c = three
    a.membership.remove("minutes laptop")
    new = add_device(a, tmp_path / "new", "minutes laptop")  # the laptop that took the old one's place
    assert a.membership.remove("minutes laptop").id == new.device_id
    assert a.membership.find(b.device_id, include_removed=True).removed


def test_a_name_two_current_laptops_share_is_refused_with_each_named_by_its_id(three, tmp_path):
    a, _b, _c = three
    twin = add_device(a, tmp_path / "twin", "door laptop")
    with pytest.raises(NotFoundError) as refused:
        a.membership.remove("door laptop")
    said = str(refused.value)
    assert f"door laptop ({a.device_id[:8]}, this laptop)" in said and f"door laptop ({twin.device_id[:8]})" in said
    assert "start of its id" in said
    assert not a.membership.find(twin.device_id).removed
