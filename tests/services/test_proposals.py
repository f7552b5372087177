"""Decisions: one vote per member, quorum from who is checked in, shows of hands, closing."""

from __future__ import annotations

import pytest

from organiser.core.errors import ValidationError
from tests.conftest import sync_pair


@pytest.fixture
def assembly(group):
    event = group.events.add("Assembly", "2026-12-03T19:00").id
    people = {name: group.members.add(name, roles=["Delegate"] if name in ("Ana", "Bo") else []).id
              for name in ("Ana", "Bo", "Chi", "Dee")}
    return group, event, people


def test_a_vote_counts_once_per_member_and_can_change_until_closed(assembly):
    group, event, people = assembly
    group.events.checkin(event, people["Ana"])
    group.events.checkin(event, people["Bo"])
    proposal = group.proposals.add(event, "Rent strike in March", "vote", options=["yes", "no"])
    group.proposals.vote(proposal.id, people["Ana"], "yes")
    group.proposals.vote(proposal.id, people["Ana"], "no")
    group.proposals.vote(proposal.id, people["Bo"], "no")
    assert group.proposals.tally(proposal.id).counts == {"yes": 0, "no": 2}
    group.proposals.close(proposal.id, "No strike in March")
    with pytest.raises(ValidationError, match="closed"):
        group.proposals.vote(proposal.id, people["Ana"], "yes")
    shown = group.proposals.show(proposal.id)
    assert shown["tally"] == {"yes": 0, "no": 2} and shown["outcome"] == "No strike in March"
    assert shown["status"] == "closed" and shown["quorum_met"] is True


def test_two_laptops_recording_one_persons_vote_at_once_converge_on_one_vote(two_devices):
    a, b = two_devices
    event = a.events.add("Assembly", "2026-12-03T19:00").id
    ana = a.members.add("Ana").id
    a.events.checkin(event, ana)
    proposal = a.proposals.add(event, "Buy a projector", "consensus").id
    sync_pair(a, b)
    a.proposals.vote(proposal, ana, "agree")  # two laptops, one person, at the same moment
    b.proposals.vote(proposal, ana, "block")
    sync_pair(a, b)
    tally_a, tally_b = a.proposals.tally(proposal), b.proposals.tally(proposal)
    assert tally_a == tally_b
    assert sum(tally_a.counts.values()) == 1
    assert a.replica.state_hash() == b.replica.state_hash()
    losing = [c for c in a.conflicts() if c["kind"] == "vote"]
    assert len(losing) == 1  # the other answer is kept, restorable


def test_quorum_follows_check_ins(assembly):
    group, event, people = assembly
    proposal = group.proposals.add(event, "Adopt the budget", "consent", quorum="3")
    assert group.proposals.tally(proposal.id).quorum_met is False
    for name in ("Ana", "Bo", "Chi"):
        group.events.checkin(event, people[name])
    tally = group.proposals.tally(proposal.id)
    assert (tally.present, tally.eligible, tally.quorum_met) == (3, 3, True)
    group.events.undo_checkin(event, people["Chi"])
    assert group.proposals.tally(proposal.id).quorum_met is False


def test_a_share_quorum_counts_the_role_pool_and_only_that_role_votes(assembly):
    group, event, people = assembly
    proposal = group.proposals.add(event, "Delegates' choice", "vote", options=["A", "B"], quorum="100%",
                                   voters="role:delegate")
    group.events.checkin(event, people["Ana"])
    group.events.checkin(event, people["Chi"])
    tally = group.proposals.tally(proposal.id)
    assert (tally.present, tally.quorum_needed, tally.quorum_met, tally.eligible) == (1, 2, False, 1)
    with pytest.raises(ValidationError, match="may not vote"):
        group.proposals.vote(proposal.id, people["Chi"], "A")
    group.events.checkin(event, people["Bo"])
    assert group.proposals.tally(proposal.id).quorum_met is True


def test_a_vote_by_someone_who_left_the_room_stops_counting(assembly):
    group, event, people = assembly
    group.events.checkin(event, people["Dee"])
    proposal = group.proposals.add(event, "Paint the hall", "consent")
    group.proposals.vote(proposal.id, people["Dee"], "objection")
    assert group.proposals.tally(proposal.id).blocks == ["Dee"]
    group.events.undo_checkin(event, people["Dee"])
    assert group.proposals.tally(proposal.id).counts == {"consent": 0, "objection": 0}


def test_a_show_of_hands_adds_counts_and_named_blocks_and_closing_keeps_them(assembly):
    group, event, people = assembly
    group.events.checkin(event, people["Ana"])
    proposal = group.proposals.add(event, "Move to Thursdays", "hands", options=["yes", "no"], quorum="1")
    group.proposals.count(proposal.id, "yes", 23)
    group.proposals.count(proposal.id, "no", 4)
    group.proposals.count(proposal.id, "no", 5)  # counted again: the new count replaces the old
    group.proposals.vote(proposal.id, people["Bo"], "block")
    group.proposals.vote(proposal.id, people["Chi"], "stand aside")
    closed = group.proposals.close(proposal.id, "Blocked by Bo; we meet on Wednesdays")
    shown = group.proposals.show(closed.id)
    assert shown["tally"] == {"yes": 23, "no": 5, "block": 1, "stand aside": 1}
    assert shown["blocks"] == ["Bo"] and shown["stand_asides"] == ["Chi"] and shown["quorum_met"] is True
    group.events.checkin(event, people["Dee"])  # after closing, the recorded result stands
    assert group.proposals.show(closed.id)["present"] == 1


@pytest.mark.parametrize("kwargs, field", [
    ({"method": "vote", "options": ["only one"]}, "options"),
    ({"method": "ballot"}, "method"),
    ({"method": "hands"}, "options"),
    ({"method": "consent", "quorum": "half"}, "quorum"),
    ({"method": "consent", "quorum": "150%"}, "quorum"),
    ({"method": "consent", "voters": "friends"}, "voters"),
    ({"method": "consent", "voters": "role:"}, "voters"),
    ({"method": "consensus", "options": ["x", "y"]}, "options"),
])
def test_a_refused_proposal_names_the_field_and_writes_nothing(assembly, kwargs, field):
    group, event, _people = assembly
    before = group.replica.state_hash()
    with pytest.raises(ValidationError) as refused:
        group.proposals.add(event, "Something", **kwargs)
    assert refused.value.field == field
    assert group.replica.state_hash() == before


def test_a_proposal_closed_too_early_reopens_with_its_outcome_cleared_on_every_laptop(two_devices):
    a, b = two_devices
    event = a.events.add("Assembly", "2026-12-03T19:00").id
    ana = a.members.add("Ana").id
    a.events.checkin(event, ana)
    proposal = a.proposals.add(event, "Rent strike in March", "vote", options=["yes", "no"])
    a.proposals.close(proposal.id, "No strike")
    with pytest.raises(ValidationError, match="open already"):
        a.proposals.reopen(a.proposals.add(event, "Another", "consent").id)
    reopened = a.proposals.reopen(proposal.id)
    assert (reopened.status, reopened.outcome) == ("open", "")
    a.proposals.vote(proposal.id, ana, "yes")
    sync_pair(a, b)
    shown = b.proposals.show(proposal.id)
    assert shown["status"] == "open" and shown["outcome"] == "" and shown["tally"] == {"yes": 1, "no": 0}


def test_the_assembly_is_found_by_the_words_of_a_decision_it_took(assembly):
    """A year on, every assembly is 'General assembly': the secretary searches what was decided."""
    group, event, _people = assembly
    proposal = group.proposals.add(event, "Fund", "consent")
    group.proposals.close(proposal.id, "Start a hardship fund for tenants facing eviction")
    assert [e.id for e in group.events.list("hardship eviction")] == [event]


def test_m026_makes_outcomes_closed_before_it_searchable(assembly, data_dir):
    from sqlite_utils import Database

    from organiser.services.group import open_group
    from organiser.store.datadir import DB_NAME
    from organiser.store.schema import migrations
    from tests.store.test_search_index import fts_is_sound

    group, event, _people = assembly
    proposal = group.proposals.add(event, "Fund", "consent")
    group.proposals.close(proposal.id, "Start a hardship fund")
    group.events.list("fund")  # the index holds the text as written then
    path = group.path
    group.close()
    db = Database(path / DB_NAME)  # as before m026: the outcome not in the searchable text
    db.execute("UPDATE records SET search = 'Fund' WHERE id = ?", [proposal.id])
    db.execute("INSERT INTO records_fts (records_fts) VALUES ('rebuild')")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm026_proposal_outcomes_searched'")
    db.conn.commit()
    assert {m.name for m in migrations.pending(db)} == {"m026_proposal_outcomes_searched"}
    db.close()
    reopened = open_group(data_dir)  # runs m026
    try:
        assert [e.id for e in reopened.events.list("hardship")] == [event]
        fts_is_sound(reopened.db)
    finally:
        reopened.close()
