"""Tasks: the board (drag between columns), the filtered list, create, edit, delete."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from organiser.services import clock
from organiser.ui.main_window import MainWindow
from organiser.ui.models.live import ID_ROLE
from tests.ui.conftest import with_modal


def column_titles(win: MainWindow, status: str) -> list[str]:
    model = win.tasks_view.columns[status].model
    return [model.index(r, 0).data().split("\n")[0] for r in range(model.rowCount())]


def listed_titles(win: MainWindow) -> list[str]:
    proxy = win.tasks_view.proxy
    return [proxy.index(r, 0).data() for r in range(proxy.rowCount())]


def test_a_new_task_appears_in_its_column(window: MainWindow, qtbot: Any) -> None:
    window.switch_to("tasks")
    view = window.tasks_view

    def fill(dialog: Any) -> None:
        qtbot.keyClicks(dialog.form.title, "Hire a minibus")
        dialog.form.status.setCurrentIndex(dialog.form.status.findData("doing"))
        save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)

    with_modal(lambda: qtbot.mouseClick(view.new_button, Qt.MouseButton.LeftButton), fill)
    assert "Hire a minibus" in column_titles(window, "doing")
    assert "Hire a minibus" not in column_titles(window, "todo")
    assert view.columns["doing"].heading.text().startswith("Doing (")


def test_dragging_a_card_to_another_column_moves_the_task(window: MainWindow, qtbot: Any) -> None:
    window.switch_to("tasks")
    view = window.tasks_view
    task = window.group.tasks.add("Paint the banner")
    todo, done = view.columns["todo"], view.columns["done"]
    source_index = todo.model.index(todo.model.row_of(task.id), 0)
    mime = todo.model.mimeData([source_index])  # what the view packs when the drag starts
    target = done.view.viewport()
    where = QPointF(10, 10)
    for event in (QDragEnterEvent(where.toPoint(), Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                                  Qt.KeyboardModifier.NoModifier),
                  QDragMoveEvent(where.toPoint(), Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                                 Qt.KeyboardModifier.NoModifier)):
        QApplication.sendEvent(target, event)
        assert event.isAccepted()  # the Done column's view accepts task cards
    drop = QDropEvent(where, Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    assert drop.isAccepted()
    assert window.group.tasks.get(task.id).status == "done"
    assert "Paint the banner" in column_titles(window, "done")
    assert todo.model.row_of(task.id) == -1
    assert done.heading.text() == f"Done ({done.model.rowCount():,})"


def test_editing_and_deleting_a_task(window: MainWindow, qtbot: Any, answer_yes: None) -> None:
    window.switch_to("tasks")
    view = window.tasks_view
    task = window.group.tasks.add("Fix the door")
    view.select(task.id)
    assert view.current_id() == task.id

    def retitle(dialog: Any) -> None:
        dialog.form.title.setText("Fix the front door")
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)

    with_modal(view.edit_task, retitle)
    assert "Fix the front door" in column_titles(window, "todo")
    view.select(task.id)
    qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
    assert "Fix the front door" not in column_titles(window, "todo")


def test_list_filters_for_mine_due_and_event(window: MainWindow, qtbot: Any) -> None:
    window.switch_to("tasks")
    view = window.tasks_view
    group = window.group
    me = group.members.add("Ida Myself")
    event = group.events.add("Filter night", "2031-04-01T19:00")
    group.tasks.add("My own job", assignee=me.id, due="2000-01-01")
    group.tasks.add("Job for the night", event=event.id)
    view.tabs.setCurrentIndex(1)
    window.settings.set_me(group.id, me.id)
    view.mine.setChecked(True)
    assert listed_titles(window) == ["My own job"]
    view.mine.setChecked(False)
    view.due.setCurrentIndex(view.due.findData("overdue"))
    assert "My own job" in listed_titles(window)
    assert all(view.proxy.index(r, 3).data() < clock.today().isoformat() for r in range(view.proxy.rowCount()))
    view.due.setCurrentIndex(view.due.findData("any"))
    view.event_picker.set_record(event.id)
    assert listed_titles(window) == ["Job for the night"]
    view.event_picker.clear()
    view.assignee.set_record(me.id)
    assert [view.proxy.index(r, 0).data(ID_ROLE) for r in range(view.proxy.rowCount())] == \
        [t.id for t in group.tasks.list(assignee=me.id)]
