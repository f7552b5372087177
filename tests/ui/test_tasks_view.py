"""Tasks: the board (drag between columns), the filtered list, create, edit, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QTextDocument
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from organiser.services import clock
from organiser.ui.main_window import MainWindow
from organiser.ui.models.live import ID_ROLE
from tests.ui.conftest import choose, click, click_row, click_tab, pick, retype, with_modal


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
        choose(qtbot, dialog.form.status, "Doing")
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
    todo = view.columns["todo"]
    click_row(qtbot, todo.view, todo.model.row_of(task.id))
    assert view.current_id() == task.id and "Fix the door" in view.selected_label.text()

    def retitle(dialog: Any) -> None:
        retype(qtbot, dialog.form.title, "Fix the front door")
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)

    with_modal(lambda: click(qtbot, view.edit_button), retitle)
    assert "Fix the front door" in column_titles(window, "todo")
    assert "Fix the front door" in view.selected_label.text()
    click_row(qtbot, todo.view, todo.model.row_of(task.id))
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
    click_tab(qtbot, view.tabs, "List")
    window.settings.set_me(group.id, me.id)
    click(qtbot, view.mine)
    assert listed_titles(window) == ["My own job"]
    click(qtbot, view.mine)
    choose(qtbot, view.due, "due: overdue")
    assert "My own job" in listed_titles(window)
    assert all(view.proxy.index(r, 3).data() < clock.today().isoformat() for r in range(view.proxy.rowCount()))
    choose(qtbot, view.due, "due: any")
    pick(qtbot, view.event_picker, "Filter ni", "Filter night")
    assert listed_titles(window) == ["Job for the night"]
    retype(qtbot, view.event_picker, "")
    qtbot.keyClick(view.event_picker, Qt.Key.Key_Backspace)
    pick(qtbot, view.assignee, "Ida My", "Ida Myself")
    assert [view.proxy.index(r, 0).data(ID_ROLE) for r in range(view.proxy.rowCount())] == \
        [t.id for t in group.tasks.list(assignee=me.id)]


def test_an_assignee_typed_but_not_picked_is_named_in_words(window: MainWindow, qtbot: Any) -> None:
    from organiser.ui.editor import RecordDialog

    dialog = RecordDialog(window.group, window.bridge, "task", parent=window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.form.title, "Ring the hall")
    qtbot.keyClicks(dialog.form.assignee, "zo")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    text = dialog.form.error_text("assignee")
    assert text.startswith("No member called “zo”: pick one from the list") and "id" not in text
    assert [t for t in window.group.tasks.list() if t.title == "Ring the hall"] == []


def test_the_list_filters_by_status_with_an_assignee(window: MainWindow, qtbot: Any) -> None:
    """The secretary's question "what is Ida still doing?": the board has no assignee filter and
    the list had no status filter, so it meant reading a person's whole list."""
    window.switch_to("tasks")
    view = window.tasks_view
    group = window.group
    ida = group.members.add("Ida Nowak")
    group.tasks.add("Bring the urn", assignee=ida.id, status="doing")
    group.tasks.add("Paint the sign", assignee=ida.id, status="todo")
    group.tasks.add("Sweep the hall", status="doing")
    click_tab(qtbot, view.tabs, "List")
    choose(qtbot, view.status_filter, "status: Doing")
    assert "Sweep the hall" in listed_titles(window)
    assert {view.proxy.index(r, 1).data() for r in range(view.proxy.rowCount())} == {"Doing"}
    pick(qtbot, view.assignee, "Ida No", "Ida Nowak")
    assert listed_titles(window) == ["Bring the urn"]
    choose(qtbot, view.status_filter, "status: any")
    assert sorted(listed_titles(window)) == ["Bring the urn", "Paint the sign"]


def test_two_members_of_one_name_are_told_apart_in_the_assignee_filter(window: MainWindow, qtbot: Any) -> None:
    """Two "Amira Martin" in a big directory read the same in the list that opens (or one of them
    with a piece of its id): each now shows what a person knows of them."""
    window.switch_to("tasks")
    view = window.tasks_view
    group = window.group
    office = group.members.add("Amira Martin", emails=["amira@office.example"])
    street = group.members.add("Amira Martin", phones=["+44 7700 900456"])
    group.tasks.add("Book the hall", assignee=office.id)
    group.tasks.add("Leaflet Elm Street", assignee=street.id)
    click_tab(qtbot, view.tabs, "List")
    pick(qtbot, view.assignee, "Amira", "Amira Martin (+44 7700 900456)")
    assert listed_titles(window) == ["Leaflet Elm Street"]
    popup_labels = view.assignee.completer().popup().model()
    assert sorted(label for r in range(popup_labels.rowCount())
                  if (label := popup_labels.index(r, 0).data()).startswith("Amira Martin")) == \
        ["Amira Martin (+44 7700 900456)", "Amira Martin (amira@office.example)"]


def test_the_done_column_opens_on_what_was_done_lately(group: Any, qtbot: Any, tmp_path: Any) -> None:
    """A year of done tasks: the Done column starts with the latest, not with last December's
    (2,495 cards down for what was finished this week)."""
    from organiser.ui.settings import UiSettings

    for month in range(1, 13):
        group.tasks.add(f"Flyers for month {month}", status="done", due=f"2026-{month:02d}-10")
    group.tasks.add("Chairs put away", status="done")  # no due date: after every dated one
    window = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    qtbot.mouseClick(window.sidebar.widgetForAction(window.view_actions["tasks"]), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.tasks_view.columns["done"].model.rowCount() == 13)
    titles = column_titles(window, "done")
    assert titles[:3] == ["Flyers for month 12", "Flyers for month 11", "Flyers for month 10"]
    assert titles[-1] == "Chairs put away"
    window.close()


def test_a_done_task_from_the_spring_is_found_by_typing_its_words(window: MainWindow, qtbot: Any) -> None:
    """'Who printed the flyers in April?': in the list, status done, typing words of its title or
    description finds it among a year of tasks."""
    group = window.group
    group.tasks.add("Print 350 flyers", status="done", due="2026-04-10", description="For the rent strike march")
    group.tasks.add("Print the big banner", status="done", due="2026-05-02")
    window.switch_to("tasks")
    view = window.tasks_view
    click_tab(qtbot, view.tabs, "List")
    choose(qtbot, view.status_filter, "status: Done")
    view.search.setFocus()
    qtbot.keyClicks(view.search, "print 350 flyer")
    assert listed_titles(window) == ["Print 350 flyers"]
    retype(qtbot, view.search, "strike mar")  # words of its description, as they start
    assert listed_titles(window) == ["Print 350 flyers"]
    retype(qtbot, view.search, "print big")
    assert listed_titles(window) == ["Print the big banner"]


def test_a_title_written_as_markup_shows_as_typed_in_the_tooltip(window: MainWindow, qtbot: Any) -> None:
    """A tooltip renders what it takes for markup: a title ending in `<br><!--` hid the rest
    of the card's tooltip (who it is assigned to, when it is due)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip

    window.switch_to("tasks")
    view = window.tasks_view
    task = window.group.tasks.add("Fix the boiler<br><!--", due="2031-04-01")
    todo = view.columns["todo"]
    qtbot.waitUntil(lambda: todo.model.row_of(task.id) >= 0, timeout=3000)
    place = todo.view.visualRect(todo.model.index(todo.model.row_of(task.id), 0)).center()
    hover = QHelpEvent(QEvent.Type.ToolTip, place, todo.view.viewport().mapToGlobal(place))
    QApplication.sendEvent(todo.view.viewport(), hover)  # what resting the pointer on the card sends
    qtbot.waitUntil(QToolTip.isVisible, timeout=3000)
    shown = QTextDocument()
    shown.setHtml(QToolTip.text())
    assert shown.toPlainText() == "Fix the boiler<br><!--\nDue Tue 1 Apr 2031"
    QToolTip.hideText()


def card_lines(win: MainWindow, status: str) -> dict[str, str]:
    """Each card of a column as shown: its title, and the line under it."""
    model = win.tasks_view.columns[status].model
    return dict(model.index(r, 0).data().split("\n") for r in range(model.rowCount()))


def test_cards_say_when_each_task_is_due_as_people_say_it_and_overdue_ones_in_red(window: MainWindow,
                                                                                   qtbot: Any) -> None:
    group = window.group  # the clock stands at Thursday 26 November 2026
    late = group.tasks.add("Book the hall", due="2026-11-20")
    group.tasks.add("Print flyers", due="2026-11-26")
    group.tasks.add("Hire a minibus", due="2026-11-27")
    group.tasks.add("Order banner paint", due="2027-01-08")
    group.tasks.add("Fold leaflets", due="2026-11-20", status="done")
    group.tasks.add("Sweep the hall")
    window.switch_to("tasks")
    todo = card_lines(window, "todo")  # beside the demo group's tasks
    mine = ("Book the hall", "Print flyers", "Hire a minibus", "Order banner paint", "Sweep the hall")
    assert {title: todo[title] for title in mine} == {"Book the hall": "unassigned · overdue (due Fri 20 Nov)",
                    "Print flyers": "unassigned · due today", "Hire a minibus": "unassigned · due tomorrow",
                    "Order banner paint": "unassigned · due Fri 8 Jan 2027",
                    "Sweep the hall": "unassigned · no due date"}
    assert card_lines(window, "done")["Fold leaflets"] == "unassigned · due Fri 20 Nov"
    column = window.tasks_view.columns["todo"]
    colour = {column.model.index(r, 0).data().split("\n")[0]: column.model.index(r, 0).data(
        Qt.ItemDataRole.ForegroundRole) for r in range(column.model.rowCount())}
    assert colour["Book the hall"] is not None and colour["Book the hall"].name() == "#b3261e"
    assert colour["Print flyers"] is None
    click_row(qtbot, column.view, column.model.row_of(late.id))
    assert "overdue (due Fri 20 Nov)" in window.tasks_view.selected_label.text()


def test_the_overdue_filter_knows_the_day_has_changed_while_the_app_stayed_open(
        window: MainWindow, qtbot: Any, monkeypatch: Any) -> None:
    group = window.group
    group.tasks.add("Hire a minibus", due="2026-11-27")
    window.switch_to("tasks")
    view = window.tasks_view
    click_tab(qtbot, view.tabs, "List")
    choose(qtbot, view.due, "due: overdue")
    assert "Hire a minibus" not in listed_titles(window)
    choose(qtbot, view.due, "due: any")
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 28, 9, 0))  # two nights later
    choose(qtbot, view.due, "due: overdue")
    assert "Hire a minibus" in listed_titles(window)


def test_at_midnight_the_open_overdue_list_takes_the_task_that_was_due_today(
        window: MainWindow, qtbot: Any, monkeypatch: Any) -> None:
    """The app stays open overnight on the List with "due: overdue": at midnight the task due that
    day joins it, and its card says so, without anyone choosing the filter again."""
    group = window.group
    group.tasks.add("Hire a minibus", due="2026-11-27")
    wall = [datetime(2026, 11, 27, 23, 59, 59, 900_000)]  # the laptop's clock, just before midnight
    monkeypatch.setattr(clock, "now", lambda: wall[0])
    window.switch_to("tasks")
    view = window.tasks_view
    assert card_lines(window, "todo")["Hire a minibus"] == "unassigned · due today"
    click_tab(qtbot, view.tabs, "List")
    choose(qtbot, view.due, "due: overdue")
    assert "Hire a minibus" not in listed_titles(window)
    wall[0] = datetime(2026, 11, 28, 0, 0, 1)  # midnight has passed
    qtbot.waitUntil(lambda: "Hire a minibus" in listed_titles(window), timeout=10_000)
    click_tab(qtbot, view.tabs, "Board")
    assert card_lines(window, "todo")["Hire a minibus"] == "unassigned · overdue (due Fri 27 Nov)"
