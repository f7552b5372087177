"""Alt and a letter, for whoever works from the keys: each underlined letter on a view does one
thing. When two things on show share a letter, Qt only moves the focus between them, so the
button never acts (Alt+V went to the View menu and to Record vote, and recorded no vote)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QLabel, QTabBar, QWidget

from organiser.ui.attendance import CopyEmailsDialog, PrintDialog, WalkInDialog
from organiser.ui.deleted_dialog import DeletedDialog
from organiser.ui.devices_dialog import RemoveDeviceDialog
from organiser.ui.dialogs import ConnectDialog, ThisIsMeDialog
from organiser.ui.editor import RecordDialog
from organiser.ui.export_dialog import ExportDialog
from organiser.ui.folders_dialog import FoldersDialog
from organiser.ui.history_dialog import HistoryDialog
from organiser.ui.lock import ChangePassphraseDialog, EncryptDialog, WipeDialog
from organiser.ui.main_window import VIEWS, MainWindow
from organiser.ui.meeting_dialogs import MakeTaskDialog, NewProposalDialog
from organiser.ui.minutes_export import MinutesExportDialog
from organiser.ui.transfer_dialogs import ImportDialog
from tests.ui.conftest import choose
from tests.ui.test_keyboard_walk import activate


def underlined(text: str) -> str | None:
    """The letter after a single & (&& is an & drawn), lower case: what Alt takes."""
    key = QKeySequence.mnemonic(text)
    return key.toString().removeprefix("Alt+").lower() or None


def alt_letters(window: MainWindow) -> dict[str, list[str]]:
    """Each letter to the things on show that take it with Alt: the menus and the view's
    buttons, check boxes, tabs and labels that name a field."""
    taken: dict[str, list[str]] = defaultdict(list)
    for action in window.menuBar().actions():
        if letter := underlined(action.text()):
            taken[letter].append(f"the {action.text()} menu")
    view = window.views[window.current_view()]
    for button in view.findChildren(QAbstractButton):
        if button.isVisible() and button.isEnabled() and (letter := underlined(button.text())):
            taken[letter].append(button.text())
    for label in view.findChildren(QLabel):
        if label.isVisible() and label.buddy() is not None and (letter := underlined(label.text())):
            taken[letter].append(label.text())
    for bar in view.findChildren(QTabBar):
        for tab in range(bar.count()) if bar.isVisible() else ():
            if letter := underlined(bar.tabText(tab)):
                taken[letter].append(bar.tabText(tab))
    return taken


def test_on_each_view_no_two_things_share_an_alt_letter(meeting: tuple[MainWindow, str], qtbot: Any) -> None:
    window, _event = meeting
    for n, view in enumerate(VIEWS, start=1):
        qtbot.keyClick(window, getattr(Qt.Key, f"Key_{n}"), Qt.KeyboardModifier.ControlModifier)
        shared = {letter: things for letter, things in alt_letters(window).items() if len(things) > 1}
        assert shared == {}, f"on {view}"


def test_alt_and_the_underlined_letter_records_the_vote(window: MainWindow, qtbot: Any) -> None:
    event_id = window.events_view.current_id()
    assert event_id is not None
    window.group.proposals.add(event_id, "Strike in March", "consent", voters="all")
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    view = window.meeting_view
    assert view.decisions.vote_button.isEnabled() and view.decisions.voter.count() > 1, "an open proposal, with voters"
    first = view.decisions.voter.itemText(0)
    choose(qtbot, view.decisions.voter, first)
    tally = view.decisions.tally_label.text()
    letter = underlined(view.decisions.vote_button.text())
    assert letter is not None
    key = getattr(Qt.Key, f"Key_{letter.upper()}")
    qtbot.keyClick(QApplication.focusWidget(), key, Qt.KeyboardModifier.AltModifier)
    # recorded: the tally counts it, and the next voter down the list is chosen
    qtbot.waitUntil(lambda: view.decisions.voter.currentIndex() == 1, timeout=2000)
    assert view.decisions.tally_label.text() != tally


def dialog_letters(dialog: QWidget) -> dict[str, list[str]]:
    """Each letter to the buttons, check boxes and field labels of a dialog that take it with Alt."""
    taken: dict[str, list[str]] = defaultdict(list)
    for button in dialog.findChildren(QAbstractButton):
        if button.isVisible() and (letter := underlined(button.text())):
            taken[letter].append(button.text())
    for label in dialog.findChildren(QLabel):
        if label.isVisible() and label.buddy() is not None and (letter := underlined(label.text())):
            taken[letter].append(label.text())
    return taken


@pytest.mark.parametrize("kind", ["event", "task", "member"])
def test_in_each_record_form_no_two_fields_share_an_alt_letter(window: MainWindow, qtbot: Any, kind: str) -> None:
    """The task's Status and Due both took Alt+U, the member's Email and "may be contacted by
    email" Alt+E: the tick box could not be ticked from its letter."""
    dialog = RecordDialog(window.group, window.bridge, kind, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    shared = {letter: things for letter, things in dialog_letters(dialog).items() if len(things) > 1}
    assert shared == {}


def the_dialogs(window: MainWindow) -> dict[str, Callable[[], QDialog]]:
    """The dialogs a member opens from the views, as they open on the event chosen at start."""
    group, event_id = window.group, window.events_view.current_id()
    event = window.events_view.detail.shown_event
    assert event_id is not None and event is not None
    return {"walk-in": lambda: WalkInDialog(group, event_id, "Wendel Walkin", window),
            "print": lambda: PrintDialog(group, event, window),
            "copy emails": lambda: CopyEmailsDialog(group, event, window),
            "remove device": lambda: RemoveDeviceDialog(group, window),
            "connect": lambda: ConnectDialog(window),
            "this is me": lambda: ThisIsMeDialog(group, None, window),
            "export": lambda: ExportDialog(group, window),
            "import": lambda: ImportDialog(group, window),
            "folders": lambda: FoldersDialog(group, None, window),
            "encrypt": lambda: EncryptDialog(window),
            "change passphrase": lambda: ChangePassphraseDialog(group, window),
            "wipe": lambda: WipeDialog(window, group.name, 1),
            "new proposal": lambda: NewProposalDialog(group, event_id, None, window),
            "make task": lambda: MakeTaskDialog(group, event_id, "Book the hall", None, window),
            "export minutes": lambda: MinutesExportDialog(group, event_id, window),
            "deleted items": lambda: DeletedDialog(group, window),
            "who changed what": lambda: HistoryDialog(group, event_id, window)}


def test_in_each_dialog_no_two_things_share_an_alt_letter(window: MainWindow, qtbot: Any) -> None:
    """Copy emails…: "Those who were checked in" and Copy both took Alt+C."""
    found = {}
    for name, make in the_dialogs(window).items():
        dialog = make()
        qtbot.addWidget(dialog)
        dialog.show()
        found[name] = {letter: things for letter, things in dialog_letters(dialog).items() if len(things) > 1}
        dialog.close()
    assert {name: shared for name, shared in found.items() if shared} == {}
