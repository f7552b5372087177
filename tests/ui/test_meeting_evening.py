"""A tenant union's meeting evening, as its host met it: three laptops (door, minutes,
projector) in three network namespaces under Xvfb, driven with clicks and keys (2026-12-02).
Each test does what a person did there, and failed before its mend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit, QMessageBox

from organiser.services.group import Group
from tests.ui.conftest import second_laptop


@pytest.fixture
def minutes_laptop(demo: Group, tmp_path: Path) -> Iterator[Group]:
    """The laptop taking the minutes: a second device of the same group, synced by hand."""
    yield from second_laptop(demo, tmp_path / "minutes", "minutes laptop")


def _type_into(qtbot: Any, field: Any, text: str) -> None:
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(field, text)


def _type_where_the_keys_are(qtbot: Any, text: str) -> None:
    qtbot.keyClicks(QApplication.focusWidget(), text)


def _key(qtbot: Any, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(QApplication.focusWidget(), key, modifier)


# ---- agenda -------------------------------------------------------------------------------------

def test_after_return_adds_an_item_the_next_title_is_typed_into_the_title_box(meeting: Any, qtbot: Any) -> None:
    """Title, Tab, minutes, Return left the keys in the time box: the next title typed went
    nowhere, and its first space pressed Add."""
    window, event_id = meeting
    view = window.meeting_view
    qtbot.mouseClick(view.item_title, Qt.MouseButton.LeftButton)
    for title, minutes in (("Welcome and introductions", "5"), ("Repairs survey results", "15"),
                           ("Any other business", "")):
        _type_where_the_keys_are(qtbot, title)
        if minutes:
            _key(qtbot, Qt.Key.Key_Tab)
            _key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
            _type_where_the_keys_are(qtbot, minutes)
        _key(qtbot, Qt.Key.Key_Return)
    added = [(i.title, i.minutes) for i in window.group.meetings.items(event_id)][-3:]
    # the last had no time box typed: it does not take the one before's
    assert added == [("Welcome and introductions", 5), ("Repairs survey results", 15), ("Any other business", None)]


# ---- minutes typed on two laptops at once -------------------------------------------------------

def test_two_laptops_typing_at_the_same_place_each_keep_their_words_whole(meeting: Any, minutes_laptop: Group,
                                                                          qtbot: Any) -> None:
    """The door laptop and the minutes laptop both typed at the end of the minutes. Each burst
    from the other landed at the caret, and the caret jumped past it, so the next burst went
    after the other's words: "Door: new memAna welcomed bers registereveryone." on every screen."""
    from organiser.core.minutes import edit_update
    from tests.conftest import sync_pair
    from tests.ui.test_meeting_view import type_text

    window, event_id = meeting
    editor = window.meeting_view.editor
    qtbot.mouseClick(editor.text.viewport(), Qt.MouseButton.LeftButton)
    _key(qtbot, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    start = len(editor.text.toPlainText())
    type_text(editor.text, "Door: new mem")
    editor.flush()
    sync_pair(window.group, minutes_laptop)
    # meanwhile the minutes laptop typed at the same place, its caret where the door's is
    doc = minutes_laptop.meetings.minutes_doc(event_id)
    at = start + len("Door: new mem")
    minutes_laptop.meetings.write_minutes(event_id, edit_update(doc, lambda d: d.replace(at, at, "Ana welcomed ")))
    sync_pair(window.group, minutes_laptop)
    qtbot.waitUntil(lambda: "Ana welcomed" in editor.text.toPlainText(), timeout=3000)
    type_text(editor.text, "bers registered")
    editor.flush()
    text = editor.text.toPlainText()
    assert "Door: new members registered" in text and "Ana welcomed " in text
    sync_pair(window.group, minutes_laptop)
    assert minutes_laptop.meetings.minutes_text(event_id) == window.group.meetings.minutes_text(event_id) == text


# ---- the end of the evening: the minutes exported -----------------------------------------------

def test_the_host_exports_the_minutes_from_the_meeting_view(meeting: Any, qtbot: Any, tmp_path: Path) -> None:
    """File > Export offered calendars, contacts, spreadsheets and a backup, but not the
    minutes: the host could not take the evening's minutes home from the app."""
    from tests.ui.conftest import choose, click, retype, with_modal

    window, event_id = meeting
    group = window.group
    ana = group.members.add("Ana Lopez").id
    group.events.checkin(event_id, ana)
    strike = group.proposals.add(event_id, "Start a rent strike on 1 January", "vote", options=["For", "Against"])
    group.proposals.vote(strike.id, ana, "For")
    group.proposals.close(strike.id, "Carried: the strike starts on 1 January")
    editor = window.meeting_view.editor
    qtbot.mouseClick(editor.text.viewport(), Qt.MouseButton.LeftButton)
    _key(qtbot, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    _type_where_the_keys_are(qtbot, " Ana welcomed everyone.")  # typed just before: it is in the file too
    target = tmp_path / "tonight.html"
    said: list[str] = []

    def export(dialog: Any) -> None:
        dialog.windowHandle().requestActivate()  # keys go to the active window's focus, as on a desktop
        qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=3000)
        choose(qtbot, dialog.format_box, "Web page (.html): opens in any browser, prints well")
        retype(qtbot, dialog.path_edit, str(tmp_path / "no such folder" / "x.html"))
        click(qtbot, dialog.export_button)
        said.append(dialog.note.text())
        retype(qtbot, dialog.path_edit, str(target))
        qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)  # Return in the file name exports, as in any dialog
        said.append(dialog.note.text())
        _key(qtbot, Qt.Key.Key_Tab)  # on to Choose…, then back with the file row's label: "&To file"
        _key(qtbot, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
        said.append("path has the keys" if QApplication.focusWidget() is dialog.path_edit else "Alt+T went nowhere")

    with_modal(lambda: click(qtbot, window.meeting_view.export_button), export)
    assert "does not exist" in said[0]
    assert said[1].startswith(f"Wrote {target}") and said[2] == "path has the keys"
    written = target.read_text(encoding="utf-8")
    for seen in ("Ana welcomed everyone.", "Ana Lopez", "Start a rent strike on 1 January",
                 "Carried: the strike starts on 1 January"):
        assert seen in written


def test_changing_the_format_while_the_file_name_is_a_bare_folder_keeps_the_dialog_working(
        meeting: Any, qtbot: Any) -> None:
    from tests.ui.conftest import choose, click, retype, with_modal

    window, _event_id = meeting
    said: list[str] = []

    def change_format(dialog: Any) -> None:
        for folder in ("/", "."):
            retype(qtbot, dialog.path_edit, folder)
            choose(qtbot, dialog.format_box, "PDF (.pdf): to print or send as it is")
            choose(qtbot, dialog.format_box, "Markdown (.md): for a mailing list, a wiki or a pad")
            said.append(dialog.path_edit.text())
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Close))

    with_modal(lambda: click(qtbot, window.meeting_view.export_button), change_format)
    assert said == ["/", "."]  # left as typed: a folder has no name to give a suffix


def test_exporting_over_an_existing_file_asks_first_and_no_keeps_it(meeting: Any, qtbot: Any, tmp_path: Path) -> None:
    """Typing a file's name and pressing Return replaced the file without a question (the file
    chooser asks; the typed name did not)."""
    from tests.ui.conftest import retype, with_modal

    window, _event_id = meeting
    target = tmp_path / "last month.md"
    target.write_text("Last month's minutes, not to be lost.", encoding="utf-8")
    asked: list[str] = []

    def answer(button: Any) -> Any:
        def press(box: Any) -> None:
            asked.append(box.text())
            qtbot.mouseClick(box.button(button), Qt.MouseButton.LeftButton)
        return press

    def export(dialog: Any) -> None:
        dialog.windowHandle().requestActivate()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=3000)
        retype(qtbot, dialog.path_edit, str(target))
        with_modal(lambda: qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return), answer(QMessageBox.StandardButton.No))
        asked.append(dialog.note.text())
        assert target.read_text(encoding="utf-8") == "Last month's minutes, not to be lost."
        with_modal(lambda: qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return), answer(QMessageBox.StandardButton.Yes))
        asked.append(dialog.note.text())

    with_modal(lambda: qtbot.mouseClick(window.meeting_view.export_button, Qt.MouseButton.LeftButton), export)
    assert asked[0] == f"last month.md already exists in {tmp_path}. Replace it?"
    assert asked[1].startswith("Nothing written: last month.md is as it was.")
    assert asked[3].startswith(f"Wrote {target}")
    assert "not to be lost" not in target.read_text(encoding="utf-8")


# ---- decisions ----------------------------------------------------------------------------------

def test_a_closed_proposal_offers_no_record_vote_or_close(meeting: Any, minutes_laptop: Group, qtbot: Any) -> None:
    """After the minutes laptop closed the proposal, Record vote stayed pressable and answered
    "proposal: '…' is closed; its votes cannot change." (with the field's name in front)."""
    from tests.conftest import sync_pair
    from tests.ui.conftest import click_row, row_of_text

    window, event_id = meeting
    view = window.meeting_view
    ana = window.group.members.add("Ana Lopez").id
    window.group.events.checkin(event_id, ana)
    strike = window.group.proposals.add(event_id, "Start a rent strike", "vote", options=["For", "Against"])
    sync_pair(window.group, minutes_laptop)
    minutes_laptop.proposals.close(strike.id, "Carried")
    sync_pair(window.group, minutes_laptop)
    shown = "Start a rent strike (vote) — closed: Carried"
    proposals = view.decisions.proposals
    qtbot.waitUntil(lambda: any(proposals.index(r).data() == shown for r in range(proposals.rowCount())),
                    timeout=3000)
    click_row(qtbot, view.decisions.proposal_view, row_of_text(view.decisions.proposal_view, shown))
    assert "Closed: Carried" in view.decisions.tally_label.text()
    assert not view.decisions.vote_button.isEnabled() and not view.decisions.close_button.isEnabled()


def test_a_proposal_closed_too_early_is_reopened_and_takes_votes_again(meeting: Any, qtbot: Any) -> None:
    """A facilitator closed the proposal before the last hands were in: nothing reopened it."""
    from tests.ui.conftest import choose, click, click_row, with_modal

    window, event_id = meeting
    view = window.meeting_view
    ana = window.group.members.add("Ana Lopez").id
    window.group.events.checkin(event_id, ana)
    window.group.proposals.add(event_id, "Start a rent strike", "vote", options=["For", "Against"])
    qtbot.waitUntil(lambda: view.decisions.proposals.rowCount() == 1, timeout=3000)
    click_row(qtbot, view.decisions.proposal_view, 0)

    def say_outcome(dialog: Any) -> None:
        assert dialog.labelText() == "Outcome (what was decided):"
        qtbot.keyClicks(dialog.findChild(QLineEdit), "Carried")
        click(qtbot, dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok))

    with_modal(lambda: click(qtbot, view.decisions.close_button), say_outcome)
    assert "Closed: Carried" in view.decisions.tally_label.text()
    assert view.decisions.reopen_button.isVisible() and not view.decisions.close_button.isVisible()
    asked: list[str] = []

    def answer_yes(box: Any) -> None:
        asked.append(box.text())
        click(qtbot, box.button(QMessageBox.StandardButton.Yes))

    with_modal(lambda: click(qtbot, view.decisions.reopen_button), answer_yes)
    assert asked == ["Reopen 'Start a rent strike'? Its outcome ('Carried') is cleared and votes can change again; "
                     "Who changed what… keeps what it was."]
    assert "Closed" not in view.decisions.tally_label.text()
    assert view.decisions.close_button.isVisible() and view.decisions.close_button.isEnabled()
    assert not view.decisions.reopen_button.isVisible()
    choose(qtbot, view.decisions.voter, "Ana Lopez")
    choose(qtbot, view.decisions.choice, "Against")
    click(qtbot, view.decisions.vote_button)
    assert "Against: <b>1</b>" in view.decisions.tally_label.text()
    assert window.group.proposals.show(view.decisions.selected_proposal())["status"] == "open"


# ---- the projector ------------------------------------------------------------------------------

def _projector(window: Any, qtbot: Any) -> Any:
    qtbot.keyClick(window, Qt.Key.Key_F11)  # View > Projector
    projector = window.projector
    assert projector is not None and projector.isVisible()
    return projector


def test_the_wall_shows_the_agenda_before_the_first_item_starts(meeting: Any, qtbot: Any) -> None:
    """Before Next item, the wall showed the meeting's title and nothing else: the room could
    not see what was on the agenda."""
    window, event_id = meeting
    for title, minutes in (("Welcome and introductions", 5), ("Repairs survey results", 15)):
        window.group.meetings.add_item(event_id, title, minutes=minutes)
    projector = _projector(window, qtbot)
    wall = projector.agenda.text()
    assert "Welcome and introductions (5 min)" in wall and "Repairs survey results (15 min)" in wall
    qtbot.keyClick(window.meeting_view.next_button, Qt.Key.Key_Space)  # Next item, pressed on this laptop
    qtbot.waitUntil(lambda: projector.item.text() == "Welcome and introductions", timeout=3000)
    assert projector.agenda.text() == "Next: Repairs survey results"
    qtbot.keyClick(projector, Qt.Key.Key_Escape)


def test_the_wall_shows_the_decision_once_the_proposal_is_closed(meeting: Any, minutes_laptop: Group,
                                                                 qtbot: Any) -> None:
    """The moment the minutes laptop closed the vote with its outcome, the tally left the wall
    and nothing took its place: the room never saw what it had decided."""
    from tests.conftest import sync_pair

    window, event_id = meeting
    group = window.group
    ana = group.members.add("Ana Lopez").id
    group.events.checkin(event_id, ana)
    group.meetings.add_item(event_id, "Rent strike: proposal and vote", minutes=25)
    group.meetings.advance(event_id)
    strike = group.proposals.add(event_id, "Start a rent strike on 1 January", "vote", options=["For", "Against"])
    group.proposals.vote(strike.id, ana, "For")
    projector = _projector(window, qtbot)
    assert "For: 1" in projector.tally.text()
    sync_pair(group, minutes_laptop)
    minutes_laptop.proposals.close(strike.id, "Carried: the strike starts on 1 January")
    sync_pair(group, minutes_laptop)
    qtbot.waitUntil(lambda: "Carried: the strike starts on 1 January" in projector.tally.text(), timeout=3000)
    assert "Start a rent strike on 1 January" in projector.tally.text() and "For: 1" in projector.tally.text()
    qtbot.keyClick(projector, Qt.Key.Key_Escape)


# ---- a laptop that joined before tonight's event was made ---------------------------------------

def test_tonights_event_made_on_the_door_laptop_is_the_meeting_of_a_newly_joined_laptop(
        group: Group, tmp_path: Path, qtbot: Any) -> None:
    """The projector laptop joined an empty group; the door laptop then made tonight's event.
    It arrived in the agenda unchosen ("No event selected"), so Meeting said "Choose an event in
    Events" and the wall said "No meeting chosen", with no word on how to choose one."""
    from organiser.ui.main_window import MainWindow
    from organiser.ui.settings import UiSettings
    from tests.conftest import add_device, sync_pair

    door = add_device(group, tmp_path / "door", "door")
    sync_pair(group, door)
    window = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    try:
        tonight = door.events.add("General meeting: rent strike", "2026-11-26T19:00", location="St Mary's hall")
        sync_pair(group, door)
        qtbot.waitUntil(lambda: window.events_view.current_id() == tonight.id, timeout=3000)
        qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)  # Ctrl+5: Meeting
        assert window.meeting_view.event_id == tonight.id
        projector = _projector(window, qtbot)
        assert projector.item.text() == "General meeting: rent strike"
        qtbot.keyClick(projector, Qt.Key.Key_Escape)
    finally:
        window.close()
        door.close()


def test_a_proposal_put_on_another_laptop_is_ready_for_votes_here(meeting: Any, minutes_laptop: Group,
                                                                   qtbot: Any) -> None:
    """The minutes laptop put the proposal; the door laptop, where votes were recorded, said
    "Select a proposal to see its tally and record votes." with Record vote greyed."""
    from tests.conftest import sync_pair

    window, event_id = meeting
    view = window.meeting_view
    ana = window.group.members.add("Ana Lopez").id
    window.group.events.checkin(event_id, ana)
    sync_pair(window.group, minutes_laptop)
    minutes_laptop.proposals.add(event_id, "Start a rent strike", "vote", options=["For", "Against"])
    sync_pair(window.group, minutes_laptop)
    qtbot.waitUntil(lambda: "Start a rent strike" in view.decisions.tally_label.text(), timeout=3000)
    assert view.decisions.vote_button.isEnabled()


def test_after_a_vote_is_recorded_the_next_person_is_ready_and_the_tally_says_how_many_voted(
        meeting: Any, qtbot: Any) -> None:
    """Votes are taken going down the room: after Record vote, the voter list stood on the person
    just recorded, and nothing said how many of those who may vote had voted."""
    from tests.ui.conftest import choose, click_row

    window, event_id = meeting
    view = window.meeting_view
    group = window.group
    for name in ("Ana Lopez", "Bo Chen", "Chidi Eze"):
        group.events.checkin(event_id, group.members.add(name).id)
    proposal = group.proposals.add(event_id, "Start a rent strike", "vote", options=["For", "Against"])
    qtbot.waitUntil(lambda: view.decisions.proposals.row_of(proposal.id) >= 0, timeout=3000)
    click_row(qtbot, view.decisions.proposal_view, view.decisions.proposals.row_of(proposal.id))
    qtbot.waitUntil(lambda: view.decisions.voter.findText("Chidi Eze") >= 0, timeout=3000)
    choose(qtbot, view.decisions.voter, "Ana Lopez")
    choose(qtbot, view.decisions.choice, "For")
    qtbot.mouseClick(view.decisions.vote_button, Qt.MouseButton.LeftButton)
    assert "For: <b>1</b>" in view.decisions.tally_label.text() and "1 has voted" in view.decisions.tally_label.text()
    following = view.decisions.voter.itemText(view.decisions.voter.findText("Ana Lopez") + 1)
    assert view.decisions.voter.currentText() == following  # the next person in the list, ready
    choose(qtbot, view.decisions.choice, "Against")
    qtbot.mouseClick(view.decisions.vote_button, Qt.MouseButton.LeftButton)
    tally = view.decisions.tally_label.text()
    assert "Against: <b>1</b>" in tally and "2 have voted" in tally
    assert {m: c for m, c in group.proposals.tally(proposal.id).votes.items()} == {"Ana Lopez": "For",
                                                                                   following: "Against"}
