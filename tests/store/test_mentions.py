"""The index of the records each changeset names (store/mentions.py), against reading every body."""

from __future__ import annotations

from organiser.store import mentions


def _naming_by_reading_every_body(db, record: str) -> set[int]:
    return {row[0] for row in db.execute("SELECT id FROM changes WHERE instr(CAST(body AS TEXT), ?)", [record])}


def test_every_changeset_naming_a_record_is_found_through_the_index(group):
    ana = group.members.add("Ana Okafor").id
    event = group.events.add("Rent strike meeting", "2026-12-03T19:00").id
    group.events.checkin(event, ana, "2026-12-03T19:05")
    task = group.tasks.add("Print leaflets", assignee=ana, event=event).id
    group.members.edit(ana, notes="called")
    for record in (ana, event, task):
        assert set(mentions.changes_naming(group.db, [record])) == _naming_by_reading_every_body(group.db, record)
    assert set(mentions.changes_naming(group.db, [ana, task])) == (
        _naming_by_reading_every_body(group.db, ana) | _naming_by_reading_every_body(group.db, task))


def test_changesets_put_back_through_the_changes_view_are_indexed_too(group):
    """As when a removal is undone: the changesets come back from `withdrawn_changes`."""
    ana = group.members.add("Ana Okafor").id
    group.members.edit(ana, notes="called")
    columns = "author, seq, hlc, prev, hash, body, signature"
    first = min(_naming_by_reading_every_body(group.db, ana))  # not the newest: it comes back under a new id
    kept = group.db.execute(f"SELECT id, {columns} FROM changes WHERE id = ?", [first]).fetchone()
    group.db.execute("DELETE FROM changes WHERE id = ?", [kept[0]])
    last = mentions.last_change(group.db)
    group.db.execute(f"INSERT INTO changes ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)", list(kept[1:]))
    mentions.index_after(group.db, last)
    found = set(mentions.changes_naming(group.db, [ana]))
    # the deleted changeset's key stays (a read for nothing); the one put back is found
    assert found >= _naming_by_reading_every_body(group.db, ana)
    assert last + 1 in found


def test_a_changeset_rewritten_as_a_stub_when_its_member_is_forgotten_is_still_found(group):
    """Forgetting a member rewrites each changeset that wrote them under a new arrival number;
    one that also wrote a task must still be found for the task's history."""
    from organiser.core.records import new_id
    from organiser.store.overwrites import LocalOp

    ana, task = new_id(), new_id()
    group.replica.commit([LocalOp("member", ana, "name", "Ana Okafor"), LocalOp("task", task, "title", "Leaflets"),
                          LocalOp("task", task, "assignee", ana)], fresh=(ana, task))
    before = [(w.field, w.value) for w in group.history.of_record(task)]
    assert ("title", "Leaflets") in before
    group.forgetting.forget(ana)
    assert [(w.field, w.value) for w in group.history.of_record(task)][:len(before)] == [("title", "Leaflets"),
                                                                                      ("assignee", ana)]
    assert set(mentions.changes_naming(group.db, [task])) >= _naming_by_reading_every_body(group.db, task)
