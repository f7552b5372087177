"""Commands that ask for a member, an event or a task take its id, the start of its id, or its
name or title (case and accents aside, or the starts of its words, as the search box finds); one
that names nothing or several is refused with one sentence listing the several, never guessed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from organiser.services.group import create_group, open_group


@dataclass
class Hall:
    data_dir: Path
    ben: str
    bea: str
    eleonore: str
    assembly_5: str
    assembly_12: str
    social: str
    posters: str


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Hall:
    data_dir = tmp_path_factory.mktemp("names") / "data"
    group = create_group(data_dir, "Tenants Union", "door laptop")
    try:
        ben, bea = group.members.add("Ben Okafor").id, group.members.add("Bea Okafor").id
        eleonore = group.members.add("Éléonore Martin").id
        assembly_5 = group.events.add("General assembly", "2026-12-05T19:00").id
        assembly_12 = group.events.add("General assembly", "2026-12-12T19:00").id
        social = group.events.add("Winter social", "2026-12-19T18:00").id
        posters = group.tasks.add("Print posters").id
        return Hall(data_dir, ben, bea, eleonore, assembly_5, assembly_12, social, posters)
    finally:
        group.close()


@pytest.fixture
def hall(organiser_in_process, stored):
    def run(*args: str):
        return organiser_in_process(*args, data_dir=stored.data_dir)

    return run, stored


def test_checkin_takes_the_event_title_and_the_member_name(hall):
    run, ids = hall
    done = run("event", "checkin", "winter social", "eleonore martin")  # case and accents aside
    assert done.code == 0, done.err
    assert "checked in Éléonore Martin" in done.out
    taken_back = run("event", "checkin", "Winter", "eleonore", "--undo")  # starts of words, as search finds
    assert taken_back.code == 0 and "taken back for Éléonore Martin" in taken_back.out


def test_ids_and_their_starts_work_as_before(hall):
    run, ids = hall
    assert run("event", "rsvp", ids.assembly_5, ids.ben, "yes").out.strip() == "Ben Okafor: yes"
    assert run("event", "rsvp", ids.assembly_5[:6], ids.bea[:8], "no").out.strip() == "Bea Okafor: no"
    assert run("task", "show", ids.posters[:8], "--json").json()["id"] == ids.posters
    group = open_group(ids.data_dir)
    try:  # a title with a word that begins as the id does: the id's start still names its event
        lookalike = group.events.add(f"Room {ids.social[:6]}ab", "2026-12-20T10:00").id
    finally:
        group.close()
    try:
        assert run("event", "show", ids.social[:6], "--json").json()["id"] == ids.social
    finally:
        assert run("event", "delete", lookalike).code == 0


def test_several_events_with_one_title_are_listed_with_their_ids_and_days_and_nothing_is_done(hall):
    run, ids = hall
    refused = run("event", "checkin", "General assembly", "Ben Okafor")
    assert refused.code == 2 and refused.out == ""
    line = refused.err.strip()
    assert "\n" not in line
    assert line.startswith("organiser: 2 events match 'General assembly'")
    assert f"{ids.assembly_5[:8]} General assembly on Sat 5 Dec 2026" in line
    assert f"{ids.assembly_12[:8]} General assembly on Sat 12 Dec 2026" in line
    assert "give the id" in line
    assert run("event", "show", ids.assembly_5, "--json").json()["checked_in"] == 0


def test_several_members_a_name_begins_are_listed_and_a_name_of_no_one_is_said(hall):
    run, ids = hall
    several = run("event", "rsvp", "Winter social", "okafor", "yes")
    assert several.code == 2
    assert f"{ids.bea[:8]} Bea Okafor" in several.err and f"{ids.ben[:8]} Ben Okafor" in several.err
    nobody = run("member", "show", "Carmen")
    assert nobody.code == 2
    assert nobody.err.strip() == ("organiser: no member is called or has the id 'Carmen' "
                                  "(see 'organiser member list').")


def test_a_whole_name_is_one_record_even_where_it_begins_other_names(hall):
    run, ids = hall
    group = open_group(ids.data_dir)
    try:
        ben = group.members.add("Ben").id
    finally:
        group.close()
    try:
        assert run("member", "show", "ben", "--json").json()["id"] == ben
    finally:
        assert run("member", "delete", ben).code == 0


def test_task_flags_take_names_and_a_wrong_one_is_refused_naming_the_flag(hall):
    run, ids = hall
    made = run("task", "add", "--title", "Chairs", "--assignee", "Éléonore", "--event", "winter social", "--json")
    task = made.json()
    assert (task["assignee"], task["event"]) == (ids.eleonore, ids.social)
    assert run("task", "list", "--assignee", "eleonore", "--json").json()[0]["title"] == "Chairs"
    assert run("task", "edit", "chairs", "--status", "done", "--json").json()["status"] == "done"
    refused = run("task", "add", "--title", "Stage", "--event", "General assembly")
    assert refused.code == 2 and refused.err.startswith("organiser: --event: 2 events match 'General assembly'")
    assert run("task", "delete", "Chairs").code == 0


def test_meeting_commands_take_titles_and_names(hall):
    run, ids = hall
    added = run("agenda", "add", "winter social", "--title", "Heating", "--presenter", "Ben Okafor")
    assert added.code == 0, added.err
    listed = run("agenda", "list", "Winter social", "--json").json()
    assert [(i["title"], i["presenter"]) for i in listed] == [("Heating", ids.ben)]


def test_history_takes_a_name_or_title_and_lists_the_several(hall):
    run, ids = hall
    shown = run("history", "Print posters", "--json")
    assert shown.code == 0, shown.err
    assert {w["record"] for w in shown.json()} == {ids.posters}
    several = run("history", "okafor")
    assert several.code == 2
    assert f"member {ids.bea[:8]} Bea Okafor" in several.err and f"member {ids.ben[:8]} Ben Okafor" in several.err
