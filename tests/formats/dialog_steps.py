"""What a person does in the File > Import and File > Export dialogs: tick a box, type a path,
choose a format with the keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit

WAIT_MS = 20_000  # a preview or an export on a worker thread, on a loaded machine


def tick(qtbot: Any, box: QAbstractButton) -> None:
    """Click a check box where a person would: on its box, at the left of its label."""
    box.window().show()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def type_path(qtbot: Any, edit: QLineEdit, path: Path) -> None:
    """Click into the field, select what it holds and type over it."""
    edit.window().show()
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, str(path))


def choose_format(qtbot: Any, box: QComboBox, word: str) -> None:
    """Down the list with the keyboard until the entry naming `word` is chosen."""
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Home)
    for _ in range(box.count()):
        if word in box.currentText():
            return
        qtbot.keyClick(box, Qt.Key.Key_Down)
    raise AssertionError(f"no export format names {word!r}")
