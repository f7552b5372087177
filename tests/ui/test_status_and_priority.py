"""The event's Status in words (Scheduled, Cancelled) and the task's Priority saying which way is
urgent, used as a person uses them: the drop-down opened and an entry chosen, the number typed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from organiser.ui.main_window import MainWindow
from tests.ui.conftest import choose, retype, with_modal


def save(dialog: Any, qtbot: Any) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)


def test_the_event_status_reads_in_words_and_cancelling_stores_cancelled(window: MainWindow, qtbot: Any) -> None:
    view = window.events_view
    event_id = view.current_id()
    assert event_id and window.group.events.get(event_id).status == "scheduled"
    offered: list[list[str]] = []

    def cancel(dialog: Any) -> None:
        status = dialog.form.status
        offered.append([status.itemText(i) for i in range(status.count())])
        assert status.currentText() == "Scheduled"
        choose(qtbot, status, "Cancelled")
        save(dialog, qtbot)

    with_modal(lambda: qtbot.mouseClick(view.detail.edit_button, Qt.MouseButton.LeftButton), cancel)
    assert offered == [["Scheduled", "Cancelled"]]
    assert window.group.events.get(event_id).status == "cancelled"  # the stored value is unchanged in kind
    assert view.detail.title.text().endswith("(cancelled)")
    shown: list[str] = []

    def look(dialog: Any) -> None:
        shown.append(dialog.form.status.currentText())
        choose(qtbot, dialog.form.status, "Scheduled")  # reinstated
        save(dialog, qtbot)

    with_modal(lambda: qtbot.mouseClick(view.detail.edit_button, Qt.MouseButton.LeftButton), look)
    assert shown == ["Cancelled"] and window.group.events.get(event_id).status == "scheduled"


def test_the_task_priority_says_which_way_is_urgent(window: MainWindow, qtbot: Any) -> None:
    window.switch_to("tasks")
    view = window.tasks_view
    seen: dict[str, str] = {}

    def fill(dialog: Any) -> None:
        priority = dialog.form.priority
        seen["empty"], seen["tip"] = priority.text(), priority.toolTip()
        qtbot.keyClicks(dialog.form.title, "Book the hall")
        priority.setFocus()  # a click on the field, offscreen: the keys go there
        qtbot.keyClick(priority, Qt.Key.Key_Up)
        seen["one up"] = priority.text()
        retype(qtbot, priority, "9")
        seen["typed"] = priority.text()
        save(dialog, qtbot)

    with_modal(lambda: qtbot.mouseClick(view.new_button, Qt.MouseButton.LeftButton), fill)
    assert seen["empty"] == "none"
    assert seen["one up"] == "1 of 9 (9 is most urgent)"
    assert seen["typed"] == "9 of 9 (9 is most urgent)"
    assert "9 (most urgent)" in seen["tip"] and "1 (least urgent)" in seen["tip"]
    task = next(t for t in window.group.tasks.list() if t.title == "Book the hall")
    assert task.priority == 9
