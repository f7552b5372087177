"""Bad input: exit code 2, one sentence on stderr naming the field (as the flag typed for it),
nothing written. The cases run through the program's entry point in the test process (`organiser_in_process`);
argparse's refusals also run in real processes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from organiser.services.group import create_group, open_group

START = "2026-12-03T19:00"


def what_is_stored(data_dir) -> tuple[dict, str]:
    group = open_group(data_dir)
    try:
        return group.replica.version_vector(), group.replica.state_hash()
    finally:
        group.close()


@dataclass
class Ready:
    data_dir: Path
    ana: str
    event: str


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Ready:
    """One group for every case here (made in-process: the set-up is not what is tested);
    each case checks that it wrote nothing, so they cannot disturb each other."""
    data_dir = tmp_path_factory.mktemp("errors") / "data"
    group = create_group(data_dir, "Tenants Union", "door laptop")
    try:
        return Ready(data_dir, group.members.add("Ana").id, group.events.add("Assembly", START).id)
    finally:
        group.close()


@pytest.fixture
def ready(organiser_in_process, stored):
    def run(*args: str):
        return organiser_in_process(*args, data_dir=stored.data_dir)

    run.data_dir, run.ana, run.event = stored.data_dir, stored.ana, stored.event
    return run


CASES = [
    (["task", "add", "--title", "  "], "--title", "a task needs a title"),
    (["event", "add", "--title", "Assembly", "--start", START, "--end", "2026-12-03T18:00"], "--end",
     "before it starts"),
    (["event", "add", "--title", "Assembly", "--start", START, "--tz", "Mars/Olympus"], "--tz",
     "not a known IANA time zone"),
    (["event", "add", "--title", "Assembly", "--start", START, "--capacity", "-3"], "--capacity", "below zero"),
    (["event", "add", "--title", "Assembly", "--start", "next friday"], "--start", "is not a date and time"),
    (["member", "add", "--name", "Bruno", "--email", "bruno(at)example.org", "--role", "Kitchen"], "--email",
     "is not a valid email address"),
    (["member", "add", "--name", ""], "--name", "a member needs a display name"),
    (["member", "add", "--name", "Bruno", "--consent-d=soon"], "--consent-date", "is not a date"),  # a flag's start
    (["member", "edit", "ana", "--phone", "call me"], "--phone", "call me"),  # a member by name
    (["task", "add", "--title", "Posters", "--assignee", "feedbeef"], "--assignee", "no member"),
    (["task", "add", "--title", "Posters", "--event", "feedbeef"], "--event", "no event"),
]


@pytest.mark.parametrize(("args", "field", "words"), CASES, ids=[c[1] for c in CASES])
def test_bad_input_exits_2_with_one_sentence_naming_the_field_and_writes_nothing(ready, args, field, words):
    before = what_is_stored(ready.data_dir)
    result = ready(*args)
    assert result.code == 2
    assert result.out == ""
    line = result.err.strip()
    assert "\n" not in line, result.err
    assert line.startswith(f"organiser: {field}:"), line
    assert words in line
    assert len(re.findall(r"[.!?](?:\s|$)", line.replace("e.g.", "eg"))) == 1, line
    assert what_is_stored(ready.data_dir) == before


def test_a_bad_edit_exits_2_and_leaves_the_event_as_it_was(ready):
    before = what_is_stored(ready.data_dir)
    result = ready("event", "edit", ready.event, "--title", "Big assembly", "--end", "2026-12-01T10:00")
    assert result.code == 2 and result.err.startswith("organiser: --end:")
    assert what_is_stored(ready.data_dir) == before
    assert ready("event", "show", ready.event, "--json").json()["title"] == "Assembly"


def test_a_missing_required_option_or_a_wrong_choice_exits_2_naming_it(ready, organiser):
    def as_a_process(*args: str):
        return organiser(*args, data_dir=ready.data_dir)

    for run in (ready, as_a_process):
        missing = run("member", "add", "--email", "ana@example.org")
        assert missing.code == 2 and "--name" in missing.err.splitlines()[-1]
        wrong = run("event", "rsvp", ready.event, ready.ana, "perhaps")
        assert wrong.code == 2 and "perhaps" in wrong.err.splitlines()[-1]
