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
    everything = {row[0] for row in group.db.execute("SELECT id FROM changes")}
    assert set(mentions.changes_naming(group.db, [task])) == everything  # nothing indexed yet: all are read
    mentions.catch_up(group.db)
    for record in (ana, event, task):
        assert set(mentions.changes_naming(group.db, [record])) == _naming_by_reading_every_body(group.db, record)
    assert set(mentions.changes_naming(group.db, [ana, task])) == (
        _naming_by_reading_every_body(group.db, ana) | _naming_by_reading_every_body(group.db, task))
    later = group.tasks.add("Book the hall", event=event).id  # stored after the catch-up: read until the next
    assert set(mentions.changes_naming(group.db, [later])) == _naming_by_reading_every_body(group.db, later)


def test_a_changeset_stored_again_after_deletes_is_indexed_under_a_new_id(group):
    """As when a removal is undone, or a forgotten member's changeset is rewritten: changesets
    deleted from the top of the log, and one stored again. SQLite took the largest id + 1, an id a
    deleted one had, until m028; ids now only grow, and the one stored again is indexed under its own."""
    ana = group.members.add("Ana Okafor").id
    group.members.edit(ana, notes="called")
    bo = group.members.add("Bo Lindqvist").id
    mentions.catch_up(group.db)
    columns = "author, seq, hlc, prev, hash, body, signature"
    ana_newest = max(_naming_by_reading_every_body(group.db, ana))
    bo_made = max(_naming_by_reading_every_body(group.db, bo))
    bo_row = group.db.execute(f"SELECT {columns} FROM changes WHERE id = ?", [bo_made]).fetchone()
    with group.db.atomic():
        group.db.execute("DELETE FROM changes WHERE id IN (?, ?)", [ana_newest, bo_made])
        group.db.execute(f"INSERT INTO changes ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)", list(bo_row))
    (stored_again,) = _naming_by_reading_every_body(group.db, bo)
    assert stored_again > bo_made > ana_newest  # no id given again
    mentions.catch_up(group.db)
    assert stored_again in mentions.changes_naming(group.db, [bo])


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
