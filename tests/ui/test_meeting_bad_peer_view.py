"""The meeting view and the projector when a peer sends what the app would never write: markup
in titles, votes without a member, a result that is not a tally, a time without an offset;
and a big paste into the minutes, which must reach the other laptops whole."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication

from organiser.core.changeset import Op
from organiser.core.records import MEETING, identity_id
from organiser.services.group import Group
from tests.bad_peer import BadPeer
from tests.conftest import sync_pair
from tests.ui.conftest import click_row, second_laptop

FAKE_TALLY = "X<br>yes: <b>40</b>"


@pytest.fixture
def bad_laptop(demo: Group, tmp_path: Path) -> Iterator[Group]:
    """A member's second laptop, whose modified client signs what it likes."""
    yield from second_laptop(demo, tmp_path / "bad", "bad laptop")


def shown(label: Any) -> str:
    """What a person reads in a rich-text label."""
    document = QTextDocument()
    document.setHtml(label.text())
    return document.toPlainText()


def test_markup_in_a_peers_proposal_title_shows_as_typed_not_as_a_fake_tally(meeting, bad_laptop: Group,
                                                                           qtbot: Any) -> None:
    window, event_id = meeting
    view = window.meeting_view
    pid = secrets.token_hex(16)
    result = window.group.replica.apply([BadPeer(bad_laptop).sign([
        Op("proposal", pid, "event", event_id), Op("proposal", pid, "title", FAKE_TALLY),
        Op("proposal", pid, "method", "vote"), Op("proposal", pid, "options", ["yes <i>", "no"])])],
        source=bad_laptop.device_id)
    assert result.applied == 1, result.refused
    qtbot.waitUntil(lambda: view.decisions.proposals.row_of(pid) >= 0, timeout=3000)
    click_row(qtbot, view.decisions.proposal_view, view.decisions.proposals.row_of(pid))
    text = shown(view.decisions.tally_label)
    assert text.startswith(FAKE_TALLY + "\n")  # the title, characters as sent
    assert "yes <i>: 0, no: 0" in text
    assert "yes: 40" not in text.replace(FAKE_TALLY, "")


def test_markup_in_titles_and_names_shows_as_typed_in_heading_agenda_and_tasks(meeting, bad_laptop: Group,
                                                                              qtbot: Any) -> None:
    window, event_id = meeting
    view = window.meeting_view
    group = window.group
    item = group.meetings.add_item(event_id, "<b>Rent</b> & <i>repairs</i>", minutes=5)
    group.meetings.advance(event_id)
    zed = group.members.add("Zed <u>Quinn</u>").id
    group.meetings.make_task(event_id, "Call <a href='x'>landlord</a>", assignee=zed)
    group.events.edit(event_id, location="Hall <br> B")
    qtbot.waitUntil(lambda: view.agenda.row_of(item.id) >= 0 and "landlord" in view.tasks_label.text(),
                    timeout=3000)
    view.set_event(event_id)  # what opening the event again shows
    assert "Hall <br> B" in shown(view.heading)
    assert "Now: <b>Rent</b> & <i>repairs</i> · " in shown(view.current_label)
    assert "Call <a href='x'>landlord</a> — Zed <u>Quinn</u>" in shown(view.tasks_label)


def test_markup_in_a_peers_title_shows_as_typed_in_the_question_asked_about_it(meeting, bad_laptop: Group,
                                                                              qtbot: Any) -> None:
    """A title ending in `<br><!--` hid the rest of the question (what happens, and to what) when the
    box took it for markup: "Reopen 'Rent strike" and nothing more."""
    from PySide6.QtWidgets import QLabel, QMessageBox

    from tests.ui.conftest import click, reads, with_modal

    window, event_id = meeting
    view = window.meeting_view
    sync_pair(window.group, bad_laptop)
    strike = bad_laptop.proposals.add(event_id, "Rent strike<br><!--", "consent")
    bad_laptop.proposals.close(strike.id, "<b>Carried</b>")
    sync_pair(window.group, bad_laptop)
    qtbot.waitUntil(lambda: view.decisions.proposals.row_of(strike.id) >= 0, timeout=3000)
    click_row(qtbot, view.decisions.proposal_view, view.decisions.proposals.row_of(strike.id))
    asked: list[str] = []

    def read_and_refuse(box: Any) -> None:
        asked.append(reads(box.findChild(QLabel, "qt_msgbox_label")))
        click(qtbot, box.button(QMessageBox.StandardButton.No))

    with_modal(lambda: click(qtbot, view.decisions.reopen_button), read_and_refuse)
    assert asked == ["Reopen 'Rent strike<br><!--'? Its outcome ('<b>Carried</b>') is cleared and votes can change "
                     "again; Who changed what… keeps what it was."]
    assert window.group.proposals.get(strike.id).status == "closed"


def test_votes_without_member_and_odd_results_leave_view_and_projector_working(meeting, bad_laptop: Group,
                                                                               qtbot: Any) -> None:
    window, event_id = meeting
    view = window.meeting_view
    group = window.group
    item = group.meetings.add_item(event_id, "Welcome", minutes=5)
    open_one = group.proposals.add(event_id, "Open one", "vote", options=["yes", "no"])
    closed = group.proposals.add(event_id, "Closed one", "vote", options=["yes", "no"])
    sync_pair(group, bad_laptop)
    bad_peer = BadPeer(bad_laptop)
    vote, meeting_id = secrets.token_hex(16), identity_id(MEETING, {"event": event_id})
    result = group.replica.apply([
        bad_peer.sign([Op("vote", vote, "proposal", open_one.id), Op("vote", vote, "choice", "yes")]),
        bad_peer.sign([Op("proposal", closed.id, "status", "closed"), Op("proposal", closed.id, "outcome", "Done"),
                       Op("proposal", closed.id, "result", json.dumps({"counts": "forty"}))]),
        bad_peer.sign([Op("meeting", meeting_id, "event", event_id),
                       Op("meeting", meeting_id, "current_item", item.id),
                       Op("meeting", meeting_id, "item_since", "2026-11-26T19:00")]),
    ], source=bad_laptop.device_id)
    assert result.applied == 3, result.refused
    qtbot.waitUntil(lambda: view.decisions.proposals.rowCount() == 2 and view.agenda.state is not None
                    and view.agenda.state.current_item == item.id, timeout=3000)
    for row in range(view.decisions.proposals.rowCount()):
        click_row(qtbot, view.decisions.proposal_view, row)
        assert "yes: 0, no: 0" in shown(view.decisions.tally_label)
    assert "Now: Welcome" in shown(view.current_label)
    assert view.agenda.index(0).data().startswith("▶ 1. Welcome")
    qtbot.keyClick(window, Qt.Key.Key_F11)
    projector = window.projector
    assert projector is not None and projector.isVisible()
    projector.refresh()
    assert projector.item.text() == "Welcome"
    assert projector.tally.text().startswith("Open one\nyes: 0   no: 0")
    projector.close()


@pytest.mark.parametrize("odd", [json.dumps({"counts": "forty"}), json.dumps({"counts": ["yes", 40]}),
                                 "[" * 100_000], ids=["counts-text", "counts-list", "nested-deep"])
def test_a_peers_odd_result_for_the_decision_leaves_the_projector_showing_it(meeting, bad_laptop: Group,
                                                                          qtbot: Any, odd: str) -> None:
    window, event_id = meeting
    group = window.group
    closed = group.proposals.add(event_id, "Closed one", "vote", options=["yes", "no"])
    sync_pair(group, bad_laptop)
    result = group.replica.apply([BadPeer(bad_laptop).sign([
        Op("proposal", closed.id, "status", "closed"), Op("proposal", closed.id, "outcome", "Done"),
        Op("proposal", closed.id, "closed_at", "2026-11-26T19:30:00+00:00"),
        Op("proposal", closed.id, "result", odd)])], source=bad_laptop.device_id)
    assert result.applied == 1, result.refused
    qtbot.keyClick(window, Qt.Key.Key_F11)
    projector = window.projector
    assert projector is not None and projector.isVisible()
    qtbot.waitUntil(lambda: projector.tally.text() == "Decided: Closed one\nDone", timeout=3000)
    projector.close()


def test_a_400_kb_paste_into_the_minutes_reaches_another_laptop_whole(meeting, bad_laptop: Group,
                                                                      qtbot: Any) -> None:
    window, event_id = meeting
    editor = window.meeting_view.editor
    qtbot.mouseClick(editor.text.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClicks(editor.text, "Before: ")
    page = "".join(f"Line {n}: the tenants of block {n % 37} report damp, and 😀 é ñ.\n" for n in range(6500))
    assert len(page.encode()) > 400_000
    QApplication.clipboard().setText(page)  # copied from another program
    qtbot.keyClick(editor.text, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor.text, "After.")
    assert editor.text.toPlainText() == "Before: " + page + "After."
    qtbot.waitUntil(lambda: window.group.meetings.minutes_text(event_id) == "Before: " + page + "After.",
                    timeout=5000)
    sync_pair(window.group, bad_laptop)
    assert bad_laptop.meetings.minutes_text(event_id) == "Before: " + page + "After."
    assert "not stored" not in editor.typing.text() and "too large" not in editor.typing.text()
