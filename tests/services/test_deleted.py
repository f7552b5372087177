"""Deleted items: a member in bad faith deletes the group's events; another laptop lists what went,
by whom and when, and brings it back everywhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from organiser.core.errors import NotFoundError, ValidationError
from organiser.services.group import Group
from tests.conftest import add_device, sync_pair


def test_what_an_infiltrator_deleted_is_listed_with_its_laptop_and_brought_back_on_every_laptop(
        group: Group, tmp_path: Path) -> None:
    assembly = group.events.add("General assembly", "2026-12-10T19:00")
    rsvp_holder = group.members.add("Ana López")
    group.events.rsvp(assembly.id, rsvp_holder.id, "yes")
    flyers = group.tasks.add("Print 200 flyers")
    mole = add_device(group, tmp_path / "mole", "mole's laptop")
    sync_pair(group, mole)
    mole.events.delete(assembly.id)
    mole.tasks.delete(flyers.id)
    mole.members.delete(rsvp_holder.id)
    sync_pair(group, mole)
    assert group.events.list() == [] and group.tasks.list() == []

    listed = group.deleted.list()
    assert {(i.kind, i.name, i.device_name) for i in listed} == {
        ("event", "General assembly", "mole's laptop"), ("task", "Print 200 flyers", "mole's laptop"),
        ("member", "Ana López", "mole's laptop")}
    assert [i.name for i in group.deleted.list("task")] == ["Print 200 flyers"]

    brought = group.deleted.bring_back(assembly.id[:6])
    assert (brought.kind, brought.name) == ("event", "General assembly")
    group.deleted.bring_back(rsvp_holder.id)
    assert [e.title for e in group.events.list()] == ["General assembly"]
    assert {r.member for r in group.events.rsvps(assembly.id)} == {rsvp_holder.id}  # its RSVPs with it
    assert [i.name for i in group.deleted.list()] == ["Print 200 flyers"]
    sync_pair(group, mole)
    assert [e.title for e in mole.events.list()] == ["General assembly"]
    assert [m.name for m in mole.members.list()] == ["Ana López"]
    assert group.replica.state_hash() == mole.replica.state_hash()
    mole.close()


def test_the_latest_deleted_comes_first(group: Group) -> None:
    first = group.tasks.add("Book the hall")
    second = group.tasks.add("Order banner paint")
    group.tasks.delete(first.id)
    group.tasks.delete(second.id)
    assert [i.name for i in group.deleted.list()] == ["Order banner paint", "Book the hall"]
    assert group.deleted.list()[0].hlc > group.deleted.list()[1].hlc


def test_a_forgotten_member_is_not_listed_there_is_nothing_to_bring_back(group: Group) -> None:
    kept = group.members.add("Bea Kowalski")
    gone = group.members.add("Carl Departed", phones=["+44 7700 900123"])
    group.members.delete(kept.id)
    group.forgetting.forget(gone.id)
    assert [i.name for i in group.deleted.list()] == ["Bea Kowalski"]
    with pytest.raises(NotFoundError, match="no deleted event, task or member has the id"):
        group.deleted.bring_back(gone.id)


def test_ids_that_name_no_deleted_item_are_refused_and_change_nothing(group: Group) -> None:
    shown = group.events.add("Legal clinic", "2026-12-12T19:00")
    gone = group.tasks.add("Sweep the hall")
    group.tasks.delete(gone.id)
    before = group.replica.state_hash()
    nothing = "no deleted event, task or member has the id or the name '{}'"
    for typed in (shown.id, gone.id[:3], "%%%%", "Legal clinic"):  # not deleted; too short to be an id's start
        with pytest.raises(NotFoundError, match=re.escape(nothing.format(typed))):
            group.deleted.bring_back(typed)
    with pytest.raises(ValidationError, match="'vote' is not one of event, task, member"):
        group.deleted.list("vote")
    assert group.replica.state_hash() == before


def test_an_event_a_removal_took_the_start_of_is_not_listed_as_one_to_bring_back(group: Group, tmp_path: Path) -> None:
    """The mole made the event; the door renamed it, then deleted it; the mole was removed and all it
    wrote taken back, the start with it. What is left is no event anyone can see: listing it, and
    saying "Brought back" when nothing shows, told the secretary something untrue."""
    mole = add_device(group, tmp_path / "mole", "mole's laptop")
    sync_pair(group, mole)
    planted = mole.events.add("Fake assembly", "2026-12-10T19:00")
    sync_pair(group, mole)
    group.events.edit(planted.id, title="Assembly")
    group.events.delete(planted.id)
    mole.close()
    group.membership.remove(mole.device_id, undo_since=datetime.fromtimestamp(0, UTC))
    assert group.deleted.list() == []
    with pytest.raises(NotFoundError, match="no deleted event, task or member has the id"):
        group.deleted.bring_back(planted.id)


def test_a_deleted_record_a_peer_gave_an_id_of_other_letters_is_brought_back_by_its_id(
        group: Group, tmp_path: Path) -> None:
    """A peer's ids are checked as up to 64 ASCII letters and digits (store/checks.py), not as
    this app's hex: the dialog brings a listed item back by its id, whatever its letters ('not an id')."""
    peer = add_device(group, tmp_path / "peer", "peer's laptop")
    odd_ids = ("Task42xyz", "ABCDEF0123")
    for record_id in odd_ids:
        _new_id, ops = peer.tasks.build_add({"title": f"Task {record_id}"})
        peer.replica.commit([op._replace(record=record_id) for op in ops])
        peer.tasks.delete(record_id)
    sync_pair(group, peer)
    peer.close()
    assert {i.id for i in group.deleted.list()} == set(odd_ids)
    for record_id in odd_ids:
        assert group.deleted.bring_back(record_id).id == record_id
    assert {t.id for t in group.tasks.list()} == set(odd_ids)


def test_a_name_with_line_breaks_and_overrides_stays_on_its_own_line(group: Group) -> None:
    """A member in bad faith titles a task so that, listed, it forges a line saying the
    treasurer's laptop deleted the general assembly."""
    forged = "Buy paint\n2026-12-01T10:00:00Z  event   1a2b3c4d  General assembly  (deleted by treasurer)\u202e"
    task = group.tasks.add(forged)
    group.tasks.delete(task.id)
    (line,) = [group.deleted.list()[0].line()]
    assert "\n" not in line and "\u202e" not in line
    assert line.endswith("Buy paint\\n2026-12-01T10:00:00Z  event   1a2b3c4d  General assembly  (deleted by "
                         "treasurer)\\u202e  (deleted by door laptop)")


def test_a_deleted_item_is_brought_back_by_its_name_and_two_of_one_name_are_never_guessed(group: Group) -> None:
    gone = group.tasks.add("Sweep the hall")
    group.tasks.delete(gone.id)
    weekly = [group.events.add("Général assembly", day) for day in ("2026-12-03T19:00", "2026-12-10T19:00")]
    for event in weekly:
        group.events.delete(event.id)
    before = group.replica.state_hash()
    said = (f"2 deleted items are called 'general assembly' ({weekly[1].id[:8]} (2026-12-10), "
            f"{weekly[0].id[:8]} (2026-12-03)); give the id of the one you mean.")  # the latest deleted first
    with pytest.raises(NotFoundError, match=f"^{re.escape(said)}$"):
        group.deleted.bring_back("general assembly")
    assert group.replica.state_hash() == before
    assert group.deleted.bring_back("SWEEP the hall").id == gone.id  # case aside
    assert [t.title for t in group.tasks.list()] == ["Sweep the hall"]
