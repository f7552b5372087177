"""Concurrent edits of one field: the loser is kept, visible and restorable."""

from __future__ import annotations

import pytest

from organiser.core.errors import NotFoundError
from tests.conftest import sync_pair


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
