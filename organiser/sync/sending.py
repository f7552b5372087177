"""What this laptop sends the peer (part of sync/session.py): its first stream of what the peer
lacked at HELLO, in per-author order and frame-sized batches, then SYNCED; in the live phase what
is stored since (`push`), what it asks for again (REQUEST), and which devices we hear directly
(NEIGHBOURS). Authors the peer takes from other links are held back (sync/skipping.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from organiser.sync import outbox, packing
from organiser.sync import protocol as p
from organiser.sync.asking import ASK_COST, Allowance, PeerAllowances
from organiser.sync.guard import PeerGuard
from organiser.sync.outbox import Outgoing

if TYPE_CHECKING:
    from organiser.store.replica import Replica
    from organiser.sync.session import SessionStats

STREAM_CHUNK = 2000  # changesets read from the store per step of the initial stream
# ... and sent in slices this big, each checked against what the peer asked us to skip meanwhile.
STREAM_SLICE = 500
CONTROL_FRAMES = frozenset({p.FrameType.NEIGHBOURS, p.FrameType.RELAY, p.FrameType.REQUEST})
NOT_SENT = 1 << 62  # a vector entry above any number: that author is not sent


class Sending:
    """The Session's half that writes to the peer; state is set by Session."""

    replica: Replica
    writer: asyncio.StreamWriter
    on_change: Callable[[Sending], None]  # hears the Session itself
    stats: SessionStats
    allowances: PeerAllowances
    guard: PeerGuard
    live: bool
    closed: asyncio.Event
    peer_known: dict[str, int]
    peer_heads: tuple[dict[str, int], dict[str, str]]
    peer_neighbours: frozenset[str]
    peer_trees: bool
    sent_neighbours: frozenset[str] | None
    sent_hops: dict[str, int] | None
    pack_with: str | None
    skipped_by_peer: set[str]
    _stream_from: dict[str, int]
    _send_lock: asyncio.Lock
    _push_lock: asyncio.Lock
    _last_said: float
    _cursor: int
    _first_streams: Allowance
    _sent_target: dict[str, int] | None
    _proofs_before_synced: int
    _kept_aside_before_synced: dict[str, int]
    _became_live: asyncio.Event

    if TYPE_CHECKING:  # what Session and its copy-skipping half provide (sync/session.py, sync/skipping.py)
        async def _wait_authorised(self) -> None: ...
        async def _wait_for_choice(self) -> None: ...
        def _note(self, authors: set[str]) -> None: ...

    async def _send(self, data: bytes) -> None:
        async with self._send_lock:
            if self.writer.is_closing():  # writing to a closed TLS transport fails obscurely
                raise ConnectionResetError("the connection was closed")
            self.writer.write(data)
            self.stats.bytes_sent += len(data)
            if data[1] in CONTROL_FRAMES:
                name = p.FrameType(data[1]).name
                self.stats.control_sent[name] = self.stats.control_sent.get(name, 0) + 1
            self._last_said = time.monotonic()
            await self.writer.drain()

    async def _send_changesets(self, batch: list[Outgoing], remaining: int = 0) -> None:
        left = len(batch)
        for part in p.batches([(cs.body, cs.signature) for cs in batch]):
            left -= len(part)
            payload = p.changes_payload(part, remaining + left)
            packed = packing.pack(self.pack_with, payload) if self.pack_with else None
            if packed is not None:
                await self._send(p.encode_frame(p.FrameType.PACKED, packed))
            else:
                await self._send(p.encode_frame(p.FrameType.CHANGES, payload))

    def _note_sent(self, batch: list[Outgoing]) -> None:
        for cs in batch:
            if cs.seq > self.peer_known.get(cs.author, 0):
                self.peer_known[cs.author] = cs.seq
        self.stats.sent += len(batch)

    async def _stream_initial(self) -> None:
        """Everything the peer lacked at HELLO, in per-author order, then SYNCED."""
        await self._wait_authorised()
        await self._wait_for_choice()
        # A member dialling again and again waits for its allowance (sync/asking.py).
        await asyncio.sleep(self._first_streams.wait(ASK_COST, time.monotonic()))
        self._cursor = self.replica.last_change_id()
        ours = self.replica.version_vector()
        # Authors the peer hears directly stream their own changesets to it: sending them too
        # would double what crosses the air when a room of laptops joins at once.
        skipped = set(self._heard_directly(ours))
        total = sum(max(0, s - self.peer_known.get(a, 0)) for a, s in ours.items() if a not in skipped)
        # Only authors we hold matter; a peer's vector may name 100,000 others.
        wanted = {a: s for a, s in self.peer_known.items() if a in ours}
        wanted.update({a: ours[a] for a in skipped})
        self._first_streams.charge(await self._stream_missing(wanted, ours, total), time.monotonic())
        skipped |= self.peer_neighbours - {self.replica.device_id}  # told meanwhile; our own are always sent
        skipped |= self.skipped_by_peer  # it gets them by another link, and says so in its notes
        self._sent_target = {a: s for a, s in self.replica.version_vector().items() if a not in skipped}
        await self._send_proofs()
        self._proofs_before_synced = self.guard.proofs_sent_upto
        await self._send_kept_aside()
        await self._send(p.encode_frame(p.FrameType.SYNCED))
        self.live = True
        self._became_live.set()  # what it asked meanwhile (other versions) is sent now
        self.on_change(self)
        await self.push()

    def _heard_directly(self, ours: dict[str, int]) -> dict[str, int]:
        """Authors we hold whose own changesets reach the peer directly (never ourselves), as we hold them."""
        me = self.replica.device_id
        return {a: ours[a] for a in self.peer_neighbours if a in ours and a != me}

    async def _stream_missing(self, wanted: dict[str, int], ours: dict[str, int], total: int) -> int:
        """Our changesets beyond `wanted`, a store chunk at a time; `total` is the count the
        peer's progress bar is told. How many were sent."""
        sent = after = 0
        while True:
            # What the peer got meanwhile from others (its VECTOR while its first sync runs) is not
            # sent again: ten laptops joining at once over one Wi-Fi each hear the group from several.
            for a, s in self.peer_known.items():
                if a in wanted and s > wanted[a]:
                    wanted[a] = s
            wanted.update(self._heard_directly(ours))
            if self._stream_from:  # authors it took back from us: from where it says, from the start
                wanted.update(self._stream_from)
                self._stream_from.clear()
                after = 0
            after, batch = outbox.missing(self.replica.db, wanted, after, STREAM_CHUNK)
            if not batch:
                return sent
            for start in range(0, len(batch), STREAM_SLICE):
                # Authors it asked us to skip (it takes them from another link) are held back.
                part = [cs for cs in batch[start:start + STREAM_SLICE] if cs.author not in self.skipped_by_peer]
                sent += len(part)
                if part:
                    await self._send_changesets(part, max(0, total - sent))
                    self._note_sent(part)
                await asyncio.sleep(0)  # a RELAY the peer sent meanwhile is read before the next slice

    async def _send_missing(self, vector: dict[str, int]) -> int:
        """What the peer lacks beyond `vector` (it lost a neighbour whose news we held back), sent
        once our initial stream is done (sync/asking.py); how many changesets that was."""
        vector = self._what_it_lacks(vector)
        sent = after = 0
        async with self._push_lock:
            while True:
                after, batch = outbox.missing(self.replica.db, vector, after, STREAM_CHUNK)
                if not batch:
                    return sent
                await self._send_changesets(batch)
                self._note_sent(batch)
                sent += len(batch)

    def _what_it_lacks(self, vector: dict[str, int]) -> dict[str, int]:
        """A REQUEST's vector raised to what we know the peer holds (what we sent it meanwhile, what
        it said since), less the authors it takes from other links: a joiner that lost one link asks
        every other, and each sent it the whole group again. An entry below the peer's HELLO asks for
        another version of that author (a fork to prove) and stays as it is."""
        said_at_hello = self.peer_heads[0]
        wanted = dict(vector)
        for author, seq in self.peer_known.items():
            if seq > wanted.get(author, 0) >= said_at_hello.get(author, 0):
                wanted[author] = seq
        for author in self.skipped_by_peer:  # if the link bringing it closed, the peer takes it back
            wanted[author] = NOT_SENT
        return wanted

    async def tell_neighbours(self, devices: frozenset[str], hops: dict[str, int] | None = None) -> None:
        hops = hops if self.peer_trees else None
        if self.live and not self.closed.is_set() and (devices, hops) != (self.sent_neighbours, self.sent_hops):
            self.sent_neighbours, self.sent_hops = devices, hops
            await self._send(p.encode_neighbours(devices, hops))

    async def request_missing(self) -> None:
        if self.live and not self.closed.is_set():
            await self._send(p.encode_request(self.replica.version_vector()))

    async def push(self, shared: outbox.PushRound | None = None) -> None:
        """Send the peer every changeset stored since the last push that it lacks (read once for
        all links when the node pushes to all at once)."""
        if not self.live or self.closed.is_set():
            return
        async with self._push_lock:
            while True:
                self._cursor, rows = (shared.stored_after(self._cursor) if shared is not None
                                      else outbox.stored_after(self.replica.db, self._cursor))
                if not rows:
                    return
                fresh = self._without_skipped(self._news_for_peer(rows))
                if fresh:
                    await self._send_changesets(fresh)
                    self._note_sent(fresh)
                await self._send_proofs()

    def _news_for_peer(self, rows: list[Outgoing]) -> list[Outgoing]:
        """What the peer lacks of these, less what reaches it directly from their authors."""
        me = self.replica.device_id
        return [cs for cs in rows if cs.seq > self.peer_known.get(cs.author, 0)
                and (cs.author == me or cs.author not in self.peer_neighbours)]

    def _without_skipped(self, fresh: list[Outgoing]) -> list[Outgoing]:
        """Authors the peer asked us to skip are held back: it hears of them in our next note,
        to check its other links still bring them."""
        if not self.skipped_by_peer:
            return fresh
        held_back = {cs.author for cs in fresh if cs.author in self.skipped_by_peer}
        if not held_back:
            return fresh
        self._note(held_back)
        return [cs for cs in fresh if cs.author not in held_back]

    async def _send_proofs(self) -> None:
        """Proofs of forks found since the last call: every device must learn of them."""
        proofs = self.guard.proofs_to_send()
        for part in p.batches(proofs):
            await self._send(p.encode_changes(part))

    async def _send_kept_aside(self) -> None:
        """Membership entries a removal took back here: the peer must evaluate them too (unless it
        read them from us in an earlier conversation)."""
        kept = self.replica.kept_aside_entries(self.allowances.kept_aside_beyond(self.peer_known))
        for part in p.batches([(cs.body, cs.signature) for cs in kept]):
            await self._send(p.encode_changes(part))
        for cs in kept:  # in author and number order: each author's last is its highest
            self._kept_aside_before_synced[cs.author] = cs.seq
