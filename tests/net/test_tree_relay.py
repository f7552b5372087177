"""The tree per author between real nodes (sync/routes.py, sync/skipping.py): four laptops in a
square, A-B-C-D-A, over TLS on 127.0.0.1 (no mDNS). C is two links from A and keeps one of its
two links for A's edits (the other is asked to skip A before any copy comes), so each of A's
edits reaches C once; when the laptop C kept for A goes away (a tree really cut), A's next edits
reach C by the other link."""

from __future__ import annotations

import pytest

from organiser.net.node import SyncNode
from organiser.services.group import Group
from organiser.sync.routes import rank
from tests.conftest import add_device, sync_all
from tests.net.test_node import node, until

pytestmark = pytest.mark.asyncio


def _session(at: SyncNode, peer: Group):  # type: ignore[no-untyped-def]
    return at._links[peer.device_id].session


def _holds(group: Group, name: str) -> bool:
    return any(m.name == name for m in group.members.list())


async def test_in_a_square_the_far_laptop_keeps_one_link_per_author_and_mends_the_tree_when_it_is_cut(
        tmp_path, group) -> None:
    b_group, c_group, d_group = (add_device(group, tmp_path / n, n) for n in ("b", "c", "d"))
    devices = [group, b_group, c_group, d_group]
    sync_all(devices, rounds=2)  # every laptop knows every admission
    a = node(group)
    await a.start()
    b = node(b_group, a)
    await b.start()
    c = node(c_group, b)
    await c.start()
    d = node(d_group, c, a)
    await d.start()
    nodes = [a, b, c, d]
    try:
        # B and D are both one link from A: C keeps the one ranked first for A, once both said so.
        kept = min((b_group.device_id, d_group.device_id), key=lambda peer: rank(group.device_id, peer))
        await until(lambda: c._routes.hops.get(group.device_id) == 2 and c._routes.parents.get(group.device_id) == kept
                    and all(group.device_id in (link.session.peer_hops or {}) for link in c._links.values()),
                    15.0, "C counting A two links away, by the peer ranked first")
        kept_group, other_group = (b_group, d_group) if kept == b_group.device_id else (d_group, b_group)
        kept_node, other_node = (b, d) if kept_group is b_group else (d, b)
        other = _session(c, other_group)
        told = _session(other_node, c_group)
        await until(lambda: group.device_id in told.skipped_by_peer, 10.0, "C's other link told to skip A")
        received_before = other.stats.received
        for i in range(5):
            group.members.add(f"Member {i}")
        await until(lambda: all(_holds(c_group, f"Member {i}") for i in range(5)), 10.0, "A's edits on C")
        assert other.stats.received == received_before  # none of A's edits came twice
        # The laptop C kept for A leaves the room: the link it kept goes, and with it that tree's branch.
        await kept_node.stop()
        nodes.remove(kept_node)
        await until(lambda: c._routes.parents.get(group.device_id) == other_group.device_id, 10.0,
                    "C keeping the other link for A")
        assert group.device_id not in other.skipping
        group.members.add("After the cut")
        await until(lambda: _holds(c_group, "After the cut"), 10.0, "A's edit after the cut on C")
    finally:
        for n in nodes:
            await n.stop()
        for g in devices[1:]:
            g.close()
