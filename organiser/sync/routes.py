"""A tree per author in a big room: which of a laptop's links brings each author (with sync/skipping.py).

Copy skipping alone decided on each laptop which link had brought an author's copy first, and
decisions made apart on different laptops could leave an author no way in (two laptops each
keeping the other for it: a cycle). That was found only when the notes showed a skipped peer
ahead, and mended by taking the author again on a link, which then brought copies until it was
skipped again: in a 30-laptop room ~42 takes per laptop, and each changeset read ~1.6 times.

With the "tree" feature each laptop says in NEIGHBOURS how many links away it is from every
laptop it reaches ("hops"): one more than the nearest of its peers, as routers count distances
(at most MAX_HOPS). For each author it keeps the link to the peer nearest that author (on a tie,
the one ranked first for that author by a hash of the pair) and asks every other link to skip
the author. A kept peer is always one link nearer the author than the laptop keeping it, so the
kept links of all laptops form a tree rooted at the author, whatever each decides on its own.
A peer is not told a route that goes through itself (split horizon): a lost link does not leave
two laptops each counting on the other. While counts are still moving (a link just came or
went), the notes' watch (sync/skipping.py) still catches an author that stopped coming.
The choice is pure logic; `Routes.tell` hands it to the conversations (no sockets, no store here).

A member in bad faith can claim to be near every author, to become everyone's kept link, and
then withhold what it should relay. Its claims are believed only as far as it could know: one
link from the devices it says it hears directly, two at best from the others, and only for
members of the group (no made-up devices in everyone's counts). A kept peer that let a skipped
peer hold more of an author for the tree's patience (sync/skipping.py then takes the author back
on that link) owes what followed; if that happens again while it has owed for OWED_LIMIT, it
loses its say for that author: for BACK_OFF seconds, doubled each time again, up to BACK_OFF_MAX.
An honest relay on a busy laptop brings what it owed late, and is not passed over.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from organiser.core.keys import short_id
from organiser.sync.protocol import MAX_HOPS

if TYPE_CHECKING:
    from organiser.sync.session import Session

log = logging.getLogger(__name__)

BACK_OFF = 30.0  # seconds a kept peer that brought nothing of an author has no say for it, at first
BACK_OFF_MAX = 600.0


def believed(devices: frozenset[str], hops: dict[str, int], members: Collection[str]) -> dict[str, int]:
    """What of a peer's counts can be true: members only; one link away only from a device it
    says it hears directly (its own count, 0, is implied)."""
    return {a: n if n > 1 or a in devices else 2 for a, n in hops.items() if a in members}


def rank(author: str, peer: str) -> bytes:
    """The order of two equally near peers for one author: the same on every laptop, and spread
    over the peers so that one laptop does not relay every author."""
    return hashlib.blake2b(f"{author}\x00{peer}".encode(), digest_size=8).digest()


@dataclass
class Routes:
    """One laptop's counts: how far it is from each laptop it reaches, and through which peer."""

    me: str
    hops: dict[str, int] = field(default_factory=dict)  # device -> links away
    parents: dict[str, str] = field(default_factory=dict)  # author -> the peer whose link brings it
    # (peer, author) -> until when (monotonic) the peer has no say for the author, and how many times
    # so far: at most one entry per pair of members.
    backed_off: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)

    def back_off(self, peer: str, author: str, now: float | None = None) -> float:
        """The peer kept for `author` owed it for long: no say for it for a while (returned)."""
        now = time.monotonic() if now is None else now
        times = self.backed_off.get((peer, author), (0.0, 0))[1]
        seconds = min(BACK_OFF * 2 ** times, BACK_OFF_MAX)
        self.backed_off[peer, author] = (now + seconds, times + 1)
        log.info("%s was kept for %s and owed it for long: passed over for it for %.0f s",
                 short_id(peer), short_id(author), seconds)
        return seconds

    def update(self, peers: Iterable[tuple[str, dict[str, int] | None, set[str]]], now: float | None = None) -> bool:
        """Count again from the live links: (peer, the hops it said or None, authors doubted on that
        link: never kept for those). Peers backed off for an author are not counted for it. Whether
        anything changed."""
        now = time.monotonic() if now is None else now
        best: dict[str, tuple[int, bytes, str]] = {}
        for peer, said, doubted in peers:
            for author, away in ((peer, 0), *(said or {}).items()):
                if author == self.me or away + 1 > MAX_HOPS or (author in doubted and author != peer):
                    continue
                if author != peer and self.backed_off.get((peer, author), (0.0, 0))[0] > now:
                    continue
                key = (away, rank(author, peer), peer)
                if author not in best or key < best[author]:
                    best[author] = key
        hops = {a: key[0] + 1 for a, key in best.items()}
        parents = {a: key[2] for a, key in best.items()}
        changed = hops != self.hops or parents != self.parents
        self.hops, self.parents = hops, parents
        return changed

    def told(self, peer: str) -> dict[str, int]:
        """The hops `peer` is told: none that go through it, nor its own."""
        return {a: n for a, n in self.hops.items() if a != peer and self.parents.get(a) != peer}

    async def tell(self, sessions: list[Session], heard: frozenset[str], lost: frozenset[str]) -> None:
        """Tell every peer whom we hear directly (nobody relays those devices' changesets to us) and
        the hops it may count on, and follow the tree on every link; when we lost a link, ask the
        others for what we may lack, and take again what no open link brings (after the tree has
        chosen: the tree's new link may bring it)."""
        for session in sessions:
            try:
                await session.tell_neighbours(heard, self.told(session.peer_device))
                await session.follow_tree()
            except (ConnectionError, OSError) as exc:
                log.info("could not update %s: %s", session.peer_short, exc)
        for session in sessions if lost else ():
            session.note_held(set(lost))  # the peer counted the lost devices' changesets as theirs to bring
            try:
                await session.request_missing()
                await session.take_orphans()  # authors only the lost link brought
            except (ConnectionError, OSError) as exc:
                log.info("could not update %s: %s", session.peer_short, exc)
