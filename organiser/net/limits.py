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

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 64  # peers connected at once; a meeting room has a dozen laptops
MAX_UNAUTHENTICATED = 16  # connections still in the TLS handshake or before HELLO
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
        log.warning("disconnected %s and keeping it away for %.0f s: %s", device[:12], delay, reason)
        return delay

    def active(self, device: str) -> bool:
        return self._until.get(device, 0.0) > self.clock()

    def seconds_left(self, device: str) -> float:
        return max(0.0, self._until.get(device, 0.0) - self.clock())


@dataclass
class ConnectionCount:
    """How many connections are open, and how many are not yet authenticated."""

    open: int = 0
    unauthenticated: int = 0
    _refused_logged_at: float = 0.0

    def room_for_one_more(self) -> bool:
        if self.open < MAX_CONNECTIONS and self.unauthenticated < MAX_UNAUTHENTICATED:
            return True
        now = time.monotonic()
        if now - self._refused_logged_at > 60:  # once a minute at most, however many are turned away
            self._refused_logged_at = now
            log.warning("turning connections away: %d open, %d not yet authenticated (limits %d and %d)",
                        self.open, self.unauthenticated, MAX_CONNECTIONS, MAX_UNAUTHENTICATED)
        return False


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
