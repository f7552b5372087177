"""An idle node looks at nothing on a timer that an event can tell it instead (real TLS sockets on
127.0.0.1, nodes in this process): an edit here is pushed at once however seldom the store watch
looks, an edit by another process is still noticed, and a peer that went away is dialled again
when it comes back, however long an idle dial loop's fallback look."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from organiser.net import outbound, upkeep
from organiser.net.node import SyncNode
from organiser.net.pairing import redeem_invite
from organiser.services.group import Group, open_group
from tests.net.test_node import until

pytestmark = pytest.mark.asyncio


@dataclass
class Pair:
    a: SyncNode
    b: SyncNode
    b_group: Group


@asynccontextmanager
async def linked_pair(group: Group, data_dir: Path) -> AsyncIterator[Pair]:
    """A serving, B joined through it and linked; both stopped at the end (a test may replace A)."""
    a = SyncNode(group, listen_host="127.0.0.1", discovery=False)
    await a.start()
    b_group = await redeem_invite(data_dir, await a.create_invite(3600), "minutes laptop")
    pair = Pair(a, SyncNode(b_group, listen_host="127.0.0.1", discovery=False, static_peers=[("127.0.0.1", a.port)]),
                b_group)
    try:
        await pair.b.start()
        await until(lambda: [p.state for p in a.peers()] == ["connected"], 10, "B linked to A")
        yield pair
    finally:
        await pair.b.stop()
        await pair.a.stop()
        b_group.close()


def names(group: Group) -> set[str]:
    return {m.name for m in group.members.list()}


async def test_an_edit_here_is_pushed_at_once_while_the_store_watch_sleeps(tmp_path, group, monkeypatch):
    monkeypatch.setattr(upkeep, "WATCH_EVERY", 3600.0)  # the watch never looks during this test
    monkeypatch.setattr(upkeep, "WATCH_QUIET", 3600.0)
    async with linked_pair(group, tmp_path / "b") as pair:
        group.members.add("Ana López")
        await until(lambda: "Ana López" in names(pair.b_group), 5, "A's edit on B")
        pair.b_group.members.add("Bea")
        await until(lambda: "Bea" in names(group), 5, "B's edit on A")


async def test_an_edit_by_another_process_is_noticed_after_the_node_sat_idle(tmp_path, data_dir, group):
    async with linked_pair(group, tmp_path / "b") as pair:
        await asyncio.sleep(3 * upkeep.WATCH_QUIET)  # the watch has slowed to its quiet pace
        beside = open_group(data_dir)  # another connection, as the CLI beside `serve` writes
        try:
            beside.members.add("Cai")
        finally:
            beside.close()
        await until(lambda: "Cai" in names(pair.b_group), 10 * upkeep.WATCH_QUIET, "the other process's edit on B")


async def test_a_peer_that_went_away_is_dialled_again_when_it_is_back(tmp_path, group, monkeypatch):
    monkeypatch.setattr(outbound, "IDLE_RECHECK", 3600.0)  # no dial loop waits on its fallback look
    async with linked_pair(group, tmp_path / "b") as pair:
        port = pair.a.port
        await asyncio.sleep(1.0)  # B's dial loop has seen the link up and waits
        await pair.a.stop()
        await until(lambda: [p.state for p in pair.b.peers()] == ["offline"], 10, "B to see A gone")
        group.db.execute("DELETE FROM peers")  # A forgets where B listens: only B can bring the link back
        pair.a = SyncNode(group, listen_host="127.0.0.1", listen_port=port, discovery=False)
        await pair.a.start()
        await until(lambda: [p.state for p in pair.a.peers()] == ["connected"], 20, "B to dial A again")
        group.members.add("Dana Kim")
        await until(lambda: "Dana Kim" in names(pair.b_group), 5, "A's edit on B after the new link")
