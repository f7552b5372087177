"""Hybrid logical clock.

A stamp is one integer: milliseconds since the epoch shifted left by 16 bits, plus a
16-bit logical counter. Integers compare, sort and store in SQLite cheaply, and a stamp
still reads back as a wall-clock time for people.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

COUNTER_BITS = 16
COUNTER_MASK = (1 << COUNTER_BITS) - 1
# A peer's stamp further ahead of our wall clock than this is accepted, but reported.
MAX_DRIFT_MS = 60_000
# A stamp further ahead than this is refused (store/checks.py) and never absorbed, so no
# stamp, however large, can drag this device's clock towards the format's limit.
LIMIT_MS = 24 * 3600 * 1000


def physical_ms(stamp: int) -> int:
    return stamp >> COUNTER_BITS


def make_stamp(ms: int, counter: int = 0) -> int:
    return (ms << COUNTER_BITS) | (counter & COUNTER_MASK)


def stamp_to_iso(stamp: int) -> str:
    ms = physical_ms(stamp)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"


@dataclass(frozen=True)
class ClockReport:
    """A remote stamp that was far ahead of our wall clock."""

    remote_stamp: int
    local_ms: int

    @property
    def ahead_seconds(self) -> float:
        return (physical_ms(self.remote_stamp) - self.local_ms) / 1000


class HybridClock:
    """Issues strictly increasing stamps that stay above every stamp seen from peers."""

    def __init__(self, last: int = 0, wall_ms: Callable[[], int] | None = None) -> None:
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        # A stored stamp beyond the limit (a clock that was wrong, or a database from before
        # the limit) is not carried on: this device's stamps would all be refused.
        self._last = last if physical_ms(last) - self._wall_ms() <= LIMIT_MS else 0
        self._lock = threading.Lock()

    @property
    def last(self) -> int:
        return self._last

    def wall_ms(self) -> int:
        """This device's wall clock, in milliseconds since the epoch."""
        return self._wall_ms()

    def now(self) -> int:
        with self._lock:
            wall = make_stamp(self._wall_ms())
            self._last = wall if wall > self._last else self._last + 1
            return self._last

    def observe(self, remote: int) -> ClockReport | None:
        """Absorb a peer's stamp; return a report when it is far in the future.

        The far-future stamp is still absorbed, so every later local write is stamped
        above it and can overwrite the value it carried: nothing is locked forever.
        """
        wall_ms = self._wall_ms()
        if physical_ms(remote) - wall_ms > LIMIT_MS:
            return ClockReport(remote, wall_ms)  # refused elsewhere; never absorbed
        with self._lock:
            if remote > self._last:
                self._last = remote
        if physical_ms(remote) - wall_ms > MAX_DRIFT_MS:
            return ClockReport(remote, wall_ms)
        return None
