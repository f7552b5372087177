"""Tasks: a board with To do / Doing / Done columns (drag a card to move it) and a list with
filters (assignee, due date, event, mine)."""

from __future__ import annotations

import html

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import OrganiserError
from organiser.services import clock
from organiser.services.group import Group
from organiser.services.tasks import STATUSES
from organiser.ui.bridge import Bridge
from organiser.ui.dialogs import show_error
from organiser.ui.editor import RecordDialog
from organiser.ui.loader import BackgroundReader
from organiser.ui.models.live import ID_ROLE
from organiser.ui.models.tasks import (
    DUE_CHOICES,
    STATUS_LABELS,
    TaskCache,
    TaskColumnModel,
    TaskFilterProxy,
    TaskTableModel,
    due_words,
)
from organiser.ui.narrow import ButtonRow, headings_whole
from organiser.ui.new_day import NewDay
from organiser.ui.overrides import guarded
from organiser.ui.row_choice import (
    choose_the_marked_row,
    follow_selection,
    mark_a_row_when_filled,
    open_on_double_click_or_return,
)
from organiser.ui.settings import UiSettings
from organiser.ui.spoken import with_clear_button
from organiser.ui.widgets import EmptyHint, RecordPicker
from organiser.ui.wording import as_typed

EMPTY_COLUMN = {"todo": "Nothing to do yet. Add a task with New task (Ctrl+N).",
                "doing": "Drag a card here when someone starts on it.",
                "done": "Finished tasks land here."}
NO_TASKS = "No tasks yet. Add one with New task (Ctrl+N)."
NO_MATCH = "No task matches these filters. Clear them to see every task."


class CardDelegate(QStyledItemDelegate):
    """A card as wide as its column, whatever its text: the board sizes every card as its first
    (`setUniformItemSizes`), the first is the most overdue, and 'Carmen Mensah · overdue (due
    Mon 5 Jan)' made a column at 150 % scroll sideways with every card's end past its edge. A
    line longer than the column ends in … (the card's tooltip has it whole)."""

    @guarded
    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        return QSize(1, super().sizeHint(option, index).height())


class BoardColumn(QWidget):
    def __init__(self, model: TaskColumnModel, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.heading = QLabel()
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.view = QListView()
        self.view.setModel(model)
        self.view.setAccessibleName(f"{STATUS_LABELS[model.status]} column")
        self.view.setDragEnabled(True)
        self.view.setAcceptDrops(True)
        self.view.setDropIndicatorShown(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setSpacing(3)
        self.view.setItemDelegate(CardDelegate(self.view))
        self.view.setUniformItemSizes(True)  # every card is two lines; 20,000 cards lay out at once
        self.view.setLayoutMode(QListView.LayoutMode.Batched)
        self.view.setAlternatingRowColors(True)
        self.empty = EmptyHint(self.view, empty_text)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.view, 1)
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            signal.connect(self.update_heading)
        self.update_heading()

    def update_heading(self) -> None:
        self.heading.setText(f"{STATUS_LABELS[self.model.status]} ({self.model.rowCount():,})")


class TasksView(QWidget):
    status = Signal(str)

    def __init__(self, group: Group, bridge: Bridge | None, cache: TaskCache, settings: UiSettings,
                 parent: QWidget | None = None, reader: BackgroundReader | None = None) -> None:
        super().__init__(parent)
        self.group, self.bridge, self.cache, self.settings = group, bridge, cache, settings
        self.reader = reader
        cache.ready.connect(self._fill)
        cache.failed.connect(lambda text: show_error(self, "Cannot move the task", text))
        self.columns = {s: BoardColumn(TaskColumnModel(cache, s, self), EMPTY_COLUMN[s]) for s in STATUSES}
        board = QWidget()
        board_layout = QHBoxLayout(board)
        for column in self.columns.values():
            board_layout.addWidget(column, 1)
            open_on_double_click_or_return(column.view, lambda index: self.edit_task(index.data(ID_ROLE)))
            follow_selection(column.view, lambda c=column: self._board_selection(c))
            mark_a_row_when_filled(column.view)
            choose_the_marked_row(column.view)
            for key, step in ((Qt.Key.Key_Right, 1), (Qt.Key.Key_Left, -1)):  # a drag, from the keys
                shortcut = QShortcut(QKeySequence(Qt.KeyboardModifier.ControlModifier | key), column.view)
                shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
                shortcut.activated.connect(lambda s=column.model.status, d=step: self.move_chosen_cards(s, d))

        self.table_model = TaskTableModel(cache, self)
        self.proxy = TaskFilterProxy(self)
        self.proxy.setSourceModel(self.table_model)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Task list")
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        headings_whole(self.table)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for column, width in ((1, 80), (2, 150), (3, 100), (4, 190), (5, 70)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSortIndicator(1, Qt.SortOrder.AscendingOrder)
        open_on_double_click_or_return(self.table, lambda index: self.edit_task(index.data(ID_ROLE)))
        follow_selection(self.table, self.show_selected)
        mark_a_row_when_filled(self.table)
        choose_the_marked_row(self.table)
        self.list_empty = EmptyHint(self.table, NO_TASKS)  # NO_MATCH once a filter is set
        self.new_day = NewDay(self)
        self.new_day.came.connect(self._new_day)
        self.assignee = RecordPicker(group, "member", "name", "anyone")
        self.assignee.setAccessibleName("Filter by assignee")
        self.assignee.textChanged.connect(lambda _t: self.apply_filters())
        self.assignee.picked.connect(lambda _rid: self.apply_filters())
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Filter by status")
        self.status_filter.addItem("status: any", "")
        for state in STATUSES:
            self.status_filter.addItem("status: " + STATUS_LABELS[state], state)
        self.status_filter.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.due = QComboBox()
        self.due.setAccessibleName("Filter by due date")
        for choice in DUE_CHOICES:
            self.due.addItem("due: " + choice, choice)
        self.due.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.event_picker = RecordPicker(group, "event", "title", "any event")
        self.event_picker.setAccessibleName("Filter by event")
        self.event_picker.textChanged.connect(lambda _t: self.apply_filters())
        self.event_picker.picked.connect(lambda _rid: self.apply_filters())
        self.mine = QCheckBox("&Mine")
        self.mine.setAccessibleName("Only my tasks")
        self.mine.toggled.connect(lambda _on: self.apply_filters())
        # A year of tasks: words of the title or description, as they start ("print flyer").
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search titles and descriptions")
        self.search.setAccessibleName("Search tasks")
        with_clear_button(self.search)
        self.search.textChanged.connect(lambda _t: self.apply_filters())
        # The filters go onto more lines where one is too narrow for them (a 1280x800 laptop at
        # 200 %: on one line they held the window at 652 points, wider than the 640 it has).
        filters = ButtonRow(_labelled("Assigned to", self.assignee), self.status_filter, self.due,
                            _labelled("Event", self.event_picker), self.mine)
        list_page = QWidget()
        list_layout = QVBoxLayout(list_page)
        list_layout.addWidget(self.search)
        list_layout.addWidget(filters)
        list_layout.addWidget(self.table, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(board, "&Board")
        self.tabs.addTab(list_page, "&List")
        self.tabs.currentChanged.connect(lambda _i: self._hold_hidden(shown=self.isVisible()))
        self.tabs.currentChanged.connect(lambda _i: self.show_selected())
        self.new_button = QPushButton("&New task")
        self.new_button.clicked.connect(self.new_task)
        self.edit_button = QPushButton("Edi&t…")  # Alt+E opens the Edit menu
        self.edit_button.clicked.connect(lambda: self.edit_task())
        self.delete_button = QPushButton("&Delete")
        self.delete_button.clicked.connect(self.delete_task)
        self.selected_label = QLabel()
        self.selected_label.setAccessibleName("Selected task")
        self.selected_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.selected_label.setWordWrap(True)  # the hint names the keys; wrapped, it does not widen the window
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.selected_label, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        self.loaded = False
        self.show_selected()

    def _board_selection(self, chosen: BoardColumn) -> None:
        """A card picked in one column is the one selected: the other columns let go of theirs."""
        if chosen.view.selectionModel().hasSelection():
            for column in self.columns.values():
                if column is not chosen and column.view.selectionModel().hasSelection():
                    column.view.clearSelection()
        self.show_selected()

    def show_selected(self) -> None:
        """Name the selected task under the board or list, and offer Edit and Delete only then."""
        task_id = self.current_id()
        task = self.cache.tasks.get(task_id) if task_id else None
        self.edit_button.setEnabled(task is not None)
        self.delete_button.setEnabled(task is not None)
        if task is None:
            self.selected_label.setText("Click a task to select it; double-click or Return edits it; "
                                        "Ctrl+Right or Ctrl+Left moves it.")
            return
        who = self.cache.members.get(task.assignee) if task.assignee else None
        bits = [STATUS_LABELS.get(task.status, task.status), f"assigned to {who}" if who else "unassigned",
                due_words(task, clock.today())]
        self.selected_label.setText(f"<b>{html.escape(task.title)}</b> · {html.escape(', '.join(bits))}")

    def ensure_loaded(self) -> None:
        if self.loaded:
            return
        if self.cache.loaded:
            self._fill()
        else:
            self.cache.load(self.reader)

    def _fill(self) -> None:
        if self.loaded:
            return
        self.loaded = True
        for column in self.columns.values():
            column.model.load()
        if self.tabs.currentIndex() == 1:
            self.table_model.load()
        else:  # the list is read when its tab is first opened
            self.table_model.hold()

    def _new_day(self) -> None:
        """Midnight while the app is open: the cards and the list say "due today", "overdue" and
        the red of the new day, and the Due filter picks again."""
        lasts = [(column.model, 0) for column in self.columns.values()]
        for model, last_column in [*lasts, (self.table_model, len(self.table_model.columns) - 1)]:
            rows = model.rowCount(QModelIndex())
            if rows:
                model.dataChanged.emit(model.index(0, 0), model.index(rows - 1, last_column))
        self.proxy.set_filters()
        self.show_selected()

    @guarded
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt name)
        self.new_day.look()  # the day may have changed while another view was shown
        self.ensure_loaded()
        self._hold_hidden(shown=True)
        super().showEvent(event)

    @guarded
    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt name)
        self._hold_hidden(shown=False)
        super().hideEvent(event)

    def _hold_hidden(self, shown: bool) -> None:
        """The board and the list take changes while on screen; hidden, they note them and
        take them all as they are shown again (a peer's sync brings thousands)."""
        on_list = self.tabs.currentIndex() == 1
        if shown and on_list and self.loaded and not self.table_model.loaded:
            self.table_model.load()
        models = [(c.model, shown and not on_list) for c in self.columns.values()]
        for model, visible in [*models, (self.table_model, shown and on_list)]:
            if visible:
                model.release()
            else:
                model.hold()

    def apply_filters(self) -> None:
        """Show the tasks the filter bar asks for; also after "This is me" names someone else."""
        me = self.settings.me(self.group.id)
        if self.mine.isChecked() and not me:
            self.status.emit("Choose who you are under Edit → This is me… to see your tasks.")
        assignee = self.assignee.record_id if self.assignee.text().strip() else None
        event = self.event_picker.record_id if self.event_picker.text().strip() else None
        due = self.due.currentData() or "any"
        state = self.status_filter.currentData() or None
        self.proxy.set_filters(assignee=assignee, event_id=event, due=due, me=me, only_mine=self.mine.isChecked(),
                               task_status=state, text=self.search.text())
        filtered = bool(self.assignee.text().strip() or self.event_picker.text().strip() or due != "any"
                        or state or self.mine.isChecked() or self.search.text().strip())
        self.list_empty.set_hint(NO_MATCH if filtered else NO_TASKS)

    def starting_focus(self) -> QWidget:
        """Where the keys go when the view is opened: the To do column, or the list."""
        return self.columns["todo"].view if self.tabs.currentIndex() == 0 else self.table

    def current_id(self) -> str | None:
        if self.tabs.currentIndex() == 1:
            selected = self.table.selectionModel().selectedRows()
            return selected[0].data(ID_ROLE) if selected else None
        for column in self.columns.values():
            selected = column.view.selectionModel().selectedIndexes()
            if selected:
                return selected[0].data(ID_ROLE)
        return None

    def select(self, task_id: str) -> None:
        if self.tabs.currentIndex() == 1:
            for row in range(self.proxy.rowCount()):
                index = self.proxy.index(row, 0)
                if index.data(ID_ROLE) == task_id:
                    self.table.selectionModel().setCurrentIndex(
                        index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                        | QItemSelectionModel.SelectionFlag.Rows)
                    self.table.scrollTo(index)
            return
        for column in self.columns.values():
            p = column.model.row_of(task_id)
            if p >= 0:
                index = column.model.index(p, 0)
                column.view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
                column.view.scrollTo(index)
            else:
                column.view.clearSelection()

    def new_task(self) -> str | None:
        dialog = RecordDialog(self.group, self.bridge, "task", parent=self)
        if dialog.exec() and dialog.saved_id:
            self.select(dialog.saved_id)
            self.status.emit("Task added.")
            return dialog.saved_id
        return None

    def edit_task(self, task_id: str | None = None) -> None:
        task_id = task_id or self.current_id()
        if not task_id:
            return
        try:
            dialog = RecordDialog(self.group, self.bridge, "task", task_id, parent=self)
        except OrganiserError as exc:
            show_error(self, "Cannot edit this task", exc)
            return
        if dialog.exec():
            self.select(task_id)  # the card may have moved (a new title, another column)
            self.show_selected()

    def delete_task(self) -> None:
        task_id = self.current_id()
        if not task_id:
            return
        task = self.cache.tasks.get(task_id)
        title = task.title if task else "this task"
        question = as_typed(f"Delete the task “{title}” on every laptop of the group? Edit > Deleted items… "
                            "brings it back.")
        if QMessageBox.question(self, "Delete task", question) != QMessageBox.StandardButton.Yes:
            return
        holder = self._view_holding(task_id)
        try:
            self.group.tasks.delete(task_id)
        except OrganiserError as exc:
            show_error(self, "Cannot delete this task", exc)
            return
        self.status.emit(f"Deleted {title}.")
        # The card or row that took its place is chosen, so Delete, Edit… and Return go on from
        # the keys (Qt moves only the current index, which chooses nothing).
        if holder is not None and holder.currentIndex().isValid():
            holder.selectionModel().select(holder.currentIndex(), QItemSelectionModel.SelectionFlag.ClearAndSelect
                                           | QItemSelectionModel.SelectionFlag.Rows)

    def move_chosen_cards(self, status: str, step: int) -> None:
        """Ctrl+Right / Ctrl+Left: the cards chosen in `status`'s column go to the next or the
        previous column, and the keys follow them there."""
        to = STATUSES.index(status) + step
        if not 0 <= to < len(STATUSES):
            return
        ids = [index.data(ID_ROLE) for index in self.columns[status].view.selectionModel().selectedIndexes()]
        if not ids or not self.cache.move(ids, STATUSES[to]):
            return
        self.columns[STATUSES[to]].view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.select(ids[0])
        self.status.emit(f"Moved to {STATUS_LABELS[STATUSES[to]]}.")

    def _view_holding(self, task_id: str) -> QAbstractItemView | None:
        """The list, or the board's column, where the task is chosen."""
        if self.tabs.currentIndex() == 1:
            return self.table
        return next((c.view for c in self.columns.values() if c.model.row_of(task_id) >= 0), None)


def _labelled(words: str, field: QWidget) -> QWidget:
    """A filter field with its label before it, kept together on a line."""
    pair = QWidget()
    row = QHBoxLayout(pair)
    row.setContentsMargins(0, 0, 0, 0)
    label = QLabel(words)
    label.setBuddy(field)
    row.addWidget(label)
    row.addWidget(field, 1)
    return pair
