"""Validation: each problem a person can cause becomes one sentence naming the field."""

from __future__ import annotations

import re

import pytest

from organiser.core.errors import ValidationError
from organiser.core.records import validate

START = "2026-12-03T19:00"


def one_sentence(message: str) -> bool:
    """One line, one full stop at the end (abbreviations such as 'e.g.' aside)."""
    plain = message.replace("e.g.", "eg")
    return "\n" not in message and plain.endswith(".") and len(re.findall(r"[.!?](?:\s|$)", plain)) == 1


def refusal(kind: str, values: dict, **kw) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate(kind, values, **kw)
    assert one_sentence(caught.value.message), caught.value.message
    return caught.value


@pytest.mark.parametrize(("kind", "values", "field", "words"), [
    ("event", {"title": "", "start": START}, "title", "an event needs a title"),
    ("event", {"title": "   ", "start": START}, "title", "an event needs a title"),
    ("task", {"title": ""}, "title", "a task needs a title"),
    ("member", {"name": " "}, "name", "a member needs a display name"),
    ("event", {"title": "Assembly"}, "start", "an event needs a start"),
])
def test_an_empty_or_missing_required_field_is_refused_by_name(kind, values, field, words):
    error = refusal(kind, values)
    assert error.field == field
    assert words in error.message


def test_an_event_that_ends_before_it_starts_is_refused():
    error = refusal("event", {"title": "Assembly", "start": START, "end": "2026-12-03T18:00"})
    assert error.field == "end"
    assert error.message.startswith("end:")
    assert "before it starts" in error.message


def test_an_edit_that_moves_the_start_after_the_stored_end_is_refused():
    stored = {"title": "Assembly", "start": START, "end": "2026-12-03T21:00"}
    error = refusal("event", {"start": "2026-12-03T22:00"}, current=stored)
    assert error.field == "end"


def test_an_event_may_end_when_it_starts():
    assert validate("event", {"title": "Vigil", "start": START, "end": START})["end"] == START


def test_an_unknown_time_zone_is_refused_with_an_example_of_a_real_one():
    error = refusal("event", {"title": "Assembly", "start": START, "tz": "Mars/Olympus_Mons"})
    assert error.field == "tz"
    assert "'Mars/Olympus_Mons' is not a known IANA time zone" in error.message
    assert "Europe/Berlin" in error.message


def test_a_known_time_zone_is_kept():
    assert validate("event", {"title": "Assembly", "start": START, "tz": "America/Sao_Paulo"})["tz"] == \
        "America/Sao_Paulo"


@pytest.mark.parametrize("email", ["bob@", "bob", "bob@example", "two words@example.org", "a@b@c.org"])
def test_a_malformed_email_is_refused_quoting_it(email):
    error = refusal("member", {"name": "Bob", "emails": ["ok@example.org", email]})
    assert error.field == "emails"
    assert f"'{email.strip()}' is not a valid email address" in error.message


def test_emails_are_trimmed_and_deduplicated():
    clean = validate("member", {"name": "Ana", "emails": [" ana@example.org", "ana@example.org", ""]})
    assert clean["emails"] == ["ana@example.org"]


def test_an_unknown_assignee_is_refused():
    error = refusal("task", {"title": "Posters", "assignee": "feedbeef"}, exists=lambda kind, rid: False)
    assert error.field == "assignee"
    assert "there is no member with id 'feedbeef'" in error.message


def test_an_unknown_linked_event_is_refused():
    error = refusal("task", {"title": "Posters", "event": "feedbeef"}, exists=lambda kind, rid: kind == "member")
    assert error.field == "event"
    assert "there is no event with id 'feedbeef'" in error.message


def test_a_capacity_below_zero_is_refused_and_zero_is_allowed():
    error = refusal("event", {"title": "Assembly", "start": START, "capacity": "-1"})
    assert error.field == "capacity"
    assert "below zero" in error.message
    assert validate("event", {"title": "Closed", "start": START, "capacity": "0"})["capacity"] == 0


@pytest.mark.parametrize(("kind", "values", "field"), [
    ("event", {"title": "A", "start": "tomorrow evening"}, "start"),
    ("event", {"title": "A", "start": START, "capacity": "lots"}, "capacity"),
    ("task", {"title": "A", "status": "blocked"}, "status"),
    ("task", {"title": "A", "due": "31/12/2026"}, "due"),
    ("member", {"name": "A", "phones": ["call me"]}, "phones"),
    ("member", {"name": "A", "consent_email": "perhaps"}, "consent_email"),
    ("member", {"name": "A", "shoe_size": "42"}, "shoe_size"),
])
def test_other_malformed_values_are_refused_naming_the_field(kind, values, field):
    assert refusal(kind, values).field == field


def test_an_rsvp_is_an_rsvp_in_messages():
    error = refusal("rsvp", {"event": "e1"})
    assert "an RSVP needs a member" in error.message


def test_a_number_too_large_to_store_exactly_is_refused():
    error = refusal("event", {"title": "Assembly", "start": START, "capacity": str(10**20)})
    assert error.field == "capacity"
    assert "too large" in str(error)
    assert validate("task", {"title": "Posters", "priority": "9"})["priority"] == 9
