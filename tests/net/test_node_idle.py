"""An idle node looks at nothing on a timer that an event can tell it instead (real TLS sockets on
127.0.0.1, nodes in this process): an edit here is pushed at once however seldom the store watch
looks, an edit by another process is still noticed, and a peer that went away is dialled again
when it comes back, however long an idle dial loop's fallback look."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from organiser.net import outbound, upkeep
from organiser.net.node import SyncNode
from organiser.net.pairing import redeem_invite
from organiser.services.group import Group, open_group

pytestmark = pytest.mark.asyncio


async def until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


async def linked_pair(group: Group, data_dir: Path) -> tuple[SyncNode, SyncNode, Group]:
    a = SyncNode(group, listen_host="127.0.0.1", discovery=False)
    await a.start()
    b_group = await redeem_invite(data_dir, await a.create_invite(3600), "minutes laptop")
    b = SyncNode(b_group, listen_host="127.0.0.1", discovery=False, static_peers=[("127.0.0.1", a.port)])
    await b.start()
    await until(lambda: [p.state for p in a.peers()] == ["connected"], 10, "B linked to A")
    return a, b, b_group


def names(group: Group) -> set[str]:
    return {m.name for m in group.members.list()}


async def test_an_edit_here_is_pushed_at_once_while_the_store_watch_sleeps(tmp_path, group, monkeypatch):
    monkeypatch.setattr(upkeep, "WATCH_EVERY", 3600.0)  # the watch never looks during this test
    monkeypatch.setattr(upkeep, "WATCH_QUIET", 3600.0)
    a, b, b_group = await linked_pair(group, tmp_path / "b")
    try:
        group.members.add("Ana López")
        await until(lambda: "Ana López" in names(b_group), 5, "A's edit on B")
        b_group.members.add("Bea")
        await until(lambda: "Bea" in names(group), 5, "B's edit on A")
    finally:
        await b.stop()
        await a.stop()
        b_group.close()


async def test_an_edit_by_another_process_is_noticed_after_the_node_sat_idle(tmp_path, data_dir, group):
    a, b, b_group = await linked_pair(group, tmp_path / "b")
    try:
        await asyncio.sleep(3 * upkeep.WATCH_QUIET)  # the watch has slowed to its quiet pace
        beside = open_group(data_dir)  # another connection, as the CLI beside `serve` writes
        try:
            beside.members.add("Cai")
        finally:
            beside.close()
        await until(lambda: "Cai" in names(b_group), 10 * upkeep.WATCH_QUIET, "the other process's edit on B")
    finally:
        await b.stop()
        await a.stop()
        b_group.close()


async def test_a_peer_that_went_away_is_dialled_again_when_it_is_back(tmp_path, group, monkeypatch):
    monkeypatch.setattr(outbound, "IDLE_RECHECK", 3600.0)  # no dial loop waits on its fallback look
    a, b, b_group = await linked_pair(group, tmp_path / "b")
    try:
        port = a.port
        await asyncio.sleep(1.0)  # B's dial loop has seen the link up and waits
        await a.stop()
        await until(lambda: [p.state for p in b.peers()] == ["offline"], 10, "B to see A gone")
        group.db.execute("DELETE FROM peers")  # A forgets where B listens: only B can bring the link back
        a = SyncNode(group, listen_host="127.0.0.1", listen_port=port, discovery=False)
        await a.start()
        await until(lambda: [p.state for p in a.peers()] == ["connected"], 20, "B to dial A again")
        group.members.add("Dana Kim")
        await until(lambda: "Dana Kim" in names(b_group), 5, "A's edit on B after the new link")
    finally:
        await b.stop()
        await a.stop()
        b_group.close()
