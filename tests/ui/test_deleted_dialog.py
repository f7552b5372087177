"""Edit > Deleted items…: the secretary finds the assembly another laptop deleted and brings it back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialogButtonBox

from organiser.services.group import Group
from organiser.ui.deleted_dialog import DeletedDialog
from organiser.ui.main_window import MainWindow
from tests.conftest import add_device, sync_pair
from tests.ui.conftest import click, click_menu, click_row, reads, row_of_text


def open_deleted(qtbot: Any, window: MainWindow) -> DeletedDialog:
    click_menu(qtbot, window, window.deleted_action)
    qtbot.waitUntil(lambda: window.findChild(DeletedDialog) is not None, timeout=3000)
    dialog = window.findChild(DeletedDialog)
    qtbot.waitUntil(lambda: reads(dialog.note) != "Reading…", timeout=5000)
    return dialog


def cells(dialog: DeletedDialog) -> list[tuple[str, ...]]:
    model = dialog.model
    return [tuple(model.index(r, c).data() for c in range(3)) for r in range(model.rowCount())]


def test_the_assembly_another_laptop_deleted_is_brought_back_with_a_click(window: MainWindow, qtbot: Any,
                                                                         tmp_path: Path) -> None:
    group: Group = window.group
    assembly = group.events.add("Emergency assembly", "2026-12-03T19:00")
    mole = add_device(group, tmp_path / "mole", "Sam's laptop")
    sync_pair(group, mole)
    mole.events.delete(assembly.id)
    sync_pair(group, mole)
    mole.close()
    dialog = open_deleted(qtbot, window)
    assert cells(dialog) == [("event", "Emergency assembly · Thu 3 Dec 2026", "Sam's laptop")]
    # when, by this laptop's clock on the wall (the delete was stamped just now: not a day written here)
    (deleted,) = group.deleted.list()
    assert dialog.model.index(0, 3).data() == datetime.fromtimestamp(deleted.at_ms / 1000).strftime(
        "%a %-d %b %Y, %H:%M")
    assert not dialog.bring_back_button.isEnabled()
    click_row(qtbot, dialog.table, row_of_text(dialog.table, "Emergency assembly · Thu 3 Dec 2026", column=1), column=1)
    click(qtbot, dialog.bring_back_button)
    assert cells(dialog) == []
    assert reads(dialog.note).startswith("Brought back the event “Emergency assembly” on this laptop")
    assert [e.title for e in group.events.list() if e.id == assembly.id] == ["Emergency assembly"]
    close(qtbot, dialog)


def close(qtbot: Any, dialog: DeletedDialog) -> None:
    click(qtbot, dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close))
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3000)


def test_with_nothing_deleted_the_dialog_says_so(window: MainWindow, qtbot: Any) -> None:
    dialog = open_deleted(qtbot, window)
    assert reads(dialog.note) == "Nothing has been deleted."
    assert not dialog.bring_back_button.isEnabled()
    close(qtbot, dialog)


def test_a_title_holding_a_direction_override_leaves_the_day_after_it_in_order(window: MainWindow, qtbot: Any) -> None:
    """A member in bad faith ends a title with U+202E (right-to-left override): the event's day,
    written after it in the Name column, read '6202 ceD 11 irF'. The title is set apart as an
    isolate, which ends what it opened."""
    group: Group = window.group
    title = "Rent strike\u202e meeting"
    group.events.delete(group.events.add(title, "2026-12-11T19:00").id)
    dialog = open_deleted(qtbot, window)
    assert cells(dialog) == [("event", f"\u2068{title}\u2069 · Fri 11 Dec 2026", "door laptop")]
    close(qtbot, dialog)
