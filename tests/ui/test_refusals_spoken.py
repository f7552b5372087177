"""Refusals under a record form's fields, in the small dialogs and on the lock and unlock
screens are said to a screen reader (Orca) as they are shown, as the door's are: painted only,
a person who cannot see the red line pressed Save or Return and heard nothing happen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt

from organiser.services.group import create_group
from organiser.ui.lock import WipeDialog
from organiser.ui.main_window import MainWindow
from organiser.ui.unlock import UnlockWindow
from tests.ui.test_connect_dialog import dialog, fill  # noqa: F401 (a fixture)
from tests.ui.test_date_time_fields import save, shown_dialog


def test_a_time_that_cannot_be_read_is_said_on_leaving_the_field_and_again_at_save(
        window: MainWindow, qtbot: Any, said: list[str]) -> None:
    form_dialog = shown_dialog(window, qtbot, "event")
    qtbot.keyClicks(form_dialog.form.title, "Unread")
    start = form_dialog.form.start
    qtbot.mouseClick(start.time, Qt.MouseButton.LeftButton, pos=QPoint(8, start.time.height() // 2))
    qtbot.keyClick(start.time, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(start.time, "half seven")
    qtbot.keyClick(start.time, Qt.Key.Key_Tab)
    refusal = "“half seven” is not a time: write it like 19:00, 19.00, 1900 or 7pm."
    assert form_dialog.form.error_text("start") == refusal
    assert said == [f"Starts: {refusal}"]
    save(form_dialog, qtbot)
    assert form_dialog.isVisible() and said == [f"Starts: {refusal}"] * 2


def test_a_members_email_refused_at_save_is_said(window: MainWindow, qtbot: Any,
                                                 said: list[str]) -> None:
    form_dialog = shown_dialog(window, qtbot, "member")
    qtbot.keyClicks(form_dialog.form.fields["name"], "Maria Lopez")
    email = form_dialog.form.fields["emails"]
    qtbot.mouseClick(email, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(email, "maria@example")
    save(form_dialog, qtbot)
    shown = form_dialog.form.error_text("emails")
    assert form_dialog.isVisible() and "maria@example" in shown
    assert any(shown in text for text in said), said


def test_the_connect_dialog_says_why_it_did_not_connect(dialog, qtbot: Any,  # noqa: F811 (the fixture)
                                                        said: list[str]) -> None:
    fill(qtbot, dialog, "192.168.1.20", "port")
    refusal = "Port: 'port' is not a port; it is a whole number from 1 to 65535, like 47613."
    assert dialog.error.text() == refusal and said == [refusal]


def test_a_wipe_without_the_word_in_capitals_is_said(qtbot: Any, said: list[str]) -> None:  # noqa: F811
    wipe = WipeDialog()
    qtbot.addWidget(wipe)
    wipe.show()
    qtbot.keyClicks(wipe.word, "wipe")
    qtbot.mouseClick(wipe.buttons.buttons()[0], Qt.MouseButton.LeftButton)
    assert "in capitals" in wipe.error.text() and said == [wipe.error.text()]


def test_a_wrong_passphrase_on_the_unlock_screen_is_said(qtbot: Any, tmp_path: Path,
                                                         said: list[str]) -> None:
    data = tmp_path / "data"
    made = create_group(data, "Food Co-op", "till laptop", passphrase="correct horse battery staple")
    folder = made.path.name
    made.close()
    unlock = UnlockWindow(data, folder)
    qtbot.addWidget(unlock)
    unlock.show()
    unlock.passphrase.setFocus()
    qtbot.keyClicks(unlock.passphrase, "correct horse battery")
    qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(unlock.busy.isHidden, timeout=15_000)  # the key is derived on a worker
    refusal = "That passphrase does not unlock this group. Check Caps Lock and try again."
    assert unlock.message.text() == refusal and refusal in said
