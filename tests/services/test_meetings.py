"""Meetings on top of events: agenda order, the current item and its timer, action items."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from organiser.core.errors import NotFoundError, ValidationError
from organiser.services import clock
from tests.conftest import FROZEN_NOW, sync_pair


@pytest.fixture
def meeting(group):
    event = group.events.add("General meeting", "2026-12-03T19:00")
    ana = group.members.add("Ana López")
    return group, event.id, ana.id


def test_agenda_items_keep_the_order_they_were_added_in_and_a_move_reorders_them(meeting):
    group, event, ana = meeting
    welcome = group.meetings.add_item(event, "Welcome", minutes=5, presenter=ana)
    rent = group.meetings.add_item(event, "Rent strike", minutes=30)
    garden = group.meetings.add_item(event, "Garden", minutes="10")
    assert [i.title for i in group.meetings.items(event)] == ["Welcome", "Rent strike", "Garden"]
    assert welcome.presenter == ana and garden.minutes == 10
    assert [i.title for i in group.meetings.move_item(garden.id, 0)] == ["Garden", "Welcome", "Rent strike"]
    assert [i.title for i in group.meetings.move_item(garden.id, 2)] == ["Welcome", "Rent strike", "Garden"]
    assert [i.title for i in group.meetings.move_item(welcome.id, 1)] == ["Rent strike", "Welcome", "Garden"]
    assert rent.id == group.meetings.items(event)[0].id


def test_moving_between_neighbours_with_no_room_left_numbers_the_agenda_again(meeting):
    group, event, _ana = meeting
    items = [group.meetings.add_item(event, f"Item {n}") for n in range(3)]
    for _ in range(15):  # halving the gap each time until no whole number fits between
        group.meetings.move_item(items[2].id, 1)
        group.meetings.move_item(items[1].id, 1)
    titles = [i.title for i in group.meetings.items(event)]
    assert sorted(titles) == ["Item 0", "Item 1", "Item 2"] and titles[0] == "Item 0"
    positions = [i.position for i in group.meetings.items(event)]
    assert len(set(positions)) == 3


def test_refused_agenda_input_says_what_and_writes_nothing(meeting):
    group, event, _ana = meeting
    before = group.replica.state_hash()
    for bad in ({"minutes": "ten"}, {"minutes": 0}, {"presenter": "f" * 32}):
        with pytest.raises(ValidationError):
            group.meetings.add_item(event, "Welcome", **bad)
    with pytest.raises(ValidationError):
        group.meetings.add_item(event, "   ")
    assert group.replica.state_hash() == before


def test_advancing_keeps_the_time_used_on_each_item(meeting, monkeypatch):
    group, event, _ana = meeting
    welcome = group.meetings.add_item(event, "Welcome", minutes=5)
    rent = group.meetings.add_item(event, "Rent strike", minutes=30)
    state = group.meetings.advance(event)
    assert state.current_item == welcome.id
    monkeypatch.setattr(clock, "now", lambda: FROZEN_NOW + timedelta(minutes=7))
    assert group.meetings.state(event).seconds_used(group.meetings.item(welcome.id)) == 7 * 60
    state = group.meetings.advance(event)
    assert state.current_item == rent.id
    assert group.meetings.item(welcome.id).used_seconds == 7 * 60  # kept: 2 minutes over its box
    monkeypatch.setattr(clock, "now", lambda: FROZEN_NOW + timedelta(minutes=10))
    assert state.seconds_used(group.meetings.item(rent.id)) == 3 * 60
    assert group.meetings.advance(event).current_item is None  # past the last item


def test_any_laptop_can_advance_the_meeting_and_both_see_the_same_current_item(two_devices):
    a, b = two_devices
    event = a.events.add("Assembly", "2026-12-03T19:00").id
    first = a.meetings.add_item(event, "First")
    second = a.meetings.add_item(event, "Second")
    a.meetings.advance(event)
    sync_pair(a, b)
    assert b.meetings.advance(event).current_item == second.id
    sync_pair(a, b)
    assert a.meetings.state(event).current_item == second.id
    assert a.meetings.item(first.id).used_seconds == b.meetings.item(first.id).used_seconds


def test_make_task_links_the_action_item_to_the_meeting_and_its_item(meeting):
    group, event, ana = meeting
    item = group.meetings.add_item(event, "Rent strike")
    task = group.meetings.make_task(event, "Print strike flyers", assignee=ana, due="2026-12-10", item=item.id)
    assert (task.event, task.agenda_item, task.assignee, task.due) == (event, item.id, ana, "2026-12-10")
    assert [t.title for t in group.meetings.tasks(event)] == ["Print strike flyers"]
    with pytest.raises(ValidationError):
        group.meetings.make_task(event, "Bad due", due="someday")


def test_a_long_append_is_stored_in_pieces_that_each_fit_one_changeset_and_a_peer_gets_it_whole(two_devices):
    from organiser.core.meeting_rules import MINUTES_PIECE

    a, b = two_devices
    event = a.events.add("General meeting", "2026-12-03T19:00").id
    sync_pair(a, b)
    before = a.replica.version_vector()[a.device_id]
    text = "😀 é " * 40_000  # 160,000 characters, 4 of 5 bytes in each emoji: one update would be refused
    assert a.meetings.append_minutes(event, text) == text + "\n"
    pieces = a.replica.version_vector()[a.device_id] - before
    assert pieces == -(-(len(text) + 1) // MINUTES_PIECE) == 5
    sync_pair(a, b)
    assert b.meetings.minutes_text(event) == text + "\n"


def test_an_append_above_the_limit_is_refused_whole(meeting):
    group, event, _ana = meeting
    before = group.replica.state_hash()
    with pytest.raises(ValidationError, match="1,000,001 characters is more than the 1,000,000"):
        group.meetings.append_minutes(event, "a" * 1_000_001)
    assert group.replica.state_hash() == before


def test_advancing_the_meeting_of_an_unknown_event_is_refused_and_writes_nothing(group):
    from organiser.core.errors import NotFoundError

    before = group.status()["state_hash"]
    with pytest.raises(NotFoundError, match="there is no event with id 'no-such-event'"):
        group.meetings.advance("no-such-event")
    assert group.status()["state_hash"] == before


def test_credentials_that_are_not_json_are_refused_with_a_sentence():
    from organiser.core.errors import OrganiserError
    from organiser.services.group import credentials_from_json

    with pytest.raises(OrganiserError, match="incomplete group credentials"):
        credentials_from_json("{not json")


def test_an_item_is_renamed_and_its_time_box_changed_in_one_write(meeting):
    group, event, _ana = meeting
    item = group.meetings.add_item(event, "Rent stirke", minutes=30)
    before = group.replica.version_vector()[group.device_id]
    edited = group.meetings.edit_item(item.id, title="Rent strike", minutes=20)
    assert (edited.title, edited.minutes) == ("Rent strike", 20)
    assert group.replica.version_vector()[group.device_id] == before + 1  # one changeset
    assert group.meetings.edit_item(item.id, minutes=None).minutes is None  # the time box taken away
    assert [i.title for i in group.meetings.items(event)] == ["Rent strike"]


def test_a_refused_edit_says_what_and_writes_nothing(meeting):
    group, event, _ana = meeting
    item = group.meetings.add_item(event, "Welcome", minutes=5)
    garden = group.events.add("Garden day", "2026-12-05T10:00").id
    before = group.replica.state_hash()
    for bad in ({"title": "  "}, {"minutes": 0}, {"minutes": 2000}, {"minutes": "soon"}, {"event": garden},
                {"no_such_field": 1}):
        with pytest.raises(ValidationError):
            group.meetings.edit_item(item.id, **bad)
    with pytest.raises(NotFoundError):
        group.meetings.edit_item("f" * 32, title="X")
    with pytest.raises(NotFoundError):
        group.meetings.edit_item(event, title="X")  # an event is no agenda item
    assert group.replica.state_hash() == before


def test_a_removed_item_leaves_the_agenda_and_its_proposals_votes_and_tasks_stay(meeting):
    group, event, ana = meeting
    welcome = group.meetings.add_item(event, "Welcome")
    rent = group.meetings.add_item(event, "Rent strike")
    group.events.checkin(event, ana)
    proposal = group.proposals.add(event, "Strike", "consent", agenda_item=rent.id)
    group.proposals.vote(proposal.id, ana, "consent")
    task = group.meetings.make_task(event, "Call the landlord", item=rent.id)
    group.meetings.delete_item(rent.id)
    assert [i.title for i in group.meetings.items(event)] == ["Welcome"]
    assert [p.title for p in group.proposals.list(event)] == ["Strike"]
    assert group.proposals.tally(proposal.id).counts["consent"] == 1
    assert [t.id for t in group.meetings.tasks(event)] == [task.id]
    with pytest.raises(NotFoundError):
        group.meetings.delete_item(rent.id)  # already removed
    with pytest.raises(NotFoundError):
        group.meetings.edit_item(rent.id, title="Back?")
    group.meetings.restore(rent.id)  # an undo brings it back where it was, its links intact
    assert [i.title for i in group.meetings.items(event)] == ["Welcome", "Rent strike"]
    assert welcome.id != rent.id


def test_removing_the_item_being_discussed_moves_the_meeting_on_to_the_next(meeting, monkeypatch):
    group, event, _ana = meeting
    first = group.meetings.add_item(event, "First")
    second = group.meetings.add_item(event, "Second")
    third = group.meetings.add_item(event, "Third")
    group.meetings.advance(event, second.id)
    monkeypatch.setattr(clock, "now", lambda: FROZEN_NOW + timedelta(minutes=4))
    group.meetings.delete_item(second.id)
    state = group.meetings.state(event)
    assert state.current_item == third.id and state.seconds_used(group.meetings.item(third.id)) == 0
    group.meetings.delete_item(third.id)  # the last one: no item runs
    assert group.meetings.state(event).current_item is None
    assert [i.id for i in group.meetings.items(event)] == [first.id]


def test_a_current_item_removed_on_another_laptop_lets_next_go_on_from_where_it_stood(two_devices):
    a, b = two_devices
    event = a.events.add("Assembly", "2026-12-03T19:00").id
    items = [a.meetings.add_item(event, title) for title in ("First", "Second", "Third")]
    a.meetings.advance(event, items[1].id)
    sync_pair(a, b)
    b.meetings.delete(items[1].id)  # a bare tombstone (a laptop of an earlier version): the meeting stays on it
    sync_pair(a, b)
    assert a.meetings.state(event).current_item == items[1].id
    assert [i.title for i in a.meetings.items(event)] == ["First", "Third"]
    assert a.meetings.advance(event).current_item == items[2].id  # Next goes on, not back to the start


def test_a_rename_and_a_removal_reach_the_other_laptop_like_any_edit(two_devices):
    a, b = two_devices
    event = a.events.add("Assembly", "2026-12-03T19:00").id
    typo = a.meetings.add_item(event, "Welcmoe", minutes=5)
    extra = a.meetings.add_item(event, "Duplicate")
    sync_pair(a, b)
    b.meetings.edit_item(typo.id, title="Welcome", minutes=10)
    b.meetings.delete_item(extra.id)
    sync_pair(a, b)
    assert [(i.title, i.minutes) for i in a.meetings.items(event)] == [("Welcome", 10)]
    assert a.replica.state_hash() == b.replica.state_hash()


def test_a_proposal_or_task_is_linked_only_to_an_item_of_its_own_meeting(meeting):
    group, event, _ana = meeting
    other = group.events.add("Garden day", "2026-12-05T10:00").id
    elsewhere = group.meetings.add_item(other, "Seeds")
    before = group.replica.state_hash()
    with pytest.raises(ValidationError, match="another meeting's agenda"):
        group.proposals.add(event, "Strike", "consent", agenda_item=elsewhere.id)
    with pytest.raises(ValidationError, match="another meeting's agenda"):
        group.meetings.make_task(event, "Buy seeds", item=elsewhere.id)
    assert group.replica.state_hash() == before


def test_a_meeting_left_on_an_item_is_exported_months_later_with_the_time_it_had(group, monkeypatch):
    """Nobody pressed Next after the last item discussed; the evening ended at 21:00. Months
    later its minutes are exported: the item ran until the meeting ended, not until today."""
    from organiser.services.meeting_report import build_report

    event = group.events.add("General assembly", "2026-05-14T19:00", end="2026-05-14T21:00").id
    repairs = group.meetings.add_item(event, "Repairs campaign", minutes=10)
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 5, 14, 20, 30))
    group.meetings.advance(event)  # 20:30: repairs, the last thing discussed
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 26, 12, 0))
    report = build_report(group.name, group.events, group.meetings, group.proposals, event)
    assert [(i.title, i.used_minutes) for i in report.agenda] == [(repairs.title, 30)]
