"""A volunteer's first evening, as seen on screen: the start screen answers Return and forgets a
refusal once it is put right, Tab leaves the invite code box, the door's Alt+R opens the walk-in
form, a member search reaches its result with Return, an agenda item's title can be read while it
is typed, and the export dialog shows all of its text for a backup. Each test clicked or typed
what a person did in the real app (Xvfb walk-through, 2026-12-01) and failed before its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from organiser.services.events import Event
from organiser.services.group import Group
from organiser.ui.attendance import WalkInDialog
from organiser.ui.first_run import StartWindow
from organiser.ui.main_window import MainWindow
from organiser.ui.settings import UiSettings
from organiser.ui.transfer_dialogs import open_export_dialog, open_import_dialog
from tests.ui.conftest import choose, click, click_tab, open_event, with_modal


def _start(qtbot: Any, tmp_path: Path) -> tuple[StartWindow, list[Group]]:
    start = StartWindow(tmp_path / "data")
    qtbot.addWidget(start)
    start.show()
    qtbot.waitExposed(start)
    start.windowHandle().requestActivate()  # keys go to the active window's focus, as on a desktop
    qtbot.waitUntil(lambda: QApplication.activeWindow() is start, timeout=3000)
    groups: list[Group] = []
    start.groupReady.connect(groups.append)
    return start, groups


def _type_into(qtbot: Any, field: QWidget, text: str) -> None:
    """Click a field, as a person does before typing into it, and type."""
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(field, text)


# ---- start screen -------------------------------------------------------------------------------

def test_return_in_a_field_of_create_a_group_creates_it(qtbot: Any, tmp_path: Path) -> None:
    start, groups = _start(qtbot, tmp_path)
    qtbot.mouseClick(start.create_choice, Qt.MouseButton.LeftButton)
    _type_into(qtbot, start.group_name, "Riverside Tenants Union")
    qtbot.keyClick(start.group_name, Qt.Key.Key_Return)
    assert [g.name for g in groups] == ["Riverside Tenants Union"]
    groups[0].close()


def test_a_refusal_on_create_a_group_goes_once_the_name_is_typed(qtbot: Any, tmp_path: Path) -> None:
    start, groups = _start(qtbot, tmp_path)
    qtbot.mouseClick(start.create_choice, Qt.MouseButton.LeftButton)
    create_button = next(b for b in start.findChildren(type(start.create_choice)) if b.text() == "Create group")
    qtbot.mouseClick(create_button, Qt.MouseButton.LeftButton)
    assert start.create_error.isVisible() and "needs a name" in start.create_error.text()
    _type_into(qtbot, start.group_name, "Riverside")
    assert not start.create_error.isVisible(), "the refusal stays after the name was typed"
    assert groups == []


def test_tab_in_the_invite_code_box_moves_on_to_the_device_name(qtbot: Any, tmp_path: Path) -> None:
    start, _groups = _start(qtbot, tmp_path)
    qtbot.mouseClick(start.join_choice, Qt.MouseButton.LeftButton)
    _type_into(qtbot, start.code.viewport(), "47-banjo-insincere")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert start.code.toPlainText() == "47-banjo-insincere"
    assert QApplication.focusWidget() is start.join_device


# ---- the door -----------------------------------------------------------------------------------

@pytest.fixture
def door(window: MainWindow, qtbot: Any) -> Event:
    """The window, active (shortcuts reach it), on an event's door."""
    event = window.group.events.add("General meeting", "2031-03-01T19:00", capacity=40, location="Church hall")
    open_event(qtbot, window, event.id)
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    return event


def _type_at_door(qtbot: Any, window: MainWindow, text: str) -> None:
    field = window.events_view.detail.checkin_search
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def test_alt_r_after_an_unknown_name_opens_register_and_check_in(window: MainWindow, door: Event, qtbot: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []

    def shown(dialog: WalkInDialog) -> int:  # the form the person would fill in, seen and closed
        opened.append(dialog.name.text())
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(WalkInDialog, "exec", shown)
    _type_at_door(qtbot, window, "Ana Lopez")
    detail = window.events_view.detail
    assert detail.door_banner.isVisible()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    # a mnemonic presses the button and clicks it a moment later (animateClick); when Alt+R was
    # also the Door and RSVPs tab's, it only moved the focus and nothing opened
    qtbot.waitUntil(lambda: opened == ["Ana Lopez"], timeout=2000)


def test_a_refused_contact_on_register_and_check_in_goes_once_it_is_put_right(window: MainWindow, door: Event,
                                                                              qtbot: Any) -> None:
    _type_at_door(qtbot, window, "Ana Lopez")
    seen: dict[str, bool] = {}

    def fill_in(dialog: QWidget) -> None:
        assert isinstance(dialog, WalkInDialog)
        qtbot.mouseClick(dialog.contact, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(dialog.contact, "ana@")
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
        seen["refused"] = dialog.error.isVisible() and "not a valid email" in dialog.error.text()
        qtbot.keyClicks(dialog.contact, "example.org")
        seen["still shown"] = dialog.error.isVisible() and bool(dialog.error.text())

    with_modal(lambda: click(qtbot, window.events_view.detail.door_banner.buttons[0]), fill_in)
    assert seen == {"refused": True, "still shown": False}


# ---- members ------------------------------------------------------------------------------------

def test_return_in_the_member_search_shows_the_first_member_found(window: MainWindow, qtbot: Any) -> None:
    farah = window.group.members.add("Farah Haddad", notes="Speaks Tigrinya")
    window.switch_to("members")
    view = window.members_view
    _type_into(qtbot, view.search, "tigrinya")
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    assert view.current_id() == farah.id and "Farah Haddad" in view.detail.text()
    assert view.table.hasFocus()  # Up and Down go on through what was found


# ---- meeting ------------------------------------------------------------------------------------

def test_a_new_agenda_item_title_is_wide_enough_to_read_while_typed_at_1024x600(meeting: Any, qtbot: Any) -> None:
    window, _event_id = meeting
    window.resize(1024, 600)  # the smallest screen the app is made for
    qtbot.waitUntil(lambda: window.width() == 1024)
    field = window.meeting_view.item_title
    _type_into(qtbot, field, "Welcome and introductions")
    # squeezed beside the minutes box and Add, the field was a few letters wide: a person could
    # not see what they had typed, clicked into the middle of it and typed the next title there
    assert field.width() >= field.fontMetrics().horizontalAdvance("Welcome and introductions")


def test_return_in_the_minutes_box_adds_the_agenda_item_with_its_time(meeting: Any, qtbot: Any) -> None:
    window, event_id = meeting
    view = window.meeting_view
    _type_into(qtbot, view.item_title, "Rent strike: vote")
    qtbot.keyClick(view.item_title, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is view.item_minutes
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(QApplication.focusWidget(), "20")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert [(i.title, i.minutes) for i in window.group.meetings.items(event_id)] == [("Rent strike: vote", 20)]
    assert view.item_title.text() == ""


# ---- export -------------------------------------------------------------------------------------

def _all_shown(widget: QWidget) -> bool:
    """Nothing of the widget is cut off: it has at least the height its content asks for."""
    need = widget.heightForWidth(widget.width()) if widget.hasHeightForWidth() else widget.minimumSizeHint().height()
    return widget.height() >= need


def test_the_export_dialog_grows_to_show_all_of_a_full_backup_s_words(window: MainWindow, qtbot: Any) -> None:
    dialog = open_export_dialog(window, window.group)  # File > Export…
    qtbot.waitExposed(dialog)
    choose(qtbot, dialog.format_box, "Full backup: everything, restorable (.json)")
    # the backup's longer note and its Encrypt box came in without the dialog growing: the note
    # was cut off at the top and bottom, the fields above it squashed
    qtbot.waitUntil(lambda: all(_all_shown(w) for w in (dialog.note, dialog.format_box, dialog.path_edit)),
                    timeout=2000)
    click(qtbot, dialog.encrypt_box)
    qtbot.waitUntil(lambda: all(_all_shown(w) for w in (dialog.note, dialog.encrypt_fields.again)), timeout=2000)
    dialog.reject()


def test_the_import_preview_counts_one_note_in_the_singular(window: MainWindow, qtbot: Any, tmp_path: Path) -> None:
    sheet = tmp_path / "members.csv"
    sheet.write_text("Name,Email\nChidi Eze,chidi@example.org\n,nobody@example.org\n", encoding="utf-8")
    dialog = open_import_dialog(window, window.group)  # File > Import…
    qtbot.waitExposed(dialog)
    _type_into(qtbot, dialog.path_edit, str(sheet))
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.busy, timeout=10_000)
    assert "1 note about what was left out or guessed" in dialog.summary.text()  # was "1 notes"
    dialog.reject()


def test_a_refused_quorum_is_said_without_the_internal_field_name(meeting: Any, qtbot: Any) -> None:
    window, _event_id = meeting
    said: list[str] = []

    def fill_in(dialog: QWidget) -> None:
        _type_into(qtbot, dialog.title, "Start a rent strike in March")
        _type_into(qtbot, dialog.quorum, "200%")
        qtbot.keyClick(dialog.quorum, Qt.Key.Key_Return)
        said.append(dialog.error.text())

    with_modal(lambda: click(qtbot, window.meeting_view.decisions.new_proposal_button), fill_in)
    assert said == ["200% is not a share between 0% and 100%."]  # was "quorum: 200% is not…"


def test_while_joining_the_words_saying_what_happens_stay_readable(qtbot: Any, tmp_path: Path) -> None:
    """The whole window was disabled while the group was contacted, so the line to read (and the
    verification code to compare with the other laptop) was greyed out with the form."""
    import asyncio

    import qasync

    from organiser.ui import asyncjobs

    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)
    try:
        start, groups = _start(qtbot, tmp_path)
        looked: list[int] = []

        async def nobody_offers(nameplate: int) -> list[str]:  # no laptop on this network answers
            looked.append(nameplate)
            return []

        start.find_inviter = nobody_offers
        qtbot.mouseClick(start.join_choice, Qt.MouseButton.LeftButton)
        _type_into(qtbot, start.code.viewport(), "47-banjo-insincere")
        join = start.join_buttons.itemAt(2).widget()
        qtbot.mouseClick(join, Qt.MouseButton.LeftButton)
        assert start.join_error.text().startswith("Looking for the inviting laptop")
        assert start.join_error.isEnabled(), "the line saying what happens is greyed out"
        assert not start.code.isEnabled() and not join.isEnabled()  # the form waits
        loop.run_until_complete(asyncio.wait_for(asyncio.gather(*asyncjobs._running, return_exceptions=True), 10))
        assert looked == [47] and groups == []
        assert "no laptop on this network offers a code" in start.join_error.text().lower()
        assert start.code.isEnabled() and join.isEnabled()
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_who_votes_is_chosen_in_words_not_typed_as_a_command(meeting: Any, qtbot: Any) -> None:
    """It was a text field holding "checked-in", to be changed to "all" or "role:NAME"."""
    window, event_id = meeting
    window.group.members.add("Wanda Legal", roles=["treasurer", "working group: Legal"])

    def fill_in(dialog: QWidget) -> None:
        offered = [dialog.voters.itemText(i) for i in range(dialog.voters.count())]
        assert offered[:2] == ["Those checked in at the door", "Every member"]
        assert "Members of the working group Legal" in offered and "Members with the role treasurer" in offered
        _type_into(qtbot, dialog.title, "Buy a new banner")
        choose(qtbot, dialog.voters, "Members of the working group Legal")
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))

    with_modal(lambda: click(qtbot, window.meeting_view.decisions.new_proposal_button), fill_in)
    (banner,) = [p for p in window.group.proposals.list(event_id) if p.title == "Buy a new banner"]
    assert banner.voters_text == "role:working group: Legal"


def test_encrypting_a_backup_does_not_claim_this_computer_requires_a_passphrase(window: MainWindow,
                                                                                qtbot: Any) -> None:
    """The backup's passphrase is asked for because the person ticked Encrypt; the hint and the
    refusal said "A passphrase is required on this computer.", which is about a computer policy."""
    dialog = open_export_dialog(window, window.group)  # File > Export…
    qtbot.waitExposed(dialog)
    choose(qtbot, dialog.format_box, "Full backup: everything, restorable (.json)")
    click(qtbot, dialog.encrypt_box)
    assert "this computer" not in dialog.encrypt_fields.strength.text()
    click(qtbot, dialog.export_button)  # nothing typed
    assert "this computer" not in dialog.note.text() and "passphrase" in dialog.note.text().lower()
    assert dialog.written is None
    dialog.reject()


# ---- tasks --------------------------------------------------------------------------------------

def test_the_task_list_of_a_new_group_says_how_to_add_a_task_not_to_clear_filters(qtbot: Any, group: Group,
                                                                                   tmp_path: Path) -> None:
    window = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    window.switch_to("tasks")
    view = window.tasks_view
    click_tab(qtbot, view.tabs, "List")
    assert view.list_empty.isVisible()
    # was "No task matches these filters. Clear them to see every task.", with no filter set
    assert view.list_empty.text().startswith("No tasks yet")
    group.tasks.add("Print flyers")
    choose(qtbot, view.due, "due: overdue")
    qtbot.waitUntil(lambda: view.list_empty.isVisible())
    assert view.list_empty.text().startswith("No task matches these filters")
    window.close()


# ---- a dialog with typing in it -----------------------------------------------------------------

def test_escape_in_a_new_event_with_a_title_typed_asks_before_the_typing_goes(window: MainWindow, qtbot: Any,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """One Escape too many (the first closed a drop-down) closed the form and lost the typing."""
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda _p, _t, text, *a, **k: asked.append(text) or answers.pop(0))
    seen: dict[str, object] = {}

    def type_then_escape(dialog: QWidget) -> None:
        title = dialog.form.fields["title"]  # where typing starts
        qtbot.keyClicks(title, "General meeting")
        qtbot.keyClick(title, Qt.Key.Key_Escape)  # answered No: the typing stays
        seen["kept"] = dialog.isVisible() and title.text() == "General meeting"
        if dialog.isVisible():
            qtbot.keyClick(title, Qt.Key.Key_Escape)  # answered Yes: it goes
        seen["closed"] = not dialog.isVisible()

    window.switch_to("events")
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    with_modal(lambda: click(qtbot, window.events_view.new_button), type_then_escape)
    assert seen == {"kept": True, "closed": True} and len(asked) == 2
    assert "General meeting" not in [e.title for e in window.group.events.list()]


# ---- peers --------------------------------------------------------------------------------------

def test_remove_device_shows_its_date_as_the_other_forms_do(window: MainWindow, qtbot: Any) -> None:
    """It read "30 11 2026 21:03" where every other form reads 2026-11-30 21:03."""
    import re

    from organiser.ui.devices_dialog import RemoveDeviceDialog

    window.switch_to("peers")
    click(qtbot, window.peers_view.remove_device_button)
    (dialog,) = window.findChildren(RemoveDeviceDialog)
    qtbot.waitExposed(dialog)
    shown = f"{dialog.since.date.text()} {dialog.since.time.text()}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", shown), shown
    dialog.reject()


def test_record_vote_and_close_are_greyed_until_there_is_a_proposal(window: MainWindow, door: Event,
                                                                    qtbot: Any) -> None:
    """Both were enabled in a meeting with no proposal, and a click on them did nothing."""
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)  # Meeting
    view = window.meeting_view
    assert view.event_id == door.id and view.decisions.proposals.rowCount() == 0
    assert not view.decisions.vote_button.isEnabled() and not view.decisions.close_button.isEnabled()

    def propose(dialog: QWidget) -> None:
        _type_into(qtbot, dialog.title, "Start a rent strike in March")
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))

    with_modal(lambda: click(qtbot, view.decisions.new_proposal_button), propose)
    assert view.decisions.selected_proposal() is not None
    assert view.decisions.vote_button.isEnabled() and view.decisions.close_button.isEnabled()
