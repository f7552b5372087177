"""Refusals in the meeting view read as people say them: no service field name in front
("member: ..."), no voter notation ("role:working group: Housing") at the end."""

from __future__ import annotations

from typing import Any

from organiser.ui.main_window import MainWindow
from tests.ui.conftest import choose, click, click_row, reads
from tests.ui.test_door_spoken import said  # noqa: F401 (a fixture)
from tests.ui.test_small_screens import click_view


def test_a_vote_by_someone_outside_the_working_group_is_refused_in_plain_words(
        evening: MainWindow, qtbot: Any, said: list[str]) -> None:  # noqa: F811 (the fixture)
    window = evening
    group = window.group
    event_id = window.events_view.current_id()
    quentin = group.members.add("Quentin Newcomer")
    group.events.checkin(event_id, quentin.id)
    group.proposals.add(event_id, "Repaint the stairwell", "consent", voters="role:working group: Housing")
    click_view(window, qtbot, "meeting")
    view = window.meeting_view.decisions
    qtbot.waitUntil(lambda: any(p.title == "Repaint the stairwell" for p, _t in view.proposals.rows), timeout=3000)
    row = next(n for n, (p, _t) in enumerate(view.proposals.rows) if p.title == "Repaint the stairwell")
    click_row(qtbot, view.proposal_view, row)
    qtbot.waitUntil(lambda: view.voter.findText("Quentin Newcomer") >= 0, timeout=3000)
    choose(qtbot, view.voter, "Quentin Newcomer")
    click(qtbot, view.vote_button)
    sentence = "Quentin Newcomer may not vote on this proposal: only the Housing working group votes."
    assert reads(view.tally_label) == sentence
    assert sentence in said
