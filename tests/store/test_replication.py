"""Exchanging changesets: version vectors, idempotent and order-independent apply, tombstones."""

from __future__ import annotations

import json
import random

import pytest

from organiser.core.errors import NotFoundError
from organiser.services.group import create_group, open_group
from tests.conftest import add_device, sync_pair


@pytest.fixture
def three_devices(tmp_path):
    a = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    b = add_device(a, tmp_path / "b", "minutes laptop")
    c = add_device(a, tmp_path / "c", "spare laptop")
    for x, y in ((a, b), (a, c)):
        sync_pair(x, y)
    yield a, b, c
    for g in (a, b, c):
        g.close()


def test_one_local_edit_is_one_changeset_with_the_next_sequence_number(group):
    before = group.replica.version_vector()[group.device_id]
    member = group.members.add("Ana", roles=["Outreach", "Kitchen"])
    group.members.edit(member.id, name="Ana López", notes="Signal")
    assert group.replica.version_vector()[group.device_id] == before + 2
    last = group.replica.changes_since({group.device_id: before + 1})
    assert [cs.seq for cs in last] == [before + 2]
    assert {(op.field, op.value) for op in last[0].ops} == {("name", "Ana López"), ("notes", "Signal")}


def test_the_version_vector_counts_each_devices_changesets(two_devices):
    a, b = two_devices
    a.members.add("Ana")
    a.members.add("Bruno")
    b.members.add("Chen")
    va, vb = a.replica.version_vector(), b.replica.version_vector()
    assert va[a.device_id] == vb[a.device_id] + 2
    assert vb[b.device_id] == va.get(b.device_id, 0) + 1
    sync_pair(a, b)
    assert a.replica.version_vector() == b.replica.version_vector()


def test_changes_since_sends_only_what_the_peer_lacks(two_devices):
    a, b = two_devices
    a.members.add("Ana")
    lacking = a.replica.changes_since(b.replica.version_vector())
    assert [(cs.author, cs.seq) for cs in lacking] == [(a.device_id, a.replica.version_vector()[a.device_id])]
    sync_pair(a, b)
    assert a.replica.changes_since(b.replica.version_vector()) == []


def test_applying_the_same_changesets_twice_changes_nothing_the_second_time(two_devices):
    a, b = two_devices
    a.members.add("Ana", roles=["Outreach"])
    changes = a.replica.changes_since(b.replica.version_vector())
    first = b.replica.apply(changes)
    state = b.replica.state_hash()
    second = b.replica.apply(changes + changes)
    assert first.applied == len(changes) and not first.refused
    assert second.applied == 0 and second.duplicates == 2 * len(changes) and not second.refused
    assert b.replica.state_hash() == state == a.replica.state_hash()


def test_any_delivery_order_gives_the_same_state(three_devices, tmp_path):
    a, b, c = three_devices
    ana = a.members.add("Ana", roles=["Outreach"])
    event = a.events.add("Assembly", "2026-12-03T19:00")
    sync_pair(a, b)
    b.members.edit(ana.id, name="Ana López", roles=["Outreach", "Kitchen"])
    b.events.rsvp(event.id, ana.id, "yes")
    a.members.edit(ana.id, notes="Signal")
    a.tasks.add("Posters", assignee=ana.id, event=event.id)
    sync_pair(a, b)
    everything = a.replica.changes_since({})
    rng = random.Random(7)
    for attempt in range(3):
        shuffled = everything[:]
        rng.shuffle(shuffled)
        fresh = add_device(a, tmp_path / f"fresh{attempt}", f"fresh {attempt}")
        try:
            # one at a time, in a shuffled order: gaps and late predecessors included
            for cs in shuffled:
                fresh.replica.apply([cs])
            fresh.replica.apply(a.replica.changes_since(fresh.replica.version_vector()))
            assert fresh.replica.state_hash() == a.replica.state_hash()
            assert fresh.members.get(ana.id).roles == ["Kitchen", "Outreach"]
        finally:
            fresh.close()


def test_changesets_relayed_through_a_third_device_still_apply(three_devices):
    a, b, c = three_devices
    ana = a.members.add("Ana")
    sync_pair(a, b)  # b carries a's changeset on to c; a and c never meet
    sync_pair(b, c)
    assert c.members.get(ana.id).name == "Ana"
    assert c.replica.state_hash() == a.replica.state_hash()


def test_a_gap_holds_the_version_vector_back_until_it_is_filled(two_devices):
    a, b = two_devices
    start = b.replica.version_vector().get(a.device_id, 0)
    for name in ("Ana", "Bruno", "Chen"):
        a.members.add(name)
    missing, *rest = a.replica.changes_since(b.replica.version_vector())
    b.replica.apply(rest)
    assert b.replica.version_vector()[a.device_id] == start
    assert len(b.members.list()) == 2
    b.replica.apply([missing])
    assert b.replica.version_vector()[a.device_id] == start + 3
    assert b.replica.state_hash() == a.replica.state_hash()


def test_a_deleted_record_stays_deleted_when_another_device_edits_it_at_once(two_devices):
    a, b = two_devices
    ana = a.members.add("Ana", roles=["Outreach"])
    sync_pair(a, b)
    a.members.delete(ana.id)
    b.members.edit(ana.id, name="Ana López", notes="still here?")
    sync_pair(a, b)
    for device in (a, b):
        with pytest.raises(NotFoundError):
            device.members.get(ana.id)
        assert device.members.list() == []
        assert device.status()["counts"]["member"] == 0
    assert a.replica.state_hash() == b.replica.state_hash()


def test_a_deleted_record_stays_deleted_whatever_order_the_edit_arrives_in(three_devices):
    a, b, c = three_devices
    task = a.tasks.add("Posters")
    sync_pair(a, b)
    sync_pair(a, c)
    a.tasks.delete(task.id)
    b.tasks.edit(task.id, title="Posters, A3")
    # c hears the edit first, then the delete; a hears only the edit
    c.replica.apply(b.replica.changes_since(c.replica.version_vector()))
    c.replica.apply(a.replica.changes_since(c.replica.version_vector()))
    a.replica.apply(b.replica.changes_since(a.replica.version_vector()))
    for device in (a, c):
        assert device.tasks.list() == []
    assert a.replica.state_hash() == c.replica.state_hash()


def test_state_hash_differs_exactly_when_the_visible_data_differs(two_devices):
    a, b = two_devices
    assert a.replica.state_hash() == b.replica.state_hash()
    ana = a.members.add("Ana")
    assert a.replica.state_hash() != b.replica.state_hash()
    sync_pair(a, b)
    b.members.edit(ana.id, name="Ana López")
    assert a.replica.state_hash() != b.replica.state_hash()
    sync_pair(a, b)
    assert a.replica.state_hash() == b.replica.state_hash()


def test_a_reopened_device_stamps_above_its_own_last_write_and_keeps_its_vector(tmp_path):
    # Local writes keep this device's clock and vector entry in its newest changeset only.
    group = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    group.members.add("Ana")
    group.members.add("Bruno")
    vector, last = group.replica.version_vector(), group.replica.changes_since({})[-1]
    group.close()

    again = open_group(tmp_path / "a")
    try:
        assert again.replica.version_vector() == vector
        assert again.replica.clock.last >= last.hlc
        assert again.replica.changes_since(vector) == []
        again.members.add("Chen")
        newest = again.replica.changes_since(vector)
        assert [cs.seq for cs in newest] == [last.seq + 1]
        assert newest[0].hlc > last.hlc and newest[0].prev == last.hash
    finally:
        again.close()


def test_a_write_from_another_connection_is_seen_before_the_next_local_commit(tmp_path):
    # The app keeps this device's head between its own commits; the CLI beside it (another
    # connection, same device) writes in between, and the app's next changeset follows it.
    app = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    cli = open_group(tmp_path / "a")
    try:
        app.members.add("Ana")
        cli.members.add("Bruno")
        app.members.add("Chen")
        cli.members.add("Dev")
        chain = app.replica.changes_since({})
        own = [cs for cs in chain if cs.author == app.device_id]
        assert [cs.seq for cs in own] == list(range(1, len(own) + 1))
        assert all(b.prev == a.hash for a, b in zip(own, own[1:], strict=False))
        assert all(b.hlc > a.hlc for a, b in zip(own, own[1:], strict=False))
        assert app.replica.state_hash() == cli.replica.state_hash()
    finally:
        cli.close()
        app.close()


def test_a_record_written_in_one_go_stores_one_version_naming_no_fields_and_later_edits_merge(two_devices):
    a, b = two_devices
    member = a.members.add("Ana", notes="Signal")
    (packed,) = a.db.execute("SELECT versions FROM records WHERE id = ?", [member.id]).fetchone()
    (entry,) = json.loads(packed)
    assert entry[1:] == [a.device_id, None, None]  # the fields are the data's keys, not listed again
    sync_pair(a, b)
    b.members.edit(member.id, notes="no calls")
    sync_pair(a, b)
    for device in (a, b):
        assert (device.members.get(member.id).name, device.members.get(member.id).notes) == ("Ana", "no calls")
    assert a.replica.state_hash() == b.replica.state_hash()


def test_a_row_stored_with_its_fields_named_in_the_version_reads_as_before(two_devices):
    a, b = two_devices
    member = a.members.add("Ana", notes="Signal")
    (packed,) = a.db.execute("SELECT versions FROM records WHERE id = ?", [member.id]).fetchone()
    (data,) = a.db.execute("SELECT data FROM records WHERE id = ?", [member.id]).fetchone()
    named = [[*json.loads(packed)[0], *json.loads(data)]]  # as rows were stored before
    a.db.execute("UPDATE records SET versions = ? WHERE id = ?", [json.dumps(named), member.id])
    sync_pair(a, b)
    b.members.edit(member.id, name="Ana López")
    sync_pair(a, b)
    assert a.members.get(member.id).name == "Ana López" and a.members.get(member.id).notes == "Signal"
    assert a.db.execute("SELECT count(*) FROM conflicts").fetchone()[0] == 0  # the edit overwrote it knowingly
    (repacked,) = a.db.execute("SELECT versions FROM records WHERE id = ?", [member.id]).fetchone()
    entries = json.loads(repacked)
    assert len(entries) == 2  # two writes: each entry names its fields, all of them once
    assert sorted(name for entry in entries for name in entry[4:]) == sorted(json.loads(data))
    assert a.replica.state_hash() == b.replica.state_hash()
