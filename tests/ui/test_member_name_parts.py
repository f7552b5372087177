"""The member form keeps the structure of a name beside the display name (vCard N, sorting)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from organiser.ui.editor import RecordDialog
from organiser.ui.main_window import MainWindow


def test_family_and_given_names_typed_in_the_form_are_kept_as_typed(window: MainWindow, qtbot: Any) -> None:
    dialog = RecordDialog(window.group, window.bridge, "member", parent=window)
    qtbot.addWidget(dialog)
    form = dialog.form
    qtbot.keyClicks(form.name, "Zoe Nunez Garcia")
    qtbot.keyClicks(form.name_parts["family_name"], "Nunez Garcia")
    qtbot.keyClicks(form.name_parts["given_name"], "Zoe")
    qtbot.keyClicks(form.name_parts["name_prefix"], "Dr.")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    member = next(m for m in window.group.members.list() if m.name == "Zoe Nunez Garcia")
    assert (member.family_name, member.given_name, member.name_prefix, member.additional_names) == (
        "Nunez Garcia", "Zoe", "Dr.", "")

    again = RecordDialog(window.group, window.bridge, "member", member.id, parent=window)
    qtbot.addWidget(again)
    assert again.form.name_parts["family_name"].text() == "Nunez Garcia"
