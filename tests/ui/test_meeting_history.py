"""The chair, after an infiltrator's laptop changed the meeting: Meeting > Who changed what… lists
each change with the laptop that made it, the infiltrator's among them; after the removal with
"take back what it wrote since", they are marked taken back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from organiser.services.group import Group
from tests.conftest import sync_pair
from tests.ui.conftest import second_laptop


@pytest.fixture
def mole(demo: Group, tmp_path: Path) -> Iterator[Group]:
    yield from second_laptop(demo, tmp_path / "mole", "Sam's laptop")


def _rows(dialog: Any) -> list[list[str]]:
    model = dialog.model
    return [[model.item(r, c).text() for c in range(model.columnCount())] for r in range(model.rowCount())]


def test_the_chair_sees_the_infiltrators_changes_and_then_that_they_were_taken_back(
        meeting: Any, mole: Group, qtbot: Any) -> None:
    window, event_id = meeting
    chair = window.group
    item = chair.meetings.add_item(event_id, "Rent strike").id
    sync_pair(chair, mole)
    mole.meetings.edit_item(item, title="Call off the strike")
    sync_pair(chair, mole)
    view = window.meeting_view
    qtbot.mouseClick(view.history_button, Qt.MouseButton.LeftButton)
    dialog = view.history_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    rows = _rows(dialog)
    assert rows[0][1:] == ["Sam's laptop", "agenda item 'Call off the strike'", "title", "Call off the strike"]
    assert any(r[1] == "door laptop" and r[3] == "title" and r[4] == "Rent strike" for r in rows)
    dialog.close()

    chair.membership.remove(mole.device_id, undo_since=datetime.fromtimestamp(0, UTC))
    qtbot.mouseClick(view.history_button, Qt.MouseButton.LeftButton)
    rows = _rows(view.history_dialog)
    assert rows[0][1:4] == ["Sam's laptop (taken back)", "agenda item 'Rent strike'", "title"]
    assert chair.meetings.item(item).title == "Rent strike"
