"""Bounds a node keeps on who may take its time: connections, and peers that misbehave.

A peer disconnected for sending what is refused is kept away for a while, doubling each
time (30 s, 1 min, ... up to an hour), and logged once per disconnection, not per frame or
per attempt to come back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from organiser.core.keys import short_id

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 64  # peers connected at once; a meeting room has a dozen laptops
MAX_UNAUTHENTICATED = 16  # connections in the TLS handshake, or without a certificate redeeming an invite
MAX_REDEEMING = 4  # invite redemptions at once (a person joins one laptop at a time)
AWAY_FIRST = 30.0
AWAY_MAX = 3600.0


@dataclass
class KeptAway:
    """Devices this node refuses to talk to for now, after they sent too much that was refused."""

    clock: Callable[[], float] = time.monotonic
    _until: dict[str, float] = field(default_factory=dict)
    _delay: dict[str, float] = field(default_factory=dict)

    def add(self, device: str, reason: str) -> float:
        delay = min(self._delay.get(device, AWAY_FIRST / 2) * 2, AWAY_MAX)
        self._delay[device] = delay
        self._until[device] = self.clock() + delay
        log.warning("disconnected %s and keeping it away for %.0f s: %s", short_id(device), delay, reason)
        return delay

    def active(self, device: str) -> bool:
        return self._until.get(device, 0.0) > self.clock()

    def seconds_left(self, device: str) -> float:
        return max(0.0, self._until.get(device, 0.0) - self.clock())


@dataclass
class ConnectionCount:
    """How many connections are open, and which are not yet known to be a member's.

    A connection is unauthenticated from its arrival until it shows a member's certificate,
    or, without a certificate, until its invite redemption ends: a stranger who completed the
    handshake still takes a slot while it sits there. Strangers must not keep members out, so
    when every unauthenticated slot is taken a newcomer is not refused: the oldest connection
    still in its handshake is dropped for it, taken from the address that holds the most (a
    member's handshake takes milliseconds; a stranger stalling one holds it for seconds). Only
    MAX_REDEEMING redemptions run at once, so strangers past the handshake hold few slots.
    """

    open: int = 0
    _unproven: dict[object, tuple[str, Callable[[], None]]] = field(default_factory=dict)  # oldest first
    _redeeming: set[object] = field(default_factory=set)
    _said_at: dict[str, float] = field(default_factory=dict)

    @property
    def unauthenticated(self) -> int:
        return len(self._unproven)

    @property
    def redeeming(self) -> int:
        return len(self._redeeming)

    def room_for_one_more(self) -> bool:
        if self.open < MAX_CONNECTIONS:
            return True
        self._say("full", "turning connections away: %d open (limit %d)", self.open, MAX_CONNECTIONS)
        return False

    def arrived(self, connection: object, address: str, drop: Callable[[], None]) -> None:
        """A new connection, not yet authenticated; `drop` closes it at once."""
        if len(self._unproven) >= MAX_UNAUTHENTICATED:
            self._drop_one_stalled()
        self._unproven[connection] = (address, drop)

    def may_redeem(self, connection: object) -> bool:
        """A connection without a certificate may redeem an invite: True if a slot is free."""
        if len(self._redeeming) >= MAX_REDEEMING:
            self._say("redeeming", "turning invite redemptions away: %d under way (limit %d)",
                      len(self._redeeming), MAX_REDEEMING)
            return False
        self._redeeming.add(connection)
        return True

    def authenticated(self, connection: object) -> None:
        """It showed a member's certificate, or its redemption ended, or it closed."""
        self._unproven.pop(connection, None)
        self._redeeming.discard(connection)

    def _drop_one_stalled(self) -> None:
        stalled = [c for c in self._unproven if c not in self._redeeming]
        if not stalled:
            return
        per_address: dict[str, int] = {}
        for connection in stalled:
            address = self._unproven[connection][0]
            per_address[address] = per_address.get(address, 0) + 1
        busiest = max(per_address, key=per_address.__getitem__)  # first seen wins a tie: the oldest
        victim = next(c for c in stalled if self._unproven[c][0] == busiest)
        _address, drop = self._unproven.pop(victim)
        self._say("dropped", "dropping connections stalled in the handshake: %d unauthenticated (limit %d), "
                  "most from %s", MAX_UNAUTHENTICATED, MAX_UNAUTHENTICATED, busiest)
        drop()

    def _say(self, what: str, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._said_at.get(what, -60.0) >= 60:  # once a minute at most, however many
            self._said_at[what] = now
            log.warning(message, *args)


@dataclass
class LogOnce:
    """Say a thing about one source once in a while, not at every attempt it makes."""

    every: float = 300.0
    _said: dict[str, float] = field(default_factory=dict)

    def due(self, key: str) -> bool:
        now = time.monotonic()
        if now - self._said.get(key, -self.every) < self.every:
            return False
        if len(self._said) > 10_000:  # many sources: forget, rather than grow without bound
            self._said.clear()
        self._said[key] = now
        return True
