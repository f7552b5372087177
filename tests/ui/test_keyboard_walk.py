"""A keyboard-only organiser: Tab goes through every view and out of every table (arrows move
inside), and every focus stop has a name a screen reader reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMenu, QTabBar, QTableView

from organiser.services.group import Group
from organiser.ui.main_window import MainWindow
from organiser.ui.models.live import ID_ROLE
from organiser.ui.settings import UiSettings
from tests.ui.conftest import choose, click_row, with_modal


def activate(window: MainWindow, qtbot: Any) -> None:
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)


def test_tab_leaves_each_table_for_the_next_control(window: MainWindow, qtbot: Any) -> None:
    """Tab moved from cell to cell, so a table of 2,000 members held the keys: the buttons
    after it (Edit, Print / PDF…) could not be reached without a mouse."""
    activate(window, qtbot)
    for shortcut, view in ((Qt.Key.Key_1, "events"), (Qt.Key.Key_3, "members"), (Qt.Key.Key_4, "peers")):
        qtbot.keyClick(window, shortcut, Qt.KeyboardModifier.ControlModifier)
        tables = [t for t in window.views[view].findChildren(QTableView)
                  if t.isVisible() and t.model().rowCount() > 0]
        assert tables, view
        for table in tables:
            click_row(qtbot, table, 0)
            assert QApplication.focusWidget() is table
            qtbot.keyClick(table, Qt.Key.Key_Tab)
            assert QApplication.focusWidget() is not table, f"Tab stayed in {table.accessibleName()} ({view})"


def spoken_name(widget: Any) -> str:
    """What a screen reader says for the widget: its accessible name."""
    from PySide6.QtGui import QAccessible

    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Name) if iface is not None else ""


def test_tab_goes_round_each_view_and_every_stop_has_a_name(meeting: tuple[MainWindow, str], qtbot: Any) -> None:
    """A stop without a name is read as "scroll area" or nothing; a field that takes Tab as text
    (the minutes) held the keys so that nothing after it could be reached."""
    window, _event = meeting
    for n, view in enumerate(("events", "tasks", "members", "peers", "meeting"), start=1):
        qtbot.keyClick(window, getattr(Qt.Key, f"Key_{n}"), Qt.KeyboardModifier.ControlModifier)
        assert window.current_view() == view
        first = QApplication.focusWidget()
        stops = []
        for _ in range(40):
            widget = QApplication.focusWidget()
            assert widget is not None and window.views[view].isAncestorOf(widget), view
            stops.append(widget)
            assert spoken_name(widget), f"{type(widget).__name__} in {view} has no name to read"
            qtbot.keyClick(widget, Qt.Key.Key_Tab)
            if QApplication.focusWidget() is first:
                break
        else:
            raise AssertionError(f"Tab never came back round in {view}: {[spoken_name(w) for w in stops[-5:]]}")


def tab_to(window: MainWindow, qtbot: Any, name: str) -> Any:
    """Press Tab until the control a screen reader calls `name` has the focus."""
    for _ in range(40):
        widget = QApplication.focusWidget()
        if widget is not None and spoken_name(widget) == name:
            return widget
        qtbot.keyClick(widget or window, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {name!r}")


def opened_by(trigger: Any) -> str:
    """The title of the dialog `trigger` opens (closed again at once), or '' if none opens."""
    titles: list[str] = []

    def note(dialog: Any) -> None:
        titles.append(dialog.windowTitle())
    with_modal(trigger, note)
    return titles[0] if titles else ""


def test_return_on_a_task_card_or_a_member_row_opens_it_to_edit(window: MainWindow, qtbot: Any) -> None:
    """A double-click opened a task or a member; Return did nothing, and the board has no
    Edit button until a card is chosen, so from the keys a task could not be edited."""
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    column = tab_to(window, qtbot, "To do column")
    qtbot.keyClick(column, Qt.Key.Key_Down)
    assert column.currentIndex().isValid()
    assert opened_by(lambda: qtbot.keyClick(column, Qt.Key.Key_Return)) == "Edit task"

    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    search = QApplication.focusWidget()
    assert window.current_view() == "members" and spoken_name(search) == "Search members"
    qtbot.keyClicks(search, "a")
    qtbot.keyClick(search, Qt.Key.Key_Return)  # shows the first found and moves to the table
    table = QApplication.focusWidget()
    assert table is window.members_view.table
    assert opened_by(lambda: qtbot.keyClick(table, Qt.Key.Key_Return)) == "Edit member"


def test_a_view_opened_by_its_shortcut_has_the_keys_where_its_work_starts(meeting: tuple[MainWindow, str],
                                                                         qtbot: Any) -> None:
    """After Ctrl+2 the focus sat on the Board tab with no mark on screen, so the next key
    went somewhere the person could not see; each view now starts on its list."""
    window, _event = meeting
    for shortcut, name in ((Qt.Key.Key_1, "Agenda"), (Qt.Key.Key_2, "To do column"),
                           (Qt.Key.Key_3, "Search members"), (Qt.Key.Key_4, "Laptops nearby"),
                           (Qt.Key.Key_5, "Agenda")):
        qtbot.keyClick(window, shortcut, Qt.KeyboardModifier.ControlModifier)
        focus = QApplication.focusWidget()
        assert focus is not None and window.stack.currentWidget().isAncestorOf(focus)
        assert spoken_name(focus) == name and not isinstance(focus, QTabBar)
        assert window.testAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)  # the focus is drawn
        if isinstance(focus, QAbstractItemView) and focus.model().rowCount() > 0:  # on a row, not nowhere
            assert focus.currentIndex().isValid(), f"no row marked for the keys in {name}"


def test_the_month_tab_has_a_name_for_every_stop(window: MainWindow, qtbot: Any) -> None:
    """Alt+M put the keys in the calendar's grid, which a screen reader announced as nothing."""
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
    assert window.events_view.tabs.currentIndex() == 1
    first = QApplication.focusWidget()
    for _ in range(40):
        widget = QApplication.focusWidget()
        assert spoken_name(widget), f"{type(widget).__name__} {widget.objectName()} has no name to read"
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
        if QApplication.focusWidget() is first:
            break


def test_letters_typed_in_a_list_jump_to_a_name_with_or_without_its_accents(window: MainWindow, qtbot: Any) -> None:
    """Type-ahead: "ele" typed in the directory goes to Éléonore, "res" in the task list to
    "Réserver la salle" (Qt's own matched "É" only if typed, and read every cell a letter)."""
    window.group.members.add("Éléonore Ñúñez")
    window.group.tasks.add("Réserver la salle")
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    table = window.members_view.table
    click_row(qtbot, table, 0)
    qtbot.keyClicks(table, "ele")
    assert table.currentIndex().data() == "Éléonore Ñúñez"

    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    task_list = window.tasks_view.table
    click_row(qtbot, task_list, 0)
    qtbot.keyClicks(task_list, "res")
    assert task_list.currentIndex().siblingAtColumn(0).data() == "Réserver la salle"
    choose(qtbot, window.tasks_view.status_filter, "status: Done")  # the task is filtered out
    click_row(qtbot, task_list, 0)
    qtbot.wait(QApplication.keyboardInputInterval() + 50)  # what is typed next is a new search
    qtbot.keyClicks(task_list, "res")
    assert task_list.currentIndex().row() == 0 and task_list.currentIndex().siblingAtColumn(1).data() == "Done"
    column = window.tasks_view.columns["todo"].view
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    click_row(qtbot, column, 0)
    qtbot.keyClicks(column, "res")
    assert column.currentIndex().data().startswith("Réserver la salle\n")


def test_after_deleting_a_task_the_next_card_is_chosen_for_the_keys(window: MainWindow, qtbot: Any,
                                                                    answer_yes: None) -> None:
    """Delete took the card away and left nothing chosen, so a second Delete (or Edit…) did
    nothing until the person pressed an arrow."""
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    column = QApplication.focusWidget()
    todo = window.tasks_view.columns["todo"]
    assert column is todo.view
    count = todo.model.rowCount()
    qtbot.keyClick(column, Qt.Key.Key_Down)
    qtbot.keyClick(column, Qt.Key.Key_Delete)
    assert todo.heading.text() == f"To do ({count - 1})"
    assert window.tasks_view.edit_button.isEnabled() and QApplication.focusWidget() is column
    qtbot.keyClick(column, Qt.Key.Key_Delete)
    assert todo.heading.text() == f"To do ({count - 2})"


def spoken_description(widget: Any) -> str:
    from PySide6.QtGui import QAccessible

    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Description) if iface is not None else ""


def test_a_screen_reader_reads_the_chosen_members_details(window: MainWindow, qtbot: Any) -> None:
    """The details pane was read as "Member details" and nothing more: its label's name hid
    its text, and the pane's stop had no description."""
    member = window.group.members.add("Zoë Jürgensen", emails=["zoe@example.org"], notes="Parle français.")
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(QApplication.focusWidget(), "Jurgensen")  # typed without its accent
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert window.members_view.current_id() == member.id
    pane = tab_to(window, qtbot, "Member details")
    read = spoken_description(pane)
    assert "Zoë Jürgensen" in read and "zoe@example.org" in read and "Parle français." in read
    assert "<" not in read
    assert "zoe@example.org" in spoken_name(window.members_view.detail)


def labels_read_with(widget: Any) -> list[str]:
    """The texts of the labels a screen reader reads with the widget (Qt names a combo box on
    Linux by its current entry and leaves the label to this relation)."""
    from PySide6.QtGui import QAccessible

    iface = QAccessible.queryAccessibleInterface(widget)
    return [other.text(QAccessible.Text.Name) for other, _how in iface.relations(QAccessible.RelationFlag.Label)]


def test_the_members_rsvp_choice_is_read_with_its_label(window: MainWindow, qtbot: Any) -> None:
    """The event to answer for was read as just its entry ("Wed 2 Dec · General assembly")."""
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # the first member
    combo = tab_to(window, qtbot, window.members_view.rsvp_event.currentText())
    assert combo is window.members_view.rsvp_event
    assert any("RSVP" in text for text in labels_read_with(combo))


def test_after_deleting_an_event_the_one_highlighted_in_its_place_is_shown(window: MainWindow, qtbot: Any,
                                                                           answer_yes: None) -> None:
    """The agenda highlighted the next event but the pane said "No event selected", so Delete,
    Edit… and the door did nothing for it until the person moved away and back."""
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    view = window.events_view
    agenda = QApplication.focusWidget()
    assert agenda is view.list and view.current_id() is not None
    first = view.current_id()
    qtbot.keyClick(agenda, Qt.Key.Key_Delete)
    highlighted = agenda.currentIndex().data(ID_ROLE)
    assert highlighted and highlighted != first
    assert view.current_id() == highlighted and view.detail.title.text() == window.group.events.get(highlighted).title
    qtbot.keyClick(agenda, Qt.Key.Key_Delete)
    assert view.agenda.row_of(highlighted) == -1


def test_ctrl_right_moves_the_chosen_card_to_the_next_column_and_the_keys_follow(window: MainWindow,
                                                                                 qtbot: Any) -> None:
    """Moving a card across the board took a drag with the mouse (or the edit dialog's Status)."""
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    todo, doing = window.tasks_view.columns["todo"], window.tasks_view.columns["doing"]
    qtbot.keyClick(todo.view, Qt.Key.Key_Down)
    task_id = todo.view.currentIndex().data(ID_ROLE)
    qtbot.keyClick(todo.view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert window.group.tasks.get(task_id).status == "doing"
    assert QApplication.focusWidget() is doing.view and doing.view.currentIndex().data(ID_ROLE) == task_id
    assert window.tasks_view.current_id() == task_id
    qtbot.keyClick(doing.view, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert window.group.tasks.get(task_id).status == "todo" and QApplication.focusWidget() is todo.view


def test_the_board_read_in_the_background_marks_a_card_for_the_keys(qtbot: Any, demo: Any, tmp_path: Any) -> None:
    """As the app reads it (on a worker thread), the board's cards came after Ctrl+2 had put the
    keys in the empty column, so no card was marked and the screen showed no focus at all."""
    from organiser.ui.settings import UiSettings

    win = MainWindow(demo, None, settings=UiSettings(tmp_path / "ui"), background=True)
    qtbot.addWidget(win)
    win.show()
    activate(win, qtbot)
    qtbot.keyClick(win, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    todo = win.tasks_view.columns["todo"].view
    assert QApplication.focusWidget() is todo
    qtbot.waitUntil(lambda: todo.model().rowCount() > 0, timeout=5000)
    assert todo.currentIndex().isValid()
    # and chosen, so that Ctrl+Right, Delete and Edit… act on it
    assert win.tasks_view.current_id() == todo.currentIndex().data(ID_ROLE) is not None
    assert win.tasks_view.edit_button.isEnabled()
    win.close()


def highlighted_pixels(view: QAbstractItemView) -> int:
    """How much of the empty list is drawn in the highlight colour (what marks where the keys are)."""
    image = view.grab().toImage()
    mark = view.palette().color(QPalette.ColorRole.Highlight)
    return sum(1 for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
               if image.pixelColor(x, y) == mark)


def test_an_empty_list_with_the_keys_shows_it(group: Group, qtbot: Any, tmp_path: Path) -> None:
    """A new group: Ctrl+2 put the keys on the empty To do column and Tab on the next, and
    nothing on screen changed: the person could not tell where they were."""
    window = MainWindow(group, None, settings=UiSettings(tmp_path / "ui"))
    qtbot.addWidget(window)
    window.show()
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    todo, doing = (window.tasks_view.columns[status].view for status in ("todo", "doing"))
    assert QApplication.focusWidget() is todo and todo.model().rowCount() == 0
    assert highlighted_pixels(todo) > 100 and highlighted_pixels(doing) == 0
    qtbot.keyClick(todo, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is doing
    assert highlighted_pixels(doing) > 100 and highlighted_pixels(todo) == 0


def test_a_new_proposal_has_the_keys_so_the_votes_come_next(meeting: tuple[MainWindow, str], qtbot: Any) -> None:
    """After New proposal… (Alt+P, a title, Return) the keys were back on whatever had them
    before, the agenda or a button under the minutes: the votes were a long Tab away."""
    window, _event = meeting
    view = window.meeting_view

    def put(dialog: Any) -> None:
        qtbot.waitUntil(lambda: dialog.isAncestorOf(QApplication.focusWidget()), timeout=2000)
        qtbot.keyClicks(QApplication.focusWidget(), "Strike in March")
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)

    def new_proposal() -> None:  # Alt+P: the button presses itself a moment later, as it shows pressed
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda: any("Strike in March" in str(view.decisions.proposals.index(row, 0).data())
                                    for row in range(view.decisions.proposals.rowCount())), timeout=3000)

    with_modal(new_proposal, put)
    activate(window, qtbot)  # as the window manager does when the dialog closes
    assert QApplication.focusWidget() is view.decisions.proposal_view
    assert "Strike in March" in view.decisions.proposal_view.currentIndex().data()
    qtbot.keyClick(view.decisions.proposal_view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is view.decisions.voter


def test_the_keyboard_shortcuts_page_lists_the_keys_the_views_take(window: MainWindow, qtbot: Any) -> None:
    """Moving a task card to Done (Ctrl+Right), renaming an agenda item (F2) and the calendar of a
    day field (Alt+Down) were said only in tooltips and a line under the board: Help > Keyboard
    shortcuts, where a person without a mouse looks, left them out."""
    activate(window, qtbot)
    page: list[str] = []

    def read(dialog: Any) -> None:
        page.append(dialog.browser.toPlainText())

    def open_shortcuts() -> None:  # Alt+H, then K: Help > Keyboard shortcuts
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_H, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=2000)
        qtbot.keyClick(QApplication.activePopupWidget(), Qt.Key.Key_K)
        qtbot.waitUntil(lambda: bool(page), timeout=3000)

    with_modal(open_shortcuts, read)
    for keys in ("Ctrl+Right", "Ctrl+Left", "F2", "Alt+Down", "Ctrl+N", "Ctrl+5"):
        assert keys in page[0], keys


def test_down_from_the_member_search_goes_to_the_first_found(window: MainWindow, qtbot: Any) -> None:
    """A name typed in the search, then Down, as in most search boxes: the keys stayed in the box
    and nothing was chosen (only Return, said nowhere on screen, moved on to the table)."""
    window.group.members.add("Wendel Walkin")
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    search = QApplication.focusWidget()
    assert search is window.members_view.search
    qtbot.keyClicks(search, "walkin")
    qtbot.keyClick(search, Qt.Key.Key_Down)
    table = window.members_view.table
    assert QApplication.focusWidget() is table
    assert window.members_view.current_id() is not None
    assert table.currentIndex().siblingAtColumn(0).data() == "Wendel Walkin"


def test_the_card_with_the_keys_is_the_card_chosen(window: MainWindow, qtbot: Any) -> None:
    """Ctrl+2 framed the first To do card, and Ctrl+Right, Delete and Edit… did nothing: they act
    on the chosen card, and the framed one was not chosen until Down or Space."""
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    todo = window.tasks_view.columns["todo"].view
    assert QApplication.focusWidget() is todo
    framed = todo.currentIndex()
    assert framed.isValid()
    task_id = framed.data(ID_ROLE)
    assert window.tasks_view.current_id() == task_id and window.tasks_view.edit_button.isEnabled()
    qtbot.keyClick(todo, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    doing = window.tasks_view.columns["doing"].view
    assert QApplication.focusWidget() is doing and doing.currentIndex().data(ID_ROLE) == task_id
    # the List tab: Tab from its filters onto the table chooses the row it frames
    qtbot.keyClick(doing, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    table = tab_to(window, qtbot, "Task list")
    assert table.currentIndex().isValid()
    assert window.tasks_view.current_id() == table.currentIndex().data(ID_ROLE) is not None
    assert window.tasks_view.delete_button.isEnabled()
