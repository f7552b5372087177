"""A removed laptop is told that it was removed, however it meets the group: cut off while connected,
or knocking after a time away, and counts what it entered since. Not who removed it, nor when: the
admin's signed removal that would say so would also give it the group's new keys
(tests/net/test_removed_laptop_learns_no_new_key.py). Real TLS on 127.0.0.1 only."""

from __future__ import annotations

import asyncio

import pytest

from organiser.services.group import Group
from organiser.services.removed_here import removed_here
from tests.net.test_node import joined, node, office_and_door, until

pytestmark = pytest.mark.asyncio


def _told(group: Group) -> bool:
    return removed_here(group) is not None


async def test_a_door_laptop_removed_while_connected_is_told_it_was_removed(tmp_path, group):
    async with office_and_door(group, tmp_path / "door") as (_office, door_group, _door):
        group.membership.remove("door laptop 2")
        await until(lambda: _told(door_group), what="the door told it was removed")
        door_group.members.add("Ana López")  # checked in at the door afterwards
        here = removed_here(door_group)
        assert here is not None and here.not_reached == 1
        assert here.who_and_when().startswith(f"{group.device_name} said so on ")


async def test_a_door_laptop_removed_while_away_is_told_at_its_first_knock(tmp_path, group):
    office = node(group)
    await office.start()
    door_group = await joined(office, tmp_path / "door", "door laptop 2")
    door = node(door_group, office)
    await door.start()
    await until(lambda: [x.state for x in office.peers()] == ["connected"], what="the door connected")
    await door.stop()  # the laptop goes home; meanwhile the admin removes it
    group.membership.remove("door laptop 2")
    for name in ("Ana López", "Walk-in Person", "Sam Lee"):  # the next meeting's door queue
        door_group.members.add(name)
    door = node(door_group, office)
    await door.start()
    try:
        await until(lambda: _told(door_group), what="the door told it was removed")
        here = removed_here(door_group)
        # made before it was told: counted only if within the second it was told (it says it cannot tell)
        assert here is not None and here.not_reached <= 3
        door_group.members.add("Late arrival")
        after = removed_here(door_group)
        assert after is not None and after.not_reached == here.not_reached + 1
        await asyncio.sleep(0.2)
        assert {m.name for m in group.members.list()}.isdisjoint({"Ana López", "Walk-in Person", "Sam Lee"})
    finally:
        await door.stop()
        door_group.close()
        await office.stop()


async def test_a_one_off_sync_from_a_removed_laptop_is_told_it_was_removed(tmp_path, group):
    from organiser.core.errors import OrganiserError
    from organiser.net.link import sync_with

    office = node(group)
    await office.start()
    door_group = await joined(office, tmp_path / "door", "door laptop 2")
    try:
        await sync_with(door_group, "127.0.0.1", office.port)
        group.membership.remove("door laptop 2")
        door_group.members.add("Ana López")
        with pytest.raises(OrganiserError, match="removed from the group"):
            await sync_with(door_group, "127.0.0.1", office.port)  # `organiser sync` at the next meeting
        here = removed_here(door_group)
        assert here is not None and door_group.membership_status()["removed"]
    finally:
        door_group.close()
        await office.stop()


async def test_let_in_by_a_member_that_has_not_heard_yet_the_door_laptop_counts_from_its_first_telling(
        tmp_path, group):
    """The minutes laptop was shut when the office removed the door laptop. Back, it lets the door laptop
    in (it has not heard): the claim is forgotten (one member's word, net/admission.py), and the door goes
    on. Told again by the office, the door laptop counts what it entered since it was first told: the
    check-in made while let in reaches the group no more than the others."""
    from organiser.core.errors import OrganiserError

    office = node(group)
    await office.start()
    door_group = await joined(office, tmp_path / "door", "door laptop 2")
    minutes_group = await joined(office, tmp_path / "minutes", "minutes laptop 3")
    door = node(door_group, office)
    minutes = node(minutes_group, office)
    await minutes.start()
    await door.start()
    try:
        await until(lambda: len(office.peers()) == 2 and all(x.state == "connected" for x in office.peers()),
                    what="both connected to the office")
        await until(lambda: group.device_id in minutes_group.replica.version_vector(), what="minutes synced")
        await minutes.stop()  # shut: it will not hear of the removal
        group.membership.remove("door laptop 2")
        await until(lambda: _told(door_group), what="the door told it was removed")
        await office.stop()
        minutes = node(minutes_group)
        await minutes.start()
        await minutes.connect("127.0.0.1", door.port)  # the minutes laptop, back, links with the door laptop
        await until(lambda: not _told(door_group), what="the claim forgotten once a member let the door in")
        door_group.members.add("Checked in while let in")
        await minutes.stop()
        await asyncio.sleep(1.1)  # told again in a later second than the check-in (the notice keeps whole seconds)
        office = node(group)
        await office.start()
        with pytest.raises(OrganiserError, match="removed from the group"):
            await door.connect("127.0.0.1", office.port)  # the door laptop dials the office again
        assert _told(door_group)
        here = removed_here(door_group)
        assert here is not None and here.not_reached >= 1 and "1 member" in here.what
    finally:
        await door.stop()
        await minutes.stop()
        door_group.close()
        minutes_group.close()
        await office.stop()


async def test_wiping_the_door_laptop_while_a_big_sync_is_mid_way_stops_it_first_and_leaves_nothing(tmp_path, group):
    """Wipe this laptop's copy… on the door laptop while a laptop of the group is still sending it 3,000
    changes (as one that has not heard of its removal does): the app stops the sync node (giving it 5 s),
    closes the group, then wipes (app.py). Nothing of the group may be written after, nor the folder made
    again."""
    import time

    from organiser.core.bus import SyncProgress
    from organiser.services.atrest import wipe_group

    group.replica.commit_batch([group.members.build_add({"name": f"Member {i}"})[1] for i in range(3000)])
    office = node(group)
    await office.start()
    progress: list[SyncProgress] = []
    door_group = await joined(office, tmp_path / "door", "door laptop 2")
    door_group.bus.subscribe(SyncProgress, progress.append)
    door_group.members.add("Ana López")  # the door laptop's own change: the office sends what it lacks
    group.replica.commit_batch([group.members.build_add({"name": f"Later {i}"})[1] for i in range(3000)])
    door = node(door_group, office)
    progress.clear()
    await door.start()
    wiped = False
    try:
        await until(lambda: any(0 < x.done < x.total for x in progress), what="the sync mid-way")
        started = time.monotonic()
        await asyncio.wait_for(door.stop(), 5.0)
        stopped_in = time.monotonic() - started
        path = door_group.path
        door_group.close()
        wiped = wipe_group(tmp_path / "door", path) or True
        await asyncio.sleep(0.5)  # were anything of the node still running, it would write now
        assert not path.exists()
        assert stopped_in < 5.0
    finally:
        if not wiped:
            await door.stop()
            door_group.close()
        await office.stop()
