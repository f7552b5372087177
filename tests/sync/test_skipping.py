"""Which links keep bringing an author (sync/skipping.py), decided on one laptop's conversations:
a copy makes the sender skip its author only while another open link brings that author; the
author's own link is never skipped; when the last link bringing an author closes, the author is
taken again. With the tree (sync/routes.py) only the kept link brings an author, and a peer ahead
on another link is waited for while the kept link brings it. The frames each conversation would
send are recorded, decoded as a peer would."""

from __future__ import annotations

import asyncio
import time
from collections import deque

import pytest

from organiser.sync import protocol as p
from organiser.sync import skipping
from organiser.sync.receiving import Receiving
from organiser.sync.skipping import CopySkipping, Suspect

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
        self.distrusted: list[tuple[str, str]] = []  # what the node's counts were told (sync/routes.py)
        self.distrust = lambda peer, author: self.distrusted.append((peer, author))  # type: ignore[assignment]
        self.owed: dict[str, int] = {}
        self.paid_late: deque[tuple[float, float]] = deque(maxlen=8)

    async def _send(self, data: bytes) -> None:
        (frame,) = p.FrameDecoder().feed(data)
        self.sent.append(p.decode_relay(frame.payload))


def kept_on_x() -> list[Link]:
    """The links x and y of a laptop whose tree keeps x's link for AUTHOR (x's peer is nearer
    the author, sync/routes.py)."""
    links: list[Link] = []
    x, y = Link("x" * 64, links), Link("y" * 64, links)
    links += [x, y]
    for link in links:
        link.tree = {AUTHOR: x.peer_device}
    return links


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


async def test_the_tree_keeps_one_link_per_author_skips_the_others_at_once_and_takes_again_when_it_moves():
    links = kept_on_x()
    x, y = links
    await x.follow_tree()
    await y.follow_tree()
    assert x.sent == [] and y.sent == [(frozenset({AUTHOR}), {})]  # before any copy came
    await x._skip_copies({AUTHOR})  # a copy on the kept link (y was slow to hear the skip): kept
    assert x.sent == [] and AUTHOR not in x.skipping
    for link in links:
        link.tree = {AUTHOR: y.peer_device}  # x's link went further from the author
    await x.follow_tree()
    await y.follow_tree()
    assert x.sent == [(frozenset({AUTHOR}), {})]
    assert y.sent[-1] == (frozenset(), {AUTHOR: 7}) and AUTHOR not in y.skipping  # from what we hold


async def test_a_copy_on_the_kept_link_makes_a_link_taken_meanwhile_skip_the_author_again():
    links = kept_on_x()
    x, y = links
    await y.follow_tree()
    await y._take({AUTHOR})  # the kept link fell behind: the author was taken on y
    assert AUTHOR not in y.skipping
    await x._skip_copies({AUTHOR})  # then the kept link's copy came: y skips it again
    assert y.sent[-1] == (frozenset({AUTHOR}), {}) and AUTHOR in y.skipping and x.sent == []


async def test_a_copy_on_a_link_the_tree_does_not_keep_skips_it_even_if_no_other_copy_came():
    links = kept_on_x()
    x, y = links
    await y._skip_copies({AUTHOR})
    assert y.sent == [(frozenset({AUTHOR}), {})]


async def test_a_peer_ahead_is_waited_for_while_the_kept_link_brings_the_author_and_not_when_it_stops():
    links = kept_on_x()
    x, y = links
    await y.follow_tree()
    ours = {ME: 3, AUTHOR: 7}
    suspect = Suspect(seq=9, since=0.0, held=7, grew_at=0.0)  # y's peer holds 9 of the author, we 7
    assert not y._overdue(AUTHOR, suspect, ours, skipping.TREE_PATIENCE - 0.1)
    assert y._overdue(AUTHOR, suspect, ours, skipping.TREE_PATIENCE + 0.1)  # nothing came by x meanwhile
    suspect = Suspect(seq=12, since=0.0, held=7, grew_at=0.0)  # x brings the author, late, one a second
    for second, held in ((1.0, 8), (2.0, 9), (3.0, 10), (4.0, 11)):
        assert not y._overdue(AUTHOR, suspect, {ME: 3, AUTHOR: held}, second)
    assert not y._overdue(AUTHOR, suspect, {ME: 3, AUTHOR: 11}, skipping.TREE_PATIENCE_MAX - 0.1)
    assert y._overdue(AUTHOR, suspect, {ME: 3, AUTHOR: 11}, skipping.TREE_PATIENCE_MAX + 0.1)  # too late
    x.closed.set()  # the kept link is gone (until the counts move): the old, short wait
    suspect = Suspect(seq=9, since=0.0, held=7, grew_at=0.0)
    assert y._overdue(AUTHOR, suspect, ours, skipping.NOTE_EVERY + 0.01)


async def test_a_kept_link_taken_back_again_owing_for_long_loses_its_say_whatever_copies_it_sent():
    links = kept_on_x()
    x, y = links
    await y.follow_tree()

    async def taken_back(held: int) -> None:  # y's peer holds more than we do, long since: taken on y
        y.skipping.add(AUTHOR)
        y._suspects[AUTHOR] = Suspect(seq=held + 2, since=0.0, held=held, grew_at=0.0)
        assert y._overdue_suspects({ME: 3, AUTHOR: held}) == {AUTHOR}

    x.brought_at[AUTHOR] = 1e12  # x keeps sending old copies of the author: it looks busy, brings nothing new
    await taken_back(7)
    assert x.owed[AUTHOR][0] == 8 and y.distrusted == []  # the first time x may only be slow: it owes 8 on
    Receiving._learn_peer_holds(x, [(AUTHOR, 5), (AUTHOR, 7)])  # old copies pay nothing
    await taken_back(9)
    assert y.distrusted == []  # owing for less than OWED_LIMIT: a busy relay may still bring it
    x.owed[AUTHOR] = (8, time.monotonic() - skipping.OWED_LIMIT)  # ... owing for that long
    await taken_back(9)
    assert y.distrusted == [(x.peer_device, AUTHOR)] and AUTHOR in x.owed  # still owed: next time again
    Receiving._learn_peer_holds(x, [(AUTHOR, 8)])  # it brings it, late: the debt is paid
    assert x.owed == {}
    await taken_back(12)
    assert y.distrusted == [(x.peer_device, AUTHOR)] and x.owed[AUTHOR][0] == 13  # owing again, not blamed
    z = Link(AUTHOR, links)  # the author's own link: it is never blamed (the author holds its own)
    links.append(z)
    for link in links:
        link.tree = {AUTHOR: AUTHOR}
    await taken_back(14)
    assert z.owed == {}


async def test_a_kept_link_that_brought_late_what_it_owed_is_waited_for_longer_for_a_while_never_past_the_most():
    links = kept_on_x()
    x, y = links
    await y.follow_tree()
    now = time.monotonic()
    suspect = Suspect(seq=9, since=now, held=7, grew_at=now)  # y's peer holds 9 of the author, we 7
    assert y._overdue(AUTHOR, suspect, {ME: 3, AUTHOR: 7}, now + skipping.TREE_PATIENCE + 0.1)
    x.owed[AUTHOR] = (8, now - 1.0)  # taken back from y a second ago; x brings 8 now: late, paid
    Receiving._learn_peer_holds(x, [(AUTHOR, 8)])
    late = 1.0 + skipping.TREE_PATIENCE  # a second after it was blamed, itself after the least patience
    assert x.owed == {} and x.patience(now) == pytest.approx(skipping.LATE_MARGIN * late, 0.01)
    assert not y._overdue(AUTHOR, suspect, {ME: 3, AUTHOR: 7}, now + skipping.TREE_PATIENCE + 0.1)  # a busy relay
    assert y._overdue(AUTHOR, suspect, {ME: 3, AUTHOR: 7}, now + x.patience(now) + 0.1)
    x.owed[AUTHOR] = (9, now - 60.0)  # paid a minute late: still no longer than the most
    Receiving._learn_peer_holds(x, [(AUTHOR, 9)])
    assert x.patience(now) == skipping.TREE_PATIENCE_MAX
    assert x.patience(now + skipping.LATE_MEMORY + 1) == skipping.TREE_PATIENCE  # prompt again, forgotten


async def test_an_author_taken_back_on_one_link_is_waited_for_afresh_on_the_others():
    links = kept_on_x()
    x, y = links
    z = Link("z" * 64, links)
    links.append(z)
    for link in links:
        link.tree = {AUTHOR: x.peer_device}
    await y.follow_tree()
    await z.follow_tree()
    assert AUTHOR in y.skipping and AUTHOR in z.skipping
    seen = time.monotonic() - skipping.TREE_PATIENCE - 0.5  # both peers ahead, x silent, for the patience
    y._suspects[AUTHOR] = Suspect(seq=9, since=seen, held=7, grew_at=seen)
    z._suspects[AUTHOR] = Suspect(seq=9, since=seen, held=7, grew_at=seen)
    assert y._overdue_suspects({ME: 3, AUTHOR: 7}) == {AUTHOR}  # taken on y: z need not take it as well
    assert z._overdue_suspects({ME: 3, AUTHOR: 7}) == set() and AUTHOR in z._suspects
    # ... unless y's peer does not bring it either: z takes it once it saw its peer ahead for the most
    z._suspects[AUTHOR].since = time.monotonic() - skipping.TREE_PATIENCE_MAX
    assert z._overdue_suspects({ME: 3, AUTHOR: 7}) == {AUTHOR}
