"""File > Export keeps its buttons where they are whatever is chosen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from organiser.ui.export_dialog import open_export_dialog
from organiser.ui.main_window import MainWindow
from tests.formats.dialog_steps import choose_format


def test_the_export_button_stays_where_it_was_when_csv_is_chosen(window: MainWindow, qtbot: Any) -> None:
    dialog = open_export_dialog(window, window.group)  # as File > Export opens it: at the size it needs
    qtbot.waitExposed(dialog)
    before = dialog.export_button.mapTo(dialog, QPoint(0, 0)), dialog.size()
    for word in ("CSV", "semicolons", "backup", "xlsx"):
        choose_format(qtbot, dialog.format_box, word)
        QApplication.processEvents()  # the layout is redone on the next turn of the event loop
        assert (dialog.export_button.mapTo(dialog, QPoint(0, 0)), dialog.size()) == before, word
