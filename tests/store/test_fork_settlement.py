"""An admin keeps one version of a fork: a signed decision that every device applies alike,
whatever order it learns the fork, the versions and the decision in. Real group databases,
exchanging what the sync layer exchanges (changesets each lacks, then the proofs of forks)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from organiser.core.changeset import Changeset, decode_changeset
from organiser.core.membership import POLICY
from organiser.core.records import new_id
from organiser.services.devices import MembershipRefused
from organiser.services.group import Group, create_group
from organiser.store import forks
from organiser.store.membership import entry_op
from tests.bad_peer import BadPeer, new_member
from tests.conftest import add_device, sync_pair


def exchange(x: Group, y: Group) -> None:
    """What a sync session does: the changesets each lacks, the other versions where HELLO's
    heads differ, then the proofs of forks."""
    vectors = {g.device_id: g.replica.version_vector() for g in (x, y)}
    heads = {g.device_id: forks.heads(g.db, vectors[g.device_id]) for g in (x, y)}
    sync_pair(x, y)
    for src, dst in ((x, y), (y, x)):
        differing = forks.differing_heads(dst.db, vectors[src.device_id], heads[src.device_id])
        if differing:
            lower = {**dst.replica.version_vector(), **{a: s - 1 for a, s in differing.items()}}
            dst.replica.apply([cs for cs in src.replica.changes_since(lower) if cs.author in differing])
    y.replica.apply([decode_changeset(*p) for p in forks.proofs_after(x.db, 0)[1]])
    x.replica.apply([decode_changeset(*p) for p in forks.proofs_after(y.db, 0)[1]])
    sync_pair(x, y)  # what a decision let in since


def names(device: Group) -> set[str]:
    return {m.name for m in device.members.list()}


class Fork:
    """door laptop (admin), minutes laptop (signs two versions of its number 3), spare and kitchen laptops."""

    def __init__(self, base: Path) -> None:
        self.a = create_group(base / "a", "Tenants Union", "door laptop")
        self.liar = add_device(self.a, base / "b", "minutes laptop")
        self.c = add_device(self.a, base / "c", "spare laptop")
        self.d = add_device(self.a, base / "d", "kitchen laptop")
        self.a.members.add("Ana")
        self.liar.members.add("Bruno, before the fork")
        for other in (self.liar, self.c, self.d, self.c):
            sync_pair(self.a, other)
        self.modified = BadPeer(self.liar)
        seq, prev = self.modified.seq + 1, self.modified.prev
        self.left = [self.modified.sign(new_member("Left")), self.modified.sign(new_member("Left again"))]
        self.right = self.modified.sign(new_member("Right"), seq=seq, prev=prev)
        self.seq = seq

    @property
    def honest(self) -> tuple[Group, ...]:
        return (self.a, self.c, self.d)

    def close(self) -> None:
        for device in (self.a, self.liar, self.c, self.d):
            device.close()


@pytest.fixture
def fork(tmp_path: Path) -> Iterator[Fork]:
    made = Fork(tmp_path)
    yield made
    made.close()


def own_changes(device: Group, vector: dict[str, int]) -> list[Changeset]:
    return [cs for cs in device.replica.changes_since(vector) if cs.author == device.device_id]


def test_two_laptops_learn_the_fork_and_the_decision_in_different_orders_and_show_the_same(fork: Fork) -> None:
    a, c, d = fork.honest
    a.replica.apply(fork.left)
    a.replica.apply([fork.right])  # a learns of the fork: the liar is set aside from its number 3
    assert forks.set_aside(a.db) == {fork.liar.device_id: fork.seq}
    assert not {"Left", "Right"} & names(a)
    (open_fork,) = a.forks.list()
    assert open_fork.open and {v.hash for v in open_fork.versions} == {fork.left[0].hash, fork.right.hash}
    assert {v.summary for v in open_fork.versions} == {"member 'Left'", "member 'Right'"}
    kept = a.forks.keep(open_fork.id, fork.left[0].hash[:8])  # the admin keeps the left branch
    assert kept.kept == fork.left[0].hash and not kept.open
    assert names(a) >= {"Left", "Left again"} and "Right" not in names(a)
    # c: the decision first, then the version that was not kept, then the fork
    c.replica.apply(own_changes(a, c.replica.version_vector()))
    c.replica.apply([fork.right])
    # d: the version that was not kept, then the fork from c, the decision last
    d.replica.apply([fork.right])
    d.replica.apply([fork.left[0]])
    assert forks.set_aside(d.db) == {fork.liar.device_id: fork.seq}
    for x, y in ((c, d), (a, c), (c, d), (a, d)):
        exchange(x, y)
    assert len({device.replica.state_hash() for device in fork.honest}) == 1
    for device in fork.honest:
        assert names(device) == {"Ana", "Bruno, before the fork", "Left", "Left again"}, device.device_name
        assert forks.set_aside(device.db) == {}
        (settled,) = device.forks.list()
        assert settled.kept == fork.left[0].hash and settled.kept_by_name == "door laptop"
        proof = device.db.execute("SELECT hash FROM forks WHERE author = ?", [fork.liar.device_id]).fetchall()
        assert proof == [(fork.right.hash,)]  # the branch not kept stays, as proof
    # the liar's later changesets on the kept branch are accepted again everywhere
    later = fork.modified.sign(new_member("After the choice"))
    assert a.replica.apply([later]).applied == 1
    for x, y in ((a, c), (c, d)):
        exchange(x, y)
    assert all("After the choice" in names(device) for device in fork.honest)
    assert len({device.replica.state_hash() for device in fork.honest}) == 1


def test_keeping_the_version_a_laptop_did_not_show_replaces_it_there(fork: Fork) -> None:
    a, c, _d = fork.honest
    c.replica.apply([fork.right])
    assert "Right" in names(c)  # c knows one version only: no fork to see yet
    a.replica.apply([*fork.left, fork.right])
    a.forks.keep(a.forks.list()[0].id, fork.left[0].hash)
    exchange(a, c)
    assert names(c) == names(a) == {"Ana", "Bruno, before the fork", "Left", "Left again"}
    assert c.replica.state_hash() == a.replica.state_hash()
    assert c.replica.version_vector()[fork.liar.device_id] == fork.seq + 1


def test_a_more_senior_admin_can_keep_the_other_version_and_every_device_follows(fork: Fork) -> None:
    a, c, _d = fork.honest
    a.membership.promote("spare laptop")
    sync_pair(a, c)
    for device in (a, c):
        device.replica.apply([*fork.left, fork.right])
    c.forks.keep(c.forks.list()[0].id, fork.right.hash[:6])
    exchange(a, c)
    assert "Right" in names(a) and "Left" not in names(a)
    a.forks.keep(a.forks.list()[0].id, fork.left[0].hash[:6])  # the founder is more senior
    exchange(a, c)
    for device in (a, c):
        assert {"Left", "Left again"} <= names(device) and "Right" not in names(device)
    assert a.replica.state_hash() == c.replica.state_hash()
    with pytest.raises(MembershipRefused, match="more senior admin"):
        c.forks.keep(c.forks.list()[0].id, fork.right.hash[:6])


def test_only_an_admin_keeps_a_version(fork: Fork) -> None:
    a, c, _d = fork.honest
    c.replica.apply([*fork.left, fork.right])
    with pytest.raises(MembershipRefused, match="only an admin"):
        c.forks.keep(c.forks.list()[0].id, fork.left[0].hash)
    assert forks.set_aside(c.db) == {fork.liar.device_id: fork.seq}


def test_membership_entries_count_only_from_the_version_kept(tmp_path: Path) -> None:
    """An admin's device that forks: a policy entry in one version only. While set aside it counts
    nowhere; once a version is kept, its entries count on every device, the other's nowhere."""
    a = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    liar = add_device(a, tmp_path / "b", "minutes laptop")
    c = add_device(a, tmp_path / "c", "spare laptop")
    try:
        a.membership.promote("minutes laptop")
        for other in (liar, c):
            sync_pair(a, other)
        modified = BadPeer(liar)
        seq, prev = modified.seq + 1, modified.prev
        left = modified.sign([entry_op(new_id(), POLICY, {"members_may_invite": True})])
        right = modified.sign(new_member("Right"), seq=seq, prev=prev)
        a.replica.apply([left])
        c.replica.apply([right])
        assert a.membership.membership().members_may_invite  # a knows one version only
        exchange(a, c)
        for device in (a, c):
            assert not device.membership.membership().members_may_invite, device.device_name
        assert a.replica.state_hash() == c.replica.state_hash()
        a.forks.keep(a.forks.list()[0].id, left.hash)
        exchange(a, c)
        for device in (a, c):
            assert device.membership.membership().members_may_invite, device.device_name
            assert "Right" not in names(device)
        a.forks.keep(a.forks.list()[0].id, right.hash)  # the admin changes its mind
        exchange(a, c)
        for device in (a, c):
            assert not device.membership.membership().members_may_invite, device.device_name
            assert "Right" in names(device)
        assert a.replica.state_hash() == c.replica.state_hash()
    finally:
        for device in (a, liar, c):
            device.close()
