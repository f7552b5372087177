"""The meeting view, used as a person uses it: typing minutes, a peer's typing arriving while
you type, undo, the agenda dragged into order, votes, Make task, and the projector."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QAccessible, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from organiser.core.minutes import utf16_len
from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from tests.conftest import sync_pair
from tests.ui.conftest import second_laptop, with_modal


@pytest.fixture
def chair(demo: Group, tmp_path: Path) -> Iterator[Group]:
    """The chair's laptop: a second device of the same group, synced by hand."""
    yield from second_laptop(demo, tmp_path / "chair", "chair laptop")


def type_text(widget: Any, text: str) -> None:
    """Key presses carrying each character (emoji included, which QTest.keyClicks splits)."""
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char))


def click_row(qtbot: Any, view: Any, row: int) -> None:
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def minutes_changesets(group: Group, author: str | None = None) -> int:
    sql = "SELECT count(*) FROM changes WHERE instr(body, ?) > 0" + (" AND author = ?" if author else "")
    return group.db.execute(sql, [b'["minutes",', *([author] if author else [])]).fetchone()[0]


def test_typing_minutes_stores_them_in_bursts_not_per_keystroke(meeting, qtbot: Any) -> None:
    window, event_id = meeting
    editor = window.meeting_view.editor
    qtbot.mouseClick(editor.text.viewport(), Qt.MouseButton.LeftButton)
    typed = "Café opened at 7 😀 — señora Núñez chairs."
    type_text(editor.text, typed)
    assert editor.text.toPlainText() == typed
    qtbot.waitUntil(lambda: window.group.meetings.minutes_text(event_id) == typed, timeout=3000)
    assert 1 <= minutes_changesets(window.group) < len(typed) / 4  # one per burst


def test_a_peers_typing_arrives_while_the_caret_and_selection_stay_put(meeting, chair: Group, qtbot: Any) -> None:
    window, event_id = meeting
    editor = window.meeting_view.editor
    qtbot.mouseClick(editor.text.viewport(), Qt.MouseButton.LeftButton)
    type_text(editor.text, "Budget: agreed. Next: garden.")
    editor.flush()
    # select "agreed" with the keyboard, as a person would: to the start, 8 to the right, then shift
    qtbot.keyClick(editor.text, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    for _ in range(8):
        qtbot.keyClick(editor.text, Qt.Key.Key_Right)
    for _ in range(6):
        qtbot.keyClick(editor.text, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert editor.text.textCursor().selectedText() == "agreed"
    sync_pair(window.group, chair)
    chair.meetings.write_minutes(event_id, _insert_at_start(chair, event_id, "👋 Ñandú: "))
    sync_pair(window.group, chair)
    qtbot.waitUntil(lambda: editor.text.toPlainText().startswith("👋 Ñandú: Budget"), timeout=3000)
    cursor = editor.text.textCursor()
    assert cursor.selectedText() == "agreed"  # the selection moved with its text
    assert cursor.selectionStart() == 8 + utf16_len("👋 Ñandú: ")
    own = minutes_changesets(window.group, window.group.device_id)
    qtbot.wait(400)  # longer than a burst: what arrived is not sent back as this laptop's typing
    assert minutes_changesets(window.group, window.group.device_id) == own
    qtbot.waitUntil(lambda: "chair laptop" in editor.typing.text(), timeout=3000)


def _insert_at_start(group: Group, event_id: str, text: str) -> Any:
    from organiser.core.minutes import edit_update

    doc = group.meetings.minutes_doc(event_id)
    return edit_update(doc, lambda d: d.replace(0, 0, text))


def test_undo_takes_back_only_your_own_typing(meeting, chair: Group, qtbot: Any) -> None:
    window, event_id = meeting
    editor = window.meeting_view.editor
    qtbot.mouseClick(editor.text.viewport(), Qt.MouseButton.LeftButton)
    type_text(editor.text, "mine")
    editor.flush()
    sync_pair(window.group, chair)
    chair.meetings.append_minutes(event_id, " theirs")
    sync_pair(window.group, chair)
    qtbot.waitUntil(lambda: "theirs" in editor.text.toPlainText(), timeout=3000)
    qtbot.keyClick(editor.text, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.text.toPlainText() == "\n theirs\n"  # their line break stays too
    qtbot.waitUntil(lambda: window.group.meetings.minutes_text(event_id) == "\n theirs\n", timeout=3000)


def test_agenda_items_are_added_and_dragged_into_a_new_order(meeting, qtbot: Any) -> None:
    window, event_id = meeting
    view = window.meeting_view
    for title in ("Welcome", "Rent strike", "Garden"):
        qtbot.mouseClick(view.item_title, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(view.item_title, title)
        qtbot.keyClick(view.item_title, Qt.Key.Key_Return)
    assert [i.title for i in window.group.meetings.items(event_id)] == ["Welcome", "Rent strike", "Garden"]
    source = view.agenda.index(2)  # drag "Garden"...
    mime = view.agenda.mimeData([source])
    target = view.agenda_view.viewport()
    where = QPointF(view.agenda_view.visualRect(view.agenda.index(0)).topLeft()) + QPointF(5, 2)  # ...to the top
    for event in (QDragEnterEvent(where.toPoint(), Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                                  Qt.KeyboardModifier.NoModifier),
                  QDragMoveEvent(where.toPoint(), Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                                 Qt.KeyboardModifier.NoModifier)):
        QApplication.sendEvent(target, event)
        assert event.isAccepted()
    drop = QDropEvent(where, Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    assert drop.isAccepted()
    assert [i.title for i in window.group.meetings.items(event_id)] == ["Garden", "Welcome", "Rent strike"]
    assert view.agenda.index(0).data().startswith("1. Garden")


def test_empty_agenda_decisions_and_minutes_say_how_to_add_the_first(meeting, qtbot: Any) -> None:
    window, _event_id = meeting
    view = window.meeting_view
    assert view.agenda_empty.isVisible() and view.agenda_empty.text().startswith("No agenda items yet: add one")
    assert view.decisions.proposals_empty.isVisible() and "New proposal" in view.decisions.proposals_empty.text()
    assert view.editor.text.placeholderText().startswith("No minutes yet: type here")
    qtbot.mouseClick(view.item_title, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(view.item_title, "Welcome")
    qtbot.keyClick(view.item_title, Qt.Key.Key_Return)
    assert not view.agenda_empty.isVisible()  # the first item is there: the hint goes
    assert view.decisions.proposals_empty.isVisible()


def test_reopened_on_the_meeting_it_shows_the_first_event_and_its_open_proposals_tally(
        demo: Group, qtbot: Any, tmp_path: Path) -> None:
    """The app opens on the view it was closed on: on Meeting, Events has not been shown, yet
    the meeting of the event Events would show is there, its open proposal's tally at once."""
    looking = MainWindow(demo, None, settings=UiSettings(tmp_path / "first"))
    qtbot.addWidget(looking)
    looking.show()
    qtbot.waitUntil(lambda: looking.events_view.current_id() is not None, timeout=5000)
    event_id = looking.events_view.current_id()
    looking.close()
    demo.proposals.add(event_id, "Paint the banner green", "consent")
    settings = UiSettings(tmp_path / "ui")
    settings.set_last_view("meeting")
    window = MainWindow(demo, None, settings=settings)
    qtbot.addWidget(window)
    window.show()
    assert window.current_view() == "meeting"
    qtbot.waitUntil(lambda: window.meeting_view.event_id == event_id, timeout=5000)
    assert "Paint the banner green" in window.meeting_view.decisions.tally_label.text()
    assert window.meeting_view.decisions.choice.count() == 2  # consent, objection: ready to record a vote
    window.close()


def test_next_item_starts_the_first_item_and_its_timer_shows(meeting, qtbot: Any) -> None:
    window, event_id = meeting
    view = window.meeting_view
    window.group.meetings.add_item(event_id, "Welcome", minutes=5)
    qtbot.waitUntil(lambda: view.agenda.rowCount() == 1, timeout=3000)
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    assert "Welcome" in view.current_label.text() and "0:00\u00a0of\u00a05:00" in view.current_label.text()  # one piece
    assert view.agenda.index(0).data().startswith("▶ 1. Welcome")


def test_a_vote_recorded_on_another_laptop_updates_the_tally(meeting, chair: Group, qtbot: Any) -> None:
    window, event_id = meeting
    view = window.meeting_view
    ana = window.group.members.add("Ana Test").id
    window.group.events.checkin(event_id, ana)
    proposal = window.group.proposals.add(event_id, "Buy a projector", "consensus")
    qtbot.waitUntil(lambda: view.decisions.proposals.row_of(proposal.id) >= 0, timeout=3000)  # it shows
    click_row(qtbot, view.decisions.proposal_view, view.decisions.proposals.row_of(proposal.id))
    tally = view.decisions.tally_label.text()
    assert "Buy a projector" in tally and "agree: <b>0</b>" in tally
    sync_pair(window.group, chair)
    chair.proposals.vote(proposal.id, ana, "agree")
    sync_pair(window.group, chair)
    qtbot.waitUntil(lambda: "agree: <b>1</b>" in view.decisions.tally_label.text(), timeout=3000)


def test_make_task_from_a_proposal_lists_it_among_the_meetings_tasks(meeting, qtbot: Any) -> None:
    window, event_id = meeting
    view = window.meeting_view
    proposal = window.group.proposals.add(event_id, "Print flyers", "consent")
    qtbot.waitUntil(lambda: view.decisions.proposals.row_of(proposal.id) >= 0, timeout=3000)  # it shows
    click_row(qtbot, view.decisions.proposal_view, view.decisions.proposals.row_of(proposal.id))

    def fill(dialog: Any) -> None:
        assert dialog.title.text() == "Print flyers"
        qtbot.mouseClick(dialog.due, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(dialog.due, "2026-12-10")
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    with_modal(lambda: qtbot.mouseClick(view.decisions.task_from_proposal, Qt.MouseButton.LeftButton), fill)
    tasks = window.group.meetings.tasks(event_id)
    assert [(t.title, t.due) for t in tasks if t.title == "Print flyers"] == [("Print flyers", "2026-12-10")]
    assert "Print flyers — nobody yet, due Thu 10 Dec" in view.tasks_label.text()  # the clock: 26 November


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_the_projector_shows_item_timer_tally_and_minutes_in_large_type(meeting, qtbot: Any, tmp_path: Path,
                                                                        size: tuple[int, int]) -> None:
    window, event_id = meeting
    group = window.group
    ana = group.members.add("Ana Test").id
    group.events.checkin(event_id, ana)
    group.meetings.add_item(event_id, "Rent strike: next steps", minutes=20)
    group.meetings.advance(event_id)
    proposal = group.proposals.add(event_id, "Strike from 1 March", "vote", options=["yes", "no"], quorum="1")
    group.proposals.vote(proposal.id, ana, "yes")
    group.meetings.append_minutes(event_id, "Ana: 40 households ready to withhold rent. ✊")
    qtbot.keyClick(window, Qt.Key.Key_F11)
    projector = window.projector
    assert projector is not None and projector.isVisible()
    projector.showNormal()
    projector.resize(*size)
    qtbot.waitUntil(lambda: projector.size().width() == size[0], timeout=2000)
    assert projector.item.text() == "Rent strike: next steps"
    assert projector.timer_label.text().startswith("0:00 of 20:00")
    assert "yes: 1" in projector.tally.text() and "QUORUM MET" in projector.tally.text()
    assert "40 households" in projector.minutes.text()
    assert projector.minutes.font().pixelSize() >= 26 * size[1] // 720  # readable from the back
    image = projector.grab().toImage()
    image.save(str(tmp_path / f"projector-{size[0]}x{size[1]}.png"))
    assert image.width() == size[0]
    qtbot.keyClick(projector, Qt.Key.Key_Escape)
    assert not projector.isVisible()


def test_a_closed_projector_is_gone(meeting, qtbot: Any) -> None:
    """Each F11 made a new projector and a closed one stayed, still refreshing from the group's
    changes, even after the group itself had closed at the end of a test (a teardown error)."""
    from organiser.ui.projector import ProjectorView

    window, _event_id = meeting
    for _ in range(2):
        window.activateWindow()  # the person is back at the laptop's own screen
        qtbot.waitUntil(window.isActiveWindow, timeout=3000)
        qtbot.keyClick(window, Qt.Key.Key_F11)
        projector = window.projector
        assert projector is not None and projector.isVisible()
        qtbot.keyClick(projector, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: window.projector is None, timeout=3000)
        assert window.findChildren(ProjectorView) == []


def test_the_agenda_model_passes_the_model_tester(meeting, qtmodeltester: Any) -> None:
    window, event_id = meeting
    window.group.meetings.add_item(event_id, "Welcome")
    window.meeting_view.agenda.refresh()
    qtmodeltester.check(window.meeting_view.agenda)
    qtmodeltester.check(window.meeting_view.decisions.proposals)


def test_moving_the_caret_by_hand_is_not_typing(meeting, qtbot: Any) -> None:
    window, event_id = meeting
    editor = window.meeting_view.editor
    qtbot.mouseClick(editor.text.viewport(), Qt.MouseButton.LeftButton)
    type_text(editor.text, "ab")
    editor.flush()
    before = minutes_changesets(window.group)
    editor.text.moveCursor(QTextCursor.MoveOperation.Start)
    qtbot.keyClick(editor.text, Qt.Key.Key_Right)
    editor.flush()
    assert minutes_changesets(window.group) == before


def test_make_task_from_selected_minutes_with_an_assignee(meeting, qtbot: Any) -> None:
    window, event_id = meeting
    view = window.meeting_view
    zed = window.group.members.add("Zed Quinn").id
    qtbot.mouseClick(view.editor.text.viewport(), Qt.MouseButton.LeftButton)
    type_text(view.editor.text, "Call the landlord")
    qtbot.keyClick(view.editor.text, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)  # select it all

    def fill(dialog: Any) -> None:
        assert dialog.title.text() == "Call the landlord"
        dialog.assignee.setFocus()
        qtbot.keyClicks(dialog.assignee, "Zed")  # a closed combo box jumps to what is typed
        assert dialog.assignee.currentData() == zed
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    with_modal(lambda: qtbot.mouseClick(view.task_from_minutes, Qt.MouseButton.LeftButton), fill)
    made = [t for t in window.group.meetings.tasks(event_id) if t.title == "Call the landlord"]
    assert [(t.assignee, t.event) for t in made] == [(zed, event_id)]
    assert "Call the landlord — Zed Quinn" in view.tasks_label.text()


def test_a_closed_projector_is_not_woken_by_later_changes(meeting, qtbot: Any) -> None:
    """Closed with Escape, the projector still restarted its refresh on each change to the
    meeting and read the group again, even after the group was closed."""
    window, event_id = meeting
    qtbot.keyClick(window, Qt.Key.Key_F11)
    projector = window.projector
    assert projector is not None and projector.isVisible()
    qtbot.keyClick(projector, Qt.Key.Key_Escape)
    assert not projector.isVisible()
    window.group.meetings.add_item(event_id, "Late item")
    assert not projector.soon.isActive() and not projector.ticker.isActive()


def test_a_meeting_from_the_spring_left_on_an_item_shows_the_time_it_had_not_a_running_clock(
        group: Group, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In May nobody pressed Next after the repairs item (20:30, the meeting ended at 21:00).
    Opened in November, the meeting says it was left on that item with 30 minutes used, not
    'Now: … 4,600 hours — over time' ticking on."""
    from datetime import datetime

    from organiser.services import clock
    from tests.ui.conftest import click, click_row

    event = group.events.add("General assembly", "2026-05-14T19:00", end="2026-05-14T21:00").id
    group.meetings.add_item(event, "Repairs campaign", minutes=10)
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 5, 14, 20, 30))
    group.meetings.advance(event)
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 26, 12, 0))
    window = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    view = window.events_view
    qtbot.waitUntil(lambda: view.agenda.loaded)
    click(qtbot, view.show_past)
    click_row(qtbot, view.list, view.agenda.row_of(event))
    qtbot.mouseClick(window.sidebar.widgetForAction(window.view_actions["meeting"]), Qt.MouseButton.LeftButton)
    shown = window.meeting_view.current_label.text()
    assert "Left on <b>Repairs campaign</b>" in shown and "30:00\u00a0of\u00a010:00" in shown
    window.close()


def meeting_of_a_new_group(qtbot: Any, group: Group, tmp_path: Path) -> MainWindow:
    """A new group (no event yet), its window active, and Ctrl+5 pressed: the Meeting view."""
    window = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))  # a new group: no event yet
    qtbot.addWidget(window)
    window.show()
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)  # Ctrl+5: Meeting
    return window


def test_before_an_event_is_chosen_nothing_in_the_meeting_takes_typing(qtbot: Any, group: Group,
                                                                        tmp_path: Path) -> None:
    window = meeting_of_a_new_group(qtbot, group, tmp_path)
    view = window.meeting_view
    assert view.heading.text() == "Choose an event in Events, then come back here for its meeting."
    qtbot.mouseClick(view.editor.text.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClicks(QApplication.focusWidget() or window, "hello")  # went nowhere, yet it showed
    qtbot.mouseClick(view.item_minutes, Qt.MouseButton.LeftButton)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Up)
    assert view.editor.text.toPlainText() == "" and view.item_minutes.value() == 0
    assert view.current_label.text() == ""  # no "Next item starts the first one": there is none
    window.close()


def test_the_meetings_heading_says_the_events_day_as_events_does(meeting, qtbot: Any) -> None:
    from organiser.ui.bidi import day_text
    from organiser.ui.models.events import time_range

    window, event_id = meeting
    event = window.group.events.get(event_id)
    heading = window.meeting_view.heading.text()
    assert f"{day_text(event.start_dt, '%A %-d %B %Y')}, {time_range(event)}" in heading  # "Thursday 3 December…"
    assert event.start.replace("T", " ") not in heading  # it said "2026-12-03 19:00" beside Events' words


def test_ctrl_5_before_an_event_is_chosen_puts_the_keys_on_what_says_to_choose_one(qtbot: Any, group: Group,
                                                                                   tmp_path: Path) -> None:
    """A host on a screen reader pressed Ctrl+5 in a new group: the keys landed on a control
    with no name, and the reader said nothing of what to do."""
    window = meeting_of_a_new_group(qtbot, group, tmp_path)
    focused = QApplication.focusWidget()
    assert focused is not None and window.meeting_view.isAncestorOf(focused)
    spoken = QAccessible.queryAccessibleInterface(focused)
    said = f"{spoken.text(QAccessible.Text.Name)} {spoken.text(QAccessible.Text.Description)}"
    assert "Choose an event in Events" in said
    qtbot.keyClick(focused, Qt.Key.Key_Space)  # it takes the host there
    assert window.current_view() == "events"
    assert window.events_view.isAncestorOf(QApplication.focusWidget())
    window.close()
