"""Members in bad faith on the tree's routes (sync/routes.py), written as the attacker. A member
(a valid device, valid TLS) says it is one link from every author, to become the kept link for
them, then relays nothing of theirs and keeps changing its counts so the honest links skip the
authors again; another floods NEIGHBOURS. The honest laptops pass the first over for those
authors once it brought nothing, and read the second's NEIGHBOURS at a sane rate."""

from __future__ import annotations

import asyncio
import time

import pytest

from organiser.net.node import SyncNode
from organiser.services.group import Group
from organiser.sync import protocol as p
from organiser.sync import skipping
from organiser.sync.receiving import NEIGHBOURS_BURST, NEIGHBOURS_EVERY
from tests.net.test_node import until
from tests.net.tree_room import flap, in_bad_faith, make_groups, start

pytestmark = pytest.mark.asyncio

LIAR = 5
# Honest laptops 0-1-2-3-4 in a line; the liar is linked to 2, 3 and 4 and says it is one link from 0 and 1.
EDGES = {(0, 1), (1, 2), (2, 3), (3, 4), (2, LIAR), (3, LIAR), (4, LIAR)}


def _session(at: SyncNode, peer: Group):  # type: ignore[no-untyped-def]
    return at._links[peer.device_id].session


def _holds(group: Group, name: str) -> bool:
    return any(m.name == name for m in group.members.list())


async def test_a_peer_near_every_author_by_its_word_that_relays_nothing_loses_its_say_for_them(
        tmp_path, group, monkeypatch) -> None:
    groups = make_groups(group, tmp_path, LIAR + 1)
    author, liar = groups[0].device_id, groups[LIAR].device_id
    in_bad_faith(monkeypatch.setattr, liar)
    nodes = await start(groups, EDGES, liar=LIAR)
    far, honest_link = nodes[4], lambda: _session(nodes[4], groups[3])
    try:
        # Believed at first: laptop 4, four links from 0 by honest laptops, keeps the liar for 0's
        # edits and asks its honest link to skip them.
        await until(lambda: far._routes.parents.get(author) == liar and groups[3].device_id in far._links
                    and author in honest_link().skipping, 20.0, "laptop 4 keeping the liar for 0")
        # 0's edit is taken back on the honest link after the patience: the liar may only be slow.
        groups[0].members.add("First")
        await until(lambda: all(_holds(g, "First") for g in groups[:LIAR]), 20.0, "0's first edit everywhere")
        assert author not in honest_link().skipping and far._routes.parents.get(author) == liar
        # Its counts move: laptop 4 counts again and skips 0 on the honest link again.
        await flap(nodes[LIAR], 2 * NEIGHBOURS_EVERY, time.monotonic() + 2 * NEIGHBOURS_EVERY + 0.1)
        await until(lambda: author in honest_link().skipping, 10.0, "laptop 4 skipping 0 on its honest link again")
        # Taken back again while the liar still owes the first edit, for OWED_LIMIT (shortened here):
        # it is passed over for 0.
        monkeypatch.setattr(skipping, "OWED_LIMIT", 0.0)
        groups[0].members.add("Second")
        await until(lambda: all(_holds(g, "Second") for g in groups[:LIAR]), 20.0, "0's second edit everywhere")
        await until(lambda: far._routes.parents.get(author) != liar, 5.0, "laptop 4 passing the liar over for 0")
        assert (liar, author) in far._routes.backed_off
        # The liar's counts move (under the NEIGHBOURS rate): each time every honest laptop counts again,
        # and the liar stays passed over for 0, so the honest links keep bringing 0's edits.
        await flap(nodes[LIAR], 2 * NEIGHBOURS_EVERY, time.monotonic() + 4.0)
        assert far._routes.parents.get(author) != liar and author not in honest_link().skipping
        received = honest_link().stats.received
        groups[0].members.add("Third")
        await until(lambda: _holds(groups[4], "Third"), 20.0, "0's third edit on laptop 4")
        assert honest_link().stats.received > received  # by the honest link
    finally:
        for n in nodes:
            await n.stop()
        for g in groups[1:]:
            g.close()


async def test_a_peer_flooding_neighbours_is_read_at_a_sane_rate_and_noted(tmp_path, group) -> None:
    groups = make_groups(group, tmp_path, 3)  # the third is only a member to count links to
    honest, flooder = await start(groups[:2], {(0, 1)})
    try:
        await until(lambda: groups[1].device_id in honest._links and honest._links[groups[1].device_id].session.live
                    and groups[0].device_id in flooder._links
                    and flooder._links[groups[0].device_id].session.live, 10.0, "both linked")
        # Each may have dialled the other: the test waits until the link each keeps is one connection.
        await until(lambda: honest._links[groups[1].device_id].writer.get_extra_info("peername")
                    == flooder._links[groups[0].device_id].writer.get_extra_info("sockname"), 10.0, "one connection")
        heard, sender = honest._links[groups[1].device_id].session, flooder._links[groups[0].device_id].session
        # The flooder's own node says its counts once at link-up; only the flood comes after it (a
        # count of its own read after the flood's last frame would be "the latest" instead).
        await until(lambda: sender.sent_neighbours is not None, 10.0, "the flooder's own NEIGHBOURS sent")

        async def tell_nothing(*_args: object) -> None:
            return None

        sender.tell_neighbours = tell_nothing  # type: ignore[method-assign]
        counted: list[float] = []
        heard.on_routes = lambda: counted.append(time.monotonic())
        other, started = groups[2].device_id, time.monotonic()
        for i in range(500):
            await sender._send(p.encode_neighbours(frozenset(), {other: 1 + i % 7}))
        last = {other: 1 + 499 % 7}
        await until(lambda: heard.peer_hops == last, 10.0, "the latest NEIGHBOURS read")
        elapsed = time.monotonic() - started
        assert len(counted) <= NEIGHBOURS_BURST + elapsed / NEIGHBOURS_EVERY + 1
        assert heard.stats.neighbours_dropped >= 500 - len(counted) - 1
        (incident,) = [i for i in groups[0].incidents() if i["reason"] == "neighbours"]
        assert incident["device"]["id"] == groups[1].device_id
        await asyncio.sleep(0.2)
        assert not heard.closed.is_set()  # dropped, not a reason to close: the link still works
    finally:
        await honest.stop()
        await flooder.stop()
        for g in groups[1:]:
            g.close()
