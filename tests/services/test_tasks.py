"""Tasks: status, assignee, due date, priority and linked event."""

from __future__ import annotations

import pytest

from organiser.core.errors import ValidationError


def test_a_task_keeps_every_field_given(group):
    ana = group.members.add("Ana")
    event = group.events.add("Assembly", "2026-12-03T19:00")
    task = group.tasks.add("Posters", description="A3, 50 copies", status="doing", assignee=ana.id,
                           due="2026-12-01", priority="2", event=event.id)
    again = group.tasks.get(task.id)
    assert again == task
    assert (again.title, again.description, again.status) == ("Posters", "A3, 50 copies", "doing")
    assert (again.assignee, again.due, again.priority, again.event) == (ana.id, "2026-12-01", 2, event.id)


def test_a_new_task_is_todo_with_priority_zero(group):
    task = group.tasks.add("Posters")
    assert (task.status, task.priority, task.assignee, task.event) == ("todo", 0, None, None)


def test_tasks_are_listed_by_assignee_event_and_status(group):
    ana, bruno = group.members.add("Ana"), group.members.add("Bruno")
    event = group.events.add("Assembly", "2026-12-03T19:00")
    posters = group.tasks.add("Posters", assignee=ana.id, event=event.id)
    chairs = group.tasks.add("Chairs", assignee=bruno.id, status="done")
    assert [t.id for t in group.tasks.list(assignee=ana.id)] == [posters.id]
    assert [t.id for t in group.tasks.list(event=event.id)] == [posters.id]
    assert [t.id for t in group.tasks.list(status="done")] == [chairs.id]
    assert [t.id for t in group.tasks.list("chair")] == [chairs.id]


def test_reassigning_a_task_moves_it_between_members(group):
    ana, bruno = group.members.add("Ana"), group.members.add("Bruno")
    task = group.tasks.add("Posters", assignee=ana.id)
    group.tasks.edit(task.id, assignee=bruno.id)
    assert group.tasks.list(assignee=ana.id) == []
    assert [t.id for t in group.tasks.list(assignee=bruno.id)] == [task.id]


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"assignee": "f" * 32}, "assignee", "there is no member"),
    ({"event": "f" * 32}, "event", "there is no event"),
    ({"status": "blocked"}, "status", "is not one of todo, doing, done"),
    ({"due": "soon"}, "due", "is not a date"),
])
def test_an_invalid_task_writes_nothing(group, fields, field, words):
    before = group.replica.last_change_id(), group.replica.state_hash()
    with pytest.raises(ValidationError) as caught:
        group.tasks.add("Posters", **fields)
    assert caught.value.field == field
    assert words in caught.value.message
    assert (group.replica.last_change_id(), group.replica.state_hash()) == before


def test_a_deleted_member_cannot_be_assigned(group):
    ana = group.members.add("Ana")
    group.members.delete(ana.id)
    with pytest.raises(ValidationError, match="there is no member"):
        group.tasks.add("Posters", assignee=ana.id)
