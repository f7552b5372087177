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
from PySide6.QtWidgets import QDialogButtonBox

from organiser.services.group import Group
from tests.conftest import sync_pair
from tests.ui.conftest import second_laptop


@pytest.fixture
def mole(demo: Group, tmp_path: Path) -> Iterator[Group]:
    yield from second_laptop(demo, tmp_path / "mole", "Sam's laptop")


def _rows(dialog: Any, qtbot: Any) -> list[list[str]]:
    """The rows once the dialog has read them (on a worker thread) and stopped saying it is reading."""
    qtbot.waitUntil(lambda: dialog.busy.isHidden(), timeout=10_000)
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
    rows = _rows(dialog, qtbot)
    assert rows[0][1:] == ["Sam's laptop", "agenda item 'Call off the strike'", "title: Call off the strike"]
    # one row for each change to a record, its fields together, in words
    added = [r for r in rows if r[1] == "door laptop" and r[2] == "agenda item 'Call off the strike'"]
    assert [r[3] for r in added] == ["added: title: Rent strike; position: 1024; used seconds: 0; "
                                     "event: General assembly"]
    dialog.close()

    chair.membership.remove(mole.device_id, undo_since=datetime.fromtimestamp(0, UTC))
    qtbot.mouseClick(view.history_button, Qt.MouseButton.LeftButton)
    rows = _rows(view.history_dialog, qtbot)
    assert rows[0][1:] == ["Sam's laptop (taken back)", "agenda item 'Rent strike'", "title: Call off the strike"]
    assert chair.meetings.item(item).title == "Rent strike"


def test_who_changed_what_says_it_is_reading_and_closes_before_the_reading_ends(
        meeting: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A year-old group's change log takes a while: the dialog opens at once saying so, the window
    goes on answering, and Close closes it; what is read after that is dropped."""
    import threading

    from organiser.services.history import History

    window, event_id = meeting
    window.group.meetings.add_item(event_id, "Rent strike")
    gate = threading.Event()
    plain = History.of_record

    def slow(self: History, record: str) -> list[Any]:
        gate.wait(30)  # as long as the test keeps it reading
        return plain(self, record)

    monkeypatch.setattr(History, "of_record", slow)
    view = window.meeting_view
    qtbot.mouseClick(view.history_button, Qt.MouseButton.LeftButton)
    dialog = view.history_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    assert dialog.reading.isVisible() and dialog.reading.text() == "Reading the change log…"
    assert dialog.busy.isVisible() and dialog.model.rowCount() == 0
    close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    gate.set()
    qtbot.mouseClick(view.history_button, Qt.MouseButton.LeftButton)  # read again, to the end this time
    again = view.history_dialog
    rows = _rows(again, qtbot)
    assert rows[0][1:3] == ["door laptop", "agenda item 'Rent strike'"]
    qtbot.waitUntil(lambda: dialog.reader.pending == 0, timeout=10_000)  # the first reading ended too
    assert not dialog.isVisible() and dialog.model.rowCount() == 0  # and what it read was dropped


def test_the_open_minutes_editor_takes_the_honest_minutes_after_the_take_back_and_typing_goes_on(
        meeting: Any, mole: Group, tmp_path: Path, qtbot: Any) -> None:
    """The chair's editor showed the infiltrator's rewrite; after the removal it shows the honest
    minutes, and what the chair types next reaches a laptop that never saw the rewrite."""
    from organiser.core.minutes import edit_update
    from tests.conftest import add_device
    from tests.ui.test_meeting_view import type_text

    window, event_id = meeting
    chair, editor = window.group, window.meeting_view.editor
    chair.meetings.append_minutes(event_id, "The rent strike starts in January.")
    sync_pair(chair, mole)
    doc = mole.meetings.minutes_doc(event_id)
    mole.meetings.write_minutes(event_id, edit_update(doc, lambda d: d.replace(0, len(str(d)), "Called off.\n")))
    sync_pair(chair, mole)
    qtbot.waitUntil(lambda: editor.text.toPlainText() == "Called off.\n", timeout=3000)
    chair.membership.remove(mole.device_id, undo_since=datetime.fromtimestamp(0, UTC))
    qtbot.waitUntil(lambda: editor.text.toPlainText() == "The rent strike starts in January.\n", timeout=3000)
    qtbot.mouseClick(editor.text.viewport(), Qt.MouseButton.LeftButton)
    editor.text.moveCursor(editor.text.textCursor().MoveOperation.End)
    type_text(editor.text, "Bo seconds.")
    editor.flush()
    later = add_device(chair, tmp_path / "later", "new laptop")
    sync_pair(chair, later)
    assert later.meetings.minutes_text(event_id) == "The rent strike starts in January.\nBo seconds."
    later.close()


def test_who_changed_what_leaves_the_three_columns_whole_on_a_1280_pixel_laptop(meeting: Any, qtbot: Any) -> None:
    """Under the minutes, the button widened that column until the decisions were cut off behind a
    horizontal scroll bar in a window 1280 pixels wide; beside the heading it takes no column's room."""
    from PySide6.QtWidgets import QScrollArea

    window, _event_id = meeting
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.width() == 1280, timeout=2000)
    scroll = window.meeting_view.findChild(QScrollArea)
    qtbot.wait(50)
    assert not scroll.horizontalScrollBar().isVisible()
    assert window.meeting_view.history_button.isVisible()
