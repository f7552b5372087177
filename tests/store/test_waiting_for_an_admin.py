"""A group that let members invite before invitations by members reached one step: the door laptop
(b, an admin let it in) admitted the middle laptop (d), which admitted the minutes laptop (e). After
the update e is out of the roster and its notes are kept aside. Every laptop lists it as waiting for
an admin, and an admin's vouch for d brings e (and its notes) back on every laptop."""

from __future__ import annotations

import pytest

from organiser.core.errors import NotFoundError
from organiser.services.devices import MembershipRefused
from organiser.services.group import create_group
from tests.conftest import add_device, let_in_before_one_step, sync_all


@pytest.fixture
def after_the_update(tmp_path):
    """a: the office laptop (admin); b: the door laptop (a member's, an admin let it in); c: a
    laptop an admin let in; d: the middle laptop b let in; e: the minutes laptop d let in."""
    a = create_group(tmp_path / "a", "Tenants Union", "office laptop")
    a.membership.set_policy(members_may_invite=True)
    b = add_device(a, tmp_path / "b", "door laptop")
    c = add_device(a, tmp_path / "c", "spare laptop")
    sync_all([a, b, c])
    d = add_device(b, tmp_path / "d", "middle laptop")
    sync_all([a, b, c, d], rounds=2)
    e = let_in_before_one_step(d, tmp_path / "e", "minutes laptop")
    e.members.add(name="Noted at the meeting")
    sync_all([a, b, c, d, e], rounds=2)
    yield a, b, c, d, e
    for g in (a, b, c, d, e):
        g.close()


def _roster(g) -> set[str]:
    return {d.name for d in g.membership.list() if not d.removed}


def _notes_arrived(g) -> bool:
    return any(m.name == "Noted at the meeting" for m in g.members.list())


def test_every_laptop_lists_the_minutes_laptop_as_waiting_for_an_admin(after_the_update):
    a, b, c, d, e = after_the_update

    for g in (a, b, c, d):
        assert "minutes laptop" not in _roster(g) and not _notes_arrived(g)
        waiting = g.membership.waiting()
        assert [(w.name, w.admitted_by_name) for w in waiting] == [("minutes laptop", "middle laptop")]
        states = g.membership.states()
        assert states[e.device_id] == "waiting for an admin"
        assert states[d.device_id] == "member, let in by a member" and states[b.device_id] == "member"


def test_an_admins_vouch_for_the_middle_laptop_brings_the_minutes_laptop_and_its_notes_back(after_the_update):
    a, b, c, d, e = after_the_update

    planned = a.membership.plan_vouch("middle laptop")
    assert [w.name for w in planned.brings] == ["minutes laptop"]
    assert "'minutes laptop'" in planned.sentence()
    assert not _notes_arrived(a)  # a plan writes nothing
    done = a.membership.vouch("middle laptop")
    assert done == planned
    sync_all([a, b, c, d, e], rounds=2)
    for g in (a, b, c, d, e):
        assert "minutes laptop" in _roster(g) and _notes_arrived(g)
        assert g.membership.waiting() == []
        assert g.membership.states()[d.device_id] == g.membership.states()[e.device_id] == "member"
    assert len({g.replica.state_hash() for g in (a, b, c, d, e)}) == 1


def test_a_vouch_for_the_waiting_laptop_by_its_name_brings_it_in_alone(after_the_update):
    a, b, c, d, e = after_the_update

    planned = a.membership.vouch("minutes laptop")
    assert planned.admits_it and planned.brings == ()
    sync_all([a, b, c, d, e], rounds=2)
    for g in (a, b, c, d, e):
        assert "minutes laptop" in _roster(g) and _notes_arrived(g)
        assert g.membership.states()[d.device_id] == "member, let in by a member"


def test_a_member_cannot_vouch_and_nothing_is_written(after_the_update):
    a, b, c, d, e = after_the_update
    written = b.replica.version_vector()

    with pytest.raises(MembershipRefused, match="only an admin"):
        b.membership.vouch("middle laptop")
    with pytest.raises(MembershipRefused, match="only an admin"):
        b.membership.vouch("minutes laptop")
    assert b.replica.version_vector() == written


def test_once_nothing_waits_a_second_vouch_is_refused_and_a_name_nobody_has_is_not_found(after_the_update):
    a, b, c, d, e = after_the_update
    a.membership.vouch("middle laptop")

    with pytest.raises(MembershipRefused, match="admitted by an admin already"):
        a.membership.vouch("middle laptop")
    with pytest.raises(NotFoundError):
        a.membership.vouch("no such laptop")


def test_a_puppets_flood_lists_a_thousand_laptops_says_more_wait_and_a_vouch_brings_a_puppets_own(tmp_path):
    """A member's laptop let in laptops whose keys it held (puppets), each admitting its first 200:
    the list stays short (MAX_LISTED, whole admitters, the senior first), says how many admitters it
    leaves out, and the roster holds none of theirs until an admin names one."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from organiser.core.changeset import GENESIS, sign_changeset
    from organiser.core.keys import device_id_for, public_key_hex
    from organiser.core.membership_limits import MAX_MEMBER_ADMISSIONS
    from organiser.store.waiting_devices import MAX_LISTED
    from tests.bad_peer import BadPeer, admission

    a = create_group(tmp_path / "a", "Tenants Union", "office laptop")
    a.membership.set_policy(members_may_invite=True)
    b = add_device(a, tmp_path / "b", "door laptop")
    sync_all([a, b])
    puppets = [Ed25519PrivateKey.generate() for _ in range(MAX_LISTED // MAX_MEMBER_ADMISSIONS + 1)]
    a.replica.apply([BadPeer(b).sign([admission(public_key_hex(k), f"puppet {i}") for i, k in enumerate(puppets)])])
    for i, key in enumerate(puppets):
        ops = [admission(public_key_hex(Ed25519PrivateKey.generate()), f"guest {i}.{n}") for n in range(250)]
        a.replica.apply([sign_changeset(key, a.id, device_id_for(public_key_hex(key)), 1, GENESIS,
                                        a.replica.clock.now(), ops)])
    before = _roster(a)

    standing = a.membership.standing()
    assert len(standing.waiting) == MAX_LISTED and standing.unlisted == 1
    assert "1 other laptop a member let in admitted some" in standing.unlisted_sentence()
    held = a.membership.membership()
    by_rank = sorted((device_id_for(public_key_hex(k)) for k in puppets), key=lambda d: held.devices[d].rank)
    assert {w.admitted_by for w in standing.waiting} == set(by_rank[:-1])  # the junior one left out
    planned = a.membership.vouch(by_rank[-1])  # left out of the list, its own still come in with it
    assert len(planned.brings) == MAX_MEMBER_ADMISSIONS
    assert len(_roster(a)) == len(before) + MAX_MEMBER_ADMISSIONS
    a.close()
    b.close()


def test_where_an_admin_vouched_for_the_middle_laptop_alone_a_second_vouch_brings_the_minutes_laptop(
        after_the_update):
    """The admin had vouched before this version (an admission of the middle laptop alone): the
    minutes laptop stayed out, and the vouch is no longer refused as done already."""
    a, b, c, d, e = after_the_update
    middle = a.membership.membership().devices[d.device_id]
    a.membership.admit(middle.public_key, middle.name)  # what the earlier vouch wrote
    sync_all([a, b, c, d, e], rounds=2)
    assert a.membership.states()[d.device_id] == "member" and "minutes laptop" not in _roster(a)

    planned = a.membership.vouch("middle laptop")
    assert not planned.admits_it and [w.name for w in planned.brings] == ["minutes laptop"]
    assert planned.sentence().startswith("'middle laptop' was admitted by an admin already. The laptop it admitted")
    sync_all([a, b, c, d, e], rounds=2)
    for g in (a, b, c, d, e):
        assert "minutes laptop" in _roster(g) and _notes_arrived(g)


def test_a_vouch_bringing_many_names_the_first_twelve_and_counts_the_rest():
    from organiser.services.vouching import VouchPlan, WaitingDevice

    brings = tuple(WaitingDevice(f"{i:032x}", f"guest {i}", "", "puppet", "") for i in range(200))
    planned = VouchPlan("", "puppet", True, brings, ())
    assert planned.names() == ", ".join(f"'guest {i}'" for i in range(12)) + " and 188 more"
    assert "The 200 laptops it admitted" in planned.sentence() and "'guest 12'" not in planned.sentence()
