"""More attacks on the membership log through replicas: malformed entries a peer sends, a removed
device replaying and forking its chain, floods, and two laptops hearing the same entries in
different orders and batches. Helpers from tests/store/test_membership_attacks.py."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

import pytest

from organiser.core.changeset import Changeset, Op, decode_changeset
from organiser.core.membership import ADMIT, DEMOTE, MEMBERSHIP_KIND, POLICY, PROMOTE, REMOVE
from organiser.core.records import new_id
from organiser.services.devices import MembershipRefused
from organiser.services.group import Group
from tests.bad_peer import BadPeer, new_member
from tests.conftest import add_device, sync_all, sync_pair
from tests.store.test_membership_attacks import _forged, _last_stamp, _new_key, _roster
from tests.store.test_peer_checks import _sync_with_proofs


def _entry(action: str, value: object, record: str | None = None) -> list[Op]:
    return [Op(MEMBERSHIP_KIND, record or new_id(), action, value)]


def _log_size(g: Group) -> int:
    return g.db.execute("SELECT count(*) FROM membership_log").fetchone()[0]


_KEY, _DEVICE = _new_key()
NOT_AN_ENTRY = "not a membership entry this app could have written"
# What a modified client sends in place of an entry: (ops, the start of the sentence refusing it).
MALFORMED = {
    "an admission that is a list": (_entry(ADMIT, [_DEVICE, _KEY]), f"admit: {NOT_AN_ENTRY}"),
    "an admission that is a text": (_entry(ADMIT, "admit everyone"), f"admit: {NOT_AN_ENTRY}"),
    "an entry that is null": (_entry(PROMOTE, None), "promote: it empties a field"),
    "a device named by a nested object": (_entry(PROMOTE, {"device": {"$ne": ""}}), f"promote: {NOT_AN_ENTRY}"),
    "a device named by a list": (_entry(REMOVE, {"device": [_DEVICE], "kept": 0}), f"remove: {NOT_AN_ENTRY}"),
    "a kept that is a fraction": (_entry(REMOVE, {"device": _DEVICE, "kept": 1.5}), f"remove: {NOT_AN_ENTRY}"),
    "a kept past 2^53": (_entry(REMOVE, {"device": _DEVICE, "kept": 2**60}), f"remove: {NOT_AN_ENTRY}"),
    "a name of 10,000 characters": (_entry(ADMIT, {"device": _DEVICE, "public_key": _KEY, "name": "x" * 10_000}),
                                    f"admit: {NOT_AN_ENTRY}"),
    "seventeen fields": (_entry(ADMIT, {f"field{n}": n for n in range(17)}), f"admit: {NOT_AN_ENTRY}"),
    "a field name of 41 characters": (_entry(PROMOTE, {"d" * 41: _DEVICE}), f"promote: {NOT_AN_ENTRY}"),
    "an action no version writes": (_entry("grant", {"device": _DEVICE}),
                                    "it writes a field a membership does not have"),
    "an entry under a record id no app makes": (_entry(PROMOTE, {"device": _DEVICE}, record="../../etc"),
                                                "it names a record by an id that is not one this app makes"),
    "a demotion's seen as a map": (_entry(DEMOTE, {"device": _DEVICE, "seen": {_DEVICE: 1}}),
                                   f"demote: {NOT_AN_ENTRY}"),
    "a closing's seen nested twice": (_entry(POLICY, {"members_may_invite": False, "seen": {_DEVICE: {"seq": 1}}}),
                                      "policy: 'seen' must map laptop ids"),
    "a closing's seen number past 2^53": (_entry(POLICY, {"members_may_invite": False, "seen": {_DEVICE: 2**60}}),
                                          "policy: 'seen' must map laptop ids"),
    "a closing's seen as a list of pairs": (_entry(POLICY, {"members_may_invite": False, "seen": [[_DEVICE, 1]]}),
                                            f"policy: {NOT_AN_ENTRY}"),
    "a policy with a second nested object": (_entry(POLICY, {"members_may_invite": False, "seen": {},
                                                             "extra": {"a": 1}}), f"policy: {NOT_AN_ENTRY}"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_membership_entry_from_a_peer_is_refused_with_a_sentence_and_changes_nothing(two_devices, case):
    a, b = two_devices
    a.membership.promote(b.device_id)  # an admin's entries would count, were they well formed
    sync_pair(a, b)
    ops, sentence = MALFORMED[case]
    before, log_before, state_before = _roster(a), _log_size(a), a.replica.state_hash()
    result = a.replica.apply([BadPeer(b).sign(ops)], source=b.device_id)
    assert result.applied == 0
    [refusal] = result.refused
    assert refusal.reason.startswith(sentence), refusal.reason
    assert (_roster(a), _log_size(a), a.replica.state_hash()) == (before, log_before, state_before)
    assert a.incidents(), "the refusal is reported on the receiving laptop"


def test_a_closing_naming_a_hundred_thousand_devices_is_refused_for_its_size(two_devices):
    a, b = two_devices
    a.membership.promote(b.device_id)
    sync_pair(a, b)
    seen = {f"{n:032x}": 1 for n in range(100_000)}
    cs = BadPeer(b).sign(_entry(POLICY, {"members_may_invite": False, "seen": seen}))
    result = a.replica.apply([cs], source=b.device_id)
    [refusal] = result.refused
    assert refusal.code == "size" and "larger than allowed" in refusal.reason
    assert a.replica.version_vector().get(b.device_id, 0) < cs.seq


def test_a_members_flood_of_demotions_is_stored_and_changes_nothing_and_the_laptop_goes_on(three, monkeypatch):
    """B, a plain member, sends one changeset of 3,000 demotions of the founder naming `seen` 0,
    stamped after the founder's entries. It is well formed, so it is stored; it changes nothing,
    and the next admin action evaluates the log in a few passes (before: one replay of the log per
    demotion, some 10 s here at each evaluation, for good). The work is counted, not timed."""
    import organiser.core.membership as rules
    a, b, c = three
    sync_all((a, b, c))
    flood = [op for _ in range(3_000) for op in _entry(DEMOTE, {"device": a.device_id, "seen": 0})]
    result = a.replica.apply([BadPeer(b).sign(flood)], source=b.device_id)
    assert result.applied == 1
    assert _roster(a)[a.device_id] == (False, True)
    count = [0]
    apply = rules._apply

    def counted(*args):  # type: ignore[no-untyped-def]
        count[0] += 1
        return apply(*args)

    monkeypatch.setattr(rules, "_apply", counted)
    a.membership.promote(c.device_id)  # evaluates the log three times (reading, the trial, the commit)
    assert _roster(a)[c.device_id] == (False, True)
    assert count[0] < 3 * 20 * _log_size(a), count[0]  # it was about 9 million per evaluation


# ---- a removed device replaying, back-dating, forking ---------------------------------------------


def _removed_admin(three, tmp_path) -> tuple[Group, Group, Group, Group]:
    """d, an admin, wrote a member and was removed by the founder keeping all it wrote."""
    a, b, c = three
    d = add_device(a, tmp_path / "d", "bad laptop")
    a.membership.promote(d.device_id)
    sync_all((a, b, c, d))
    d.members.add("Written before the removal")
    sync_all((a, b, c, d))
    a.membership.remove(d.device_id)
    sync_all((a, b, c))
    return a, b, c, d


def test_a_removed_device_replaying_the_founders_old_entries_and_its_own_changes_nothing(three, tmp_path):
    """d gathers every changeset it ever held (the founder's promotion of it among them) and sends
    them all again, twice, shuffled, to b: duplicates of entries count once."""
    a, b, c, d = _removed_admin(three, tmp_path)
    try:
        before, state = _roster(b), b.replica.state_hash()
        everything = d.replica.changes_since({})
        replay = everything + everything
        random.Random(7).shuffle(replay)
        b.replica.apply(replay)
        assert (_roster(b), b.replica.state_hash()) == (before, state)
        assert _roster(b)[d.device_id] == (True, False)
    finally:
        d.close()


def test_a_removed_admin_forking_a_kept_changeset_to_remove_the_founder_is_set_aside_alike(three, tmp_path):
    """d signs a second version of a changeset its removal keeps, holding a removal of the founder
    stamped long before: a fork. Its author is set aside from that number on every device, the
    founder stays an admin, and a and c agree whichever version each heard first."""
    a, b, c, d = _removed_admin(three, tmp_path)
    try:
        kept = a.replica.version_vector()[d.device_id]
        original = decode_changeset(*a.db.execute("SELECT body, signature FROM changes WHERE author = ? AND seq = ?",
                                                  [d.device_id, kept]).fetchone())
        fork = BadPeer(d).sign(_entry(REMOVE, {"device": a.device_id, "kept": 1}), hlc=original.hlc - 1,
                               seq=kept, prev=original.prev)
        assert fork.hash != original.hash
        a.replica.apply([fork])
        c.replica.apply([fork])
        assert a.replica.state_hash() == c.replica.state_hash()
        for x, y in ((a, b), (b, c), (a, c)):
            _sync_with_proofs(x, y)  # b hears of the fork as a sync session tells it: with the proof
        for g in (a, b, c):
            assert _roster(g)[a.device_id] == (False, True), g.device_name
            assert _roster(g)[d.device_id][0], g.device_name
            assert "Written before the removal" not in [m.name for m in g.members.list()], g.device_name
        assert len({g.replica.state_hash() for g in (a, b, c)}) == 1
    finally:
        d.close()


# ---- an admin demoted while removing others ---------------------------------------------------------


def test_a_removal_by_an_admin_demoted_at_the_same_time_gives_back_what_it_took_everywhere(three, tmp_path):
    """c (admin) removes x taking back all x wrote, while the founder, not having seen it, demotes c.
    c's removal counts nowhere: x and what x wrote come back on c, which had taken them back."""
    a, b, c = three
    x = add_device(a, tmp_path / "x", "visitor laptop")
    try:
        a.membership.promote(c.device_id)
        x.members.add("Written by the visitor")
        sync_all((a, b, c, x))
        c.membership.remove(x.device_id, undo_since=datetime.fromtimestamp(0, UTC))
        assert "Written by the visitor" not in [m.name for m in c.members.list()]
        a.membership.demote(c.device_id)
        sync_all((a, b, c), rounds=2)
        for g in (a, b, c):
            assert _roster(g)[x.device_id] == (False, False), g.device_name
            assert "Written by the visitor" in [m.name for m in g.members.list()], g.device_name
        assert len({g.replica.state_hash() for g in (a, b, c)}) == 1
    finally:
        x.close()


def test_an_admin_cannot_remove_the_admin_who_promoted_it_taking_back_that_promotion(three):
    """b promotes c; c removes b with an undo time before that promotion. The removal would take
    back what made c an admin: refused with a sentence. Keeping the promotion, it stands."""
    a, b, c = three
    a.membership.promote(b.device_id)
    sync_pair(a, b)
    time.sleep(0.01)
    before_promotion = datetime.now(UTC)
    time.sleep(0.01)
    b.membership.promote(c.device_id)
    sync_all((a, b, c))
    with pytest.raises(MembershipRefused, match="It would take back the entries that let its author write it"):
        c.membership.remove(b.device_id, undo_since=before_promotion)
    c.membership.remove(b.device_id)
    sync_all((a, b, c))
    for g in (a, b, c):
        assert _roster(g)[b.device_id] == (True, False), g.device_name
        assert _roster(g)[c.device_id] == (False, True), g.device_name


def test_a_stale_admins_demotion_voids_an_old_removal_it_had_not_received(three, tmp_path):
    """A design choice, with its price: c (admin) removes x; b, an admin that has not heard from c
    since, demotes c. The demotion names the last changeset of c that b had seen, and c's removal
    lies past it and claims an earlier stamp: no receiver can tell an old entry b missed from one c
    back-dated after hearing of its demotion, so it is judged as written after, and x comes back.
    The recourse is an ordinary one: any admin removes x again, and that removal stands."""
    a, b, c = three
    x = add_device(a, tmp_path / "x", "stolen laptop")
    try:
        a.membership.promote(b.device_id)
        a.membership.promote(c.device_id)
        sync_all((a, b, c, x))
        c.membership.remove(x.device_id)
        sync_pair(a, c)  # b has not heard of it
        b.membership.demote(c.device_id)
        sync_all((a, b, c), rounds=2)
        for g in (a, b, c):
            assert _roster(g)[x.device_id] == (False, False), g.device_name
        a.membership.remove(x.device_id)
        sync_all((a, b, c), rounds=2)
        for g in (a, b, c):
            assert _roster(g)[x.device_id][0], g.device_name
    finally:
        x.close()


# ---- two laptops hearing the same entries in different orders and batches -------------------------


def _everything(devices: tuple[Group, ...]) -> list[Changeset]:
    """Every changeset these devices hold, withdrawn ones too, once each."""
    found: dict[str, Changeset] = {}
    for g in devices:
        for table in ("changes", "withdrawn_changes"):
            for body, signature in g.db.execute(f"SELECT body, signature FROM {table}").fetchall():
                cs = decode_changeset(body, signature)
                found[cs.hash] = cs
    return sorted(found.values(), key=lambda cs: (cs.author, cs.seq))


def _deliver(g: Group, changesets: list[Changeset], batch: int, seed: int) -> None:
    """Hand `g` the changesets shuffled, `batch` at a time, again until it takes no more (a peer
    sending what is missing at each conversation); bounded."""
    rng = random.Random(seed)
    for _round in range(len(changesets) + 2):
        missing = [cs for cs in changesets if cs.seq > g.replica.version_vector().get(cs.author, 0)]
        rng.shuffle(missing)
        applied = sum(g.replica.apply(missing[i:i + batch]).applied for i in range(0, len(missing), batch))
        if not applied:
            return


def test_two_laptops_hearing_a_contested_log_in_different_orders_and_batches_agree(three, tmp_path):
    """A log with a demotion racing the demoted admin's removal, a member's back-dated forged
    entries, a removal race between admins, a policy opened and closed: two laptops that took no
    part hear all of it, one all at once, the other shuffled one changeset at a time, and end with
    the same roster and records as those that took part."""
    a, b, c = three
    x = add_device(a, tmp_path / "x", "visitor laptop")
    late = [add_device(a, tmp_path / name, name) for name in ("late one", "late two")]
    try:
        everyone = (a, b, c, x)
        sync_all(everyone)
        a.membership.promote(b.device_id)
        a.membership.promote(c.device_id)
        a.membership.set_policy(members_may_invite=True)
        opened = _last_stamp(a)
        sync_all(everyone)
        x.members.add("Visitor's note")
        c.membership.remove(x.device_id)  # at the same time as its demotion
        a.membership.demote(c.device_id)
        key, device = _new_key()
        x.replica.apply([_forged(x, ADMIT, {"device": device, "public_key": key, "name": "accomplice"}, opened + 1)])
        x.replica.apply([_forged(x, REMOVE, {"device": a.device_id, "kept": 0}, opened + 2)])
        b.membership.remove(c.device_id)  # neither has heard of the other's yet
        sync_pair(a, b)
        a.membership.set_policy(members_may_invite=False)
        sync_all(everyone, rounds=3)
        all_of_it = _everything(everyone)
        _deliver(late[0], all_of_it, batch=len(all_of_it), seed=1)
        _deliver(late[1], all_of_it, batch=1, seed=2)
        rosters = [sorted(_roster(g).items()) for g in (*everyone, *late)]
        assert all(r == rosters[0] for r in rosters), rosters
        assert len({g.replica.state_hash() for g in (*everyone, *late)}) == 1
        assert _roster(a)[a.device_id] == (False, True)
    finally:
        for g in (x, *late):
            g.close()


def test_promote_demote_flood_of_a_plain_member_counts_nowhere_in_any_order(three):
    """A member's forged promotions of itself, demotions of the founder and closings, back-dated:
    in whatever order two laptops hear them, none has effect."""
    a, b, c = three
    peer = BadPeer(b)
    stamp = _last_stamp(a)
    forged = [peer.sign(_entry(action, value), hlc=stamp - n) for n, (action, value) in enumerate([
        (PROMOTE, {"device": b.device_id}),
        (DEMOTE, {"device": a.device_id, "seen": 0}),
        (POLICY, {"members_may_invite": True}),
        (REMOVE, {"device": c.device_id, "kept": 0}),
        (POLICY, {"members_may_invite": False, "seen": {a.device_id: 0}}),
    ])]
    a.replica.apply(forged)
    for cs in reversed(forged):
        c.replica.apply([cs])
    sync_pair(a, c)
    for g in (a, c):
        assert _roster(g) == {a.device_id: (False, True), b.device_id: (False, False), c.device_id: (False, False)}
    assert a.replica.state_hash() == c.replica.state_hash()


def test_an_admin_removing_itself_is_refused_with_a_sentence_and_another_admin_can(three):
    """A removal of its own author keeps less than the removal itself, so it would take back its
    own entry (the rules give it no effect): the service says so in words."""
    a, b, _c = three
    a.membership.promote(b.device_id)
    sync_pair(a, b)
    with pytest.raises(MembershipRefused, match="a laptop cannot remove itself; another admin of the group can"):
        b.membership.remove(b.device_id)
    a.membership.remove(b.device_id)
    sync_pair(a, b)
    assert _roster(b)[b.device_id] == (True, False)


def test_a_changeset_kept_aside_after_a_removal_is_checked_like_any_other_before_it_can_come_back(three, tmp_path):
    """b (senior admin) and c (junior admin) remove each other at once; b, in bad faith, then signs a
    member whose name is an object. a hears of c's removal of b first, so b's later changesets reach
    it as a removed device's, kept aside; then b wins the race and they come back. Kept aside without
    the checks a changeset passes on receipt, the malformed one came back into a's records, while x,
    which heard b first, refused it: a and x disagreed for good."""
    from tests.bad_peer import new_member
    a, b, c = three
    x = add_device(a, tmp_path / "x", "fourth laptop")
    try:
        a.membership.promote(b.device_id)
        a.membership.promote(c.device_id)
        sync_all((a, b, c, x))
        c.membership.remove(b.device_id)
        b.membership.remove(c.device_id)  # neither has heard of the other's
        malformed = BadPeer(b).sign(new_member({"first": "Ana"}))
        sync_pair(a, c)  # a: b is removed
        b_later = [*b.replica.changes_since(a.replica.version_vector()), malformed]
        a.replica.apply(b_later)
        x.replica.apply([*b.replica.changes_since(x.replica.version_vector()), malformed])
        sync_all((a, c, x), rounds=2)
        for g in (a, c, x):
            assert _roster(g)[c.device_id][0] and not _roster(g)[b.device_id][0], g.device_name
            assert all(type(m.name) is str for m in g.members.list()), g.device_name
        assert len({g.replica.state_hash() for g in (a, c, x)}) == 1
        assert a.db.execute("SELECT count(*) FROM withdrawn_changes WHERE author = ? AND seq = ?",
                            [b.device_id, malformed.seq]).fetchone()[0] == 0
    finally:
        x.close()


def _two_versions_in_a_removal_race(three, tmp_path) -> tuple[Group, Group, Group, Group, Changeset, Changeset]:
    """b (senior admin) is removed by c (junior admin); a and x hear of it. b, not having heard,
    signs two versions of its next changeset: one removing c (it would win the removal race and
    undo its own removal) with a member, one promoting x with another member."""
    a, b, c = three
    x = add_device(a, tmp_path / "x", "fourth laptop")
    try:
        a.membership.promote(b.device_id)
        a.membership.promote(c.device_id)
        sync_all((a, b, c, x))
        c_seq = b.replica.version_vector().get(c.device_id, 0)
        c.membership.remove(b.device_id)
        sync_pair(a, c)
        sync_pair(x, c)  # a and x: b is removed
    except BaseException:
        x.close()
        raise
    peer = BadPeer(b)
    seq, prev = peer.seq + 1, peer.prev
    removal = peer.sign([*_entry(REMOVE, {"device": c.device_id, "kept": c_seq}), *new_member("Written by b")],
                        seq=seq, prev=prev)
    other = peer.sign([*_entry(PROMOTE, {"device": x.device_id}), *new_member("Also written by b")],
                      seq=seq, prev=prev)
    assert removal.hash != other.hash
    return a, b, c, x, removal, other


def _removal_race_outcome(g: Group, b: Group, c: Group, seq: int) -> None:
    """b's two versions are a fork: b is set aside from that number, so its removal of c counts
    nowhere; c's removal of b stands, and neither version's member is shown."""
    roster = _roster(g)
    assert roster[b.device_id][0] and not roster[c.device_id][0], g.device_name
    assert roster[c.device_id][1], g.device_name
    assert not {"Written by b", "Also written by b"} & {m.name for m in g.members.list()}, g.device_name
    assert g.db.execute("SELECT seq FROM forks_set_aside WHERE author = ?", [b.device_id]).fetchall() == [(seq,)]


def test_a_device_in_a_removal_race_cannot_split_the_group_with_two_versions_of_its_removal(three, tmp_path):
    """b signs two versions of its next changeset, one to a, one to x, which heard of its removal
    first and keep each version aside. a's version undoes b's removal, so a brought it back and
    showed it; x kept its own and ignored a's (one kept-aside version per number), and nothing told
    either of the other version: a said b belongs and c does not, x the reverse, for good. Now a
    second version of a number kept aside is a fork like one of a number stored, and its proof
    travels with both versions: everyone sets b aside from that number."""
    a, b, c, x, removal, other = _two_versions_in_a_removal_race(three, tmp_path)
    try:
        a.replica.apply([removal])
        x.replica.apply([other])
        for p, q in ((a, x), (x, c), (a, c), (a, x)):
            _sync_with_proofs(p, q)
        rosters = [sorted(_roster(g).items()) for g in (a, c, x)]
        assert rosters[0] == rosters[1] == rosters[2], rosters
        for g in (a, c, x):
            _removal_race_outcome(g, b, c, removal.seq)
        assert len({g.replica.state_hash() for g in (a, c, x)}) == 1
    finally:
        x.close()
