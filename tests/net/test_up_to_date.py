"""'Up to date' in Peers & group is the links' real state: three laptops all linked to each other
(each hears the other two directly, so none relays the others' changes) read up to date with both
once quiet, and again after each has written something. Nodes on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import time
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
