"""Copies in a room linked with cycles: which links bring which authors (part of sync/session.py).

In a room linked with cycles (net/fanout.py) the same changeset reaches a laptop by several
links. When a copy of an author's changeset arrives that we already hold, and another link
still brings that author, we tell the sender to skip the author (RELAY): each author's news
then flows along a tree instead of flooding every link. Every link still says a few times a
second what it holds of the authors it skips (VECTOR notes); if a peer holds more of one than
we do for longer than NOTE_EVERY, or the links that brought it close, we take the author again
(RELAY take) and the peer sends what follows the number we name. Only with peers whose HELLO
lists the "skip" feature; older versions relay everything to us, as before.

A first sync (or any catching up by BULK_GAP or more) is taken from one link per author: ten
laptops joining at once each linked to several others, and each link streamed the whole group,
so the air carried three copies for every one needed. Of the links that bring an author, the one
whose peer holds the most of it keeps it (on a tie, the one that greeted first); the others are
told to skip it, at HELLO (with the "source" feature the peer waits for that word before it
streams) or at their next frame. A skipped peer that holds more than we do is not taken again
while the chosen link still brings the author in bulk.

With the "tree" feature (sync/routes.py) the link kept for each author is chosen by how many
links away each peer is from that author, so the kept links of all laptops form a tree rooted at
the author: every other link is asked to skip it as soon as the counts are known, before any copy
comes, and a copy that comes on the kept link makes the others skip it again. A skipped peer that
holds more is then taken again only once the kept link has left it behind for TREE_PATIENCE: that
link is open and nearer the author, and the links that closed changed the counts at once.

A member in bad faith may claim to hold more than it sends, to keep a joiner from the honest
links it skips. Claims do not count, only what arrives: when what we hold of a skipped author
has not grown for BRINGING_QUIET, or the author has been skipped with a fuller peer for
BULK_PATIENCE, the author is taken again, and the links whose claims did not bring it are
doubted for it (never again the chosen source of that author, on this connection).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from organiser.core.keys import short_id
from organiser.sync import outbox
from organiser.sync import protocol as p
from organiser.sync.outbox import Outgoing

if TYPE_CHECKING:
    from organiser.store.replica import Replica

log = logging.getLogger(__name__)

# Live acknowledgements (VECTOR) and news of authors the peer skips are gathered this long: one
# frame per link a few times a second instead of one after every relayed frame. It is also how
# late a laptop notices that the links it kept for an author stopped bringing it (then it takes
# the author again from a peer that has more).
NOTE_EVERY = 0.25
# Changesets of one author a peer holds beyond us that make it a first sync (or a long absence),
# taken from one link: a live room's relays lag by a few, never by this many.
BULK_GAP = 100
# A link that said nothing for this long no longer counts as bringing an author in bulk; nor
# do links that brought nothing new of it for this long.
BRINGING_QUIET = 5.0
# However steadily a source brings an author, a skipped peer holding more than we do is taken
# again after this long: a source in bad faith that trickles cannot hold a joiner back for longer.
BULK_PATIENCE = 60.0
TAKEN_CHUNK = 2000  # changesets read from the store at a time for an author taken again
# How long a skipped peer may hold more of an author than we do while the tree's kept link for it,
# open and nearer the author, brings nothing of it: on a room's busy laptops a relay lags by a
# second now and then, and taking the author on another link then brought copies until it was
# skipped again (NOTE_EVERY was waited before). A kept link that does bring the author, only
# late, is waited for up to TREE_PATIENCE_MAX. A link that closes changes the counts at once.
TREE_PATIENCE = 1.5
TREE_PATIENCE_MAX = 5.0
# A kept link that paid a debt (brought late what another link was ahead with) was only slow: for
# LATE_MEMORY it is waited for LATE_MARGIN times as long as it was late (up to TREE_PATIENCE_MAX).
# On 2 cores running a 30-laptop room, relays lagged by 2-5 s once the machine was busy; with a
# fixed 1.5 s each laptop took ~25 authors back per run on other links, which brought copies,
# which cost more CPU, so relays lagged more.
LATE_MEMORY = 30.0
LATE_MARGIN = 1.5
# A kept link that let another get ahead owes what followed; unpaid for this long when it happens
# again, it is passed over for that author (sync/routes.py). In a loaded 30-laptop room (load
# average 15-22 on 2 cores) an edit took up to 7-9 s (p99) to reach every laptop, and honest relays
# passed over at the second take-back (5 a laptop) made the room slower (convergence 5-6 s, not 1.5-2.5).
OWED_LIMIT = 20.0


@dataclass
class Suspect:
    """A skipped author the peer holds more of than we do: watched until we hold it too."""

    seq: int  # what the peer holds
    since: float  # when we first saw that
    held: int  # what we held when our copy last grew
    grew_at: float  # and when


class CopySkipping:
    """The Session's half that decides what each link carries; state is set by Session."""

    replica: Replica
    peer_device: str
    peer_short: str
    siblings: Callable[[], list[CopySkipping]]
    parents: Callable[[], dict[str, str]]
    distrust: Callable[[str, str], None]
    live: bool
    received_all: asyncio.Event
    closed: asyncio.Event
    peer_known: dict[str, int]
    peer_skips: bool
    peer_chooses: bool
    greeted_at: float | None
    _last_heard: float
    _stream_from: dict[str, int]
    brought_at: dict[str, float]
    skipped_by_peer: set[str]
    skipping: set[str]
    _note_authors: set[str]
    _suspects: dict[str, Suspect]
    doubted: set[str]
    owed: dict[str, tuple[int, float]]
    paid_late: deque[tuple[float, float]]
    _note_wanted: asyncio.Event
    _push_lock: asyncio.Lock

    if TYPE_CHECKING:  # sync/asking.py, sync/receiving.py
        def _ask(self, vector: dict[str, int] | None = None, take: dict[str, int] | None = None) -> None: ...
        def _of_members(self, said: dict[str, int]) -> dict[str, int]: ...
        def _take_during_first_stream(self, take: dict[str, int]) -> None: ...

    # Declared only for the type checker, as above: stubs defined here would hide sync/sending.py's
    # methods from Session, which lists that half after this one.
    if TYPE_CHECKING:  # sync/sending.py
        async def _send(self, data: bytes) -> None: ...
        async def _send_changesets(self, batch: list[Outgoing], remaining: int = 0) -> None: ...
        def _note_sent(self, batch: list[Outgoing]) -> None: ...

    def _note(self, authors: set[str]) -> None:
        self._note_authors |= authors
        self._note_wanted.set()

    def note_held(self, authors: set[str]) -> None:
        """Tell the peer, in the next note, what we hold of these authors: we lost the link that
        brought them, so the peer no longer counts them as ours by that link, and reads us up to
        date only once it knows we hold them (two laptops left in a room said "Exchanging changes"
        for ever once the third went away, or was removed)."""
        self._note(authors - {self.replica.device_id, self.peer_device})

    def _other_links(self) -> list[CopySkipping]:
        """Our other open conversations past HELLO: one still streaming its first sync brings authors too."""
        return [s for s in self.siblings() if s is not self and s.greeted_at is not None and not s.closed.is_set()]

    def _outdone(self, author: str, ours: dict[str, int], others: list[CopySkipping]) -> bool:
        """Another link brings `author` in bulk from a peer holding at least as much of it as ours
        does (the same and greeted first): this link need not bring it too. Never the author's own link."""
        # Whether this peer has more for us right now does not matter: a relay that just sent what it
        # had will have more in a moment, while the fuller peer's link brings it all anyway.
        mine, held = self.peer_known.get(author, 0), ours.get(author, 0)
        if author == self.peer_device or self.greeted_at is None:
            return False
        return any(other._brings_in_bulk(author, held) and other._fuller_than(self, author, mine) for other in others)

    def _brings_in_bulk(self, author: str, held: int) -> bool:
        """This link is a candidate source of `author`: not skipped, not doubted, far ahead of us."""
        return (author not in self.skipping and author not in self.doubted
                and self.peer_known.get(author, 0) - held >= BULK_GAP)

    def _fuller_than(self, other: CopySkipping, author: str, theirs: int) -> bool:
        """This link's peer holds more of `author` than `other`'s (`theirs`); on a tie the author's
        own link wins, else the link that greeted first."""
        mine = self.peer_known.get(author, 0)
        if mine != theirs:
            return mine > theirs
        return self.peer_device == author or (self.greeted_at is not None and other.greeted_at is not None
                                              and self.greeted_at < other.greeted_at)

    async def _choose_sources(self, authors: set[str] | None = None) -> None:
        """Skip on this link the authors another link brings in bulk from a fuller peer (all that the
        peer holds more of than we do right after HELLO, or `authors` of a frame that just came)."""
        others = self._other_links()
        if not self.peer_skips or not others:
            return
        ours = self.replica.version_vector()
        candidates = self.peer_known.keys() if authors is None else authors
        skip = {a for a in candidates if a not in self.skipping and self._outdone(a, ours, others)}
        if skip:
            self.skipping |= skip
            log.debug("asking %s to skip %s: another link brings them from a fuller peer", self.peer_short,
                      [short_id(a) for a in sorted(skip)])
            await self._send(p.encode_relay(skip=skip))
            self._suspect({a: self.peer_known[a] for a in skip}, ours)  # watched: does the other link bring them?

    def _behind_another(self, authors: set[str]) -> bool:
        """Cheap, with no query (a live room calls it for every frame): does another link's peer
        hold far more of one of these authors than this link's peer?"""
        return any(a not in s.skipping and a not in s.doubted and s.peer_known.get(a, 0) - self.peer_known.get(a, 0)
                   >= BULK_GAP for s in self._other_links() for a in authors)

    async def _say_sources(self) -> None:
        """Right after HELLO: what we take from other links; with the "source" feature this RELAY is
        said even when empty, since the peer waits for it before streaming."""
        before = set(self.skipping)
        await self._choose_sources()
        if self.peer_chooses and self.skipping == before:
            await self._send(p.encode_relay())
        # A fuller peer (the group's founder, heard after a relay that holds part of it): the links
        # that brought its authors so far skip them now, not at their next frame.
        ours = self.replica.version_vector()
        fuller = {a for a, s in self.peer_known.items() if a not in self.skipping and s - ours.get(a, 0) >= BULK_GAP}
        for other in self._other_links() if fuller else ():
            try:
                await other._choose_sources(fuller)
            except (ConnectionError, OSError) as exc:  # that conversation ends on its own
                log.info("could not tell %s what to skip: %s", other.peer_short, exc)

    def _still_brought(self, author: str, suspect: Suspect, ours: dict[str, int], now: float) -> bool:
        """A peer holds more of an author we skip on its link: in bulk, another link still bringing
        it (not skipped there, heard lately, its peer holding more than we do or a relay that brought
        some lately) is waited for: taking it here too, both streamed the same changesets at once.
        Only while what we hold of it grows, and for BULK_PATIENCE at most."""
        held, others = ours.get(author, 0), self._other_links()
        # In bulk when some peer holds far more than we do: this one, or another (a relay just ahead
        # of us is then still a source, not a lagging tree link).
        if max([suspect.seq, *(s.peer_known.get(author, 0) for s in others)]) - held < BULK_GAP:
            return False
        if now - suspect.grew_at >= BRINGING_QUIET or now - suspect.since >= BULK_PATIENCE:
            return False
        return any(author not in s.skipping and now - s._last_heard < BRINGING_QUIET
                   and (s.peer_known.get(author, 0) > held or now - s.brought_at.get(author, -BRINGING_QUIET)
                        < BRINGING_QUIET) for s in others)

    async def _skip_copies(self, authors: set[str]) -> None:
        """Copies of these authors' changesets came from the peer while we held them: ask it to
        skip them, unless this is the last link bringing an author, the author's own link, or the
        tree's kept link for it (then the other links skip it again)."""
        if not self.peer_skips:
            return
        others = self._other_links()
        me, parents = self.replica.device_id, self.parents()
        skip = {a for a in authors - self.skipping if a != self.peer_device
                and (a == me or (parents[a] != self.peer_device if a in parents
                                 else any(a not in s.skipping for s in others)))}
        if skip:
            self.skipping |= skip
            log.debug("asking %s to skip %s: copies of them came", self.peer_short,
                      [short_id(a) for a in sorted(skip)])
            await self._send(p.encode_relay(skip=skip))
        kept_here = {a for a in authors if parents.get(a) == self.peer_device}
        for other in others if kept_here else ():  # taken on another link meanwhile: skipped there again
            await other.follow_tree(kept_here)

    async def follow_tree(self, authors: set[str] | None = None) -> None:
        """Skip on this link the authors the tree brings by another link; take again those it
        brings by this one (sync/routes.py). Authors caught up in bulk are left to the choice of
        a source, and authors we hear directly are relayed to us by nobody."""
        if not self.peer_skips or not self.live or not self.received_all.is_set() or self.closed.is_set():
            return
        parents = self.parents()
        if not parents:
            return
        links = [self, *self._other_links()]
        direct = {s.peer_device for s in links} | {self.replica.device_id}
        candidates = parents.keys() if authors is None else authors & parents.keys()
        skip = {a for a in candidates if parents[a] != self.peer_device and a not in direct and a not in self.skipping}
        take = {a for a in candidates if parents[a] == self.peer_device and a in self.skipping}
        if not skip and not take:
            return
        ours = self.replica.version_vector()
        settled = {a for a in skip | take
                   if max(s.peer_known.get(a, 0) for s in links) - ours.get(a, 0) < BULK_GAP}
        skip, take = skip & settled, take & settled
        if skip or take:
            self.skipping = (self.skipping | skip) - take
            log.debug("%s: skipping %s, taking %s, as the tree says", self.peer_short,
                      [short_id(a) for a in sorted(skip)], [short_id(a) for a in sorted(take)])
            await self._send(p.encode_relay(skip=skip, take={a: ours.get(a, 0) for a in sorted(take)}))

    async def take_orphans(self) -> None:
        """After a link closed: authors we skip here that no open link brings any more are
        taken again from this peer (the first conversation asked takes them)."""
        if not self.skipping or not self.live or self.closed.is_set():
            return
        others = self._other_links()
        me = self.replica.device_id
        orphans = {a for a in self.skipping if a != me and all(a in s.skipping for s in others)}
        if orphans:
            log.debug("taking %s from %s again: no open link brings them", [short_id(a) for a in sorted(orphans)],
                      self.peer_short)
            await self._take(orphans)

    async def _take(self, authors: set[str]) -> None:
        self.skipping -= authors
        ours = self.replica.version_vector()
        await self._send(p.encode_relay(take={a: ours.get(a, 0) for a in sorted(authors)}))

    def _suspect(self, vector: dict[str, int], ours: dict[str, int] | None = None) -> None:
        """The peer holds more of an author we skip on this link than we do: a tree link may be
        slow (fine) or gone quiet; checked again after NOTE_EVERY."""
        now = time.monotonic()
        for author in (self.skipping & vector.keys()) - self._suspects.keys():
            ours = ours if ours is not None else self.replica.version_vector()
            held = ours.get(author, 0)
            if vector[author] > held:
                self._suspects[author] = Suspect(vector[author], now, held, now)
        if self._suspects:
            self._note_wanted.set()

    async def _on_relay(self, skip: frozenset[str], take: dict[str, int]) -> None:
        members = self.replica.roster().keys
        self.skipped_by_peer |= {a for a in skip if a in members}
        take = self._of_members(take)
        if take:
            self.skipped_by_peer -= take.keys()
            for author, seq in take.items():
                self.peer_known[author] = seq  # what it holds, as it says: what follows is sent
            if not self.live:  # our first stream to it runs: it starts over for these from there
                self._take_during_first_stream(take)
                return
            self._ask(take=take)  # sent as its allowance holds (sync/asking.py)

    async def _send_taken(self, take: dict[str, int]) -> int:
        """What follows the numbers the peer names, of the authors it takes again; how many."""
        sent = after = 0
        async with self._push_lock:
            while True:
                after, batch = outbox.missing_of(self.replica.db, take, after, TAKEN_CHUNK)
                if not batch:
                    return sent
                await self._send_changesets(batch)
                self._note_sent(batch)
                sent += len(batch)

    async def _notes(self) -> None:
        """Gathered VECTOR notes, and skipped authors a peer holds more of than we do for longer
        than NOTE_EVERY taken again from it."""
        while True:
            await self._note_wanted.wait()
            await asyncio.sleep(NOTE_EVERY)
            self._note_wanted.clear()
            if not self.live:
                self._note_wanted.set()  # after our initial stream
                continue
            ours = self.replica.version_vector()
            await self._send_note(ours)
            lacking = self._overdue_suspects(ours)
            if lacking:
                log.debug("taking %s from %s again: the links kept for them stopped bringing them",
                          [short_id(a) for a in sorted(lacking)], self.peer_short)
                await self._take(lacking)
            if self._suspects:
                self._note_wanted.set()

    async def _send_note(self, ours: dict[str, int]) -> None:
        """What we hold of the authors gathered since the last note, in one VECTOR."""
        authors, self._note_authors = self._note_authors, set()
        if authors:
            await self._send(p.encode_vector({a: ours[a] for a in authors if a in ours}))

    def _overdue_suspects(self, ours: dict[str, int]) -> set[str]:
        """Skipped authors the peer has held more of than we do for NOTE_EVERY, that no other link
        brings: to be taken again (the links that claimed to bring them are doubted for them).
        Suspects we caught up with, or no longer skip, are forgotten; the others stay watched."""
        now = time.monotonic()
        lacking = {a for a, suspect in self._suspects.items() if self._overdue(a, suspect, ours, now)}
        for author in lacking:
            self._doubt_claims(author, ours.get(author, 0))
            self._blame_kept_link(author, ours.get(author, 0))
        # Taken here: the other links give this link the patience before they take it too (a copy
        # from each was a fifth of a busy room's take-backs), but no longer than TREE_PATIENCE_MAX
        # since they saw their peers ahead: this link's peer may be the one that holds it back.
        for other in self._other_links() if lacking else ():
            for author in lacking & other._suspects.keys():
                other._suspects[author].grew_at = now
        self._suspects = {a: v for a, v in self._suspects.items()
                          if a in self.skipping and a not in lacking and ours.get(a, 0) < v.seq}
        return lacking

    def _overdue(self, author: str, suspect: Suspect, ours: dict[str, int], now: float) -> bool:
        held = ours.get(author, 0)
        if held > suspect.held:  # what we hold of it grew: by another link, since we skip it here
            suspect.held, suspect.grew_at = held, now
        return (author in self.skipping and held < suspect.seq and self._waited(author, suspect, now)
                and not self._still_brought(author, suspect, ours, now))

    def _waited(self, author: str, suspect: Suspect, now: float) -> bool:
        """Long enough behind this peer: NOTE_EVERY; while the tree's kept link for `author` is
        another open link, TREE_PATIENCE with nothing of the author coming, TREE_PATIENCE_MAX in any case."""
        via = self.parents().get(author)
        kept = next((s for s in self._other_links() if s.peer_device == via and author not in s.skipping),
                    None) if via not in (None, self.peer_device) else None
        if kept is not None:
            return now - suspect.grew_at >= kept.patience(now) or now - suspect.since >= TREE_PATIENCE_MAX
        return now - suspect.since >= NOTE_EVERY

    def patience(self, now: float) -> float:
        """How long this link, kept for an author, may bring nothing of it while a skipped peer is
        ahead: TREE_PATIENCE, or longer if it lately brought late what it owed (a busy relay)."""
        late = max((by for by, at in self.paid_late if now - at < LATE_MEMORY), default=0.0)
        return min(TREE_PATIENCE_MAX, max(TREE_PATIENCE, LATE_MARGIN * late))

    def _blame_kept_link(self, author: str, held: int) -> None:
        """The tree's kept link for `author` (another open link) let this peer hold more of it for
        the patience: it owes what follows `held`, from now. An honest relay on a busy laptop brings
        it late and the debt is paid (sync/receiving.py). If this happens again while it has owed
        for OWED_LIMIT, it loses its say for the author for a while (sync/routes.py): it withholds
        what it is kept for, whatever old copies it sent meanwhile to look busy."""
        via = self.parents().get(author)
        if via is None or via in (author, self.peer_device):
            return
        now = time.monotonic()
        for other in self._other_links():
            if other.peer_device == via and author not in other.skipping:
                if author not in other.owed:
                    other.owed[author] = (held + 1, now)
                elif now - other.owed[author][1] >= OWED_LIMIT:
                    self.distrust(via, author)  # the debt stays: once its say is back, the next time costs it again

    def _doubt_claims(self, author: str, held: int) -> None:
        """The other links whose peers claim far more of `author` than we hold did not bring it. A
        live relay a few behind is only slow (a busy laptop): doubted, it would never again be kept
        for that author on this connection, and the room's trees (sync/routes.py) would go astray."""
        for other in self._other_links():
            if author not in other.skipping and other.peer_known.get(author, 0) - held >= BULK_GAP:
                other.doubted.add(author)
                log.info("%s holds more of %s than it sent; it is no longer waited for", other.peer_short,
                         short_id(author))
