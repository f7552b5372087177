"""What a peer asks to be sent again, served at a bounded pace (part of sync/session.py).

A REQUEST ("I lost a neighbour: send what I lack beyond this vector") and a RELAY's take ("relay
these authors to me again, from these numbers") each cost this laptop a read of its change log and
the sending of what they name: with low numbers, a whole author or the whole group. An honest peer
asks a few times when a link changes, for what it lacks. A member in bad faith could ask for
everything again and again, keeping an honest laptop reading and sending for nothing and, on a weak
Wi-Fi, taking the air from the room.

So what one peer asks is paid from an allowance counted in changesets sent: ASK_BURST at once, then
ASK_RATE a second, each ask costing at least ASK_COST (reading the log costs something even when
little is sent). While the allowance is spent, what the peer asks waits, merged (the lowest number
of each author), and goes in one reading when it allows; the peer gets everything it asked for,
later. Past ASKS_NOTED asks that had to wait, an incident is noted against the peer, one write a
second at most.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from organiser.store import incidents

if TYPE_CHECKING:
    from sqlite_utils import Database

    from organiser.store.replica import Replica
    from organiser.sync.session import SessionStats

ASK_BURST = 5000  # changesets: what a peer that lost a link may lack is sent at once
ASK_RATE = 1000  # changesets a second after that: a tenth of what one laptop streams
ASK_COST = 50  # what an ask costs the allowance at least
ASKS_NOTED = 10  # asks that waited, in one conversation, before an incident is noted


@dataclass
class Allowance:
    """What a peer may have us do now: up to `burst` at once, refilled at `rate` a second.
    It may be overdrawn (an ask's cost is known after it is served): then it waits to refill."""

    burst: float
    rate: float
    left: float = field(init=False)
    at: float = float("-inf")  # when `left` was last refilled

    def __post_init__(self) -> None:
        self.left = self.burst

    def refill(self, now: float) -> float:
        self.left = min(self.burst, self.left + (now - self.at) * self.rate)
        self.at = now
        return self.left

    def wait(self, cost: float, now: float) -> float:
        """Seconds until `cost` can be spent (0 when it can now)."""
        return max(0.0, (cost - self.refill(now)) / self.rate)

    def spend(self, cost: float, now: float) -> bool:
        """Spend `cost` if the allowance holds it now; whether it did."""
        if self.refill(now) < cost:
            return False
        self.left -= cost
        return True

    def charge(self, cost: float, now: float) -> None:
        """Spend `cost`, overdrawing if need be."""
        self.refill(now)
        self.left -= cost


@dataclass
class Excess:
    """A peer's messages beyond their allowance, counted as an incident once `threshold` came:
    one write a second at most, however fast they come."""

    reason: str  # the incident's code (store/incidents.py)
    threshold: int
    noted: int = 0  # how many the incidents count so far
    noted_at: float = float("-inf")

    def note(self, db: Database, device: str, total: int, detail: str) -> None:
        """`total`: how many came beyond the allowance in this conversation; `detail` says what,
        with {count} for that number."""
        now = time.monotonic()
        if total >= self.threshold and now - self.noted_at >= 1.0:
            incidents.note(db, device, self.reason, detail.format(count=total), count=total - self.noted)
            self.noted_at, self.noted = now, total


@dataclass
class PeerAllowances:
    """One peer device's allowances, kept by the node across its conversations: a member that
    closes and dials again starts where it left off, not with a full allowance."""

    asks: Allowance
    # Our first streams to it (all it lacked at HELLO): the whole group twice at once (a laptop
    # that lost its link midway asks again), then ASK_RATE a second. A member dialling again and
    # again with an empty HELLO would otherwise get the whole group at each connection.
    first_streams: Allowance
    # The proofs of forks it has read from us (our `forks` ids up to this): it keeps them, so
    # they are not sent again at each conversation's start. A member forking thousands of
    # numbers had every honest link resend them all (with the versions held) at each one.
    proofs_read_upto: int = 0
    # Per removed author, the highest number of its membership entries a removal took back here
    # that it has read from us: its vector never counts them (nor does ours), so they went again
    # at each conversation's start.
    kept_aside_read: dict[str, int] = field(default_factory=dict)

    def kept_aside_beyond(self, peer_known: dict[str, int]) -> dict[str, int]:
        """The vector past which entries taken back go to it: what it holds, or read from us."""
        beyond = dict(peer_known)
        for author, seq in self.kept_aside_read.items():
            beyond[author] = max(beyond.get(author, 0), seq)
        return beyond

    def read_before_synced(self, proofs_upto: int, kept_aside: dict[str, int]) -> None:
        """It answered our SYNCED: it read the proofs and the entries taken back sent before it."""
        self.proofs_read_upto = max(self.proofs_read_upto, proofs_upto)
        for author, seq in kept_aside.items():
            self.kept_aside_read[author] = max(self.kept_aside_read.get(author, 0), seq)

    @classmethod
    def fresh(cls, replica: Replica) -> PeerAllowances:
        """For a peer first heard from now, by a laptop holding what `replica` holds."""
        held = sum(replica.version_vector().values())
        return cls(Allowance(ASK_BURST, ASK_RATE), Allowance(ASK_BURST + 2 * held, ASK_RATE))


def lowest(one: dict[str, int], other: dict[str, int]) -> dict[str, int]:
    """Two REQUEST vectors as one that asks for what either asks: an author missing from either
    is asked for from the start."""
    return {author: min(seq, other[author]) for author, seq in one.items() if author in other}


class Asking:
    """The Session's handling of REQUEST and RELAY-take asks; state is set by Session."""

    replica: Replica
    peer_device: str
    stats: SessionStats
    live: bool
    _asks: Allowance
    _asked: asyncio.Event  # something asked waits to be sent
    _became_live: asyncio.Event  # our first stream is done: asks meanwhile are answered after it
    _asked_vector: dict[str, int] | None
    _asked_take: dict[str, int]
    _stream_from: dict[str, int]  # authors our first stream starts over for (sync/sending.py)
    _asks_excess: Excess

    if TYPE_CHECKING:  # what Session and its copy-skipping half provide
        async def _send_missing(self, vector: dict[str, int]) -> int: ...
        async def _send_taken(self, take: dict[str, int]) -> int: ...

    def _ask(self, vector: dict[str, int] | None = None, take: dict[str, int] | None = None) -> None:
        """Note what the peer asks for; `_serve_asks` sends it when the allowance holds."""
        if self._asks.refill(time.monotonic()) < ASK_COST:
            self.stats.asks_waited += 1
            self._asks_excess.note(self.replica.db, self.peer_device, self.stats.asks_waited,
                                   "{count} requests to send changes again came faster than the app makes them "
                                   "and were answered at a slower pace")
        if vector is not None:
            self._asked_vector = vector if self._asked_vector is None else lowest(self._asked_vector, vector)
        for author, seq in (take or {}).items():
            self._asked_take[author] = min(seq, self._asked_take.get(author, seq))
        self._asked.set()

    def _take_during_first_stream(self, take: dict[str, int]) -> None:
        """Authors taken back while our first stream runs: it starts over for them from where the
        peer says, paid from the allowance at what that may send again (all we hold of them
        beyond); once the allowance is spent, they are sent after the stream, as any ask."""
        now = time.monotonic()
        if self._asks.refill(now) < ASK_COST:
            self._ask(take=take)
            return
        ours = self.replica.version_vector()
        self._asks.charge(max(ASK_COST, sum(max(0, ours.get(a, 0) - s) for a, s in take.items())), now)
        self._stream_from.update(take)

    async def _serve_asks(self) -> None:
        """Send what the peer asked for, merged, as the allowance refills (runs for the conversation)."""
        while True:
            await self._asked.wait()
            await self._became_live.wait()  # what it asked during our first stream, after it
            await asyncio.sleep(self._asks.wait(ASK_COST, time.monotonic()))
            self._asked.clear()
            vector, self._asked_vector = self._asked_vector, None
            take, self._asked_take = self._asked_take, {}
            sent = await self._send_taken(take) if take else 0
            if vector is not None:
                sent += await self._send_missing(vector)
            self.stats.asks_served += 1
            self._asks.charge(max(ASK_COST, sent), time.monotonic())
