"""A member acting in bad faith against the admin's vouch (services/vouching.py): puppets named so
that the admin vouches for the wrong laptop, or reads a question that names an honest laptop.

The group: the office laptop (a, admin) lets members invite; the door laptop (b) a member's, an
admin let it in; the middle laptop (d) b let in; the minutes laptop (e) d admitted before
invitations by members reached one step: it waits for an admin. b acts in bad faith: it may admit
laptops (one step), and names them as it likes."""

from __future__ import annotations

import pytest

from organiser.core.errors import NotFoundError
from tests.conftest import add_device, let_in_before_one_step, sync_all, sync_pair, waiting_scene


@pytest.fixture
def group_with_a_waiting_laptop(tmp_path):
    made = waiting_scene(tmp_path)
    a, b, d, e = made
    yield a, b, d, e, made
    for g in made:
        g.close()


def test_a_puppet_named_as_the_waiting_laptops_id_does_not_take_its_vouch(group_with_a_waiting_laptop, tmp_path):
    """The app vouches for the row clicked by its id. A puppet b let in, named with the minutes
    laptop's id, was found first (by its name): the admin who clicked the minutes laptop was asked
    about, and vouched for, the puppet and what it admitted."""
    a, b, d, e, made = group_with_a_waiting_laptop
    puppet = add_device(b, tmp_path / "p", e.device_id)
    made.append(puppet)
    sync_all(made, rounds=2)

    planned = a.membership.plan_vouch(e.device_id)
    assert planned.device == e.device_id and planned.name == "minutes laptop"


def test_an_id_is_not_made_ambiguous_by_a_puppet_named_with_it(group_with_a_waiting_laptop, tmp_path):
    """A puppet named with the middle laptop's id made that id name two devices: the admin could
    neither vouch for the middle laptop nor remove it by its id."""
    a, b, d, e, made = group_with_a_waiting_laptop
    puppet = add_device(b, tmp_path / "p", d.device_id)
    made.append(puppet)
    sync_all(made, rounds=2)

    assert a.membership.find(d.device_id).name == "middle laptop"
    assert a.membership.plan_vouch(d.device_id).device == d.device_id
    removed = a.membership.remove(d.device_id)
    assert removed.id == d.device_id and removed.removed


def test_a_name_a_puppet_shares_with_the_waiting_laptop_is_refused_naming_both(group_with_a_waiting_laptop,
                                                                                tmp_path):
    """`device vouch "minutes laptop"`: a puppet b let in under that name was vouched for (it is in
    the roster, the waiting laptop is not), with what it admitted, and nothing asked."""
    a, b, d, e, made = group_with_a_waiting_laptop
    puppet = add_device(b, tmp_path / "p", "minutes laptop")
    made.append(puppet)
    sync_all(made, rounds=2)
    written = a.replica.version_vector()

    with pytest.raises(NotFoundError, match="more than one") as refused:
        a.membership.vouch("minutes laptop")
    assert e.device_id[:8] in str(refused.value) and puppet.device_id[:8] in str(refused.value)
    assert "waiting for an admin" in str(refused.value)
    assert a.replica.version_vector() == written
    assert a.membership.plan_vouch(e.device_id[:12]).device == e.device_id


def _admit_puppets(middle, names: list[str]) -> list[str]:
    """`middle` admits laptops whose keys its member holds, under these names, before invitations by
    members reached one step (what an earlier version signed): they wait for an admin. Their ids."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from organiser.core.keys import device_id_for, public_key_hex
    from tests.bad_peer import BadPeer, admission

    keys = [public_key_hex(Ed25519PrivateKey.generate()) for _name in names]
    ops = [admission(key, name) for key, name in zip(keys, names, strict=True)]
    middle.replica.apply([BadPeer(middle).sign(ops)])
    return [device_id_for(key) for key in keys]


# Names a reader takes for the door laptop's (b) or the office laptop's (a, the admin's own).
POSING = ["door laptop", "d\u043e\u043er laptop",  # Cyrillic o's
          "Door  Laptop", "do\u200bor laptop",  # another case and space; a zero-width space
          "office Iaptop",  # a capital I for the l
          "\uff44oor laptop"]  # a fullwidth d


def test_the_question_tells_the_admin_which_laptops_pose_as_laptops_of_the_group(group_with_a_waiting_laptop):
    """The middle laptop's member let in puppets named like the door laptop and the office laptop:
    the question named them among the laptops that come in with it, read as laptops the group has."""
    a, b, d, e, made = group_with_a_waiting_laptop
    ids = _admit_puppets(d, ["guest laptop", *POSING])
    sync_all(made, rounds=2)

    planned = a.membership.plan_vouch("middle laptop")
    assert len(planned.brings) == 1 + 1 + len(POSING)  # the minutes laptop, the guest and the posers
    said = planned.sentence()
    for device, name in zip(ids[1:], POSING, strict=True):
        theirs = "office laptop" if "ffice" in name else "door laptop"
        assert f"'{name}' (not the group's '{theirs}': another laptop, {device[:8]})" in said
    assert f"{len(POSING)} of them are named like laptops of the group" in said
    assert "'guest laptop'" in said and "'minutes laptop'" in said  # honest names are said as they are
    assert "'guest laptop' (" not in said and "'minutes laptop' (" not in said


def test_posing_laptops_are_named_first_however_many_come_in(group_with_a_waiting_laptop):
    """A poser hidden as the 200th of a puppet's flood was among the 'and 188 more' nobody reads."""
    a, b, d, e, made = group_with_a_waiting_laptop
    _admit_puppets(d, [f"guest {n}" for n in range(150)] + ["door laptop"])
    sync_all(made, rounds=2)

    said = a.membership.plan_vouch("middle laptop").sentence()
    assert "'door laptop' (not the group's 'door laptop'" in said
    assert "1 of them is named like a laptop of the group" in said


def test_a_waiting_laptop_named_like_a_laptop_of_the_group_is_said_so_when_vouched_for_itself(
        group_with_a_waiting_laptop):
    a, b, d, e, made = group_with_a_waiting_laptop
    (poser,) = _admit_puppets(d, ["d\u043e\u043er laptop"])
    sync_all(made, rounds=2)

    said = a.membership.plan_vouch(poser).sentence()
    assert said.startswith(f"'d\u043e\u043er laptop' (not the group's 'door laptop': another laptop, {poser[:8]}) "
                           "is now admitted")


def _admit_key(middle, public_key: str, name: str) -> None:
    """`middle` signs an admission of a key it knows (keys are no secret: every laptop holds them)."""
    from organiser.core.changeset import Op
    from organiser.core.keys import device_id_for
    from organiser.core.membership import ADMIT, MEMBERSHIP_KIND
    from organiser.core.records import new_id
    from tests.bad_peer import BadPeer

    value = {"device": device_id_for(public_key), "public_key": public_key, "name": name, "invite": ""}
    middle.replica.apply([BadPeer(middle).sign([Op(MEMBERSHIP_KIND, new_id(), ADMIT, value)])])


def test_a_laptop_an_admin_removed_is_never_brought_back_by_a_vouch(group_with_a_waiting_laptop, tmp_path):
    """The stolen laptop (s) came in through the spare laptop (c, a member); an admin removed it.
    Later the admin removed c too, taking back all it wrote (an infiltrator's): with c's admission
    of s taken back, the removal of s named a laptop that was no member, and counted nowhere. The
    middle laptop's member had signed an admission of s's key: s was listed as waiting for an
    admin, and a vouch for the middle laptop (or for s) brought the stolen laptop back."""
    from datetime import datetime

    a, b, d, e, made = group_with_a_waiting_laptop
    c = add_device(a, tmp_path / "c", "spare laptop")
    made.append(c)
    sync_all(made, rounds=2)
    s = add_device(c, tmp_path / "s", "stolen laptop")
    made.append(s)
    sync_all(made, rounds=2)
    stolen = a.membership.membership().devices[s.device_id]
    _admit_key(d, stolen.public_key, "stolen laptop")
    sync_all(made, rounds=2)
    a.membership.remove("stolen laptop")
    sync_all(made, rounds=2)
    a.membership.remove("spare laptop", undo_since=datetime(2000, 1, 1))
    sync_all(made, rounds=2)

    assert s.device_id not in {w.id for w in a.membership.waiting()}
    planned = a.membership.plan_vouch("middle laptop")
    assert s.device_id not in {w.id for w in planned.brings}
    with pytest.raises(NotFoundError):
        a.membership.plan_vouch(s.device_id)
    a.membership.vouch("middle laptop")
    sync_all(made, rounds=2)
    for g in made:
        if not g.membership.this_device_removed():
            assert not g.membership.membership().admitted(s.device_id)


def test_a_laptop_an_admin_removed_under_the_earlier_version_stays_out_after_a_vouch(group_with_a_waiting_laptop,
                                                                                      tmp_path):
    """Before invitations by members reached one step, the middle laptop's admission of the puppet
    counted, and an admin removed the puppet. Now that admission is ignored, the removal names no
    member and counts nowhere: the puppet was listed as waiting, and the vouch for the middle laptop
    brought it back."""
    from organiser.core.changeset import Op
    from organiser.core.membership import MEMBERSHIP_KIND, REMOVE
    from organiser.core.records import new_id
    from tests.bad_peer import BadPeer

    a, b, d, e, made = group_with_a_waiting_laptop
    puppet = let_in_before_one_step(d, tmp_path / "p", "puppet laptop")
    made.append(puppet)
    sync_all(made, rounds=2)
    # what the earlier version let the admin write: the removal of a laptop then in its roster
    removal = Op(MEMBERSHIP_KIND, new_id(), REMOVE, {"device": puppet.device_id, "kept": 0})
    a.replica.apply([BadPeer(a).sign([removal])])
    sync_all(made, rounds=2)

    assert [w.name for w in a.membership.waiting()] == ["minutes laptop"]
    assert [w.name for w in a.membership.plan_vouch("middle laptop").brings] == ["minutes laptop"]
    a.membership.vouch("middle laptop")
    sync_all(made, rounds=2)
    for g in (a, b, d, e):
        assert not g.membership.membership().admitted(puppet.device_id)


def test_a_removal_heard_while_the_admin_reads_the_question_stops_the_vouch(group_with_a_waiting_laptop, tmp_path):
    """The question named the puppet; before the admin confirmed, an admin's removal of it arrived
    (from a laptop of the earlier version, where it was in the roster): the vouch writes nothing."""
    from organiser.core.changeset import Op
    from organiser.core.membership import MEMBERSHIP_KIND, REMOVE
    from organiser.core.records import new_id
    from organiser.services.devices import MembershipRefused
    from tests.bad_peer import BadPeer

    a, b, d, e, made = group_with_a_waiting_laptop
    puppet = let_in_before_one_step(d, tmp_path / "p", "puppet laptop")
    made.append(puppet)
    sync_all(made, rounds=2)
    planned = a.membership.plan_vouch("middle laptop")
    assert "'puppet laptop'" in planned.sentence()

    removal = Op(MEMBERSHIP_KIND, new_id(), REMOVE, {"device": puppet.device_id, "kept": 0})
    a.replica.apply([BadPeer(a).sign([removal])])
    written = a.replica.version_vector()
    with pytest.raises(MembershipRefused, match="'puppet laptop' was removed by an admin"):
        a.membership.carry_out(planned)
    assert a.replica.version_vector() == written


def test_two_admins_vouching_at_once_on_two_laptops_leave_every_laptop_with_one_roster(group_with_a_waiting_laptop,
                                                                                         tmp_path):
    """The office laptop and a second admin's laptop vouch for the middle laptop without having heard
    of each other's vouch, and the second admin heard of a laptop the office laptop had not: every
    laptop, whichever it heard from first, ends with the same roster and the same records."""
    a, b, d, e, made = group_with_a_waiting_laptop
    c = add_device(a, tmp_path / "c", "second admin laptop")
    made.append(c)
    sync_all(made, rounds=2)
    a.membership.promote("second admin laptop")
    sync_all(made, rounds=2)
    late = let_in_before_one_step(d, tmp_path / "late", "late laptop")
    made.append(late)
    for g in (c, late):
        sync_pair(d, g)

    by_a = a.membership.vouch("middle laptop")
    by_c = c.membership.vouch("middle laptop")
    assert [w.name for w in by_a.brings] == ["minutes laptop"]
    assert [w.name for w in by_c.brings] == ["minutes laptop", "late laptop"]
    sync_pair(b, c)
    sync_pair(b, a)
    sync_pair(e, a)
    sync_pair(e, c)
    sync_all(made, rounds=3)

    def roster(g):
        held = g.membership.membership()
        return sorted((x.id, x.admitted_by, x.rank, x.admin, x.removed) for x in held.devices.values())

    assert len({repr(roster(g)) for g in made}) == 1
    assert len({g.replica.state_hash() for g in made}) == 1
    held = a.membership.membership()
    assert held.devices[late.device_id].admitted_by == c.device_id
    assert held.devices[d.device_id].admitted_by == a.device_id  # the senior admin's admission counts
    assert all(g.membership.waiting() == [] for g in made)


def test_a_vouch_another_admin_wrote_while_the_question_was_open_is_said_so(group_with_a_waiting_laptop, tmp_path):
    """The second admin read the question while the office laptop's vouch arrived: the answer was
    refused with "The device is already a member.", naming no laptop and not saying it was done."""
    from organiser.services.devices import MembershipRefused

    a, b, d, e, made = group_with_a_waiting_laptop
    c = add_device(a, tmp_path / "c", "second admin laptop")
    made.append(c)
    sync_all(made, rounds=2)
    a.membership.promote("second admin laptop")
    sync_all(made, rounds=2)
    planned = c.membership.plan_vouch("middle laptop")
    a.membership.vouch("middle laptop")
    sync_pair(a, c)
    written = c.replica.version_vector()

    with pytest.raises(MembershipRefused, match="'middle laptop' was vouched for by an admin meanwhile: nothing was "
                                                "written"):
        c.membership.carry_out(planned)
    assert c.replica.version_vector() == written
    assert c.membership.states()[e.device_id] == "member"


def test_the_middle_laptops_removal_heard_while_the_question_is_open_stops_the_vouch(group_with_a_waiting_laptop,
                                                                                   tmp_path):
    """An admin had vouched for the middle laptop alone (the version before): the minutes laptop waits
    under it. The office laptop asks about a vouch that brings the minutes laptop; meanwhile the
    second admin removes the middle laptop (an infiltrator's), and the answer still admitted the
    laptop it had let in."""
    from organiser.services.devices import MembershipRefused

    a, b, d, e, made = group_with_a_waiting_laptop
    c = add_device(a, tmp_path / "c", "second admin laptop")
    made.append(c)
    sync_all(made, rounds=2)
    a.membership.promote("second admin laptop")
    middle = a.membership.membership().devices[d.device_id]
    a.membership.admit(middle.public_key, middle.name)  # what the earlier vouch wrote
    sync_all(made, rounds=2)
    planned = a.membership.plan_vouch("middle laptop")
    assert not planned.admits_it and [w.name for w in planned.brings] == ["minutes laptop"]

    c.membership.remove("middle laptop")
    sync_pair(c, a)
    written = a.replica.version_vector()
    with pytest.raises(MembershipRefused, match="'middle laptop' was removed meanwhile: nothing was written"):
        a.membership.carry_out(planned)
    assert a.replica.version_vector() == written
    assert not a.membership.membership().admitted(e.device_id)


def test_the_laptops_a_removed_laptop_admitted_wait_for_nobody_though_an_admin_once_vouched_for_it(
        group_with_a_waiting_laptop):
    """An admin vouched for the middle laptop alone (the version before), then removed it: the minutes
    laptop it had let in was still listed as waiting, under a removed laptop, with Vouch… offered for
    it (where it was never vouched for, the removal took it off the list)."""
    a, b, d, e, made = group_with_a_waiting_laptop
    middle = a.membership.membership().devices[d.device_id]
    a.membership.admit(middle.public_key, middle.name)  # what the earlier vouch wrote
    sync_all(made, rounds=2)
    assert [w.name for w in a.membership.waiting()] == ["minutes laptop"]

    a.membership.remove("middle laptop")
    assert a.membership.waiting() == []
    assert e.device_id not in a.membership.states()


def test_a_puppet_named_as_the_honest_laptop_that_comes_in_with_it_is_told_apart(group_with_a_waiting_laptop):
    """The middle laptop let in the honest minutes laptop and a puppet of the same name (or one that
    looks the same): the question read "'minutes laptop', 'minutes laptop'", as if said twice."""
    a, b, d, e, made = group_with_a_waiting_laptop
    (puppet,) = _admit_puppets(d, ["minutes l\u0430ptop"])  # a Cyrillic a
    sync_all(made, rounds=2)

    planned = a.membership.plan_vouch("middle laptop")
    said = planned.sentence()
    assert f"'minutes laptop' ({e.device_id[:8]}: 2 laptops that come in are named alike)" in said
    assert f"'minutes l\u0430ptop' ({puppet[:8]}: 2 laptops that come in are named alike)" in said
    assert "2 of them are named alike" in said
