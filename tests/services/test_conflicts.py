"""Concurrent edits of one field: the loser is kept, visible and restorable."""

from __future__ import annotations

import pytest

from organiser.core.errors import NotFoundError
from tests.conftest import sync_all, sync_pair


@pytest.fixture
def conflicting(two_devices):
    """Ana's name edited on both laptops while they were apart."""
    a, b = two_devices
    ana = a.members.add("Ana")
    sync_pair(a, b)
    a.members.edit(ana.id, name="Ana López")
    b.members.edit(ana.id, name="Ana Lopes")
    sync_pair(a, b)
    return a, b, ana.id


def test_both_devices_show_the_same_winner_and_list_the_losing_value(conflicting):
    a, b, ana = conflicting
    winner = a.members.get(ana).name
    assert winner == b.members.get(ana).name
    loser = ({"Ana López", "Ana Lopes"} - {winner}).pop()
    for device in (a, b):
        found = device.conflicts()
        assert [(c["kind"], c["record"], c["field"], c["value"], c["current"]) for c in found] == \
            [("member", ana, "name", loser, winner)]
        assert device.status()["conflicts"] == 1


def test_the_winner_is_the_write_with_the_higher_clock_and_device(conflicting):
    a, b, ana = conflicting
    conflict = a.conflicts()[0]
    assert tuple(conflict["winner"]) > tuple(conflict["version"])


def test_restoring_the_losing_value_clears_the_conflict_on_both_devices(conflicting):
    a, b, ana = conflicting
    loser = a.conflicts()[0]["value"]
    a.resolve_conflict(a.conflicts()[0]["id"], use_losing_value=True)
    assert a.members.get(ana).name == loser
    assert a.conflicts() == []
    sync_pair(a, b)
    assert b.members.get(ana).name == loser
    assert b.conflicts() == []
    assert a.replica.state_hash() == b.replica.state_hash()


def test_keeping_the_current_value_clears_the_conflict_on_both_devices(conflicting):
    a, b, ana = conflicting
    winner = a.members.get(ana).name
    b.resolve_conflict(b.conflicts()[0]["id"], use_losing_value=False)
    sync_pair(a, b)
    assert a.conflicts() == b.conflicts() == []
    assert a.members.get(ana).name == b.members.get(ana).name == winner


def test_a_later_edit_that_saw_both_values_does_not_hide_the_conflict(conflicting):
    a, b, ana = conflicting
    a.members.edit(ana, name="Ana López Lopes")
    sync_pair(a, b)
    assert b.members.get(ana).name == "Ana López Lopes"
    assert len(b.conflicts()) == 1  # still there until someone settles it


def test_edits_of_different_fields_at_once_are_no_conflict(two_devices):
    a, b = two_devices
    ana = a.members.add("Ana")
    sync_pair(a, b)
    a.members.edit(ana.id, name="Ana López")
    b.members.edit(ana.id, notes="Prefers Signal")
    sync_pair(a, b)
    assert a.conflicts() == b.conflicts() == []
    assert (b.members.get(ana.id).name, a.members.get(ana.id).notes) == ("Ana López", "Prefers Signal")


def test_an_unknown_conflict_number_is_a_clear_error(group):
    with pytest.raises(NotFoundError, match="there is no conflict number 99"):
        group.resolve_conflict(99, use_losing_value=True)


def test_a_value_lost_to_an_edit_whose_writer_never_saw_it_is_listed_on_every_device(tmp_path):
    from organiser.services.group import create_group
    from tests.conftest import add_device

    a = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    b, c, d = (add_device(a, tmp_path / n, n) for n in "bcd")
    devices = (a, b, c, d)

    def push(src, dst):
        dst.replica.apply(src.replica.changes_since(dst.replica.version_vector()))

    def everyone_meets():
        sync_all(devices)

    try:
        everyone_meets()
        event = a.events.add("Assembly", "2026-12-03T19:00")
        everyone_meets()
        b.events.edit(event.id, capacity=5)  # b and a agree, apart...
        a.events.edit(event.id, capacity=5)
        push(a, c)
        push(b, c)
        a.events.edit(event.id, capacity=7)  # ...then a changes it, never having seen b's 5
        push(a, c)
        everyone_meets()
        assert {x.events.get(event.id).capacity for x in devices} == {7}
        # b's 5 lost to a 7 written without knowing it: every device must list it alike
        listed = [[(x["value"], x["current"]) for x in device.conflicts()] for device in devices]
        assert listed == [[(5, 7)]] * 4
    finally:
        for device in devices:
            device.close()


def test_the_same_value_written_on_two_devices_at_once_is_no_conflict_even_after_a_later_change(two_devices):
    a, b = two_devices
    event = a.events.add("Assembly", "2026-12-03T19:00")
    ana = a.members.add("Ana")
    sync_pair(a, b)
    a.events.rsvp(event.id, ana.id, "yes")  # both door laptops take Ana's answer
    b.events.rsvp(event.id, ana.id, "yes")
    sync_pair(a, b)
    assert a.conflicts() == b.conflicts() == []
    b.events.rsvp(event.id, ana.id, "no")  # later she changes her mind, in view of both
    sync_pair(a, b)
    assert a.conflicts() == b.conflicts() == []
    assert a.events.rsvp_of(event.id, ana.id).answer == "no"
