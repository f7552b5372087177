"""Forgetting a member, attacked and walked from the edges (review of docs/erasure.md).

A newcomer taking a whole change log in one batch, an order by an admin the batch itself
promotes; a reader holding the database open while the erasure rebuilds the file."""

from __future__ import annotations

from typing import Any

from organiser.core.changeset import decode_changeset
from organiser.sync import outbox
from tests.conftest import add_device, sync_pair
from tests.store.test_erasure import _found, _member, _values_in_log


def _forgotten_by_a_second_admin(tmp_path: Any) -> tuple[Any, Any, str]:
    """The founder promotes the minutes laptop, which forgets a member; both have heard."""
    founder = create_founder(tmp_path)
    member = _member(founder)
    second = add_device(founder, tmp_path / "b", "minutes laptop")
    sync_pair(founder, second)
    founder.membership.promote(second.device_id)
    sync_pair(founder, second)
    second.forgetting.forget(member)
    sync_pair(founder, second)
    return founder, second, member


def test_a_newcomer_taking_the_log_in_one_batch_takes_a_second_admins_order_and_its_stubs(tmp_path):
    """The founder promotes the minutes laptop, which forgets the member; a laptop joining later
    is sent the whole change log in arrival order and applies it as one batch (as the sync's
    apply worker does). The order's author becomes an admin in that very batch."""
    founder, second, member = _forgotten_by_a_second_admin(tmp_path)
    newcomer = add_device(founder, tmp_path / "c", "new laptop")
    _after, page = outbox.missing(second.db, newcomer.replica.version_vector(), 0, limit=100_000)
    result = newcomer.replica.apply([decode_changeset(item.body, item.signature) for item in page])
    assert result.refused == []  # no refusal, no incident against the honest laptop that sent them
    assert newcomer.forgetting.is_forgotten(member)
    assert _values_in_log(newcomer) == [] and _found(newcomer) == []
    assert newcomer.replica.state_hash() == founder.replica.state_hash()
    assert newcomer.replica.version_vector() == second.replica.version_vector()
    for group in (founder, second, newcomer):
        group.close()


def create_founder(tmp_path):
    from organiser.services.group import create_group

    return create_group(tmp_path / "a", "Tenants Union", "door laptop")


def test_a_reader_open_during_the_erasure_leaves_no_value_in_the_files_once_it_is_done(tmp_path):
    """The window's worker reading the members (its own connection, a read under way) when the
    erasure empties the write-ahead log: the log cannot be emptied while it reads. Once it is
    done, the next write on this laptop finishes the wipe; the values are in neither file."""
    from organiser.store.database import connect

    admin = create_founder(tmp_path)
    member = _member(admin)
    admin.members.add("Bea Lin")
    assert _found(admin)  # the test can fail: the values are there before
    reader = connect(admin.replica.database_path(), readonly=True)
    reader.conn.execute("BEGIN")
    reader.conn.execute("SELECT count(*) FROM records").fetchone()  # a read under way, on its snapshot
    admin.db.execute("PRAGMA busy_timeout = 100")  # the erasure waits 30 s for readers; this one waits on
    admin.forgetting.forget(member)
    reader.conn.execute("COMMIT")
    reader.close()
    admin.db.execute("PRAGMA busy_timeout = 30000")
    admin.members.add("Carla Diaz")  # the app goes on: the next write
    assert _found(admin) == []
    admin.close()


def _order_naming(group, record: str):
    """What an admin in bad faith (or a stolen admin laptop) signs: an order naming any record,
    listing each held changeset that wrote it with the stub that nulls it."""
    from organiser.core.erasure import ERASURE_KIND, ORDER_FIELD, Listed, Order, stub_hash, stub_of
    from organiser.core.records import new_id
    from organiser.store.replica import LocalOp

    listed = []
    for body, signature, digest in group.db.execute("SELECT body, signature, hash FROM changes"):
        cs = decode_changeset(bytes(body), bytes(signature))
        if any(op.record == record for op in cs.ops):
            listed.append(Listed(cs.author, cs.seq, digest, stub_hash(stub_of(cs.body, {record}))))
    group.replica.commit([LocalOp(ERASURE_KIND, new_id(), ORDER_FIELD, Order((record,), tuple(listed)).to_value())])


def test_an_admin_ordering_a_removal_forgotten_leaves_the_removed_laptop_removed_on_a_newcomer(tmp_path):
    """Forgetting erases a member's details. An admin in bad faith orders the removal of an
    infiltrator's laptop "forgotten" (its entry's value nulled in the stubs): a laptop joining
    later would read no removal, admit the removed laptop's changes and connect to it, which
    the membership rules never allow (a removed device can never come back)."""
    from organiser.core.membership import MEMBERSHIP_KIND, REMOVE

    founder = create_founder(tmp_path)
    second = add_device(founder, tmp_path / "b", "minutes laptop")
    infiltrator = add_device(founder, tmp_path / "x", "their laptop")
    sync_pair(founder, second)
    founder.membership.promote(second.device_id)
    founder.membership.remove(infiltrator.device_id)
    sync_pair(founder, second)
    removal = next(op.record for (body, sig) in founder.db.execute("SELECT body, signature FROM changes")
                   for op in decode_changeset(bytes(body), bytes(sig)).ops
                   if op.kind == MEMBERSHIP_KIND and op.field == REMOVE)
    _order_naming(second, removal)
    sync_pair(founder, second)
    newcomer = add_device(founder, tmp_path / "c", "new laptop")
    _after, page = outbox.missing(second.db, newcomer.replica.version_vector(), 0, limit=100_000)
    newcomer.replica.apply([decode_changeset(item.body, item.signature) for item in page])
    sync_pair(founder, newcomer)
    assert infiltrator.device_id in newcomer.replica.roster().limits  # still removed
    assert newcomer.replica.roster() == founder.replica.roster()
    for group in (founder, second, infiltrator, newcomer):
        group.close()


def test_an_admin_cannot_order_an_event_and_its_history_erased(tmp_path):
    """An order forgets a member, their roles and skills. Naming an event (an admin's own edits
    of it, evidence of what was said) erases nothing and freezes nothing on the other laptops."""
    founder = create_founder(tmp_path)
    second = add_device(founder, tmp_path / "b", "minutes laptop")
    sync_pair(founder, second)
    founder.membership.promote(second.device_id)
    sync_pair(founder, second)
    event = founder.events.add("Rent strike assembly", "2031-03-18T19:00")
    sync_pair(founder, second)
    second.events.edit(event.id, title="Assembly cancelled (it was not)")
    sync_pair(founder, second)
    _order_naming(second, event.id)
    sync_pair(founder, second)
    assert [e.title for e in founder.events.list()] == ["Assembly cancelled (it was not)"]
    founder.events.edit(event.id, title="Rent strike assembly")
    founder_history = [w.line() for w in founder.history.by_device(second.device_id)]
    assert any("Assembly cancelled (it was not)" in line for line in founder_history)
    for group in (founder, second):
        group.close()


def test_a_removed_infiltrators_late_writes_of_a_forgotten_member_never_reach_the_disk(tmp_path):
    """An infiltrator's laptop, removed, goes on writing the member's details (what it wrote
    after its removal is refused but kept aside, in case a more senior admin undoes the
    removal). Those writes reach the admin before and after the member is forgotten: neither
    leaves the values in the admin's file."""
    from organiser.core.changeset import Op
    from tests.bad_peer import BadPeer

    founder = create_founder(tmp_path)
    member = _member(founder)
    infiltrator = add_device(founder, tmp_path / "x", "their laptop")
    sync_pair(founder, infiltrator)
    founder.membership.remove(infiltrator.device_id)
    modified = BadPeer(infiltrator)  # it does not take its removal: it signs on
    before = modified.sign([Op("member", member, "notes", "sleeps at the bakery on Tuesdays")])
    founder.replica.apply([before])  # kept aside
    founder.forgetting.forget(member)
    after = modified.sign([Op("member", member, "phones", ["+44 7700 900123", "+44 7700 900777"])])
    founder.replica.apply([after])  # kept aside too
    assert _found(founder) == [] and "900777" not in _file_text(founder)
    founder.close()
    infiltrator.close()


def _file_text(group) -> str:
    from tests.store.test_erasure import _file_bytes

    return _file_bytes(group).decode("latin-1")


def test_an_edit_of_the_member_stored_while_the_order_is_being_listed_is_listed_too(tmp_path, monkeypatch):
    """Listing what wrote the member reads the whole change log, seconds on a year-old group, on a
    connection of its own; the sync's worker may store a member's edit of them meanwhile. That
    edit is erased here with the rest, so an order must list it, or every laptop joining later
    refuses its stub (and what else it wrote)."""
    from organiser.store import erasure
    from organiser.store.database import connect
    from organiser.store.replica import Replica

    founder = create_founder(tmp_path)
    member = _member(founder)
    laptop = add_device(founder, tmp_path / "b", "minutes laptop")
    sync_pair(founder, laptop)
    laptop.members.edit(member, notes="moved above the bakery")  # on its way to the admin
    listing = erasure.held_touching
    worker_db = connect(founder.replica.database_path())
    worker_db.execute("PRAGMA busy_timeout = 0")  # it stores now, or finds the database locked
    worker = Replica(worker_db, group_id=founder.id, device_id=founder.device_id, key=founder.replica.key())

    def listing_while_a_sync_stores(db, records):
        held = listing(db, records)
        try:  # the sync worker's connection, between the listing and the order
            worker.apply(laptop.replica.changes_since(worker.version_vector()))
        except Exception as exc:  # noqa: BLE001 (sqlite3's or sqlcipher3's OperationalError)
            assert "locked" in str(exc)
        return held

    monkeypatch.setattr(erasure, "held_touching", listing_while_a_sync_stores)
    founder.forgetting.forget(member)
    monkeypatch.undo()
    newcomer = add_device(founder, tmp_path / "c", "new laptop")
    _after, page = outbox.missing(founder.db, newcomer.replica.version_vector(), 0, limit=100_000)
    result = newcomer.replica.apply([decode_changeset(item.body, item.signature) for item in page])
    assert result.refused == []
    assert newcomer.replica.version_vector() == founder.replica.version_vector()
    assert newcomer.replica.state_hash() == founder.replica.state_hash()
    assert _found(newcomer) == [] and _found(founder) == []
    worker_db.close()
    for group in (founder, laptop, newcomer):
        group.close()


def test_a_newcomer_takes_the_order_of_an_admin_demoted_after_it_in_one_batch(tmp_path):
    """The minutes laptop, an admin, forgets the member; the founder, having heard it, then makes
    it a member again. A laptop joining later takes the log in one batch: the order stands, as it
    did on every laptop that heard it before the demotion."""
    founder, second, member = _forgotten_by_a_second_admin(tmp_path)
    founder.membership.demote(second.device_id)
    sync_pair(founder, second)
    newcomer = add_device(founder, tmp_path / "c", "new laptop")
    _after, page = outbox.missing(founder.db, newcomer.replica.version_vector(), 0, limit=100_000)
    result = newcomer.replica.apply([decode_changeset(item.body, item.signature) for item in page])
    assert result.refused == []
    assert newcomer.forgetting.is_forgotten(member) and _found(newcomer) == []
    assert newcomer.replica.state_hash() == founder.replica.state_hash()
    assert second.device_id not in newcomer.replica.roster().admins
    for group in (founder, second, newcomer):
        group.close()


def test_a_member_written_more_times_than_one_order_lists_is_forgotten_by_several(tmp_path, monkeypatch):
    """One order lists at most 4,000 changesets (a changeset's size cap): a member in bad faith
    writing the member 4,001 times kept the admin from forgetting them ('more than one order can
    list'). Here an order lists one, so the member written twice takes two orders."""
    from organiser.services import forgetting

    monkeypatch.setattr(forgetting, "MAX_LISTED", 1)
    founder = create_founder(tmp_path)
    member = _member(founder)
    laptop = add_device(founder, tmp_path / "b", "minutes laptop")
    sync_pair(founder, laptop)
    done = founder.forgetting.forget(member)
    assert done.changesets == 2 and _values_in_log(founder) == [] and _found(founder) == []
    sync_pair(founder, laptop)
    assert _values_in_log(laptop) == [] and laptop.replica.state_hash() == founder.replica.state_hash()
    newcomer = add_device(founder, tmp_path / "c", "new laptop")
    after = 0
    while True:  # as the sync sends them, one at a time
        after, page = outbox.missing(founder.db, newcomer.replica.version_vector(), after, limit=1)
        if not page:
            break
        assert newcomer.replica.apply([decode_changeset(page[0].body, page[0].signature)]).refused == []
    assert newcomer.replica.state_hash() == founder.replica.state_hash() and _found(newcomer) == []
    for group in (founder, laptop, newcomer):
        group.close()
