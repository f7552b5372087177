"""The start screen's forms read as one column: a page's fields all start at the same place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt

from tests.ui.test_first_evening import _start


def _left_edges(page: Any, fields: list[Any]) -> set[int]:
    return {field.mapTo(page, QPoint(0, 0)).x() for field in fields}


def test_the_create_and_join_fields_line_up_with_the_passphrase_fields(qtbot: Any, tmp_path: Path) -> None:
    start, _groups = _start(qtbot, tmp_path)
    qtbot.mouseClick(start.create_choice, Qt.MouseButton.LeftButton)
    page = start.group_name.parentWidget()
    qtbot.waitUntil(lambda: start.group_name.isVisible())
    assert len(_left_edges(page, [start.group_name, start.create_device, start.create_passphrase.first,
                                  start.create_passphrase.again])) == 1
    back = next(b for b in start.findChildren(type(start.create_choice)) if b.text() == "&Back" and b.isVisible())
    qtbot.mouseClick(back, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(start.join_choice, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: start.join_device.isVisible())
    page = start.join_device.parentWidget()
    assert len(_left_edges(page, [start.code, start.join_device, start.join_passphrase.first,
                                  start.join_passphrase.again])) == 1
