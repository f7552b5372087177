"""The exported minutes read as an organiser writes them: the day in words, how each decision was
taken and who objected or blocked once, items with the time planned, tasks as 'to do'."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from organiser.formats.minutes import to_html, to_markdown, to_pdf
from organiser.services.meeting_report import build_report


@pytest.fixture
def assembly(group):
    event = group.events.add("General assembly", "2026-12-03T19:00", end="2026-12-03T21:00",
                             location="Community hall").id
    names = ("Amira Lindqvist", "Ben Brennan", "Quentin Haddad", "Rosa Murphy")
    people = {name: group.members.add(name).id for name in names}
    for name in names[:3]:
        group.events.checkin(event, people[name])
    group.meetings.add_item(event, "Repairs: boiler in block B", minutes=15)
    strike = group.proposals.add(event, "Continue the rent strike into January", "consent").id
    group.proposals.vote(strike, people["Amira Lindqvist"], "consent")
    group.proposals.vote(strike, people["Ben Brennan"], "consent")
    group.proposals.vote(strike, people["Quentin Haddad"], "objection")
    group.proposals.close(strike, "The strike continues; Quentin's objection is noted.")
    door = group.proposals.add(event, "Who leads the door team", "vote", options=["Rosa", "Quentin"], quorum="3").id
    group.proposals.vote(door, people["Amira Lindqvist"], "Rosa")
    lawyer = group.proposals.add(event, "Hire a lawyer", "consensus").id
    group.proposals.vote(lawyer, people["Ben Brennan"], "block")
    group.tasks.add("Write to the council", assignee=people["Rosa Murphy"], due="2026-12-10", event=event)
    return build_report(group.name, group.events, group.meetings, group.proposals, event)


def test_the_exported_minutes_say_the_day_the_decisions_and_the_tasks_in_words(assembly):
    written = to_markdown(assembly)
    for said in ("Thursday 3 December 2026, 19:00–21:00 · Community hall",
                 "Repairs: boiler in block B** — 15 min planned",
                 "- Decided by consent.\n- Answers: 2 consented, 1 objected (Quentin Haddad)\n"
                 "- No quorum was set; 3 of 3 who could vote were present.\n"
                 "- Outcome: The strike continues; Quentin's objection is noted.",
                 "- By vote; not decided yet.\n- Votes: Rosa 1, Quentin 0\n"
                 "- Quorum met: 3 present, 3 needed, of 3 who could vote.\n- Outcome: not decided yet",
                 "- Answers: 1 blocked (Ben Brennan)\n",
                 "- Write to the council — Rosa Murphy, due 10 December 2026 (to do)"):
        assert said in written
    for engineers in ("2026-12-03", "Kind:", "Tally:", "consent: 2", "Blocks:", "0 of 15", "[ ]", "(todo)"):
        assert engineers not in written
    page = to_html(assembly)
    assert "<li>Answers: 2 consented, 1 objected (Quentin Haddad)</li>" in page
    assert "<li>Write to the council — Rosa Murphy, due 10 December 2026 (to do)</li>" in page


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) reads the PDF back")
def test_the_pdf_says_the_same_as_the_web_page(assembly, tmp_path):
    path = tmp_path / "minutes.pdf"
    path.write_bytes(to_pdf(assembly))
    text = re.sub(r"\s+", " ", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                               check=True).stdout)
    for said in ("Thursday 3 December 2026, 19:00–21:00", "Decided by consent.",
                 "Answers: 2 consented, 1 objected (Quentin Haddad)", "due 10 December 2026 (to do)"):
        assert said in text
