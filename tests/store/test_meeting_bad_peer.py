"""A meeting's records as a member device acting in bad faith (or a third device whose change
arrives before the one creating the record) sends them: the changesets are signed with a real
device key (tests/bad_peer.py) and applied on another real replica, whose services and CLI
must refuse what is malformed and show the rest, never raise."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from organiser.core.changeset import Op
from organiser.core.errors import ValidationError
from organiser.core.meeting_rules import check_minutes_update
from organiser.core.minutes import MinutesDoc, decode_state, edit_update
from organiser.core.records import MEETING, identity_id
from organiser.services.group import Group
from organiser.services.meetings import AgendaItem, MeetingState
from organiser.store import minutes as minutes_store
from tests.bad_peer import BadPeer
from tests.cli_in_process import clean_env, cli_in_process
from tests.conftest import sync_pair

ROOT = Path(__file__).resolve().parents[2]


def _cli_ok(group: Group, *args: str) -> str:
    """The command in a real process: what a person at a terminal runs."""
    data_dir = group.path.parents[1]
    done = subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env=clean_env(data_dir))
    assert done.returncode == 0 and "Traceback" not in done.stderr, (args, done.stderr)
    return done.stdout


def _cli_in_process(group: Group, *args: str) -> str:
    """The same through the CLI's entry point in this process (one test runs them as real processes too)."""
    code, out, err = cli_in_process(group.path.parents[1], *args)
    assert code == 0, (args, err)
    return out


def _every_meeting_reader_works(group: Group, event: str, cli: Callable[..., str] = _cli_in_process) -> None:
    """What the room reads: the services behind the views, and the CLI."""
    meetings, proposals = group.meetings, group.proposals
    state = meetings.state(event)
    for item in meetings.items(event):
        state.seconds_used(item)
    for proposal in proposals.list(event):
        proposals.tally(proposal.id)
        shown = json.loads(cli(group, "proposal", "show", proposal.id, "--json"))
        assert isinstance(shown["tally"], dict)
    meetings.attendees(event)
    cli(group, "agenda", "list", event)
    cli(group, "agenda", "list", event, "--json")
    cli(group, "minutes", "show", event)
    assert "## Minutes" in cli(group, "minutes", "export", event, "--format", "md")


@pytest.fixture
def meeting(two_devices: tuple[Group, Group]) -> tuple[Group, Group, str]:
    a, b = two_devices
    event = a.events.add("General assembly", "2026-12-03T19:00").id
    sync_pair(a, b)
    return a, b, event


def _minutes_op(event: str, deps: str, update: str) -> list[Op]:
    return [Op("minutes", event, "update", {"deps": deps, "update": update})]


# ---- 1. minutes deps and updates ------------------------------------------------------------

def test_a_state_vector_cut_short_is_a_value_error_not_an_index_error():
    whole = MinutesDoc()
    whole.append("hello")
    state = whole.state()
    assert decode_state(state)  # the real one reads
    for cut in (b"", state[:1], state[:-1], b"\x05\x01", b"\xff"):
        with pytest.raises(ValueError):
            decode_state(cut)


def test_minutes_with_empty_or_garbage_deps_or_update_are_refused_on_receipt(meeting):
    a, b, event = meeting
    doc = MinutesDoc()
    good = edit_update(doc, lambda d: d.append("Opening.\n")).to_value()
    bad_peer = BadPeer(b)
    bad = [bad_peer.sign(ops) for ops in (
        _minutes_op(event, "", good["update"]),  # empty deps
        _minutes_op(event, base64.b64encode(b"\x05\x01").decode(), good["update"]),  # deps cut short
        _minutes_op(event, good["deps"], base64.b64encode(b"\xff\xfe\xfd").decode()),  # not an update
    )]
    result = a.replica.apply(bad, source=b.device_id)
    assert len(result.refused) == 3 and result.applied == 0
    reasons = [r.reason for r in sorted(result.refused, key=lambda r: r.seq)]
    assert reasons == ["minutes update: the deps are not a state vector."] * 2 + [
        "minutes update: the update is not a minutes change pycrdt can read."]
    with pytest.raises(ValidationError, match="deps are not a state vector"):
        check_minutes_update("update", "minutes update", {"deps": "", "update": good["update"]})


def test_bad_deps_no_longer_break_an_events_minutes_once_compaction_comes(meeting):
    """Before: the bad deps were stored; at 64 pending updates compaction raised IndexError on
    every later minutes merge, and every sync batch with minutes in it rolled back."""
    a, b, event = meeting
    bad_peer = BadPeer(b)
    good = edit_update(MinutesDoc(), lambda d: d.append("x")).to_value()
    a.replica.apply([bad_peer.sign(_minutes_op(event, "", good["update"]))], source=b.device_id)
    for n in range(minutes_store.COMPACT_AFTER + 6):  # the minutes laptop types on
        b.meetings.append_minutes(event, f"line {n}")
    sync_pair(a, b)
    assert a.meetings.minutes_text(event) == b.meetings.minutes_text(event)
    assert "line 69" in a.meetings.minutes_text(event)
    assert a.meetings.minutes_size(event) < 10_000  # compacted
    assert "line 69" in _cli_ok(a, "minutes", "show", event)


def test_compaction_keeps_updates_whose_stored_deps_do_not_decode(meeting):
    """A database that stored bad deps before they were checked: such an update waits only for
    its author's earlier text (read from the update itself), and compaction keeps it."""
    a, _b, event = meeting
    a.meetings.append_minutes(event, "kept")
    with a.db.conn:
        a.db.conn.execute("UPDATE minutes_updates SET deps = x'' WHERE event = ?", [event])
    minutes_store.forget_cache()
    assert a.meetings.compact_minutes(event) is True
    minutes_store.forget_cache()
    assert str(minutes_store.load(a.db, event)) == "kept\n"
    assert a.meetings.minutes_text(event) == "kept\n"
    for n in range(minutes_store.COMPACT_AFTER):
        a.meetings.append_minutes(event, f"more {n}")
    assert "more 63" in a.meetings.minutes_text(event)


# ---- 2, 3, 5. proposals, votes, hands --------------------------------------------------------

def _proposal(a: Group, b: Group, event: str, method: str = "vote") -> str:
    options = ["yes", "no"] if method in ("vote", "hands") else []
    pid = a.proposals.add(event, "Buy a projector", method, options=options).id
    sync_pair(a, b)
    return pid


def test_a_vote_without_its_member_is_not_counted_and_nothing_raises(meeting):
    a, b, event = meeting
    pid = _proposal(a, b, event)
    bad_peer = BadPeer(b)
    lonely_vote = secrets.token_hex(16)
    no_choice = secrets.token_hex(16)
    changes = [bad_peer.sign([Op("vote", lonely_vote, "proposal", pid), Op("vote", lonely_vote, "choice", "yes")]),
               bad_peer.sign([Op("vote", no_choice, "proposal", pid), Op("vote", no_choice, "member", b.device_id)])]
    result = a.replica.apply(changes, source=b.device_id)
    assert result.applied == 2, result.refused
    assert a.proposals.tally(pid).counts == {"yes": 0, "no": 0}
    _every_meeting_reader_works(a, event, cli=_cli_ok)  # real processes, once


def test_a_show_of_hands_count_without_option_or_count_is_skipped(meeting):
    a, b, event = meeting
    pid = _proposal(a, b, event, "hands")
    bad_peer = BadPeer(b)
    no_option, no_count = secrets.token_hex(16), secrets.token_hex(16)
    a.replica.apply([bad_peer.sign([Op("hand_count", no_option, "proposal", pid),
                                    Op("hand_count", no_option, "count", 40)]),
                     bad_peer.sign([Op("hand_count", no_count, "proposal", pid),
                                    Op("hand_count", no_count, "option", "yes")])], source=b.device_id)
    assert a.proposals.tally(pid).counts["yes"] == 0
    _every_meeting_reader_works(a, event)


@pytest.mark.parametrize("result", [
    "[1, 2]", '"just text"', "42", "null", "not json at all {",
    '{"counts": 5}', '{"counts": {"yes": "forty"}}', '{"blocks": "Ana"}', '{"eligible": "12"}',
    '{"votes": {"Ana": 1}}', '{"quorum_met": "yes"}', '{"surprise": 1}', "[" * 5000 + "]" * 5000,
])
def test_a_closed_proposals_result_that_is_not_a_tally_falls_back_to_the_live_count(meeting, result):
    a, b, event = meeting
    pid = _proposal(a, b, event)
    bad_peer = BadPeer(b)
    outcome = a.replica.apply([bad_peer.sign([
        Op("proposal", pid, "status", "closed"), Op("proposal", pid, "outcome", "Bought"),
        Op("proposal", pid, "result", result)])], source=b.device_id)
    assert outcome.applied == 1, outcome.refused
    shown = a.proposals.show(pid)
    assert shown["status"] == "closed" and shown["tally"] == {"yes": 0, "no": 0}
    assert isinstance(shown["blocks"], list) and isinstance(shown["eligible"], int)
    _every_meeting_reader_works(a, event)


def test_a_well_formed_result_recorded_at_closing_is_still_shown(meeting):
    a, b, event = meeting
    pid = _proposal(a, b, event)
    a.proposals.close(pid, "Not now")
    a.proposals.add(event, "Another", "consent")  # so the live count would differ if used
    recorded = {"counts": {"yes": 7, "no": 2}, "eligible": 9, "present": 9, "quorum_needed": 0,
                "quorum_met": True, "blocks": [], "stand_asides": [], "votes": {}}
    sync_pair(a, b)
    a.replica.apply([BadPeer(b).sign([Op("proposal", pid, "result", json.dumps(recorded))])], source=b.device_id)
    assert a.proposals.show(pid)["tally"] == {"yes": 7, "no": 2}


def test_a_proposal_without_title_or_method_waits_unseen_and_breaks_no_reader(meeting):
    # Taken in (the change that completes it may come from a third laptop later), but no
    # reader shows a record that lacks what every proposal has.
    a, b, event = meeting
    bare = secrets.token_hex(16)
    result = a.replica.apply([BadPeer(b).sign([Op("proposal", bare, "event", event)])], source=b.device_id)
    assert result.applied == 1, result.refused
    assert a.proposals.list(event) == []
    _every_meeting_reader_works(a, event)


# ---- 4, 5. the running meeting and the agenda -------------------------------------------------

def test_a_current_item_since_a_time_without_offset_is_read_as_local_time(meeting):
    a, b, event = meeting
    item = a.meetings.add_item(event, "Welcome", minutes=5)
    sync_pair(a, b)
    meeting_id = identity_id(MEETING, {"event": event})
    result = a.replica.apply([BadPeer(b).sign([
        Op("meeting", meeting_id, "event", event), Op("meeting", meeting_id, "current_item", item.id),
        Op("meeting", meeting_id, "item_since", "2026-12-03T19:00")])], source=b.device_id)
    assert result.applied == 1, result.refused
    state = a.meetings.state(event)
    assert state.current_item == item.id
    from datetime import datetime

    later = datetime(2026, 12, 3, 19, 2, 30).astimezone()
    assert state.seconds_used(a.meetings.item(item.id), later) == 150
    _every_meeting_reader_works(a, event)


def test_odd_meeting_state_and_agenda_values_never_raise():
    state = MeetingState("e", "i", "half past seven")
    assert state.seconds_used(AgendaItem("i", "e", "Welcome")) == 0
    item = AgendaItem.from_values("i", {"title": None, "minutes": -3, "position": None, "used_seconds": -9})
    assert (item.title, item.minutes, item.position, item.used_seconds) == ("", None, 0, 0)


def test_agenda_items_and_check_ins_missing_their_fields_are_tolerated(meeting):
    a, b, event = meeting
    bad_peer = BadPeer(b)
    untitled, rsvp = secrets.token_hex(16), secrets.token_hex(16)
    result = a.replica.apply([
        bad_peer.sign([Op("agenda_item", untitled, "event", event)]),
        bad_peer.sign([Op("rsvp", rsvp, "event", event), Op("rsvp", rsvp, "checked_in_at", "2026-12-03T19:00")]),
    ], source=b.device_id)
    assert result.applied == 2, result.refused
    assert a.meetings.items(event) == []  # an item with no title waits unseen for the rest of it
    assert a.meetings.attendees(event) == []
    _every_meeting_reader_works(a, event)


# ---- 8. the document cache -------------------------------------------------------------------

def test_the_minutes_document_cache_keeps_only_the_recently_used(meeting):
    a, _b, event = meeting
    minutes_store.forget_cache()
    a.meetings.append_minutes(event, "in use")
    events = [a.events.add(f"Meeting {n}", "2026-12-03T19:00").id for n in range(minutes_store.CACHED_DOCUMENTS + 8)]
    for n, other in enumerate(events):
        a.meetings.append_minutes(other, f"minutes {n}")
        minutes_store.load(a.db, event)  # the one in use stays
    assert len(minutes_store._CACHE) <= minutes_store.CACHED_DOCUMENTS
    assert (id(a.db.conn), event) in minutes_store._CACHE
    assert (id(a.db.conn), events[0]) not in minutes_store._CACHE
    assert str(minutes_store.load(a.db, events[0])) == "minutes 0\n"  # read again when needed
