"""m010_meetings on a group written before it: everything stays, meetings work at once."""

from __future__ import annotations

from sqlite_utils import Database

from organiser.services.group import open_group
from organiser.store.datadir import DB_NAME
from organiser.store.schema import migrations


def test_a_group_from_before_m010_opens_and_takes_minutes_and_proposals(group, data_dir):
    event = group.events.add("Assembly", "2026-12-03T19:00").id
    ana = group.members.add("Ana").id
    group.events.checkin(event, ana)
    before = group.replica.state_hash()
    path = group.path
    group.close()
    db = Database(path / DB_NAME)  # the schema as it was before m010: no minutes tables
    db.execute("DROP TABLE minutes_updates")
    db.execute("DROP TABLE minutes")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm010_meetings'")
    db.close()
    assert "m010_meetings" in {m.name for m in migrations._migrations}
    reopened = open_group(data_dir)
    try:
        assert reopened.replica.state_hash() == before  # no minutes yet: the hash is what it was
        reopened.meetings.append_minutes(event, "First minutes after the upgrade.")
        proposal = reopened.proposals.add(event, "Keep meeting here", "consent")
        reopened.proposals.vote(proposal.id, ana, "consent")
        assert reopened.proposals.tally(proposal.id).counts["consent"] == 1
        assert reopened.meetings.minutes_text(event) == "First minutes after the upgrade.\n"
    finally:
        reopened.close()
