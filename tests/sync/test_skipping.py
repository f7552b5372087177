"""Which links keep bringing an author (sync/skipping.py), decided on one laptop's conversations:
a copy makes the sender skip its author only while another open link brings that author; the
author's own link is never skipped; when the last link bringing an author closes, the author is
taken again. The frames each conversation would send are recorded, decoded as a peer would."""

from __future__ import annotations

import asyncio

import pytest

from organiser.sync import protocol as p
from organiser.sync.skipping import CopySkipping

pytestmark = pytest.mark.asyncio
ME, AUTHOR = "m" * 64, "a" * 64


class Holding:
    device_id = ME

    def version_vector(self) -> dict[str, int]:
        return {ME: 3, AUTHOR: 7}


class Link(CopySkipping):
    def __init__(self, peer: str, links: list[Link]) -> None:
        self.replica, self.peer_device, self.siblings = Holding(), peer, lambda: list(links)  # type: ignore[assignment]
        self.parents = lambda: self.tree  # type: ignore[assignment]
        self.live, self.peer_skips, self.peer_known = True, True, {}
        self.greeted_at, self._last_heard, self.brought_at = float(len(links)), 0.0, {}
        self.received_all, self.closed, self._note_wanted = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self.received_all.set()
        self.skipped_by_peer, self.skipping, self._note_authors, self._suspects = set(), set(), set(), {}
        self.doubted: set[str] = set()
        self.tree: dict[str, str] = {}  # the node's kept links (sync/routes.py): none unless a test sets them
        self.peer_short = peer[:8]
        self.sent: list[tuple[frozenset[str], dict[str, int]]] = []

    async def _send(self, data: bytes) -> None:
        (frame,) = p.FrameDecoder().feed(data)
        self.sent.append(p.decode_relay(frame.payload))


async def test_copies_are_skipped_on_all_links_but_one_and_the_author_is_taken_again_when_that_closes():
    links: list[Link] = []
    x, y, z = Link("x" * 64, links), Link("y" * 64, links), Link(AUTHOR, links)
    links += [x, y, z]
    await x._skip_copies({AUTHOR})
    await y._skip_copies({AUTHOR})
    await z._skip_copies({AUTHOR})  # the author's own link: never skipped
    assert x.sent == [(frozenset({AUTHOR}), {})] and AUTHOR in x.skipping
    assert y.sent == [(frozenset({AUTHOR}), {})] and z.sent == []
    z.closed.set()  # the author's link closes: x, asked first, takes the author again; y need not
    await x.take_orphans()
    await y.take_orphans()
    assert x.sent[-1] == (frozenset(), {AUTHOR: 7}) and AUTHOR not in x.skipping
    assert len(y.sent) == 1 and AUTHOR in y.skipping


async def test_the_last_link_bringing_an_author_is_not_skipped_and_a_peer_without_the_feature_never_is():
    links: list[Link] = []
    x, y = Link("x" * 64, links), Link("y" * 64, links)
    links += [x, y]
    await x._skip_copies({AUTHOR})
    await y._skip_copies({AUTHOR})  # x skips it already: y is the last link bringing it
    assert len(x.sent) == 1 and y.sent == []
    old = Link("o" * 64, links)
    old.peer_skips = False
    links.append(old)
    await old._skip_copies({AUTHOR})
    assert old.sent == []
