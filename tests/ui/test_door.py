"""The door and the event pane as a host uses them: check-in by name, a walk-in registered in
one step, a question at capacity, RSVPs, the attendance sheet as a PDF, email addresses."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMessageBox

from organiser.services.events import Event
from organiser.ui.main_window import MainWindow
from tests.ui.conftest import click, click_row, open_event, reads, row_of_text, with_modal


@pytest.fixture
def social(window: MainWindow, qtbot: Any) -> Event:
    group = window.group
    event = group.events.add("Door social", "2031-03-01T18:00", capacity=2, location="Hall")
    open_event(qtbot, window, event.id)
    return event


def type_at_door(qtbot: Any, window: MainWindow, text: str) -> None:
    field = window.events_view.detail.checkin_search
    field.setFocus()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def name_list(qtbot: Any, field: Any, typed: str) -> Any:
    """The door's list of names, shown as a person types the start of one."""
    field.setFocus()
    qtbot.keyClicks(field, typed)
    popup = field.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    return popup


def test_a_check_in_empties_the_field_for_the_next_person(window: MainWindow, social: Event, qtbot: Any) -> None:
    window.group.members.add("Octavia Doorley")
    detail = window.events_view.detail
    type_at_door(qtbot, window, "Octavia Door")
    assert detail.count.text().startswith("1 of 2 places checked in")
    qtbot.waitUntil(lambda: detail.checkin_search.text() == "")
    assert detail.checkin_button.text().replace("&", "") == "Undo check-in"  # Octavia is selected


def test_an_unknown_name_offers_to_register_a_walk_in_and_leaves_no_stale_undo(window: MainWindow, social: Event,
                                                                              qtbot: Any) -> None:
    window.group.members.add("Octavia Doorley")
    detail = window.events_view.detail
    type_at_door(qtbot, window, "Octavia Door")
    qtbot.waitUntil(lambda: detail.checkin_search.text() == "")
    type_at_door(qtbot, window, "Wendel Walkin")
    assert detail.door_banner.isVisible() and "Nobody called “Wendel Walkin”" in detail.door_banner.label.text()
    assert detail.checkin_button.text().replace("&", "") == "Check in"  # not "Undo" for Octavia

    def register(dialog: Any) -> None:
        assert dialog.name.text() == "Wendel Walkin"
        dialog.contact.setFocus()
        qtbot.keyClicks(dialog.contact, "wendel@example.org")
        click(qtbot, dialog.consent)
        click(qtbot, dialog.buttons.buttons()[0] if dialog.buttons.buttons()[0].text().startswith("&Register")
              else dialog.buttons.buttons()[1])

    with_modal(lambda: click(qtbot, detail.door_banner.buttons[0]), register)
    wendel = next(m for m in window.group.members.list() if m.name == "Wendel Walkin")
    assert wendel.emails == ["wendel@example.org"] and wendel.consent_email and wendel.consent_date
    assert window.group.events.rsvp_of(social.id, wendel.id).checked_in_at
    assert detail.count.text().startswith("2 of 2 places checked in — full")
    assert not detail.door_banner.isVisible()
    assert "Wendel Walkin" in [detail.rsvps.index(r, 0).data() for r in range(detail.rsvps.rowCount())]


def test_a_note_about_a_name_goes_when_the_name_is_typed_again(window: MainWindow, social: Event,
                                                                qtbot: Any) -> None:
    """"Nobody called Maria Silva" stayed under a field that now read another name, and its Register
    button registered Maria Silva, whose name was no longer in the field."""
    detail = window.events_view.detail
    type_at_door(qtbot, window, "Maria Silva")
    assert detail.door_banner.isVisible()
    qtbot.keyClick(detail.checkin_search, Qt.Key.Key_Backspace)
    assert not detail.door_banner.isVisible()
    qtbot.keyClicks(detail.checkin_search, "a")
    qtbot.keyClick(detail.checkin_search, Qt.Key.Key_Return)
    assert detail.door_banner.isVisible() and "Nobody called “Maria Silva”" in detail.door_banner.label.text()


def test_a_walk_ins_consent_box_stays_under_the_pointer_as_a_refused_contact_is_put_right(
        window: MainWindow, social: Event, qtbot: Any) -> None:
    detail = window.events_view.detail
    type_at_door(qtbot, window, "Maria Lopez")

    def register(dialog: Any) -> None:
        dialog.contact.setFocus()
        qtbot.keyClicks(dialog.contact, "maria@example")
        ok = next(b for b in dialog.buttons.buttons() if b.text().startswith("&Register"))
        click(qtbot, ok)
        assert dialog.error.text() == "'maria@example' is not a valid email address."
        box_was = dialog.consent.mapTo(dialog, dialog.consent.rect().center())
        qtbot.keyClicks(dialog.contact, ".org")
        QApplication.processEvents()  # the dialog's layout done again, as before a person's next click
        assert dialog.consent.mapTo(dialog, dialog.consent.rect().center()) == box_was  # it moved 19 px before
        click(qtbot, dialog.consent)
        click(qtbot, ok)

    with_modal(lambda: click(qtbot, detail.door_banner.buttons[0]), register)
    maria = next(m for m in window.group.members.list() if m.name == "Maria Lopez")
    assert maria.emails == ["maria@example.org"] and maria.consent_email


def test_at_capacity_the_door_asks_before_checking_in_more(window: MainWindow, social: Event, qtbot: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    group = window.group
    for name in ("Ann One", "Ben Two", "Cy Three"):
        group.members.add(name)
    detail = window.events_view.detail
    asked: list[str] = []
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda _p, _t, text, *a, **k: asked.append(text) or answers.pop(0))
    type_at_door(qtbot, window, "Ann One")
    type_at_door(qtbot, window, "Ben Two")
    assert asked == []
    type_at_door(qtbot, window, "Cy Three")
    assert asked == ["2 of 2 places are already taken. Check in Cy Three anyway?"]
    assert detail.count.text().startswith("2 of 2 places")  # the host said No
    assert detail.checkin_search.text() == "Cy Three"  # still there to try again
    qtbot.keyClick(detail.checkin_search, Qt.Key.Key_Return)
    assert detail.count.text().startswith("3 of 2 places")


def test_answering_for_a_coming_event_says_nothing_of_check_ins_on_the_wrong_day(
        window: MainWindow, qtbot: Any) -> None:
    """Days before an evening, people answer Yes / Maybe / No: the door's red "not today: a
    check-in here is recorded with today's date" read as if answering was the wrong thing."""
    group = window.group
    group.members.add("Ana López")
    tomorrow = group.events.add("Winter social", "2026-11-27T18:00")
    detail = window.events_view.detail
    open_event(qtbot, window, tomorrow.id)
    assert not detail.day_note.isVisible()
    detail.checkin_search.setFocus()
    qtbot.keyClicks(detail.checkin_search, "Ana L")
    click(qtbot, detail.answer.buttons["yes"])
    assert "RSVPs: 1 yes, 0 maybe, 0 no" in detail.count.text()
    assert not detail.day_note.isVisible()


def test_rsvp_from_the_event_pane_and_change_it(window: MainWindow, social: Event, qtbot: Any) -> None:
    group = window.group
    pat = group.members.add("Pat Answerer")
    detail = window.events_view.detail
    detail.checkin_search.setFocus()
    qtbot.keyClicks(detail.checkin_search, "Pat Answ")
    click(qtbot, detail.answer.buttons["maybe"])
    assert group.events.rsvp_of(social.id, pat.id).answer == "maybe"
    assert "RSVPs: 0 yes, 1 maybe, 0 no" in detail.count.text()
    row = row_of_text(detail.rsvp_table, "Pat Answerer")
    assert detail.rsvps.index(row, 1).data() == "maybe"
    click_row(qtbot, detail.rsvp_table, row)
    assert detail.answer.buttons["maybe"].isChecked()
    click(qtbot, detail.answer.buttons["yes"])
    assert group.events.rsvp_of(social.id, pat.id).answer == "yes"
    assert "RSVPs: 1 yes, 0 maybe, 0 no" in detail.count.text()
    assert detail.answer.buttons["yes"].isChecked() and not detail.answer.buttons["maybe"].isChecked()


def test_rsvp_from_a_members_pane(window: MainWindow, social: Event, qtbot: Any) -> None:
    group = window.group
    group.members.add("Quinn Member")
    window.switch_to("members")
    view = window.members_view
    click_row(qtbot, view.table, row_of_text(view.table, "Quinn Member"))
    index = view.rsvp_event.findData(social.id)
    assert index >= 0
    view.rsvp_event.setFocus()
    while view.rsvp_event.currentIndex() != index:  # arrow keys, as on the keyboard
        qtbot.keyClick(view.rsvp_event, Qt.Key.Key_Down if view.rsvp_event.currentIndex() < index else Qt.Key.Key_Up)
    click(qtbot, view.answer.buttons["no"])
    quinn = next(m for m in group.members.list() if m.name == "Quinn Member")
    assert group.events.rsvp_of(social.id, quinn.id).answer == "no"
    assert "Door social (1 Mar): no" in view.detail.text()
    click(qtbot, view.answer.buttons["yes"])
    assert "Door social (1 Mar): yes" in view.detail.text()
    assert view.answer.buttons["yes"].isChecked()
    window.switch_to("events")
    assert "RSVPs: 1 yes" in window.events_view.detail.count.text()
    assert window.events_view.detail.rsvps.index(0, 1).data() == "yes"


def test_the_attendance_sheet_and_rsvp_list_save_as_pdf(window: MainWindow, social: Event, qtbot: Any,
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; packaging/ensure-debian-libs.sh installs it")
    group = window.group
    ann, bo = group.members.add("Annabel Sheet"), group.members.add("Bo Listed")
    group.events.checkin(social.id, ann.id, "2031-03-01T18:05")
    group.events.rsvp(social.id, bo.id, "maybe")
    detail = window.events_view.detail
    target = tmp_path / "sheet.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "PDF files (*.pdf)"))

    def save(which: str) -> Any:
        def drive(dialog: Any) -> None:
            click(qtbot, dialog.radios[which])
            click(qtbot, dialog.pdf_button)
        return drive

    with_modal(lambda: click(qtbot, detail.print_button), save("attendance"))
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Door social" in text and "Attendance sheet" in text and "1 checked in of 2 places" in text
    assert "Annabel Sheet" in text and "18:05" in text and "Bo Listed" not in text
    with_modal(lambda: click(qtbot, detail.print_button), save("rsvps"))
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "RSVP list" in text and "Bo Listed" in text and "maybe" in text and "0 yes, 1 maybe, 0 no" in text


def test_copy_emails_of_those_who_said_yes_or_came_only_with_consent(window: MainWindow, social: Event,
                                                                      qtbot: Any) -> None:
    group = window.group
    yes_ok = group.members.add("Ya Consent", emails=["ya@example.org"], consent_email=True)
    group.members.add("No Answer", emails=["na@example.org"], consent_email=True)
    yes_no_consent = group.members.add("Yb Private", emails=["yb@example.org"])
    came = group.members.add("Cam Came", emails=["cam@example.org"], consent_email=True)
    for member in (yes_ok, yes_no_consent):
        group.events.rsvp(social.id, member.id, "yes")
    group.events.checkin(social.id, came.id)
    detail = window.events_view.detail
    seen: dict[str, str] = {}

    def copy(dialog: Any) -> None:
        click(qtbot, dialog.copy_button)
        seen["yes"] = QApplication.clipboard().text()
        seen["note"] = dialog.copied.text()
        click(qtbot, dialog.came)
        click(qtbot, dialog.copy_button)
        seen["came"] = QApplication.clipboard().text()

    with_modal(lambda: click(qtbot, detail.emails_button), copy)
    assert seen["yes"] == "ya@example.org"
    assert seen["note"].startswith("Copied 1 address")
    assert seen["came"] == "cam@example.org"


def test_a_name_picked_from_the_list_is_checked_in_and_the_field_empties(window: MainWindow, social: Event,
                                                                          qtbot: Any) -> None:
    window.group.members.add("Rosalind Picker")
    window.group.members.add("Rosamund Other")
    detail = window.events_view.detail
    field = detail.checkin_search
    popup = name_list(qtbot, field, "Rosa")
    row = next(r for r in range(popup.model().rowCount()) if popup.model().index(r, 0).data() == "Rosalind Picker")
    for _ in range(row + 1):
        qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: field.text() == "", timeout=2000)
    assert detail.count.text().startswith("1 of 2 places checked in")
    assert [detail.rsvps.index(r, 0).data() for r in range(detail.rsvps.rowCount())] == ["Rosalind Picker"]


def test_a_name_already_checked_in_says_when_and_registers_someone_else_of_that_name(
        window: MainWindow, social: Event, qtbot: Any) -> None:
    group = window.group
    first = group.members.add("Octavia Doorley")
    detail = window.events_view.detail
    type_at_door(qtbot, window, "Octavia Doorley")
    qtbot.waitUntil(lambda: detail.checkin_search.text() == "")
    arrived = group.events.rsvp_of(social.id, first.id).checked_in_at
    assert arrived

    type_at_door(qtbot, window, "Octavia Doorley")  # the same name again, later in the evening
    assert detail.door_banner.isVisible()
    assert detail.door_banner.label.text() == (f"Octavia Doorley is already checked in (arrived {arrived[11:16]}).")
    assert detail.count.text().startswith("1 of 2 places checked in")
    assert group.events.rsvp_of(social.id, first.id).checked_in_at == arrived  # the first time kept
    assert detail.checkin_search.text() == "Octavia Doorley"

    seen: dict[str, str] = {}

    def register(dialog: Any) -> None:
        seen["intro"] = dialog.findChildren(QLabel)[0].text()
        qtbot.keyClicks(dialog.focusWidget(), "Octavia B. Doorley")  # the name is selected: typing replaces it
        click(qtbot, next(b for b in dialog.buttons.buttons() if b.text().startswith("&Register")))

    button = detail.door_banner.buttons[0]
    assert button.text().replace("&", "") == "Someone else called Octavia Doorley? Register them…"
    with_modal(lambda: click(qtbot, button), register)
    assert seen["intro"].startswith("Another person called Octavia Doorley is already checked in")
    octavias = [m for m in group.members.list() if m.name.startswith("Octavia")]
    assert sorted(m.name for m in octavias) == ["Octavia B. Doorley", "Octavia Doorley"]
    assert all(group.events.rsvp_of(social.id, m.id).checked_in_at for m in octavias)
    assert detail.count.text().startswith("2 of 2 places checked in — full")
    assert not detail.door_banner.isVisible()


def test_markup_in_a_name_already_checked_in_shows_as_written_at_the_door(window: MainWindow, social: Event,
                                                                         qtbot: Any) -> None:
    # a name as a member in bad faith (or an imported file) can give it: it must not restyle the notice
    name = "Mallory <font size=6>Door closed: send everyone home</font> & co"
    window.group.members.add(name)
    detail = window.events_view.detail
    type_at_door(qtbot, window, name)
    qtbot.waitUntil(lambda: detail.checkin_search.text() == "")
    type_at_door(qtbot, window, name)
    assert detail.door_banner.isVisible()
    assert reads(detail.door_banner.label).startswith(f"{name} is already checked in (arrived ")
    button = detail.door_banner.buttons[0]
    assert button.text().replace("&&", "&").replace("&else", "else") == f"Someone else called {name}? Register them…"

    seen: dict[str, str] = {}

    def look(dialog: Any) -> None:
        seen["intro"] = reads(dialog.findChildren(QLabel)[0])
        dialog.reject()

    with_modal(lambda: click(qtbot, button), look)
    assert seen["intro"].startswith(f"Another person called {name} is already checked in")


@pytest.mark.parametrize("down_presses", [0, 1])
def test_enter_on_the_name_list_checks_in_once_and_says_nothing_of_already_checked_in(
        window: MainWindow, social: Event, qtbot: Any, down_presses: int) -> None:
    """The first arrival of the evening: a few letters, the list shows the name, Enter. The
    list's Enter used to check the person in and then reach the field as a second Enter, which
    said they were "already checked in" a moment after they came."""
    window.group.members.add("Benedict Okafor")
    detail = window.events_view.detail
    field = detail.checkin_search
    popup = name_list(qtbot, field, "bened")
    for _ in range(down_presses):
        qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: field.text() == "", timeout=2000)
    assert detail.count.text().startswith("1 of 2 places checked in")
    assert not detail.door_banner.isVisible(), detail.door_banner.label.text()


def test_the_door_says_above_the_box_when_the_event_is_not_today_and_still_checks_in(
        window: MainWindow, qtbot: Any) -> None:
    """The clock is frozen on Thursday 26 November 2026 at noon (tests/conftest.py)."""
    group = window.group
    group.members.add("Ana López")
    tomorrow = group.events.add("Winter social", "2026-11-27T18:00")
    tonight = group.events.add("Open evening", "2026-11-26T18:00")
    detail = window.events_view.detail
    open_event(qtbot, window, tomorrow.id)
    type_at_door(qtbot, window, "Ana")
    assert detail.count.text().startswith("1 checked in")
    assert detail.day_note.isVisible()
    assert reads(detail.day_note) == ("Winter social is on Friday 27 November 2026, not today: a check-in here is "
                                      "recorded with today's date and time.")
    assert detail.day_note.geometry().bottom() < detail.checkin_search.mapTo(detail.day_note.parentWidget(),
                                                                             detail.checkin_search.rect().topLeft()).y()
    open_event(qtbot, window, tonight.id)
    assert not detail.day_note.isVisible()
