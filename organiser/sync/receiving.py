"""What the peer says, read and acted on (part of sync/session.py).

Frames are read in pieces, so a big frame on a crowded Wi-Fi still shows the peer is there.
Incoming changesets are applied in chunks with a yield between, so a big initial sync does
not stall the event loop; with a worker thread (sync/applier.py) one chunk is stored while
the next is read and decoded. Bad frames close the conversation (the stream cannot be
trusted after them); bad changesets are refused by the replica and the rest goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from organiser.core.bus import SyncProgress
from organiser.core.changeset import Changeset, MalformedChangeset, decode_changeset
from organiser.core.device_name import one_line
from organiser.core.erasure import carries_order
from organiser.core.gcpause import gc_paused
from organiser.store import forks, incidents
from organiser.sync import packing
from organiser.sync import protocol as p
from organiser.sync.asking import Allowance, Excess, PeerAllowances
from organiser.sync.copies import without_held
from organiser.sync.guard import PeerGuard, TooManyRefusals
from organiser.sync.skipping import TREE_PATIENCE

if TYPE_CHECKING:
    from organiser.store.replica import Replica
    from organiser.sync.applier import BackgroundApplier
    from organiser.sync.session import SessionStats
    from organiser.sync.skipping import CopySkipping

log = logging.getLogger(__name__)

APPLY_STEP = 0.05  # seconds of SQLite work per step before yielding to the loop
APPLY_MIN, APPLY_MAX = 100, 4000  # changesets per step (one transaction each)
READ_PIECE = 64 * 1024  # bytes of a frame read at a time (each piece shows the peer is there)
# NEIGHBOURS read from a peer: a burst, then one every NEIGHBOURS_EVERY. Each one read makes the
# node count again and every link follow the counts; an honest laptop sends ~4 a link when another
# leaves (tests/net/test_tree_leave.py). Beyond the rate a frame waits, and a newer one replaces it
# unread: the latest is read when the rate allows.
NEIGHBOURS_BURST = 30
NEIGHBOURS_EVERY = 0.5
PONG_EVERY = 0.2  # a PING is answered unless we said something this recently (peers ping every 2 s)

FrameHandler = Callable[[bytes], Awaitable[None]]


class SessionClosed(Exception):
    """The conversation ended; the message says why (for `sync` and the node), and `logged` what
    the log says, which differs when the peer said why: its words are its own (a member in bad faith
    could write a member's name there), and the journal keeps the log on the disk."""

    def __init__(self, message: str, logged: str | None = None) -> None:
        super().__init__(message)
        self.logged = message if logged is None else logged


def closed_by_peer(what: str, payload: bytes) -> SessionClosed:
    """`what` ('the peer refused us'), with the peer's ERROR words for `sync`, without them in the log."""
    said = one_line(p.decode_error(payload))
    return SessionClosed(f"{what}: {said}", f"{what} (its words, {len(said):,} characters, are not logged)")


def covers(have: dict[str, int], want: dict[str, int]) -> bool:
    return all(have.get(a, 0) >= s for a, s in want.items())


class Receiving:
    """The Session's half that reads the peer's frames; state is set by Session."""

    replica: Replica
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    peer_device: str
    on_change: Callable[[Receiving], None]  # hears the Session itself
    publish_progress: bool
    applier: BackgroundApplier | None
    stats: SessionStats
    peer_known: dict[str, int]
    peer_acked: dict[str, int]
    peer_said: dict[str, int]
    received_all: asyncio.Event
    acked: asyncio.Event
    last_sync: float | None
    peer_neighbours: frozenset[str]
    peer_trees: bool
    peer_hops: dict[str, int] | None
    on_routes: Callable[[], None]
    # NEIGHBOURS the peer may send now (NEIGHBOURS_BURST at most; full at first); the latest
    # that came beyond the rate; the incident counting those dropped.
    _neighbours_allowance: Allowance
    _neighbours_waiting: tuple[frozenset[str], dict[str, int] | None] | None = None
    _neighbours_excess: Excess
    peer_heads: tuple[dict[str, int], dict[str, str]]
    guard: PeerGuard
    live: bool
    allowances: PeerAllowances
    _proofs_before_synced: int
    _kept_aside_before_synced: dict[str, int]
    refused_peer: bool
    codecs: tuple[str, ...]
    peer_skips: bool
    skipping: set[str]
    _peer_chose: asyncio.Event
    brought_at: dict[str, float]
    owed: dict[str, tuple[int, float]]
    paid_late: deque[tuple[float, float]]
    _sent_target: dict[str, int] | None
    _last_heard: float
    _last_said: float
    _brought_copies: bool = False  # the peer sent changesets we held: each chunk is checked for copies
    _turned_away: str
    _progress_done: int
    _chunk: int
    _in_flight: asyncio.Task[None] | None

    if TYPE_CHECKING:  # what Session and its copy-skipping half provide (sync/session.py, sync/skipping.py)
        @property
        def peer_short(self) -> str: ...
        async def _send(self, data: bytes) -> None: ...
        async def request_missing(self) -> None: ...
        def _ask(self, vector: dict[str, int] | None = None, take: dict[str, int] | None = None) -> None: ...
        async def _skip_copies(self, authors: set[str]) -> None: ...
        async def _choose_sources(self, authors: set[str] | None = None) -> None: ...
        def _other_links(self) -> list[CopySkipping]: ...
        def _behind_another(self, authors: set[str]) -> bool: ...
        async def _on_relay(self, skip: frozenset[str], take: dict[str, int]) -> None: ...
        def _suspect(self, vector: dict[str, int]) -> None: ...
        def _note(self, authors: set[str]) -> None: ...

    async def _read_frame(self) -> p.Frame:
        header = await self.reader.readexactly(p.HEADER.size)
        frame_type, length = p.parse_header(header)
        # Read a big frame in pieces: on a crowded Wi-Fi one frame can take seconds to arrive,
        # and a peer whose bytes keep coming is not silent.
        pieces, left = [], length
        while left:
            pieces.append(await self.reader.readexactly(min(left, READ_PIECE)))
            left -= len(pieces[-1])
            self._last_heard = time.monotonic()
        self._last_heard = time.monotonic()
        self.stats.bytes_received += p.HEADER.size + length
        return p.Frame(frame_type, b"".join(pieces))

    # ---- one handler per frame a sync conversation may carry -----------------------------

    def _frame_handlers(self) -> dict[p.FrameType, FrameHandler]:
        """What each frame of the live conversation does; any other frame is out of place."""
        return {
            p.FrameType.CHANGES: self._on_changes,
            p.FrameType.PACKED: self._on_packed,
            p.FrameType.SYNCED: self._on_synced,
            p.FrameType.VECTOR: self._on_vector,
            p.FrameType.RELAY: self._on_relay_frame,
            p.FrameType.NEIGHBOURS: self._on_neighbours,
            p.FrameType.REQUEST: self._on_request,
            p.FrameType.PING: self._on_ping,
            p.FrameType.PONG: self._on_pong,
            p.FrameType.ERROR: self._on_error,
        }

    async def _receive(self) -> None:
        handlers = self._frame_handlers()
        while True:
            frame = await self._read_frame()
            handler = handlers.get(frame.type)
            if handler is None:
                raise p.ProtocolError(f"a {frame.type.name} frame is out of place in a sync conversation")
            await handler(frame.payload)

    async def _on_packed(self, payload: bytes) -> None:
        await self._on_changes(self._unpack(payload))

    async def _on_synced(self, payload: bytes) -> None:
        """The peer's initial stream is all here: say what we hold now (it may stop waiting)."""
        if self.received_all.is_set():  # each costs a reading of the store and a reply: said once
            raise p.ProtocolError("the peer said twice that its first stream was all sent (SYNCED)")
        await self._settle()
        await self._fetch_other_versions()
        self.received_all.set()
        self._check_acked()  # its stream may have brought a removal that withdrew some of what we sent
        self.last_sync = time.time()
        await self._send(p.encode_vector(self.replica.version_vector(), answers_synced=True))
        self.on_change(self)

    async def _on_vector(self, payload: bytes) -> None:
        """What the peer holds now: an acknowledgement of what we sent, and news of other links."""
        said, answers_synced = p.decode_vector_answer(payload)
        vector = self._of_members(said)
        if answers_synced and self.live:
            self.allowances.read_before_synced(self._proofs_before_synced, self._kept_aside_before_synced)
        for a, s in vector.items():
            self.peer_acked[a] = max(self.peer_acked.get(a, 0), s)
            self.peer_said[a] = max(self.peer_said.get(a, 0), s)
            self.peer_known[a] = max(self.peer_known.get(a, 0), s)
        self._check_acked()
        if self.skipping:
            self._suspect(vector)

    def _check_acked(self) -> None:
        """The peer holds what we sent at first, as far as we still hold it ourselves: a removal
        heard meanwhile withdraws the removed device's later changesets here, and the peer
        refuses them, so waiting for it to acknowledge them would wait for ever. Nor a number we
        only count as held, a late edit of a forgotten member refused here (store/late_edits.py)."""
        if self._sent_target is None or self.acked.is_set():
            return
        held = self.replica.held_vector()
        if covers(self.peer_acked, {a: min(s, held.get(a, 0)) for a, s in self._sent_target.items()}):
            self.acked.set()

    def _of_members(self, said: dict[str, int]) -> dict[str, int]:
        """What a peer says of the group's devices only. It may name any number of made-up ones
        (whose changesets would be refused anyway): none is kept, watched or passed on to other links."""
        members = self.replica.roster().keys
        return {a: s for a, s in said.items() if a in members}

    async def _on_relay_frame(self, payload: bytes) -> None:
        if not self.peer_skips:
            raise p.ProtocolError("a RELAY frame from a peer that did not offer the skip feature")
        await self._on_relay(*p.decode_relay(payload))
        self._peer_chose.set()

    async def _on_neighbours(self, payload: bytes) -> None:
        said = p.decode_neighbours_hops(payload)  # a bad one closes the conversation, however fast
        if self._neighbours_waiting is None and self._neighbours_allowed():
            self._take_neighbours(said)
            return
        if self._neighbours_waiting is None:  # read when the rate allows, unless a newer one comes first
            asyncio.get_running_loop().call_later(NEIGHBOURS_EVERY, self._take_waiting_neighbours)
        else:
            self.stats.neighbours_dropped += 1
            self._neighbours_excess.note(self.replica.db, self.peer_device, self.stats.neighbours_dropped,
                                         "{count} NEIGHBOURS messages in one conversation came faster than the "
                                         "app sends them and were not read")
        self._neighbours_waiting = said

    def _neighbours_allowed(self) -> bool:
        return self._neighbours_allowance.spend(1, time.monotonic())

    def _take_waiting_neighbours(self) -> None:
        said, self._neighbours_waiting = self._neighbours_waiting, None
        if said is not None:
            self._neighbours_allowed()  # counted: the next one waits again unless the rate allows it
            self._take_neighbours(said)

    def _take_neighbours(self, said: tuple[frozenset[str], dict[str, int] | None]) -> None:
        self.peer_neighbours, hops = said
        if self.peer_trees and hops != self.peer_hops:  # the node counts again (sync/routes.py)
            self.peer_hops = hops
            self.on_routes()

    async def _on_request(self, payload: bytes) -> None:
        # Sent as its allowance holds (sync/asking.py). Authors outside the roster (of whom we hold
        # nothing) are left out: a vector of 100,000 made-up names would make the reading of the
        # change log join against all of them.
        self._ask(vector=self._of_members(p.decode_vector(payload)))

    async def _on_ping(self, payload: bytes) -> None:
        # A PING asks "are you there?": anything we said lately answers it. A peer that packs
        # thousands of PINGs in one record gets a few PONGs, not one write each.
        if time.monotonic() - self._last_said >= PONG_EVERY:
            await self._send(p.encode_frame(p.FrameType.PONG))

    async def _on_pong(self, payload: bytes) -> None:
        """Nothing to do: reading it showed the peer is there."""

    async def _on_error(self, payload: bytes) -> None:
        raise closed_by_peer("the peer closed the conversation", payload)

    def _unpack(self, packed: bytes) -> bytes:
        try:
            return packing.unpack(packed, self.codecs)
        except packing.UnpackRefused as exc:
            # Counted and kept away like a peer that sends refused changesets: a bomb costs it a back-off.
            incidents.note(self.replica.db, self.peer_device, "packed", str(exc))
            self.refused_peer = True
            raise

    # ---- changesets: decoded, copies skipped, stored in timed chunks ----------------------

    async def _on_changes(self, payload: bytes) -> None:
        items, remaining = p.decode_changes(payload)
        self.stats.received += len(items)
        # The same changeset twice in one frame is read once: a packed frame of one copy repeated
        # (sync/packing.py caps what a frame expands to, not by how much) was thousands of reads.
        items = list(dict.fromkeys(items))
        authors: set[str] = set()
        start = 0
        while start < len(items):
            # self._chunk follows how long the last chunk took to store (see _apply_chunk).
            chunk = items[start:start + self._chunk]
            start += len(chunk)
            copies: list[tuple[str, int]] = []
            # A first sync from one link has none, unless the peer sent some already (a member
            # repeating what we hold, each a decode and a write transaction otherwise).
            if self.received_all.is_set() or self._other_links() or self._brought_copies:
                # Live relays bring the same changeset from several peers: a copy we hold costs a
                # share of one lookup (sync/copies.py) instead of a decode and a write transaction.
                chunk, copies = without_held(self.replica.db, chunk)
            good = self._decode_chunk(chunk)
            authors |= self._learn_peer_holds([(cs.author, cs.seq) for cs in good] + copies)
            if copies:  # ... and asks the peer to skip their authors
                await self._skip_copies({author for author, _seq in copies})
            if not good:
                continue
            await self._store_chunk(good)
        await self._after_changes(len(items), remaining, authors)
        if self._behind_another(authors):  # another link brings these from a fuller peer
            await self._choose_sources(authors)

    def _decode_chunk(self, chunk: list[tuple[bytes, bytes]]) -> list[Changeset]:
        """The chunk's well-formed changesets; the malformed ones are counted against the peer."""
        good: list[Changeset] = []
        malformed: list[str] = []
        with gc_paused():
            for body, signature in chunk:
                try:
                    good.append(decode_changeset(body, signature))
                except MalformedChangeset as exc:
                    malformed.append(str(exc))
        if malformed:
            self.stats.refused += len(malformed)
            log.warning("refused %d changeset(s) from %s: %s", len(malformed), self.peer_short, malformed[0])
            self.guard.count_malformed(malformed[0], len(malformed))
        return good

    def _learn_peer_holds(self, sent: list[tuple[str, int]]) -> set[str]:
        """The peer holds what it sent us (author, number): it is not sent back. Returns the authors sent."""
        authors: set[str] = set()
        known = self.peer_known
        for author, seq in sent:
            authors.add(author)
            if seq > known.get(author, 0):
                known[author] = seq
        now = time.monotonic()
        for author in authors:
            self.brought_at[author] = now
        if self.owed:  # a relay kept for an author, late, brought what it owed: only slow (sync/skipping.py)
            for author, seq in sent:
                if author in self.owed and seq >= self.owed[author][0]:
                    # Late by at least the least patience, before it was blamed, and what followed.
                    self.paid_late.append((now - self.owed.pop(author)[1] + TREE_PATIENCE, now))
        return authors

    async def _store_chunk(self, good: list[Changeset]) -> None:
        await self._settle()
        if self.applier is not None:
            # The worker applies this chunk while the next one is read and decoded here.
            self._in_flight = asyncio.create_task(self._apply_chunk(good))
        else:
            await self._apply_chunk(good)
        self._last_heard = time.monotonic()  # busy with the peer's data is not silence
        await asyncio.sleep(0)

    async def _after_changes(self, count: int, remaining: int, authors: set[str]) -> None:
        if not self.received_all.is_set():
            # The peer's initial stream: show how far it has come.
            self._progress_done += count
            if self.publish_progress:
                self.replica.bus.publish(SyncProgress(self._progress_done, self._progress_done + remaining, "sync"))
            return
        await self._settle()
        self.last_sync = time.time()
        if remaining == 0:
            # Say (soon, gathered) what we now hold of these authors only: the peer merges
            # entries, and a whole vector (some 70 bytes per device) after every relayed edit
            # was most of the bytes of a 30-laptop room.
            self._note(authors)

    async def _apply_chunk(self, good: list[Changeset]) -> None:
        began = time.perf_counter()
        # An order may list late edits of a forgotten member refused here, which our vector counted
        # as held (store/late_edits.py): once it falls back, the peer sends their stubs when asked.
        told = self.replica.version_vector() if any(carries_order(cs.ops) for cs in good) else None
        if self.applier is not None:
            result = await self.applier.apply(good, source=self.peer_device)
        else:
            result = self.replica.apply(good, source=self.peer_device)
        self.stats.applied += result.applied
        self.stats.refused += len(result.refused)
        self._brought_copies = self._brought_copies or result.duplicates > 0
        if told is not None and not covers(self.replica.version_vector(), told):
            await self.request_missing()
        try:
            self.guard.count(result.refused)  # the replica logged them, one line per batch
        except TooManyRefusals as exc:
            await self._turn_away(exc)
        # Keep each transaction near APPLY_STEP seconds: the app's window (applying here)
        # or a local edit (waiting for the worker's write lock) stays responsive.
        elapsed = max(time.perf_counter() - began, 1e-4)
        self._chunk = max(APPLY_MIN, min(APPLY_MAX, int(len(good) * APPLY_STEP / elapsed)))

    async def _fetch_other_versions(self) -> None:
        """Where the peer's HELLO named another hash than ours for the same number, ask for its
        version from there on: the two versions meet here, and the fork is proven."""
        vector, heads = self.peer_heads
        ours = self.replica.version_vector()
        differing = forks.differing_heads(self.replica.db, vector, heads, ours)
        if differing:
            await self._send(p.encode_request({**ours, **{a: s - 1 for a, s in differing.items()}}))

    async def _turn_away(self, exc: TooManyRefusals) -> None:
        """Tell the peer why, and close: the receiver may be waiting for its next frame."""
        self.refused_peer = True
        self._turned_away = f"refused input from {self.peer_short}: {exc}"
        try:
            await asyncio.wait_for(self._send(p.encode_error(str(exc))), 1.0)
        except (OSError, ConnectionError, TimeoutError) as send_exc:  # it hears of it by the close
            log.info("could not tell %s why it is turned away: %s", self.peer_short, send_exc)
        self.writer.close()

    async def _settle(self) -> None:
        """Wait until the chunk the worker is applying is stored (its errors surface here)."""
        task, self._in_flight = self._in_flight, None
        if task is not None:
            await task
