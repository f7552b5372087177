"""Forks of changesets kept aside after their author's removal (store/forks.py): a second version
of a number held is a fork wherever the held one is, stored or kept aside, and every laptop
settles it alike whatever order it hears the versions and the admins' choice in. The removal
race these start from is in tests/store/test_membership_attacker.py."""

from __future__ import annotations

import itertools

import pytest

from organiser.core.membership import REMOVE
from tests.bad_peer import BadPeer
from tests.conftest import sync_pair
from tests.store.test_membership_attacker import (
    _entry,
    _removal_race_outcome,
    _sync_with_proofs,
    _two_versions_in_a_removal_race,
)
from tests.store.test_membership_attacks import _roster


def test_two_versions_of_a_kept_aside_changeset_heard_in_opposite_orders_give_the_same_outcome(three, tmp_path):
    """a hears the version removing c first (brings b back, shows it, then sees the fork), x the
    other first (keeps it aside, then sees the fork), c both in one batch: without talking to each
    other, they end with the same roster, the same records and the same state hash."""
    a, b, c, x, removal, other = _two_versions_in_a_removal_race(three, tmp_path)
    try:
        a.replica.apply([removal])
        assert not _roster(a)[b.device_id][0]  # b won the race here, for now
        a.replica.apply([other])
        x.replica.apply([other])
        x.replica.apply([removal])
        c.replica.apply([other, removal])
        for g in (a, x, c):
            _removal_race_outcome(g, b, c, removal.seq)
            assert g.db.execute("SELECT count FROM incidents WHERE device = ? AND reason = 'fork'",
                                [b.device_id]).fetchall() == [(1,)], g.device_name
        records = [g.db.execute("SELECT id, kind, data FROM records ORDER BY id").fetchall() for g in (a, x, c)]
        assert records[0] == records[1] == records[2]
        assert _roster(a) == _roster(x) == _roster(c)
        assert len({g.replica.state_hash() for g in (a, x, c)}) == 1
    finally:
        x.close()


@pytest.mark.parametrize("keep", ["removal", "other"])
def test_an_admin_keeping_one_version_of_a_kept_aside_changeset_settles_it_alike_everywhere(three, tmp_path, keep):
    """The founder keeps one of b's two versions: the one removing c (b wins the race, and c is
    removed; its member is shown) or the other (c's removal of b stands, and the version stays
    kept aside). a and x, which held different versions kept aside, follow alike."""
    a, b, c, x, removal, other = _two_versions_in_a_removal_race(three, tmp_path)
    try:
        kept = {"removal": removal, "other": other}[keep]
        a.replica.apply([removal, other])
        x.replica.apply([other])
        x.replica.apply([removal])
        a.membership.keep_version(b.device_id, kept.seq, kept.hash)
        _sync_with_proofs(a, x)
        for g in (a, x):
            roster = _roster(g)
            assert roster[b.device_id][0] is (keep == "other"), g.device_name
            assert roster[c.device_id][0] is (keep == "removal"), g.device_name
            names = {m.name for m in g.members.list()}
            assert ("Written by b" in names, "Also written by b" in names) == (keep == "removal", False), g.device_name
            assert g.db.execute("SELECT count(*) FROM forks_set_aside").fetchone()[0] == 0, g.device_name
            assert g.db.execute("SELECT hash FROM forks WHERE author = ?", [b.device_id]).fetchall() == [
                ({"removal": other, "other": removal}[keep].hash,)], g.device_name
            table = "changes" if keep == "removal" else "withdrawn_changes"  # past b's removal: kept aside
            assert g.db.execute(f"SELECT hash FROM {table} WHERE author = ? AND seq = ?",
                                [b.device_id, kept.seq]).fetchall() == [(kept.hash,)], g.device_name
        assert _roster(a) == _roster(x)
        assert a.replica.state_hash() == x.replica.state_hash()
    finally:
        x.close()


def test_a_kept_aside_changeset_following_the_version_not_kept_counts_nowhere(three, tmp_path):
    """The founder keeps b's version promoting x, so c's removal of b stands. b then signs its next
    changeset after the version not kept, removing c again: kept aside as a removed device's, it
    would count in the log (a senior admin's removal in a race) and undo b's removal on the laptops
    that heard it after the decision. It follows a branch not kept: it is proof, nowhere counted."""
    a, b, c, x, removal, other = _two_versions_in_a_removal_race(three, tmp_path)
    try:
        a.replica.apply([removal, other])
        a.membership.keep_version(b.device_id, other.seq, other.hash)
        later = BadPeer(b).sign(_entry(REMOVE, removal.ops[0].value), seq=removal.seq + 1, prev=removal.hash)
        sync_pair(a, x)
        for g in (a, x):
            g.replica.apply([later])
            roster = _roster(g)
            assert roster[b.device_id][0] and not roster[c.device_id][0], g.device_name
            assert g.db.execute("SELECT hash FROM forks WHERE author = ? AND seq = ?",
                                [b.device_id, later.seq]).fetchall() == [(later.hash,)], g.device_name
            assert g.db.execute("SELECT count(*) FROM membership_log WHERE author = ? AND seq = ?",
                                [b.device_id, later.seq]).fetchone()[0] == 0, g.device_name
        assert a.replica.state_hash() == x.replica.state_hash()
    finally:
        x.close()


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_the_versions_and_the_choice_heard_in_any_order_give_what_the_chooser_shows(three, tmp_path, order):
    """The founder holds both versions and keeps the one undoing b's removal. x hears the two
    versions and that choice one by one, in every order: it ends as the founder does."""
    a, b, c, x, removal, other = _two_versions_in_a_removal_race(three, tmp_path)
    try:
        a.replica.apply([other, removal])
        before = a.replica.version_vector()[a.device_id]
        a.membership.keep_version(b.device_id, removal.seq, removal.hash)
        choice = a.replica.changes_since({a.device_id: before})
        heard = [[removal], [other], choice]
        for index in order:
            x.replica.apply(heard[index])
        roster = _roster(x)
        assert not roster[b.device_id][0] and roster[c.device_id][0]
        assert "Written by b" in {m.name for m in x.members.list()}
        assert _roster(a) == roster
        assert a.replica.state_hash() == x.replica.state_hash()
    finally:
        x.close()
