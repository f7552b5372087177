"""A room of real nodes over TLS on 127.0.0.1 linked as a test says (no mDNS), for the tree's tests
(sync/routes.py): who dials whom, when every laptop counts the true distances, what control
frames the links sent."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from organiser.net.node import SyncNode
from organiser.services.group import Group
from organiser.store.replica import Replica
from organiser.sync.outbox import Outgoing
from organiser.sync.routes import Routes
from organiser.sync.session import Session
from tests.conftest import add_device, sync_all
from tests.net.test_node import node, until


def make_groups(founder: Group, base: Path, count: int) -> list[Group]:
    """The founder and count - 1 devices of its group, each knowing every admission."""
    groups = [founder, *(add_device(founder, base / f"d{i}", f"laptop {i}") for i in range(1, count))]
    sync_all(groups, rounds=2)
    return groups


async def start(groups: Sequence[Group], edges: set[tuple[int, int]], liar: int | None = None) -> list[SyncNode]:
    """Node i dials the earlier nodes it shares an edge with; node `liar` counts as Lying does."""
    nodes: list[SyncNode] = []
    for i, group in enumerate(groups):
        n = node(group, *(nodes[j] for j in range(i) if (j, i) in edges or (i, j) in edges))
        await n.start()
        if i == liar:
            n._routes = Lying(n.device_id, [g.device_id for g in groups])
        nodes.append(n)
    return nodes


def distances(edges: set[tuple[int, int]], up: set[int], start_at: int) -> dict[int, int]:
    seen, queue = {start_at: 0}, deque([start_at])
    while queue:
        at = queue.popleft()
        for x, y in edges:
            for a, b in ((x, y), (y, x)):
                if a == at and b in up and b not in seen:
                    seen[b] = seen[at] + 1
                    queue.append(b)
    return seen


def counted_truly(nodes: Sequence[SyncNode], edges: set[tuple[int, int]], up: set[int]) -> bool:
    """Every laptop that is up counts every other by its true distance in the room."""
    ids = [n.device_id for n in nodes]
    for i in up:
        want = {ids[j]: d for j, d in distances(edges, up, i).items() if j != i}
        if nodes[i]._routes.hops != want:
            return False
    return True


def control_sent(nodes: Sequence[SyncNode], up: set[int]) -> dict[str, int]:
    """Control frames (NEIGHBOURS, RELAY, REQUEST) the open links of the laptops that are up sent."""
    total: dict[str, int] = {}
    for i in up:
        for link in nodes[i]._links.values():
            for name, count in link.session.stats.control_sent.items():
                total[name] = total.get(name, 0) + count
    return total


async def quiet(nodes: Sequence[SyncNode], up: set[int], still: float = 1.0, timeout: float = 20.0) -> None:
    """Wait until no control frame was sent for `still` seconds."""
    deadline, last, since = time.monotonic() + timeout, control_sent(nodes, up), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        now = control_sent(nodes, up)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= still:
            return
    raise AssertionError(f"control frames still flowing after {timeout} s: {last}")


async def settled(nodes: Sequence[SyncNode], edges: set[tuple[int, int]], up: set[int], timeout: float = 20.0) -> None:
    await until(lambda: counted_truly(nodes, edges, up), timeout, "every laptop counting true distances")
    await quiet(nodes, up)


class Lying(Routes):
    """A member in bad faith's counts: one link from every member (and says it hears each directly)."""

    def __init__(self, me: str, everyone: Sequence[str]) -> None:
        super().__init__(me)
        self.everyone = list(everyone)
        self.flip = False

    def claims(self, peer: str) -> tuple[frozenset[str], dict[str, int]]:
        others = [a for a in self.everyone if a not in (peer, self.me)]
        hops = {a: 1 for a in others}
        if self.flip:  # a change the peer must count again for (the tree's links then follow it)
            hops[others[0]] = 2
        return frozenset(others), hops

    async def tell(self, sessions: list[Session], heard: frozenset[str], lost: bool) -> None:
        for session in sessions:
            if session.live and not session.closed.is_set():
                await session.tell_neighbours(*self.claims(session.peer_device))


class Withholding(Session):
    """A member in bad faith's conversations: its own changesets go out, nothing it should relay."""

    async def _send_changesets(self, batch: list[Outgoing], remaining: int = 0) -> None:
        own = [cs for cs in batch if cs.author == self.replica.device_id]
        if own:
            await super()._send_changesets(own, remaining)


def in_bad_faith(monkeypatch_setattr: Callable[[object, str, object], None], liar: str) -> None:
    """The liar's node makes Withholding conversations (others as usual)."""
    from organiser.net import node as node_module

    def session(replica: Replica, *args: Any, **kwargs: Any) -> Session:
        return (Withholding if replica.device_id == liar else Session)(replica, *args, **kwargs)

    monkeypatch_setattr(node_module, "Session", session)


async def flap(liar: SyncNode, every: float, until_at: float) -> None:
    """The liar's counts change every `every` seconds (under the NEIGHBOURS rate): each change makes
    its peers count again and their links follow the tree, skipping what was taken back."""
    routes = liar._routes
    assert isinstance(routes, Lying)
    while time.monotonic() < until_at:
        await asyncio.sleep(every)
        routes.flip = not routes.flip
        for link in list(liar._links.values()):
            try:
                await routes.tell([link.session], frozenset(), frozenset())
            except (ConnectionError, OSError):
                pass
