"""A member who works for the landlord rewrites the minutes during the meeting; afterwards an
admin removes its laptop, taking back what it wrote since the meeting began. The minutes must
come back to what the honest laptops wrote, the words typed on top of the rewrite included, on
every laptop, one that was off during the removal too, and in the export."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from organiser.core.hlc import physical_ms
from organiser.core.minutes import edit_update
from organiser.formats.minutes import to_markdown
from organiser.services.group import Group
from organiser.services.meeting_report import build_report
from tests.conftest import add_device, sync_all, sync_pair

HONEST = "Ana opened the meeting. The rent strike starts in January.\n"
ON_TOP = "Bo: the repairs list goes to the landlord on Friday.\n"


def _newest_stamp(g: Group) -> int:
    row = g.replica.db.execute("SELECT hlc FROM changes WHERE author = ? ORDER BY seq DESC LIMIT 1",
                               [g.device_id]).fetchone()
    return int(row[0])


def _rewrite(mole: Group, event: str, text: str) -> None:
    """What the infiltrator's editor sends when it selects everything and types over it."""
    doc = mole.meetings.minutes_doc(event)
    mole.meetings.write_minutes(event, edit_update(doc, lambda d: d.replace(0, len(str(d)), text)))


def _honest_minutes_taken(door: Group, tmp_path: Path) -> tuple[Group, Group, str]:
    """The minutes laptop and the infiltrator's laptop of the door laptop's group, and a meeting
    whose minutes hold the honest paragraph on all three; the infiltrator's next change comes a
    millisecond later, so an undo time can fall between."""
    minutes = add_device(door, tmp_path / "minutes", "minutes laptop")
    mole = add_device(door, tmp_path / "mole", "Sam's laptop")
    event = door.events.add("General assembly", "2026-12-02T19:00").id
    sync_all([door, minutes, mole])
    minutes.meetings.append_minutes(event, HONEST)
    sync_all([door, minutes, mole])
    time.sleep(0.01)
    return minutes, mole, event


def test_an_infiltrators_rewrite_of_the_minutes_is_taken_back_and_the_honest_words_on_top_stay(group, tmp_path):
    door = group
    minutes = add_device(door, tmp_path / "minutes", "minutes laptop")
    projector = add_device(door, tmp_path / "projector", "projector laptop")
    mole = add_device(door, tmp_path / "mole", "Sam's laptop")
    event = door.events.add("General assembly", "2026-12-02T19:00").id
    sync_all([door, minutes, projector, mole])
    minutes.meetings.append_minutes(event, HONEST)
    sync_all([door, minutes, projector, mole])
    mole.meetings.append_minutes(event, "Sam arrived.")  # before the meeting's damage: it stays
    sync_all([door, minutes, projector, mole])
    time.sleep(0.01)  # the damage starts a millisecond later: the undo time falls between

    _rewrite(mole, event, "The meeting agreed to call off the strike.\n")
    damage_from = _newest_stamp(mole)
    mole.meetings.append_minutes(event, "Nobody objected.")
    sync_all([door, minutes, projector, mole])
    assert "call off the strike" in minutes.meetings.minutes_text(event)  # the room sees the rewrite
    minutes.meetings.append_minutes(event, ON_TOP)  # typed after the rewrite, on top of it
    sync_all([door, minutes, projector])  # the projector laptop is switched off after this

    since = datetime.fromtimestamp(physical_ms(damage_from) / 1000, UTC)
    door.membership.remove(mole.device_id, undo_since=since)
    sync_pair(door, minutes)

    wanted = HONEST + "\nSam arrived.\n" + ON_TOP + "\n"  # each append is a paragraph of its own
    for laptop in (door, minutes):
        assert laptop.meetings.minutes_text(event) == wanted
    sync_all([door, minutes, projector], rounds=2)  # the projector laptop hears of it later
    assert projector.meetings.minutes_text(event) == wanted
    assert len({g.replica.state_hash() for g in (door, minutes, projector)}) == 1
    exported = to_markdown(build_report(projector.name, projector.events, projector.meetings,
                                        projector.proposals, event))
    assert "call off the strike" not in exported and "Nobody objected" not in exported
    assert ON_TOP.strip() in exported and HONEST.strip() in exported
    for g in (minutes, projector, mole):
        g.close()


def _update(doc, change, hlc, author, seq, withdrawn=False):
    from organiser.services.minutes_take_back import HeldUpdate

    return HeldUpdate(hlc, author, seq, 0, edit_update(doc, change), withdrawn)


def test_the_honest_view_puts_back_words_deleted_inside_a_paragraph_and_drops_words_typed_into_it():
    """Without storage: the infiltrator deletes a word in the middle of a sentence and types its own
    into another; an honest member then corrects a typo after both. Read without the infiltrator's
    update, the sentence has its word back, lacks the planted one, and keeps the correction."""
    from organiser.core.minutes import MinutesDoc
    from organiser.services.minutes_take_back import honest_view

    honest, mole = MinutesDoc(), MinutesDoc()
    first = _update(honest, lambda d: d.append("We will strike in Janury unless repairs are made.\n"), 1, "ana", 1)
    mole.apply(first.update.update)
    planted = _update(mole, lambda d: (d.replace(8, 15, ""), d.replace(0, 0, "Maybe ")), 2, "sam", 1, True)
    honest.apply(planted.update.update)
    at = str(honest).index("Janury") + 4
    typo = _update(honest, lambda d: d.replace(at, at, "a"), 3, "ana", 2)
    doc, wanted = honest_view([typo, planted, first])
    assert str(doc) == "Maybe We will in January unless repairs are made.\n"
    assert wanted == "We will strike in January unless repairs are made.\n"


def test_every_laptop_ends_with_the_same_minutes_whatever_it_held_of_the_infiltrators_typing(group, tmp_path):
    """The infiltrator's rewrite reached the minutes laptop only; the admin removes it without
    having seen it, and a laptop joins afterwards. Every laptop's minutes are merged again from
    what it still holds, so all three show the honest text (before: the minutes laptop kept the
    rewrite for good, and a laptop joining later lacked what was typed on top of it)."""
    door = group
    minutes, mole, event = _honest_minutes_taken(door, tmp_path)
    _rewrite(mole, event, "The meeting agreed to call off the strike.\n")
    damage_from = _newest_stamp(mole)
    sync_pair(minutes, mole)  # the admin's laptop never hears it
    minutes.meetings.append_minutes(event, ON_TOP)  # on top of the rewrite
    door.membership.remove(mole.device_id, undo_since=datetime.fromtimestamp(physical_ms(damage_from) / 1000, UTC))
    sync_all([door, minutes], rounds=2)
    later = add_device(door, tmp_path / "later", "new laptop")
    sync_all([door, minutes, later], rounds=2)

    texts = {g.device_name: g.meetings.minutes_text(event) for g in (door, minutes, later)}
    assert set(texts.values()) == {HONEST + "\n"}, texts  # what was typed on the rewrite went with it
    assert len({g.replica.state_hash() for g in (door, minutes, later)}) == 1
    for g in (minutes, mole, later):
        g.close()


def test_removing_again_with_an_earlier_time_takes_back_more_and_brings_nothing_back(group, tmp_path):
    """The admin first takes back the infiltrator's evening, then finds it began earlier and
    removes it again from an earlier time: its earlier paragraph goes too, the evening's rewrite
    stays gone, and the words typed on top of the rewrite stay."""
    door = group
    minutes, mole, event = _honest_minutes_taken(door, tmp_path)
    mole.meetings.append_minutes(event, "Sam: the landlord is right.")
    earlier = _newest_stamp(mole)
    sync_all([door, minutes, mole])
    time.sleep(0.01)
    _rewrite(mole, event, "The meeting agreed to call off the strike.\n")
    evening = _newest_stamp(mole)
    sync_all([door, minutes, mole])
    minutes.meetings.append_minutes(event, ON_TOP)
    sync_all([door, minutes])

    def at(stamp: int) -> datetime:
        return datetime.fromtimestamp(physical_ms(stamp) / 1000, UTC)

    door.membership.remove(mole.device_id, undo_since=at(evening))
    sync_all([door, minutes], rounds=2)
    assert "Sam: the landlord is right." in door.meetings.minutes_text(event)
    door.membership.remove(mole.device_id, undo_since=at(earlier))
    sync_all([door, minutes], rounds=2)
    for laptop in (door, minutes):
        text = laptop.meetings.minutes_text(event)
        assert "landlord is right" not in text and "call off" not in text
        assert text.startswith(HONEST) and text.count(ON_TOP.strip()) == 1
    assert door.replica.state_hash() == minutes.replica.state_hash()
    for g in (minutes, mole):
        g.close()
