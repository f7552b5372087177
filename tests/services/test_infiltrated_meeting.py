"""The vote record after an evening with an infiltrator: its laptop checked in someone who was not
there, cast a vote for them, changed a member's block into agreement, closed the proposal early
with its own outcome, deleted a task and changed a member's phone and consent. Removed with
"take back what it wrote since", the tally, the quorum counted from check-ins, the proposal (open
again, so the honest close counts), the tasks and the member are the honest ones on every laptop,
the one switched off during the removal too, and the exported minutes say the same."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from organiser.core.hlc import physical_ms
from organiser.formats.minutes import to_markdown
from organiser.services.meeting_report import build_report
from tests.conftest import add_device, sync_all


def test_the_vote_record_is_the_honest_one_on_every_laptop_after_the_take_back(group, tmp_path):
    door = group
    minutes = add_device(door, tmp_path / "minutes", "minutes laptop")
    projector = add_device(door, tmp_path / "projector", "projector laptop")
    mole = add_device(door, tmp_path / "mole", "Sam's laptop")
    ana, bo, cy, ghost = (door.members.add(n, phones=["0123 456"]).id for n in ("Ana", "Bo", "Cy", "Ghost"))
    event = door.events.add("General assembly", "2026-12-02T19:00").id
    for member in (ana, bo, cy):
        door.events.checkin(event, member)
    proposal = door.proposals.add(event, "Strike in January", "consensus", quorum="3").id
    task = door.meetings.make_task(event, "Leaflet the building", assignee=ana).id
    sync_all([door, minutes])
    for member, answer in ((ana, "agree"), (bo, "agree"), (cy, "block")):
        minutes.proposals.vote(proposal, member, answer)
    sync_all([door, minutes, projector, mole], rounds=2)
    time.sleep(0.01)

    mole.events.checkin(event, ghost)
    first = mole.replica.db.execute("SELECT min(hlc) FROM changes WHERE author = ?", [mole.device_id]).fetchone()[0]
    mole.proposals.vote(proposal, ghost, "agree")
    mole.proposals.vote(proposal, cy, "agree")
    mole.proposals.close(proposal, "Agreed without blocks")
    mole.tasks.delete(task)
    mole.members.edit(ana, phones=["0999 999"], consent_phone=True)
    sync_all([door, minutes, projector, mole])
    assert projector.proposals.get(proposal).status == "closed"  # the room saw it at once
    sync_all([door, minutes])  # the projector laptop is off from here

    door.membership.remove(mole.device_id, undo_since=datetime.fromtimestamp(physical_ms(first) / 1000, UTC))
    sync_all([door, minutes])
    minutes.proposals.close(proposal, "Blocked by Cy")
    sync_all([door, minutes, projector], rounds=2)
    for laptop in (door, minutes, projector):
        shown = laptop.proposals.show(proposal)
        assert shown["status"] == "closed" and shown["outcome"] == "Blocked by Cy"
        assert (shown["present"], shown["quorum_met"], shown["blocks"]) == (3, True, ["Cy"])
        assert laptop.proposals.tally(proposal).counts == {"agree": 2, "abstain": 0, "disagree": 0, "block": 1}
        assert [t.title for t in laptop.meetings.tasks(event)] == ["Leaflet the building"]
        member = laptop.members.get(ana)
        assert (member.phones, member.consent_phone) == (["0123 456"], False)
    exported = to_markdown(build_report(projector.name, projector.events, projector.meetings, projector.proposals,
                                        event))
    assert "Ghost" not in exported and "Agreed without blocks" not in exported
    assert "Blocked by Cy" in exported and "Leaflet the building" in exported
    for g in (minutes, projector, mole):
        g.close()
