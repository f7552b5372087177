"""Edits of a forgotten member made on a laptop that had not heard of the order yet (docs/erasure.md,
store/late_edits.py): every laptop refused them, nobody held that number of the laptop's chain,
and its later changesets were sent again at every sync. An admin's laptop holding the signed
original orders its stub; any other laptop remembers the refusal and stops asking.

Written as the attacker too: a member mixing an event's edit into a write of the forgotten member,
a forged stub, a removed laptop's late writes, a member claiming another laptop's number."""

from __future__ import annotations

import pytest

from organiser.core.changeset import Op, decode_changeset, sign_changeset
from organiser.core.erasure import orders_in
from organiser.services.group import Group, create_group
from organiser.store import erasure
from tests.bad_peer import BadPeer
from tests.conftest import add_device, sync_pair
from tests.store.test_erasure import PHONE, _found, _member, _values_in_log


def _to(receiver: Group, sender: Group) -> int:
    """One way of a sync: what `sender` sends `receiver`, applied; how many changesets were sent."""
    sent = sender.replica.changes_since(receiver.replica.version_vector())
    receiver.replica.apply(sent)
    return len(sent)


def _sends(a: Group, b: Group) -> int:
    """Changesets a sync between the two would send, both ways."""
    return (len(a.replica.changes_since(b.replica.version_vector()))
            + len(b.replica.changes_since(a.replica.version_vector())))


def _orders(group: Group, author: str | None = None) -> int:
    """Orders stored here (signed by `author`, if given)."""
    return group.db.execute("SELECT count(*) FROM (SELECT DISTINCT author, seq FROM erasure_orders "
                            "WHERE coalesce(?, author) = author)", [author]).fetchone()[0]


def _settled(*groups: Group) -> None:
    for a in groups:
        for b in groups:
            if a is not b:
                assert a.replica.version_vector() == b.replica.version_vector()
                assert a.replica.state_hash() == b.replica.state_hash()
                assert _sends(a, b) == 0  # before the mend: the edit and what followed it, at every sync


def _laptops(tmp_path, promote_spare: bool = False) -> tuple[Group, Group, Group, str]:
    """An admin's laptop, the minutes laptop (no admin) and a spare one, all holding the member;
    the admin forgets them while the minutes laptop is off, which then edits them and adds an
    event, unaware."""
    admin = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    late = add_device(admin, tmp_path / "b", "minutes laptop")
    spare = add_device(admin, tmp_path / "c", "spare laptop")
    if promote_spare:
        admin.membership.promote(spare.device_id)
    member = _member(admin)
    for x, y in ((admin, late), (admin, spare), (late, spare)):
        sync_pair(x, y)
    admin.forgetting.forget(member)
    late.members.edit(member, phones=[PHONE, "+44 7700 900555"])
    late.events.add("General assembly", "2026-12-02T19:00")
    return admin, late, spare, member


@pytest.fixture
def room(tmp_path):
    admin, late, spare, member = _laptops(tmp_path)
    yield admin, late, spare, member, tmp_path
    for group in (admin, late, spare):
        group.close()


def test_an_admin_refusing_an_unheard_laptops_edit_orders_its_stub_and_no_sync_sends_it_again(room):
    admin, late, spare, member, tmp = room
    orders = _orders(admin)
    _to(admin, late)  # the admin holds the signed original a moment, and refuses it as it is
    assert _orders(admin) == orders + 1
    assert _values_in_log(admin) == [] and _found(admin) == []
    _to(late, admin)  # the laptop hears both orders and erases its edit in place
    sync_pair(admin, spare)
    sync_pair(late, spare)
    assert _values_in_log(late) == [] and _found(late) == [] and _values_in_log(spare) == []
    _settled(admin, late, spare)
    assert "General assembly" in [e.title for e in spare.events.list()]
    assert [m.name for m in admin.members.list()] == ["Ana Ortiz"]
    # a laptop joining later meets the orders before the stubs, and refuses nothing
    newcomer = add_device(admin, tmp / "d", "new laptop")
    sync_pair(late, newcomer)
    sync_pair(admin, newcomer)
    assert newcomer.db.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0
    _settled(admin, newcomer)
    assert _found(newcomer) == [] and newcomer.forgetting.is_forgotten(member)
    newcomer.close()


def test_a_second_admin_that_stored_the_edit_before_hearing_the_order_orders_its_stub(tmp_path):
    admin, late, spare, member = _laptops(tmp_path, promote_spare=True)
    _to(spare, late)  # the spare laptop, an admin too, takes the edit before it hears of the order
    assert _values_in_log(spare)
    _to(spare, admin)  # then hears of it: erases the edit in place, and orders its stub
    assert _orders(spare, spare.device_id) == 1 and _values_in_log(spare) == [] and _found(spare) == []
    for x, y in ((admin, spare), (late, spare), (admin, late)):
        sync_pair(x, y)
    _settled(admin, late, spare)
    assert _values_in_log(late) == [] and _values_in_log(admin) == []
    for g in (admin, late, spare):
        g.close()


def test_a_second_admins_own_edit_before_hearing_the_order_is_ordered_by_it(tmp_path):
    admin, late, spare, member = _laptops(tmp_path, promote_spare=True)
    spare.members.edit(member, notes="moved to the flat above the launderette")  # unaware, an admin too
    _to(spare, admin)  # hears of the order: erases its own edit in place, and orders its stub
    assert _orders(spare, spare.device_id) == 1 and _found(spare) == []
    for x, y in ((admin, spare), (late, spare), (admin, late), (admin, spare)):
        sync_pair(x, y)
    assert _to(admin, late) == 0 and _to(spare, late) == 0  # nothing sent (the minutes laptop's edit too)
    _settled(admin, spare)
    for g in (admin, late, spare):
        assert b"launderette" not in b"".join(bytes(b) for (b,) in g.db.execute("SELECT body FROM changes"))
        assert _found(g) == []
    for g in (admin, late, spare):
        g.close()


def test_a_laptop_that_is_no_admin_remembers_the_refusal_and_stops_asking(room):
    """The admin is not in the room."""
    admin, late, spare, member, _tmp = room
    _to(spare, admin)  # the spare laptop heard of the order
    assert _to(spare, late) == 2  # the edit, refused, and the event after it
    _to(late, spare)  # the minutes laptop hears of the order from it and erases its edit in place
    assert _values_in_log(late) == []
    for _sync in range(3):
        assert _sends(late, spare) == 0  # before the mend: 2 at every sync
        sync_pair(late, spare)
    assert spare.replica.state_hash() == late.replica.state_hash()
    assert "General assembly" in [e.title for e in spare.events.list()]
    assert spare.db.execute("SELECT count(*) FROM changes WHERE author = ?", [late.device_id]).fetchone()[0] \
        == late.replica.version_vector()[late.device_id] - 1  # that number is not held: nothing vouches for it


def test_an_order_listing_a_remembered_refusal_brings_its_stub(room):
    admin, late, spare, member, _tmp = room
    _to(spare, admin)
    edits = late.replica.changes_since(admin.replica.version_vector())
    spare.replica.apply(edits)  # refused and remembered
    admin.replica.apply(edits)  # the admin's laptop orders its stub
    _to(late, admin)
    assert spare.replica.version_vector()[late.device_id] == admin.replica.version_vector()[late.device_id]  # as held
    _to(spare, admin)  # the order: the refusal is forgotten, the number asked for again, the stub taken
    assert spare.db.execute("SELECT count(*) FROM erasure_refused").fetchone()[0] == 0
    _to(spare, late)
    _settled(admin, late, spare)
    assert _values_in_log(spare) == []


def test_a_write_of_the_forgotten_member_mixed_with_an_events_edit_keeps_the_event_and_blanks_only_the_member(room):
    """A member in bad faith cannot use the admin's further order to blank anything but the member."""
    admin, late, spare, member, _tmp = room
    event = admin.events.add("Rent strike", "2026-12-09T19:00")
    _to(late, admin)
    forgotten = erasure.forgotten(late.db)
    bad = BadPeer(late).sign([Op("member", member, "notes", "sleeps at the launderette"),
                              Op("event", event.id, "title", "Rent strike: meet at the church hall")])
    assert admin.replica.apply([bad]).refused == []
    assert erasure.forgotten(admin.db) == forgotten  # the further order forgot nothing new
    newest = admin.replica.changes_since({a: s for a, s in admin.replica.version_vector().items()
                                          if a != admin.device_id})
    last_order = orders_in(next(cs for cs in reversed(newest) if orders_in(cs.ops)).ops)[0]
    assert set(last_order.records) == {member}
    assert [(i.author, i.seq) for i in last_order.changesets] == [(bad.author, bad.seq)]
    assert admin.events.get(event.id).title == "Rent strike: meet at the church hall"  # its own op stands, as signed
    assert b"launderette" not in b"".join(bytes(b) for (b,) in admin.db.execute("SELECT body FROM changes WHERE "
                                                                            "author = ?", [late.device_id]))
    assert [m.name for m in admin.members.list()] == ["Ana Ortiz"] and _found(admin) == []
    sync_pair(admin, spare)
    assert spare.events.get(event.id).title == "Rent strike: meet at the church hall" and _found(spare) == []


def test_a_forged_stub_makes_no_laptop_order_or_remember_anything(room):
    admin, late, spare, member, _tmp = room
    _to(spare, admin)
    genuine = BadPeer(late).sign([Op("member", member, "notes", "sleeps at the bakery")])
    forged = decode_changeset(genuine.body.replace(b'"sleeps at the bakery"', b"null"), genuine.signature)
    orders = _orders(admin)
    assert [r.code for r in admin.replica.apply([forged]).refused] == ["signature"]
    assert _orders(admin) == orders
    assert [r.code for r in spare.replica.apply([forged]).refused] == ["signature"]
    assert spare.db.execute("SELECT count(*) FROM erasure_refused").fetchone()[0] == 0


def test_a_removed_laptops_late_writes_of_the_member_are_never_ordered(room):
    admin, late, spare, member, _tmp = room
    admin.membership.remove(late.device_id)
    orders = _orders(admin)
    result = admin.replica.apply(late.replica.changes_since(admin.replica.version_vector()))
    assert {r.code for r in result.refused} == {"removed"}
    assert _orders(admin) == orders and _values_in_log(admin) == []


def test_a_member_cannot_make_a_laptop_skip_another_laptops_number(room):
    """Only what its author signed is remembered: a member signing an edit of the forgotten member
    under another laptop's id and number is refused for its signature, and nothing is skipped."""
    admin, late, spare, member, _tmp = room
    _to(spare, admin)
    before = spare.replica.version_vector()
    seq = before.get(late.device_id, 0) + 1
    claim = sign_changeset(spare.private_key(), spare.id, late.device_id, seq,
                           late.replica.hash_at(late.device_id, seq - 1), spare.replica.clock.now(),
                           [Op("member", member, "notes", "x")])
    assert [r.code for r in spare.replica.apply([claim]).refused] == ["signature"]
    assert spare.replica.version_vector() == before
    assert _to(spare, late) == 2  # the minutes laptop's own changesets still come


def test_a_laptop_made_before_m027_opens_and_remembers_refusals(tmp_path):
    from sqlite_utils import Database

    from organiser.services.group import open_group

    admin, late, spare, _member_id = _laptops(tmp_path)
    _to(spare, admin)
    path = spare.replica.database_path()
    spare.close()
    old = Database(path)  # back to the schema before m027: its table gone, not marked applied
    old.executescript("DROP TABLE erasure_refused; DELETE FROM _sqlite_migrations WHERE name = 'm027_erasure_refused';")
    old.close()
    spare = open_group(tmp_path / "c")  # runs m027
    assert _to(spare, late) == 2
    _to(late, spare)
    assert _sends(late, spare) == 0
    for g in (admin, late, spare):
        g.close()


def test_a_laptop_that_stored_the_edit_before_hearing_sends_on_no_stub_others_refuse(room):
    """The spare laptop, off too, took the edit before it heard of the order, then erased it in place.
    Nobody else can check that stub (its signature is the original's): sent on, it was refused as a
    forgery of the spare laptop, at every sync. It is set aside and remembered as refused instead,
    until an admin's order lists it."""
    admin, late, spare, member, tmp = room
    projector = add_device(admin, tmp / "d", "projector laptop")
    sync_pair(admin, projector)  # heard of the order, never sees the edit's original
    originals = late.replica.changes_since(spare.replica.version_vector())
    spare.replica.apply(originals)
    assert _values_in_log(spare)
    _to(spare, admin)
    assert _values_in_log(spare) == [] and _found(spare) == []
    result = projector.replica.apply(spare.replica.changes_since(projector.replica.version_vector()))
    assert result.refused == []  # before: the stub, refused for its signature
    assert projector.db.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0
    _to(late, spare)  # the minutes laptop hears of the order and erases its edit in place
    assert _sends(late, spare) == 0
    admin.replica.apply(originals)  # relayed later by a laptop that had not heard: the admin's orders it
    _to(spare, admin)  # the order: the memory goes
    _to(spare, admin)  # the stub
    _to(projector, admin)
    _to(late, admin)
    _settled(admin, late, spare, projector)
    assert spare.db.execute("SELECT count(*) FROM erasure_refused").fetchone()[0] == 0
    projector.close()
