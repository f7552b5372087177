"""One conversation with one peer over an already-authenticated stream.

1. Both sides send HELLO with their version vector.
2. Each streams what the other lacks, in per-author order, in frame-sized batches, then
   SYNCED. Both directions run at once.
3. Live phase: `push()` sends changesets stored since (new local edits and ones relayed
   from other peers) at once; nothing polls the peer. A peer says which devices it hears
   from directly (NEIGHBOURS); their changesets are not relayed to it. When it loses one,
   it sends its vector (REQUEST) and gets what it lacks. PING/PONG notice a peer that
   vanished without closing (a laptop lid, a pulled cable).
4. Copies of an author's changesets arriving by several links: sync/skipping.py.

This module holds the conversation's state and its course; what it sends is in sync/sending.py,
and what the peer says is read and stored by sync/receiving.py (incoming changesets applied in
chunks with a yield between, bad frames closing the conversation, bad changesets refused by the
replica while the rest goes on). This module opens no sockets: it is handed the streams.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from organiser.core.keys import short_id
from organiser.store import forks
from organiser.store.replica import Replica
from organiser.sync import packing
from organiser.sync import protocol as p
from organiser.sync.applier import BackgroundApplier
from organiser.sync.asking import ASKS_NOTED, Allowance, Asking, Excess, PeerAllowances
from organiser.sync.guard import PeerGuard, TooManyRefusals
from organiser.sync.receiving import (
    APPLY_MAX,
    APPLY_MIN,
    APPLY_STEP,
    NEIGHBOURS_BURST,
    NEIGHBOURS_EVERY,
    READ_PIECE,
    Receiving,
    SessionClosed,
    closed_by_peer,
    covers,
)
from organiser.sync.sending import Sending
from organiser.sync.skipping import CopySkipping, Suspect

__all__ = ["APPLY_MAX", "APPLY_MIN", "APPLY_STEP", "READ_PIECE", "Session", "SessionClosed", "SessionStats",
           "covers"]

log = logging.getLogger(__name__)

HELLO_TIMEOUT = 10.0
PING_EVERY = 2.0
SILENCE_LIMIT = 7.0  # no frame for this long: the peer is gone
# ... while a first sync runs either way: ten laptops taking megabytes over one weak Wi-Fi on
# starved cores went quiet for longer, and each close restarted a stream (a pulled cable is
# still noticed, later).
FIRST_SYNC_SILENCE_LIMIT = 20.0


@dataclass
class SessionStats:
    received: int = 0
    applied: int = 0
    refused: int = 0
    sent: int = 0
    bytes_received: int = 0  # frames, headers included: what this link carried each way
    bytes_sent: int = 0
    # Control frames sent (NEIGHBOURS, RELAY, REQUEST) by type: what a link change costs the room.
    control_sent: dict[str, int] = field(default_factory=dict)
    neighbours_dropped: int = 0  # the peer's NEIGHBOURS that came beyond the rate, replaced unread
    asks_waited: int = 0  # the peer's REQUEST and RELAY-take asks that came beyond its allowance
    asks_served: int = 0  # readings of the change log for what it asked (waiting asks merged)


@dataclass
class Session(Asking, CopySkipping, Receiving, Sending):
    replica: Replica
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    peer_device: str
    is_member: Callable[[], bool] = lambda: True
    on_change: Callable[[Session], None] = lambda s: None
    publish_progress: bool = True
    allowances: PeerAllowances | None = None  # the node's, kept across this peer's conversations
    listen_port: int = 0  # ours, told to the peer so it can dial us later
    # Applies on a worker thread (the app's node); None applies here, on the loop.
    applier: BackgroundApplier | None = None
    # Devices whose changesets reach us directly (the node's other conversations), told at HELLO.
    neighbours: Callable[[], frozenset[str]] = frozenset
    # The node's conversations (this one among them): is another link still bringing an author?
    siblings: Callable[[], list[Session]] = list
    # The node's counts (sync/routes.py): author -> the peer whose link brings it; and whom to tell
    # when this peer's counts change.
    parents: Callable[[], dict[str, str]] = dict
    on_routes: Callable[[], None] = lambda: None
    # The kept link for an author (a peer) owed it for long: the node's counts pass it over.
    distrust: Callable[[str, str], None] = lambda peer, author: None
    stats: SessionStats = field(default_factory=SessionStats)

    def __post_init__(self) -> None:
        self.peer_known: dict[str, int] = {}  # what the peer holds, as far as we know
        self.peer_acked: dict[str, int] = {}  # what the peer said it holds (VECTOR)
        # What the peer said it holds, at HELLO and since: what it has heard. Not peer_known,
        # which counts what was sent it as held, though a cut link may have lost it.
        self.peer_said: dict[str, int] = {}
        self.live = False  # our initial stream is done; push() sends new changesets
        self.received_all = asyncio.Event()  # the peer's initial stream arrived
        self.acked = asyncio.Event()  # the peer acknowledged what we hold
        self.closed = asyncio.Event()
        self.close_reason = ""
        self.last_sync: float | None = None
        self._sent_target: dict[str, int] | None = None
        self._cursor = 0
        self._send_lock = asyncio.Lock()
        self._push_lock = asyncio.Lock()
        self._last_heard = time.monotonic()
        self._last_said = time.monotonic()  # when we last wrote a frame to the peer
        self._told: dict[str, int] = {}  # our vector as we last told the peer, during its first sync to us
        self._authorised = False
        self._progress_done = 0
        self._chunk = 500
        self._in_flight: asyncio.Task[None] | None = None
        self.peer_listen_port = 0
        # Devices the peer hears from directly: their own changesets need no relay to it.
        self.peer_neighbours: frozenset[str] = frozenset()
        self.sent_neighbours: frozenset[str] | None = None
        self.peer_trees = False  # the peer's HELLO lists TREE_FEATURE: its NEIGHBOURS say how far it is
        self.peer_hops: dict[str, int] | None = None  # ... from each laptop it reaches (sync/routes.py)
        self.sent_hops: dict[str, int] | None = None
        self._proofs_before_synced = 0  # our forks ids sent before our SYNCED (read once it answers)
        self._kept_aside_before_synced: dict[str, int] = {}  # entries taken back, sent before it (idem)
        self.refused_peer = False  # closed for sending too much that was refused (the node backs off)
        self._turned_away = ""
        self.peer_heads: tuple[dict[str, int], dict[str, str]] = ({}, {})
        self._neighbours_allowance = Allowance(NEIGHBOURS_BURST, 1 / NEIGHBOURS_EVERY)
        if self.allowances is None:  # a conversation of its own (`sync` once): a peer first heard from now
            self.allowances = PeerAllowances.fresh(self.replica)
        self._asks = self.allowances.asks  # what it asks us to send again (sync/asking.py)
        self._first_streams = self.allowances.first_streams
        self.guard = PeerGuard(self.replica, self.peer_device, proofs_sent_upto=self.allowances.proofs_read_upto)
        self._asked = asyncio.Event()
        self._became_live = asyncio.Event()
        self._asked_vector: dict[str, int] | None = None
        self._asked_take: dict[str, int] = {}
        self._asks_excess = Excess("asks", ASKS_NOTED)
        self._neighbours_excess = Excess("neighbours", NEIGHBOURS_BURST)
        self.codecs = packing.available()  # what we offer to unpack, at HELLO
        self.pack_with: str | None = None  # the codec we pack with: one the peer offered, or none
        self.peer_skips = False  # the peer's HELLO lists SKIP_FEATURE: RELAY frames may go both ways
        self.peer_chooses = False  # both list SOURCE_FEATURE: each waits for the other's first RELAY
        self.greeted_at: float | None = None  # when HELLOs were exchanged (the earlier link keeps a tie)
        self._peer_chose = asyncio.Event()  # the peer's first RELAY came: our first stream may begin
        self.brought_at: dict[str, float] = {}  # author -> when this link last brought its changesets
        self._stream_from: dict[str, int] = {}  # authors taken back during our first stream, from where
        self.skipped_by_peer: set[str] = set()  # authors the peer gets by other links: not sent to it
        self.skipping: set[str] = set()  # authors we asked the peer not to send us
        self._note_authors: set[str] = set()  # authors to tell the peer what we hold of, soon
        self._suspects: dict[str, Suspect] = {}  # skipped authors the peer holds more of than we do
        self.doubted: set[str] = set()  # authors this peer claimed more of than it sent: not waited for
        # Kept for an author, it let another link get ahead: it owes from this number on, since then.
        self.owed: dict[str, tuple[int, float]] = {}
        self.paid_late: deque[tuple[float, float]] = deque(maxlen=8)  # (how late, when) debts were paid
        self._note_wanted = asyncio.Event()

    @property
    def peer_short(self) -> str:
        """The peer as logs and messages name it."""
        return short_id(self.peer_device)

    @property
    def state(self) -> str:
        return "connected" if self.live and self.received_all.is_set() else "syncing"

    @property
    def in_step(self) -> bool:
        """Both sides hold everything the other had when they met."""
        return self.received_all.is_set() and self.acked.is_set()

    # ---- waiting on the peer ---------------------------------------------------------

    async def _wait_for_choice(self) -> None:
        """With the "source" feature the peer says first which authors it takes from other links."""
        if self.peer_chooses:
            try:
                await asyncio.wait_for(self._peer_chose.wait(), HELLO_TIMEOUT)
            except TimeoutError:
                raise SessionClosed(f"device {self.peer_short} did not say which authors to send "
                                    f"within {HELLO_TIMEOUT:.0f} s of HELLO") from None

    async def _wait_authorised(self) -> None:
        """A device not (yet) in our roster may have been admitted by a member whose news
        has not reached us: we take its signed changesets (the replica checks every one)
        but send it nothing until its admission arrives. If its whole stream came and it is
        still unknown, the conversation ends."""
        while not self.is_member():
            if self.received_all.is_set():
                await self._send(p.encode_error("this device is not in the group's roster"))
                raise SessionClosed(f"device {self.peer_device} is not in the group's roster")
            await asyncio.sleep(0.05)
        self._authorised = True

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(PING_EVERY)
            quiet = time.monotonic() - self._last_heard
            # Storing what the peer sent (slow on a busy laptop) keeps us from reading it: not its silence.
            storing = self._in_flight is not None and not self._in_flight.done()
            if quiet > (SILENCE_LIMIT if self.in_step else FIRST_SYNC_SILENCE_LIMIT) and not storing:
                raise SessionClosed(f"device {self.peer_short} went silent")
            # Ping when we have said nothing lately: the peer judges our silence by what it hears
            # from us. A side that only receives (a first sync on a crowded Wi-Fi) pings on its quiet
            # return path; waiting to ping until it heard nothing, the sender's ping sat behind
            # megabytes of its own queued data and the sender took the receiver for gone. A link
            # busy both ways, or whose peer answers our pings, needs none.
            held = self.replica.version_vector() if not self.received_all.is_set() else self._told
            if held != self._told:
                # Our first sync from this peer runs, and we hold more than we told it (from it or from
                # others): say so, so it skips what reached us elsewhere. Shows we are here as a PING would.
                self._told = dict(held)
                await self._send(p.encode_vector(held))
            elif time.monotonic() - self._last_said >= PING_EVERY * 0.9:
                await self._send(p.encode_frame(p.FrameType.PING))

    # ---- the whole conversation ---------------------------------------------------------

    async def exchange_hello(self) -> None:
        vector = self.replica.version_vector()
        self._told = dict(vector)
        await self._send(p.encode_hello(self.replica.device_id, vector, self.listen_port,
                                        self.replica.clock.wall_ms(), forks.heads(self.replica.db, vector),
                                        self.codecs, self.neighbours() - {self.peer_device},
                                        (p.SKIP_FEATURE, p.SOURCE_FEATURE, p.TREE_FEATURE)))
        frame = await asyncio.wait_for(self._read_frame(), HELLO_TIMEOUT)
        if frame.type == p.FrameType.ERROR:
            raise closed_by_peer("the peer refused us", frame.payload)
        if frame.type != p.FrameType.HELLO:
            raise p.ProtocolError("the peer did not start with HELLO")
        hello = p.parse_hello(frame.payload)
        if hello.device != self.peer_device:
            raise p.ProtocolError("the peer's HELLO names another device than its certificate")
        self.peer_known = self._of_members(hello.vector)
        self.peer_said = dict(self.peer_known)
        self.peer_heads = (hello.vector, hello.heads)
        self.peer_listen_port = hello.listen
        self.pack_with = packing.choose(self.codecs, hello.codecs)
        self.peer_neighbours = hello.neighbours
        self.peer_skips = p.SKIP_FEATURE in hello.features
        self.peer_chooses = self.peer_skips and p.SOURCE_FEATURE in hello.features
        self.peer_trees = self.peer_skips and p.TREE_FEATURE in hello.features
        self.greeted_at = time.monotonic()
        self.guard.compare_clocks(hello.wall_ms)

    async def run(self) -> None:
        """Talk until the peer leaves or misbehaves; always returns (reason in close_reason)."""
        tasks: list[asyncio.Task[None]] = []
        try:
            await self.exchange_hello()
            await self._say_sources()
            self.on_change(self)
            tasks = [asyncio.create_task(self._receive()), asyncio.create_task(self._stream_initial()),
                     asyncio.create_task(self._keepalive()), asyncio.create_task(self._notes()),
                     asyncio.create_task(self._serve_asks())]
            await _first_failure(tasks)
        except (p.ProtocolError, TooManyRefusals) as exc:
            self.refused_peer = self.refused_peer or isinstance(exc, TooManyRefusals)
            await self._refuse_input(exc)
        except asyncio.IncompleteReadError:
            self._ended("the peer closed the connection")
        except SessionClosed as exc:
            self._ended(str(exc), exc.logged)
        except (ConnectionError, OSError, TimeoutError) as exc:
            self._ended(str(exc) or type(exc).__name__)
        except Exception as exc:  # a fault of ours (a full disk, a bug) costs this conversation, never the node
            self.close_reason = f"an error on this laptop: {type(exc).__name__}: {exc}"
            log.exception("conversation with %s failed", self.peer_short)
            await self._say_why(f"the other laptop ended the conversation after an error of its own "
                                f"({type(exc).__name__}: {exc}); its log has the details")
        finally:
            await self._wind_down(tasks)
            # A failed task holds its exception, whose traceback holds this frame and so `tasks`:
            # a cycle that only the collector's rare full pass would free, with this session's TLS
            # buffers and streams (megabytes over an evening of pulled cables). Emptied, it goes now.
            tasks.clear()

    async def _refuse_input(self, exc: Exception) -> None:
        """Bad input ends the conversation: logged, and the peer told why if it still listens."""
        self.close_reason = f"refused input from {self.peer_short}: {exc}"
        log.warning("%s", self.close_reason)
        await self._say_why(str(exc))

    async def _say_why(self, text: str) -> None:
        """The conversation ends: the peer told why, if it still listens."""
        try:
            async with asyncio.timeout(1.0):  # in this task: see close_quietly (net/transport.py)
                await self._send(p.encode_error(text))
        except Exception as send_exc:  # closing anyway: the peer hears of it by the close
            log.info("could not tell %s why the conversation ends: %s", self.peer_short,
                     str(send_exc) or type(send_exc).__name__)

    def _ended(self, reason: str, logged: str | None = None) -> None:
        self.close_reason = reason
        log.info("conversation with %s ended: %s", self.peer_short, reason if logged is None else logged)

    async def _wind_down(self, tasks: list[asyncio.Task[None]]) -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._in_flight is not None:  # stored or not, its events reach the app
            await asyncio.gather(self._in_flight, return_exceptions=True)
            self._in_flight = None
        if self._turned_away:
            self.close_reason = self._turned_away
        self.closed.set()
        self.on_change(self)


async def _first_failure(tasks: list[asyncio.Task[None]]) -> None:
    """Only failures end the receiver and the keepalive, so this returns on the first, raising it."""
    done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    failure = next((task.exception() for task in done if task.exception() is not None), None)
    del done, _pending  # this frame goes into the failure's traceback: it must not hold the tasks
    if failure is not None:
        try:
            raise failure
        finally:
            failure = None  # nor the failure itself (the cycle `except ... as` also avoids)
