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
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from organiser.core.keys import short_id
from organiser.sync import protocol as p

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
# A link that said nothing for this long no longer counts as bringing an author in bulk.
BRINGING_QUIET = 5.0


class CopySkipping:
    """The Session's half that decides what each link carries; state is set by Session."""

    replica: Replica
    peer_device: str
    siblings: Callable[[], list[CopySkipping]]
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
    _suspects: dict[str, tuple[int, float]]
    _note_wanted: asyncio.Event

    async def _send(self, data: bytes) -> None: ...

    async def _send_missing(self, vector: dict[str, int]) -> None: ...

    def _note(self, authors: set[str]) -> None:
        self._note_authors |= authors
        self._note_wanted.set()

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
        for other in others:
            theirs = other.peer_known.get(author, 0)
            if author in other.skipping or theirs - held < BULK_GAP:
                continue
            # On a tie the author's own link keeps it, else the link that greeted first.
            if theirs > mine or (theirs == mine and (other.peer_device == author or (
                    other.greeted_at is not None and other.greeted_at < self.greeted_at))):
                return True
        return False

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
            log.debug("asking %s to skip %s: another link brings them from a fuller peer", short_id(self.peer_device),
                      [short_id(a) for a in sorted(skip)])
            await self._send(p.encode_relay(skip=skip))

    def _behind_another(self, authors: set[str]) -> bool:
        """Cheap, with no query (a live room calls it for every frame): does another link's peer
        hold far more of one of these authors than this link's peer?"""
        return any(a not in s.skipping and s.peer_known.get(a, 0) - self.peer_known.get(a, 0) >= BULK_GAP
                   for s in self._other_links() for a in authors)

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
                log.info("could not tell %s what to skip: %s", short_id(other.peer_device), exc)

    def _still_brought(self, author: str, seq: int, ours: dict[str, int]) -> bool:
        """A peer holds `seq` of an author we skip on its link: in bulk, another link still bringing
        it (not skipped there, heard lately, its peer holding more than we do or a relay that brought
        some lately) is waited for: taking it here too, both streamed the same changesets at once."""
        held, others = ours.get(author, 0), self._other_links()
        # In bulk when some peer holds far more than we do: this one, or another (a relay just ahead
        # of us is then still a source, not a lagging tree link).
        if max([seq, *(s.peer_known.get(author, 0) for s in others)]) - held < BULK_GAP:
            return False
        now = time.monotonic()
        return any(author not in s.skipping and now - s._last_heard < BRINGING_QUIET
                   and (s.peer_known.get(author, 0) > held or now - s.brought_at.get(author, -BRINGING_QUIET)
                        < BRINGING_QUIET) for s in others)

    async def _skip_copies(self, authors: set[str]) -> None:
        """Copies of these authors' changesets came from the peer while we held them: ask it to
        skip them, unless this is the last link bringing an author, or the author's own link."""
        if not self.peer_skips:
            return
        others = self._other_links()
        me = self.replica.device_id
        skip = {a for a in authors - self.skipping if a != self.peer_device
                and (a == me or any(a not in s.skipping for s in others))}
        if skip:
            self.skipping |= skip
            log.debug("asking %s to skip %s: copies of them came", short_id(self.peer_device),
                      [short_id(a) for a in sorted(skip)])
            await self._send(p.encode_relay(skip=skip))

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
                      short_id(self.peer_device))
            await self._take(orphans)

    async def _take(self, authors: set[str]) -> None:
        self.skipping -= authors
        ours = self.replica.version_vector()
        await self._send(p.encode_relay(take={a: ours.get(a, 0) for a in sorted(authors)}))

    def _suspect(self, vector: dict[str, int]) -> None:
        """The peer holds more of an author we skip on this link than we do: a tree link may be
        slow (fine) or gone quiet; checked again after NOTE_EVERY."""
        ours: dict[str, int] | None = None
        for author in self.skipping & vector.keys():
            ours = ours if ours is not None else self.replica.version_vector()
            if vector[author] > ours.get(author, 0) and author not in self._suspects:
                self._suspects[author] = (vector[author], time.monotonic())
        if self._suspects:
            self._note_wanted.set()

    async def _on_relay(self, skip: frozenset[str], take: dict[str, int]) -> None:
        self.skipped_by_peer |= skip
        if take:
            self.skipped_by_peer -= take.keys()
            for author, seq in take.items():
                self.peer_known[author] = seq  # what it holds, as it says: what follows is sent
            if not self.live:  # our first stream to it runs: it starts over for these from there
                self._stream_from.update(take)
                return
            await self._send_missing({**self.replica.version_vector(), **take})

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
                          [short_id(a) for a in sorted(lacking)], short_id(self.peer_device))
                await self._take(lacking)
            if self._suspects:
                self._note_wanted.set()

    async def _send_note(self, ours: dict[str, int]) -> None:
        """What we hold of the authors gathered since the last note, in one VECTOR."""
        authors, self._note_authors = self._note_authors, set()
        if authors:
            await self._send(p.encode_vector({a: ours[a] for a in authors if a in ours}))

    def _overdue_suspects(self, ours: dict[str, int]) -> set[str]:
        """Skipped authors the peer has held more of than we do for NOTE_EVERY: to be taken again.
        Suspects we caught up with, or no longer skip, are forgotten; the others stay watched."""
        now = time.monotonic()
        lacking = {a for a, (seq, since) in self._suspects.items()
                   if a in self.skipping and ours.get(a, 0) < seq and now - since >= NOTE_EVERY
                   and not self._still_brought(a, seq, ours)}
        self._suspects = {a: v for a, v in self._suspects.items()
                          if a in self.skipping and a not in lacking and ours.get(a, 0) < v[0]}
        return lacking
