"""Events, RSVPs (one per event and member) and door check-in."""

from __future__ import annotations

import pytest

from organiser.core.errors import NotFoundError, ValidationError
from tests.conftest import sync_pair

START, END = "2026-12-03T19:00", "2026-12-03T21:00"


def snapshot(group) -> tuple[int, str]:
    return group.replica.last_change_id(), group.replica.state_hash()


def test_an_event_keeps_every_field_given(group):
    event = group.events.add("Assembly", START, end=END, tz="Europe/Madrid", location="Social centre",
                             capacity="40", description="Monthly")
    again = group.events.get(event.id)
    assert again == event
    assert (again.title, again.start, again.end, again.tz) == ("Assembly", START, END, "Europe/Madrid")
    assert (again.location, again.capacity, again.status, again.description) == \
        ("Social centre", 40, "scheduled", "Monthly")


def test_an_event_can_be_cancelled_and_found_by_its_location(group):
    event = group.events.add("Assembly", START, location="Social centre")
    assert group.events.edit(event.id, status="cancelled").status == "cancelled"
    assert [e.id for e in group.events.list("social")] == [event.id]


@pytest.mark.parametrize(("fields", "field"), [
    ({"title": "", "start": START}, "title"),
    ({"title": "Assembly", "start": START, "end": "2026-12-03T18:00"}, "end"),
    ({"title": "Assembly", "start": START, "tz": "Europe/Atlantis"}, "tz"),
    ({"title": "Assembly", "start": START, "capacity": -5}, "capacity"),
])
def test_an_invalid_event_writes_nothing(group, fields, field):
    before = snapshot(group)
    with pytest.raises(ValidationError) as caught:
        group.events.add(fields.pop("title"), fields.pop("start"), **fields)
    assert caught.value.field == field
    assert snapshot(group) == before
    assert group.events.list() == []


def test_an_edit_ending_the_event_before_it_starts_writes_nothing(group):
    event = group.events.add("Assembly", START, end=END)
    before = snapshot(group)
    with pytest.raises(ValidationError, match="before it starts"):
        group.events.edit(event.id, title="Big assembly", end="2026-12-03T10:00")
    assert snapshot(group) == before
    assert group.events.get(event.id).title == "Assembly"


def test_a_second_answer_replaces_the_first(group):
    event = group.events.add("Assembly", START)
    ana = group.members.add("Ana")
    group.events.rsvp(event.id, ana.id, "maybe")
    group.events.rsvp(event.id, ana.id, "yes")
    assert [(r.member, r.answer) for r in group.events.rsvps(event.id)] == [(ana.id, "yes")]
    assert group.status()["counts"]["rsvp"] == 1


def test_two_laptops_answering_for_the_same_member_at_once_make_one_rsvp(two_devices):
    a, b = two_devices
    event = a.events.add("Assembly", START)
    ana = a.members.add("Ana")
    sync_pair(a, b)
    a.events.rsvp(event.id, ana.id, "yes")
    b.events.rsvp(event.id, ana.id, "no")
    sync_pair(a, b)
    for device in (a, b):
        rsvps = device.events.rsvps(event.id)
        assert len(rsvps) == 1
        assert device.status()["counts"]["rsvp"] == 1
    assert a.events.rsvps(event.id) == b.events.rsvps(event.id)
    assert a.events.rsvps(event.id)[0].answer in ("yes", "no")
    assert a.replica.state_hash() == b.replica.state_hash()


def test_checking_in_on_two_door_laptops_at_once_counts_the_member_once(two_devices):
    a, b = two_devices
    event = a.events.add("Assembly", START, capacity=2)
    ana = a.members.add("Ana")
    sync_pair(a, b)
    a.events.checkin(event.id, ana.id, when="2026-12-03T19:02:00+01:00")
    b.events.checkin(event.id, ana.id, when="2026-12-03T19:03:00+01:00")
    sync_pair(a, b)
    for device in (a, b):
        attendance = device.events.attendance(event.id)
        assert attendance.checked_in == 1
        assert not attendance.full
    assert a.events.rsvp_of(event.id, ana.id) == b.events.rsvp_of(event.id, ana.id)


def test_the_same_walk_in_registered_at_two_doors_at_once_is_one_member_counted_once(two_devices):
    """Found on a real evening: two door laptops both registered "Chidi Eze" before they had
    synced, and the door counted 8 checked in for 7 people, with no way to tell the two apart."""
    a, b = two_devices
    event = a.events.add("Assembly", START)
    sync_pair(a, b)
    at_a = a.members.add_walk_in(event.id, "Chidi Eze", emails=["chidi@example.org"], consent_email=True,
                                 consent_date="2026-12-03")
    at_b = b.members.add_walk_in(event.id, "chidi  eze")  # typed quickly, no contact given
    a.events.checkin(event.id, at_a.id, when="2026-12-03T19:02:00+01:00")
    b.events.checkin(event.id, at_b.id, when="2026-12-03T19:03:00+01:00")
    sync_pair(a, b)
    for device in (a, b):
        (chidi,) = [m for m in device.members.list() if m.name.casefold().split() == ["chidi", "eze"]]
        assert chidi.emails == ["chidi@example.org"] and chidi.consent_email  # the other door's blanks wrote nothing
        assert device.events.attendance(event.id).checked_in == 1
    assert a.replica.state_hash() == b.replica.state_hash()
    # The other door's registration arrived between the search and Register: still one member.
    assert b.members.add_walk_in(event.id, "Chidi Eze").id == at_a.id
    assert b.members.get(at_a.id).emails == ["chidi@example.org"]
    # Another evening, the same name is another registration only if the directory has no such member
    # (the door finds the member first); at this event, one deleted is not brought back.
    a.members.delete(at_a.id)
    again = a.members.add_walk_in(event.id, "Chidi Eze")
    assert again.id != at_a.id and [m.name for m in a.members.list() if m.id == again.id] == ["Chidi Eze"]


def test_someone_else_of_a_walk_ins_name_at_the_same_event_is_a_member_of_their_own(group):
    """The door saw "Chidi Eze" already checked in and the host said this is another person."""
    event = group.events.add("Assembly", START)
    first = group.members.add_walk_in(event.id, "Chidi Eze", emails=["chidi@example.org"])
    group.events.checkin(event.id, first.id, when="2026-12-03T19:02:00+01:00")
    other = group.members.add_walk_in(event.id, "Chidi Eze", someone_else=True, phones=["+44 7700 900123"])
    assert other.id != first.id
    assert group.members.get(first.id).phones == [] and group.members.get(first.id).emails == ["chidi@example.org"]
    group.events.checkin(event.id, other.id, when="2026-12-03T19:40:00+01:00")
    assert group.events.attendance(event.id).checked_in == 2


def test_a_walk_in_name_with_its_accent_typed_as_two_characters_is_the_same_member(two_devices):
    """One door laptop's keyboard gives "é" as one character, the other's (or a paste from a
    file) as "e" and a combining accent: the same name on the screen, so the same member."""
    a, b = two_devices
    event = a.events.add("Assembly", START)
    sync_pair(a, b)
    at_a = a.members.add_walk_in(event.id, "Zo\u00e9 L\u00f3pez")
    at_b = b.members.add_walk_in(event.id, "Zoe\u0301 Lo\u0301pez")
    assert at_a.id == at_b.id
    sync_pair(a, b)
    assert len(a.members.list()) == len(b.members.list()) == 1


def test_a_walk_in_registered_with_a_role_has_it(group):
    event = group.events.add("Assembly", START)
    chidi = group.members.add_walk_in(event.id, "Chidi Eze", roles=["door"], skills=["first aid"])
    assert (chidi.roles, chidi.skills) == (["door"], ["first aid"])


def test_a_task_planted_at_a_walk_ins_id_does_not_stop_the_door(group):
    """A member in bad faith can work out the id a name registered at an event will get and put
    a record of another kind there first: the door registers the walk-in all the same."""
    from organiser.core.records import derived_id
    from organiser.store.replica import LocalOp

    event = group.events.add("Assembly", START)
    planted = derived_id("member", "walk-in", event.id, "chidi eze")
    group.replica.commit([LocalOp("task", planted, "title", "Not a member"), LocalOp("task", planted, "status", "open"),
                          LocalOp("task", planted, "priority", 0)])
    chidi = group.members.add_walk_in(event.id, "Chidi Eze")
    assert chidi.id != planted and group.members.get(chidi.id).name == "Chidi Eze"
    group.events.checkin(event.id, chidi.id)
    assert group.events.attendance(event.id).checked_in == 1


def test_checkin_records_the_time_and_does_not_move_it_when_repeated(group):
    event = group.events.add("Assembly", START)
    ana = group.members.add("Ana")
    first = group.events.checkin(event.id, ana.id, when="2026-12-03T19:02:00+01:00")
    assert first.checked_in_at == "2026-12-03T19:02:00+01:00"
    again = group.events.checkin(event.id, ana.id, when="2026-12-03T19:30:00+01:00")
    assert again.checked_in_at == "2026-12-03T19:02:00+01:00"


def test_a_checkin_without_an_rsvp_counts_and_can_be_taken_back(group):
    event = group.events.add("Assembly", START, capacity=1)
    ana = group.members.add("Ana")
    group.events.checkin(event.id, ana.id)
    assert group.events.attendance(event.id).full
    group.events.undo_checkin(event.id, ana.id)
    assert group.events.attendance(event.id).checked_in == 0


def test_attendance_counts_answers(group):
    event = group.events.add("Assembly", START, capacity=10)
    people = [group.members.add(name) for name in ("Ana", "Bruno", "Chen", "Dara")]
    for person, answer in zip(people, ("yes", "yes", "maybe", "no"), strict=True):
        group.events.rsvp(event.id, person.id, answer)
    group.events.checkin(event.id, people[0].id)
    att = group.events.attendance(event.id)
    assert (att.yes, att.maybe, att.no, att.checked_in, att.capacity) == (2, 1, 1, 1, 10)


def test_an_rsvp_for_an_unknown_member_or_event_writes_nothing(group):
    event = group.events.add("Assembly", START)
    before = snapshot(group)
    with pytest.raises(ValidationError, match="there is no member"):
        group.events.rsvp(event.id, "0" * 32, "yes")
    with pytest.raises(ValidationError, match="there is no event"):
        group.events.rsvp("0" * 32, "1" * 32, "yes")
    assert snapshot(group) == before
    ana = group.members.add("Ana")
    before = snapshot(group)
    with pytest.raises(ValidationError) as caught:
        group.events.rsvp(event.id, ana.id, "perhaps")
    assert caught.value.field == "answer"
    assert snapshot(group) == before
    assert group.events.rsvps(event.id) == []


def test_a_deleted_event_cannot_be_shown(group):
    event = group.events.add("Assembly", START)
    group.events.delete(event.id)
    with pytest.raises(NotFoundError, match="there is no event"):
        group.events.get(event.id)
    assert group.events.list() == []


def test_a_series_begun_months_ago_whose_next_meetings_are_ahead_is_upcoming(group):
    """A fortnightly clinic that began in September and runs twelve times goes on past
    December: it is upcoming, and a one-off evening that ended in September is not."""
    series = group.events.add("Legal clinic", "2026-09-04T18:00", end="2026-09-04T20:00",
                              rrule="FREQ=WEEKLY;INTERVAL=2;COUNT=12")
    group.events.add("Film night", "2026-09-05T19:00", end="2026-09-05T21:00")
    over = group.events.add("Banner painting", "2026-06-01T10:00", end="2026-06-01T12:00",
                            rrule="FREQ=WEEKLY;COUNT=3")
    upcoming = [e.id for e in group.events.list(upcoming_from="2026-12-02T09:00")]
    assert upcoming == [series.id]
    assert over.id not in [e.id for e in group.events.upcoming()]


def test_searching_events_finds_the_meeting_whose_minutes_agenda_or_proposal_says_it(two_devices):
    """Months on, 'when did we decide the hardship fund?': the assemblies are all called
    'General assembly'; the words are in one's minutes, another's agenda, a third's proposal."""
    a, b = two_devices
    march, april, may, june = (a.events.add("General assembly", f"2026-0{m}-04T19:00").id for m in (3, 4, 5, 6))
    a.meetings.append_minutes(march, "Decided: start a Hardship fund; the treasurer opens the account.")
    a.meetings.add_item(april, "Hardship fund: first payments")
    a.proposals.add(may, "Close the hardship fund to new claims", "vote", options=("yes", "no"))
    a.meetings.append_minutes(june, "Repairs campaign: damp in block C.")
    sync_pair(a, b)
    found = [e.id for e in b.events.list("hardship fund")]
    assert sorted(found) == sorted([march, april, may])
    assert [e.id for e in b.events.list("damp block")] == [june]
    assert b.events.list("hardship rent strike") == []  # every word must be there


def test_minutes_are_searched_as_the_agenda_is_accents_and_underscores_aside(group):
    """The agenda's index folds accents and splits at '_'; the minutes, read and matched by hand,
    must find what the agenda finds: 'cafe' finds 'Café' in both, an accent typed as a combining
    mark too, and 'strasse' finds both (the index holds 'ß' as 'ss': core/letters.py)."""
    minutes, agenda = (group.events.add("General assembly", f"2026-0{m}-04T19:00").id for m in (3, 4))
    group.meetings.append_minutes(minutes, "Decided: the Café on Straße 5 opens; the rota_sheet stays.")
    group.meetings.add_item(agenda, "Café on Straße 5, rota_sheet")
    for typed in ("cafe", "CAFÉ", "cafe\u0301", "Straße", "strasse", "STRASSE", "sheet", "rota_sheet"):
        assert sorted(e.id for e in group.events.list(typed)) == sorted([minutes, agenda]), typed


def test_the_door_is_told_the_day_an_event_meets_when_it_is_not_the_day_given(group):
    from datetime import date

    from organiser.services.events import meets_on_another_day

    thursday = date(2026, 11, 26)
    add = group.events.add
    assert meets_on_another_day(add("Tonight", "2026-11-26T19:00"), thursday) is None
    assert meets_on_another_day(add("Late", "2026-11-25T22:00", end="2026-11-26T01:00"), thursday) is None
    assert meets_on_another_day(add("Yesterday", "2026-11-25T19:00"), thursday) == date(2026, 11, 25)
    assert meets_on_another_day(add("Thursdays", "2026-11-05T19:00", rrule="FREQ=WEEKLY"), thursday) is None
    assert meets_on_another_day(add("Fridays", "2026-11-06T19:00", rrule="FREQ=WEEKLY"), thursday) == date(2026, 11, 27)
    over = add("Over", "2026-10-02T19:00", rrule="FREQ=WEEKLY;COUNT=2")
    assert meets_on_another_day(over, thursday) == date(2026, 10, 2)  # none to come: its first
