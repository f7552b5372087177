"""Tasks for the board (one list model per status, with drag and drop between them) and
for the filterable list, all fed by one shared cache of the group's tasks."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from organiser.core.bus import RecordsChanged
from organiser.core.errors import OrganiserError
from organiser.services import clock
from organiser.services.group import Group
from organiser.services.tasks import STATUSES, Task
from organiser.store import queries
from organiser.ui.bidi import day_text
from organiser.ui.bridge import changed_rows, vanished
from organiser.ui.colours import error_red
from organiser.ui.models.live import (
    FIRST_CUSTOM_ROLE,
    ID_ROLE,
    ROW_ROLE,
    LiveRows,
    LoadedOnce,
    SourceSortProxy,
    TableColumns,
)
from organiser.ui.models.name_order import name_order
from organiser.ui.models.names import NameLookup
from organiser.ui.models.typeahead import TYPE_AHEAD, type_ahead
from organiser.ui.overrides import guarded
from organiser.ui.wording import as_typed

Index = QModelIndex | QPersistentModelIndex
TASK_MIME = "application/x-organiser-task-ids"
STATUS_LABELS = {"todo": "To do", "doing": "Doing", "done": "Done"}
STATUS_ROLE = FIRST_CUSTOM_ROLE
ASSIGNEE_ROLE = FIRST_CUSTOM_ROLE + 1
DUE_ROLE = FIRST_CUSTOM_ROLE + 2
EVENT_ROLE = FIRST_CUSTOM_ROLE + 3


def read_tasks(db: Any) -> dict[str, Task]:
    return {rid: Task.from_values(rid, v) for _r, rid, v in queries.visible_rows(db, "task")}




def is_overdue(task: Task, today: date) -> bool:
    return bool(task.due) and task.due < today.isoformat() and task.status != "done"


def due_words(task: Task, today: date) -> str:
    """When the task is due, as people say it: "due today", "due tomorrow", "due Thu 3 Dec"
    ("… 2027" in another year), "overdue (due Sun 29 Nov)" while not done, "no due date"."""
    if not task.due:
        return "no due date"
    try:
        day = date.fromisoformat(task.due)
    except ValueError:  # stored before dates were checked; shown as it is
        return f"due {task.due}"
    if day == today:
        return "due today"
    if day == today + timedelta(days=1):
        return "due tomorrow"
    shown = day_text(day, "%a %-d %b" if day.year == today.year else "%a %-d %b %Y")
    return f"overdue (due {shown})" if is_overdue(task, today) else f"due {shown}"


def board_key(task: Task) -> tuple[Any, ...]:
    return (task.due or "9999", -task.priority, task.title.casefold(), task.id)


def done_key(task: Task) -> tuple[Any, ...]:
    """The Done column: the latest due first (a year on, what was finished this week is on top,
    not under 2,500 cards from last winter); tasks without a date after every dated one."""
    try:
        day = date.fromisoformat(task.due).toordinal() if task.due else None
    except ValueError:  # stored values are checked dates; a bad one sorts as no date, never breaks the board
        day = None
    return (day is None, -(day or 0), -task.priority, task.title.casefold(), task.id)


class TaskCache(LoadedOnce, QObject):
    """Every visible task, read once; `changed` carries {id: Task or None} per update."""

    changed = Signal(object)
    failed = Signal(str)
    ready = Signal()
    missed_kinds = frozenset({"task"})
    read_all = staticmethod(read_tasks)

    def __init__(self, group: Group, parent: QObject | None = None) -> None:
        QObject.__init__(self, parent)
        self.group = group
        self.tasks: dict[str, Task] = {}
        self.members = NameLookup(group, "name")
        self.events = NameLookup(group, "title")
        self._init_loading()

    def _take(self, tasks: dict[str, Task]) -> None:
        self.tasks = tasks

    def on_records_changed(self, event: RecordsChanged) -> None:
        shown = self.members.on_records_changed(event) | self.events.on_records_changed(event)
        if not event.kinds & {"task", "member", "event"}:
            return
        if self.loading:
            self._missed |= event.ids
        found = changed_rows(self.group.db, event)
        changed = self._take_changed_tasks(found)
        for rid in vanished(event, found) & self.tasks.keys():
            del self.tasks[rid]
            changed[rid] = None
        if shown and self.loaded:  # a name on show changed: repaint the tasks showing it
            changed.update({t.id: t for t in self.tasks.values()
                            if t.id not in changed and (t.assignee in shown or t.event in shown)})
        if changed:
            self.changed.emit(changed)

    def _take_changed_tasks(self, found: Mapping[str, queries.StoredRow]) -> dict[str, Task | None]:
        """The tasks among the changed rows, None for a deleted one; kept in `tasks` once loaded."""
        changed: dict[str, Task | None] = {}
        for rid, (_rowid, kind, values, deleted) in found.items():
            if kind != "task":
                continue
            if deleted:
                self.tasks.pop(rid, None)
                changed[rid] = None
                continue
            task = changed[rid] = Task.from_values(rid, values)
            if self.loaded:  # before loading, only models showing a few tasks listen
                self.tasks[rid] = task
        return changed

    def move(self, ids: Sequence[str], status: str) -> bool:
        """Move tasks to a column; a refusal becomes one sentence on `failed`."""
        try:
            for task_id in ids:
                if task_id in self.tasks and self.tasks[task_id].status != status:
                    self.group.tasks.move(task_id, status)
        except OrganiserError as exc:
            self.failed.emit(str(exc))
            return False
        return True


def _tooltip(cache: TaskCache, task: Task) -> str:
    parts = [task.title]
    if task.assignee:
        parts.append(f"Assigned to {cache.members.get(task.assignee)}")
    if task.due:
        words = due_words(task, clock.today())
        parts.append(words[0].upper() + words[1:])
    if task.event:
        parts.append(f"For {cache.events.get(task.event)}")
    return "\n".join(parts)


class HeldWhileHidden:
    """For a model fed by the TaskCache: `hold()` while its view is hidden notes the changes
    (the latest per task) instead of applying them; `release()` applies them all at once."""

    def _init_held(self) -> None:
        self._holding = False
        self._held: dict[str, Task | None] = {}

    def hold(self) -> None:
        self._holding = True

    def release(self) -> None:
        self._holding = False
        if self._held:
            changed, self._held = self._held, {}
            self._apply_changed(changed)

    def _on_changed(self, changed: dict[str, Task | None]) -> None:
        if self._holding:
            self._held.update(changed)
            return
        self._apply_changed(changed)

    def _apply_changed(self, changed: dict[str, Task | None]) -> None:
        raise NotImplementedError


class TaskColumnModel(HeldWhileHidden, LiveRows[Task], QAbstractListModel):
    """One column of the board. Dropping task ids on it moves them to its status."""

    def __init__(self, cache: TaskCache, status: str, parent: Any = None) -> None:
        QAbstractListModel.__init__(self, parent)
        self._init_rows(lambda t: t.id, done_key if status == "done" else board_key)
        self.cache = cache
        self.status = status
        self._init_held()
        cache.changed.connect(self._on_changed)

    def load(self) -> None:
        self.cache.load()  # at once, unless a view already had it read in the background
        self._held.clear()  # what was held is in the cache now
        self.replace_rows(t for t in self.cache.tasks.values() if t.status == self.status)

    def _apply_changed(self, changed: dict[str, Task | None]) -> None:
        if not self.cache.loaded:
            return
        self.apply_rows({rid: (t if t is not None and t.status == self.status else None)
                         for rid, t in changed.items()})

    @guarded(fallback=0)
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    @guarded
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        task = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            who = self.cache.members.get(task.assignee) or "unassigned"
            return f"{task.title}\n{who} · {due_words(task, clock.today())}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return as_typed(_tooltip(self.cache, task))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return _tooltip(self.cache, task).replace("\n", ", ")
        return _task_role(self.cache, task, role)

    @guarded
    def roleNames(self) -> dict[int, bytes]:
        return _role_names(super().roleNames())

    def title_at(self, row: int, _column: int) -> str:
        return self.rows[row].title

    @guarded
    def match(self, start: Any, role: int, value: Any, hits: int = 1,
              flags: Qt.MatchFlag = TYPE_AHEAD) -> list[QModelIndex]:  # a view's type-ahead
        found = type_ahead(self, start, role, value, hits, flags, self.title_at)
        return super().match(start, role, value, hits, flags) if found is None else found

    @guarded
    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)

    @guarded
    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    @guarded
    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    @guarded
    def mimeTypes(self) -> list[str]:
        return [TASK_MIME]

    @guarded
    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        ids = list(dict.fromkeys(self.rows[i.row()].id for i in indexes if i.isValid()))
        mime = QMimeData()
        mime.setData(TASK_MIME, "\n".join(ids).encode())
        return mime

    @guarded
    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: Index) -> bool:
        return data.hasFormat(TASK_MIME)

    @guarded
    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: Index) -> bool:
        if action == Qt.DropAction.IgnoreAction:
            return True
        if not data.hasFormat(TASK_MIME):
            return False
        ids = [i for i in bytes(data.data(TASK_MIME).data()).decode().split("\n") if i]
        # The rows move through the live update that the write causes; the source model has
        # no removeRows, so the dragging view leaves its own rows to that update.
        return self.cache.move(ids, self.status)


def _task_role(cache: TaskCache, task: Task, role: int) -> Any:
    if role == Qt.ItemDataRole.ForegroundRole:
        return QColor(error_red()) if is_overdue(task, clock.today()) else None
    if role == ID_ROLE:
        return task.id
    if role == ROW_ROLE:
        return task
    if role == STATUS_ROLE:
        return task.status
    if role == ASSIGNEE_ROLE:
        return task.assignee
    if role == DUE_ROLE:
        return task.due
    if role == EVENT_ROLE:
        return task.event
    return None


def _role_names(base: dict[int, Any]) -> dict[int, bytes]:
    names = dict(base)
    names.update({ID_ROLE: b"taskId", ROW_ROLE: b"task", STATUS_ROLE: b"status", ASSIGNEE_ROLE: b"assignee",
                  DUE_ROLE: b"due", EVENT_ROLE: b"event"})
    return names


TASK_COLUMNS = ("Title", "Status", "Assigned to", "Due", "Event", "Priority")


class TaskTableModel(HeldWhileHidden, LiveRows[Task], TableColumns):
    """Every task, for the list view; the filter proxy narrows it down."""

    columns = tuple(TASK_COLUMNS)
    def __init__(self, cache: TaskCache, parent: Any = None, *, event: str | None = None) -> None:
        QAbstractTableModel.__init__(self, parent)
        self._init_rows(lambda t: t.id, lambda t: (STATUSES.index(t.status), *board_key(t)))
        self.cache = cache
        self.event_id = event
        self.loaded = False
        self._init_held()
        cache.changed.connect(self._on_changed)

    def _wanted(self, task: Task | None) -> Task | None:
        return task if task is not None and (self.event_id is None or task.event == self.event_id) else None

    def load(self) -> None:
        self.loaded = True
        if self.event_id is not None:  # one event's tasks: ask the store, not the whole cache
            rows = queries.list_records(self.cache.group.db, "task", link1=self.event_id) if self.event_id else []
            self.replace_rows(Task.from_values(rid, v) for rid, v in rows)
            return
        self.cache.load()
        self._held.clear()
        self.replace_rows(t for t in self.cache.tasks.values() if self._wanted(t))

    def set_event(self, event: str | None) -> None:
        self.event_id = event
        self.load()

    def _apply_changed(self, changed: dict[str, Task | None]) -> None:
        if self.event_id is None and not (self.cache.loaded and self.loaded):
            return
        self.apply_rows({rid: self._wanted(t) for rid, t in changed.items()})

    @guarded
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        task = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell_text(index.row(), index.column()) if 0 <= index.column() < len(TASK_COLUMNS) else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return as_typed(_tooltip(self.cache, task))
        return _task_role(self.cache, task, role)

    @guarded
    def roleNames(self) -> dict[int, bytes]:
        return _role_names(super().roleNames())

    def cell_text(self, row: int, column: int) -> str:
        task = self.rows[row]
        if column == 0:
            return task.title
        return (task.title, STATUS_LABELS.get(task.status, task.status), self.cache.members.get(task.assignee),
                task.due or "", self.cache.events.get(task.event), str(task.priority or ""))[column] \
            if 0 <= column < len(TASK_COLUMNS) else ""

    @guarded
    def match(self, start: Any, role: int, value: Any, hits: int = 1,
              flags: Qt.MatchFlag = TYPE_AHEAD) -> list[QModelIndex]:  # a view's type-ahead
        found = type_ahead(self, start, role, value, hits, flags, self.cell_text)
        return super().match(start, role, value, hits, flags) if found is None else found

    @guarded
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        keys = (lambda t: (t.title.casefold(), t.id),
                lambda t: (STATUSES.index(t.status), *board_key(t)),
                lambda t: (name_order(self.cache.members.get(t.assignee)), *board_key(t)),
                lambda t: board_key(t),
                lambda t: (self.cache.events.get(t.event).casefold(), *board_key(t)),
                lambda t: (-t.priority, *board_key(t)))
        if 0 <= column < len(keys):
            self.set_sort_key(keys[column], reverse=order == Qt.SortOrder.DescendingOrder)


DUE_CHOICES = ("any", "overdue", "this week", "no date")


FILTER_FIELDS = frozenset({"assignee", "event_id", "due", "me", "only_mine", "task_status", "text", "today"})


def _due_this_week(task: Task, today: date) -> bool:
    return bool(task.due) and today.isoformat() <= task.due <= (today + timedelta(days=7)).isoformat()


def _no_date(task: Task, _today: date) -> bool:
    return not task.due


# The Due filter's choices (any other shows every task).
_DUE_TESTS: dict[str, Callable[[Task, date], bool]] = {
    "overdue": is_overdue, "this week": _due_this_week, "no date": _no_date}


def says_every_word(text: str, typed: str) -> bool:
    """Whether every word typed starts a word of `text`, case aside ("print flyer" finds
    "Print 200 flyers"), as the full-text search of the members matches."""
    words = re.findall(r"\w+", text.casefold())
    return all(any(word.startswith(part) for word in words) for part in re.findall(r"\w+", typed.casefold()))


class TaskFilterProxy(SourceSortProxy):
    """Filters for the task list: assignee, status, due date, linked event, and "mine"."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.assignee: str | None = None
        self.event_id: str | None = None
        self.task_status: str | None = None  # "todo", "doing", "done", or any
        self.due = "any"
        self.me: str | None = None
        self.only_mine = False
        self.text = ""
        self.today: date | None = None  # None: the laptop's today when the filter runs (past midnight too)

    def set_filters(self, **values: Any) -> None:
        self.beginFilterChange()
        for name, value in values.items():
            if name not in FILTER_FIELDS:
                raise TypeError(f"no task filter called {name!r}")
            setattr(self, name, value)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    @guarded
    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, TaskTableModel) or source_row >= len(model.rows):
            return False
        task = model.rows[source_row]
        if not self._whose_and_which_event(task):
            return False
        if self.task_status and task.status != self.task_status:
            return False
        if self.text.strip() and not says_every_word(f"{task.title} {task.description}", self.text):
            return False
        due_test = _DUE_TESTS.get(self.due)
        return due_test is None or due_test(task, self.today or clock.today())

    @guarded
    def match(self, start: Any, role: int, value: Any, hits: int = 1,
              flags: Qt.MatchFlag = TYPE_AHEAD) -> list[QModelIndex]:  # a view's type-ahead
        """Searched in the source's rows, which are in the list's order (the source sorts
        itself), skipping those filtered out: one Qt call a row was most of the time."""
        model = self.sourceModel()
        if isinstance(model, TaskTableModel) and start.isValid():
            def shown_text(row: int, column: int) -> str:
                return model.cell_text(row, column) if self.filterAcceptsRow(row, QModelIndex()) else ""

            found = type_ahead(model, self.mapToSource(self.index(start.row(), start.column())), role, value,
                               hits, flags, shown_text)
            if found is not None:
                return [self.mapFromSource(index) for index in found]
        return super().match(start, role, value, hits, flags)

    def _whose_and_which_event(self, task: Task) -> bool:
        """The Mine, Assignee and Event filters."""
        if self.only_mine and (not self.me or task.assignee != self.me):
            return False
        if self.assignee and task.assignee != self.assignee:
            return False
        return not self.event_id or task.event == self.event_id
