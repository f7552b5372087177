"""What the door and the meeting show after a check-in or a vote is said to a screen reader
(Orca), as the status bar's messages are: a host who cannot see the red note under the name
field heard nothing of it. And the "not today" note goes with the check-in it was about."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from organiser.ui.event_detail import EventDetail
from organiser.ui.main_window import MainWindow
from tests.ui.conftest import click, open_event, reads, vote_by_someone_outside_the_working_group, with_modal


def type_at_door(qtbot: Any, window: MainWindow, text: str) -> None:
    """Click the door's name field, type, press Return."""
    field = window.events_view.detail.checkin_search
    click(qtbot, field)
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def checked_in_the_day_before(window: MainWindow, qtbot: Any) -> EventDetail:
    """Ana checked in at the door of tomorrow's Winter social (the clock is frozen on Thursday
    26 November 2026, tests/conftest.py): the event's pane, showing the not-today note."""
    window.group.members.add("Ana López")
    tomorrow = window.group.events.add("Winter social", "2026-11-27T18:00")
    open_event(qtbot, window, tomorrow.id)
    type_at_door(qtbot, window, "Ana")
    return window.events_view.detail


def test_the_not_today_note_is_said_as_it_appears_after_a_check_in(window: MainWindow, qtbot: Any,
                                                                   said: list[str]) -> None:
    detail = checked_in_the_day_before(window, qtbot)
    assert detail.day_note.isVisible()
    assert reads(detail.day_note) in said
    assert "Checked in Ana López." in said


def test_undo_check_in_takes_the_not_today_note_away(window: MainWindow, qtbot: Any, said: list[str]) -> None:
    """Checked in on the wrong day by mistake, and undone: the red note said a check-in was
    recorded with today's date, of a check-in there no longer was."""
    detail = checked_in_the_day_before(window, qtbot)
    assert detail.day_note.isVisible()
    qtbot.waitUntil(lambda: detail.checkin_button.text().replace("&", "") == "Undo check-in", timeout=2000)
    click(qtbot, detail.checkin_button)
    assert detail.count.text().startswith("0 checked in")
    assert not detail.day_note.isVisible()
    assert window.statusBar().currentMessage() == "Check-in of Ana López undone."
    assert said[-1] == "Check-in of Ana López undone."


def test_the_walk_in_note_and_the_walk_ins_refused_contact_are_said(window: MainWindow, qtbot: Any,
                                                                    said: list[str]) -> None:
    group = window.group
    social = group.events.add("Door social", "2031-03-01T18:00", location="Hall")
    open_event(qtbot, window, social.id)
    detail = window.events_view.detail
    type_at_door(qtbot, window, "Maria Lopez")
    assert "Nobody called “Maria Lopez” is in the directory." in said
    refusals: list[str] = []

    def register(dialog: Any) -> None:
        click(qtbot, dialog.contact)
        qtbot.keyClicks(dialog.contact, "maria@example")
        ok = next(b for b in dialog.buttons.buttons() if b.text().startswith("&Register"))
        click(qtbot, ok)
        refusals.append(dialog.error.text())
        click(qtbot, ok)  # again, unchanged: said again, as it is shown again
        refusals.append(dialog.error.text())
        qtbot.keyClicks(dialog.contact, ".org")
        click(qtbot, ok)

    with_modal(lambda: click(qtbot, detail.door_banner.buttons[0]), register)
    assert refusals == ["'maria@example' is not a valid email address."] * 2
    assert said.count("'maria@example' is not a valid email address.") == 2
    assert "Checked in Maria Lopez." in said


def test_a_refused_vote_is_said_each_time_it_is_refused(evening: MainWindow, qtbot: Any, said: list[str]) -> None:
    """Someone not in the working group the proposal is for, picked by mistake: the refusal
    showed under the tally and in the status bar, and was said the first time only (the status
    bar says a message once while it shows)."""
    window = evening
    view = vote_by_someone_outside_the_working_group(window, qtbot)
    refusal = next(text for text in said if "Quentin Newcomer may not vote" in text)
    assert "may not vote" in reads(view.tally_label)
    click(qtbot, view.vote_button)
    assert said.count(refusal) == 2
