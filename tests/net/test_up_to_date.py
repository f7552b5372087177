"""'Up to date' in Laptops is the links' real state: three laptops all linked to each other
(each hears the other two directly, so none relays the others' changes) read up to date with both
once quiet, and again after each has written something. Nodes on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from organiser.net.node import SyncNode
from organiser.services.group import Group, create_group
from tests.conftest import add_device, sync_all

pytestmark = pytest.mark.asyncio


async def until(predicate, timeout: float = 20.0, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def in_step_with(node: SyncNode) -> set[str]:
    return {p.name for p in node.peers() if p.in_step}


async def test_three_laptops_linked_to_each_other_read_up_to_date_once_nothing_is_left_to_exchange(
        tmp_path: Path) -> None:
    door = create_group(tmp_path / "door", "Tenants Union", "door laptop")
    groups: list[Group] = [door] + [add_device(door, tmp_path / name, name) for name in ("minutes", "spare")]
    sync_all(groups, rounds=2)
    nodes: list[SyncNode] = []
    try:
        for group in groups:
            nodes.append(SyncNode(group, listen_host="127.0.0.1", discovery=False,
                                  static_peers=[("127.0.0.1", n.port) for n in nodes]))
            await nodes[-1].start()
        everyone = {"door laptop", "minutes", "spare"}
        await until(lambda: all(in_step_with(n) == everyone - {n.group.device_name} for n in nodes),
                    what="every laptop up to date with the two others")
        for round_ in range(2):
            for group in groups:
                group.members.add(f"Written on {group.device_name} ({round_})")
            await until(lambda: all(in_step_with(n) == everyone - {n.group.device_name} for n in nodes),
                        what="every laptop up to date again")
            assert all(len(g.members.list()) == 3 * (round_ + 1) for g in groups)  # and it is so
    finally:
        for n in nodes:
            await n.stop()
        for group in groups:
            group.close()


async def test_laptops_in_a_line_read_up_to_date_with_their_neighbours_once_relayed_changes_arrived(
        tmp_path: Path) -> None:
    """0 - 1 - 2 - 3, each linked to the next only: what 0 writes reaches 3 through 1 and 2, each
    link reading up to date once its end has it (what was sent is not yet held)."""
    from tests.net.tree_room import make_groups, start

    founder = create_group(tmp_path / "d0", "Tenants Union", "laptop 0")
    groups = make_groups(founder, tmp_path, 4)
    nodes = await start(groups, {(0, 1), (1, 2), (2, 3)})
    linked = {0: {"laptop 1"}, 1: {"laptop 0", "laptop 2"}, 2: {"laptop 1", "laptop 3"}, 3: {"laptop 2"}}
    try:
        await until(lambda: all(in_step_with(n) == linked[i] for i, n in enumerate(nodes)), what="the line in step")
        groups[0].members.add("Written at one end")
        await until(lambda: all(in_step_with(n) == linked[i] for i, n in enumerate(nodes))
                    and any(m.name == "Written at one end" for m in groups[3].members.list()),
                    what="the far end has it and the line is in step again")
        groups[3].members.add("Written at the other end")
        await until(lambda: all(in_step_with(n) == linked[i] for i, n in enumerate(nodes)), what="in step again")
        assert all(any(m.name == "Written at the other end" for m in g.members.list()) for g in groups)
    finally:
        for n in nodes:
            await n.stop()
        for group in groups:
            group.close()



@asynccontextmanager
async def _three_linked_after_an_evening(tmp_path: Path) -> AsyncIterator[tuple[list[Group], list[SyncNode]]]:
    """Office, door and minutes laptops linked to each other, each having written, all up to date;
    stopped and closed afterwards."""
    office = create_group(tmp_path / "office", "Tenants Union", "office laptop")
    groups = [office] + [add_device(office, tmp_path / name, name) for name in ("door laptop", "minutes laptop")]
    sync_all(groups, rounds=2)
    nodes: list[SyncNode] = []
    try:
        for group in groups:
            nodes.append(SyncNode(group, listen_host="127.0.0.1", discovery=False,
                                  static_peers=[("127.0.0.1", n.port) for n in nodes]))
            await nodes[-1].start()
        for group in groups:  # each takes the changesets of the other two from their own links
            group.members.add(f"Written on {group.device_name}")
        everyone = {"office laptop", "door laptop", "minutes laptop"}
        await until(lambda: all(in_step_with(n) == everyone - {n.group.device_name} for n in nodes),
                    what="every laptop up to date with the two others")
        yield groups, nodes
    finally:
        for n in nodes:
            await n.stop()
        for group in groups:
            group.close()


async def _office_and_door_in_step(groups: list[Group], nodes: list[SyncNode]) -> None:
    await until(lambda: in_step_with(nodes[0]) == {"door laptop"} and in_step_with(nodes[1]) == {"office laptop"},
                what="office and door up to date with each other")
    assert groups[1].replica.state_hash() == groups[0].replica.state_hash()


async def test_the_two_laptops_left_read_up_to_date_once_the_third_went_away(tmp_path: Path) -> None:
    """The room walk of 2026-12-02: the minutes laptop left (its cable out, its app closed); the
    office and door laptops hold the same, yet each said 'Exchanging changes with 1 laptop' until
    the third came back: neither had said it holds what the third wrote (each had it by its own
    link to the third)."""
    async with _three_linked_after_an_evening(tmp_path) as (groups, nodes):
        await nodes[2].stop()
        await _office_and_door_in_step(groups, nodes)


async def test_the_admin_reads_up_to_date_with_the_others_after_removing_a_laptop(tmp_path: Path) -> None:
    """The same evening, the admin removes the minutes laptop: the office laptop said 'Exchanging
    changes with 1 laptop' for as long as the app ran, the two laptops holding the same."""
    async with _three_linked_after_an_evening(tmp_path) as (groups, nodes):
        office, door, minutes = groups
        office.membership.remove(minutes.device_id)
        await until(lambda: minutes.device_id in door.replica.roster().limits, what="the door heard of the removal")
        await _office_and_door_in_step(groups, nodes)
