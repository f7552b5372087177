"""The chair after a meeting with an infiltrator in the room: who changed what, and when, per
record (the meeting and everything made under it) and per device, from the signed change log;
and what a removal took back, marked so."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from organiser.core.hlc import physical_ms
from tests.cli_in_process import cli_in_process
from tests.conftest import add_device, sync_all


def _history(data_dir, *args):
    code, out, err = cli_in_process(data_dir, "history", *args)
    assert code == 0, err
    return out


def test_the_chair_sees_who_changed_the_meeting_and_what_the_infiltrators_laptop_wrote(group, data_dir, tmp_path):
    door = group
    mole = add_device(door, tmp_path / "mole", "Sam's laptop")
    ana, cy, ghost = (door.members.add(name).id for name in ("Ana", "Cy", "Ghost"))
    event = door.events.add("General assembly", "2026-12-02T19:00").id
    item = door.meetings.add_item(event, "Rent strike", minutes=20).id
    for member in (ana, cy):
        door.events.checkin(event, member)
    proposal = door.proposals.add(event, "Strike in January", "consensus").id
    door.proposals.vote(proposal, cy, "block")
    sync_all([door, mole])
    time.sleep(0.01)

    mole.proposals.vote(proposal, cy, "agree")  # changes another member's vote
    first_damage = mole.replica.db.execute("SELECT max(hlc) FROM changes WHERE author = ?",
                                           [mole.device_id]).fetchone()[0]
    mole.events.checkin(event, ghost)  # checks in someone who is not there
    mole.meetings.edit_item(item, title="Cancel the strike")
    mole.members.edit(ana, phones=["0999"], consent_phone=True)
    sync_all([door, mole])

    lines = _history(data_dir, event[:8]).splitlines()
    by_mole = [line for line in lines if "Sam's laptop" in line]
    assert any("vote" in line and "choice = agree" in line for line in by_mole)
    assert any("rsvp" in line and "checked_in_at" in line for line in by_mole)
    assert any("agenda_item" in line and "title = Cancel the strike" in line for line in by_mole)
    assert any("door laptop" in line and "choice = block" in line for line in lines)  # the honest vote, before
    since = datetime.fromtimestamp(physical_ms(first_damage) / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    wrote = json.loads(_history(data_dir, "--device", "Sam's laptop", "--since", since, "--json"))
    assert {(w["kind"], w["field"]) for w in wrote} >= {("vote", "choice"), ("rsvp", "checked_in_at"),
                                                         ("agenda_item", "title"), ("member", "phones"),
                                                         ("member", "consent_phone")}
    assert all(w["device_name"] == "Sam's laptop" and not w["taken_back"] for w in wrote)
    assert [w for w in wrote if w["record"] == ana and w["field"] == "phones"][0]["value"] == ["0999"]

    door.membership.remove(mole.device_id, undo_since=datetime.fromtimestamp(physical_ms(first_damage) / 1000, UTC))
    after = json.loads(_history(data_dir, "--device", "Sam's laptop", "--since", since, "--json"))
    assert after and all(w["taken_back"] for w in after)
    assert "(taken back)" in _history(data_dir, ana[:8])
    assert door.proposals.tally(proposal).blocks == ["Cy"]
    mole.close()


def test_history_refuses_what_it_cannot_read_with_one_sentence(group, data_dir):
    group.members.add("Ana")
    for args, said in ((["nothing-like-an-id"], "no record with id"), ([], "name a RECORD or a --device"),
                       (["--device", "door laptop", "--since", "Friday"], "not a time like")):
        code, out, err = cli_in_process(data_dir, "history", *args)
        assert code == 2 and said in err and out == ""
