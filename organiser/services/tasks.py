"""Tasks: action items with a status, an assignee, a due date and a linked event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from organiser.core.records import require_complete
from organiser.services.base import RecordService
from organiser.store import queries

STATUSES = ("todo", "doing", "done")


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    description: str = ""
    status: str = "todo"
    assignee: str | None = None
    due: str | None = None
    priority: int = 0
    event: str | None = None
    agenda_item: str | None = None  # the meeting's agenda item it came from

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_values(cls, task_id: str, v: Mapping[str, Any]) -> Task:
        return cls(id=task_id, title=v.get("title") or "", description=v.get("description") or "",
                   status=v.get("status") or "todo", assignee=v.get("assignee"), due=v.get("due"),
                   priority=v.get("priority") or 0, event=v.get("event"), agenda_item=v.get("agenda_item"))


class Tasks(RecordService):
    """The group's tasks and action items.

    Fields a task takes (`add` and `edit`, by keyword): `title` (text, required),
    `description`, `status` ("todo", "doing" or "done"), `assignee` (a member's id), `due`
    (ISO date), `priority` (a whole number, higher first), `event` (an event's id),
    `agenda_item` (the agenda item of the meeting it came from).
    A bad value or an id that names no record raises `ValidationError` naming the field;
    an unknown task id, `NotFoundError`.
    """

    kind = "task"

    def add(self, title: str, **fields: Any) -> Task:
        """Add a task and return it. `fields`: any of the task fields above."""
        record_id, ops = self._create_ops({"title": title, **fields})
        self.replica.commit(ops, fresh=(record_id,))
        return Task.from_values(record_id, {op.field: op.value for op in ops})

    def edit(self, task_id: str, **fields: Any) -> Task:
        """Change the given fields of a task (only those that differ are written); returns it."""
        ops = self.build_edit(task_id, fields)
        if ops:
            self.replica.commit(ops)
        return self.get(task_id)

    def move(self, task_id: str, status: str) -> Task:
        """Move a task to a column of the board: "todo", "doing" or "done"."""
        return self.edit(task_id, status=status)

    def get(self, task_id: str) -> Task:
        """The task with this id; `NotFoundError` if there is none (or it was deleted)."""
        return Task.from_values(task_id, require_complete("task", task_id, self._current(task_id)))

    def list(self, search: str | None = None, *, status: str | None = None,
             assignee: str | None = None, event: str | None = None,
             due_before: str | None = None) -> list[Task]:
        """Tasks by column, due date and priority, or best match first for a `search`; only
        those with the given `status`, `assignee` (member id), `event` (event id), or due on
        or before `due_before` (ISO date) when given."""
        rows = queries.list_records(self.db, "task", search=search or None,
                                    link1=event, link2=assignee)
        tasks = [t for t in (Task.from_values(rid, v) for rid, v in rows) if _wanted(t, status, due_before)]
        if not search:
            tasks.sort(key=_board_order)
        return tasks


def _wanted(task: Task, status: str | None, due_before: str | None) -> bool:
    if status and task.status != status:
        return False
    return not due_before or bool(task.due and task.due <= due_before)


def _board_order(task: Task) -> tuple[int, str, int, str]:
    """By column, then due date (undated last), then priority (highest first), then title."""
    return STATUSES.index(task.status), task.due or "9999", -task.priority, task.title.casefold()
