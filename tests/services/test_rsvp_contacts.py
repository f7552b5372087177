"""What the event and member panes ask of the services: a member's answers, upcoming events, the
email addresses of those who said yes or came (only with consent), and names for a listing."""

from __future__ import annotations

import pytest

from organiser.core.errors import ValidationError
from organiser.services.group import Group


def test_contact_emails_take_only_consenting_people_with_an_address(group: Group) -> None:
    event = group.events.add("Assembly", "2031-05-05T19:00")
    ok = group.members.add("Ok Yes", emails=["ok@example.org", "second@example.org"], consent_email=True)
    private = group.members.add("Private Yes", emails=["private@example.org"])
    no_address = group.members.add("No Address", consent_email=True)
    maybe = group.members.add("Maybe Person", emails=["maybe@example.org"], consent_email=True)
    came = group.members.add("Came Along", emails=["came@example.org"], consent_email=True)
    gone = group.members.add("Gone Away", emails=["gone@example.org"], consent_email=True)
    for member in (ok, private, no_address, gone):
        group.events.rsvp(event.id, member.id, "yes")
    group.events.rsvp(event.id, maybe.id, "maybe")
    group.events.checkin(event.id, came.id)
    group.members.delete(gone.id)
    assert group.events.contact_emails(event.id, who="yes") == ["ok@example.org"]
    assert group.events.contact_emails(event.id, who="checked_in") == ["came@example.org"]
    with pytest.raises(ValidationError):
        group.events.contact_emails(event.id, who="everyone")


def test_a_members_answers_and_the_upcoming_events(group: Group) -> None:
    past = group.events.add("Last year", "2025-01-01T10:00")  # the frozen clock says 2026-11-26
    soon = group.events.add("Soon", "2026-12-01T10:00")
    later = group.events.add("Much later", "2029-06-01T10:00")
    ann = group.members.add("Ann")
    group.events.rsvp(soon.id, ann.id, "no")
    group.events.rsvp(past.id, ann.id, "yes")
    assert [e.id for e in group.events.upcoming()] == [soon.id, later.id]
    assert {(r.event, r.answer) for r in group.events.answers_of(ann.id)} == {(soon.id, "no"), (past.id, "yes")}


def test_names_of_members_skip_the_deleted_and_other_kinds(group: Group) -> None:
    ann, bob = group.members.add("Ann"), group.members.add("Bob")
    task = group.tasks.add("Not a member")
    group.members.delete(bob.id)
    assert group.members.names_of([ann.id, bob.id, task.id, "f" * 32]) == {ann.id: "Ann"}
