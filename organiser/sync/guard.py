"""What one conversation watches in what a peer sends: refusals, its clock, proofs of forks.

A peer that keeps sending changesets that are refused for what they are (not for a wrong
clock, not for a fork it merely passes on) is told why and disconnected; the node then
keeps it away with back-off. Clocks more than 24 hours apart are reported on both sides at
HELLO: each side compares the other's wall clock with its own, so the laptop whose clock is
wrong learns it too ("the clock of this laptop ('door laptop') is 3 days ahead of ...").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from organiser.core.hlc import LIMIT_MS
from organiser.core.keys import short_id
from organiser.store import forks, incidents
from organiser.store.checks import describe_ahead
from organiser.store.replica import Replica
from organiser.store.verify import Refusal

log = logging.getLogger(__name__)

REFUSALS_BEFORE_DISCONNECT = 200
# Refused for reasons an honest device also meets, so they never disconnect it: a wrong clock,
# a fork it passes on ("set-aside"), a newer version of the app ("unknown"). The conversation's
# own rules still end a talk with a device that is not in the roster once its stream is in.
HONEST_REASONS = frozenset({"clock", "clock-drift", "set-aside", "unknown", "removed"})
# An honest relay also meets these (a device whose admission has not reached us yet, a fork
# it passes on), but anyone can make them without end: a random key signs a "stranger"'s
# changesets for free. So they count too, against a limit ten times higher.
RELAYED_REASONS = frozenset({"stranger", "chain"})
RELAYED_BEFORE_DISCONNECT = 10 * REFUSALS_BEFORE_DISCONNECT


class TooManyRefusals(Exception):
    """The peer keeps sending what is refused; the message says so (sent to it, then logged)."""


@dataclass
class PeerGuard:
    replica: Replica
    peer_device: str
    refused: int = 0
    malformed: int = 0
    relayed: int = 0  # refusals an honest relay may also cause (RELAYED_REASONS)
    proofs_sent_upto: int = 0
    _reasons: dict[str, int] = field(default_factory=dict)

    def count(self, refusals: list[Refusal]) -> None:
        """Count a batch's refusals; raise TooManyRefusals past the limit."""
        for refusal in refusals:
            if refusal.code in HONEST_REASONS:
                continue
            if refusal.code in RELAYED_REASONS:
                self.relayed += 1
            else:
                self.refused += 1
            self._reasons[refusal.code] = self._reasons.get(refusal.code, 0) + 1
        self._check_limit()

    def count_malformed(self, reason: str, how_many: int = 1) -> None:
        """Changesets that did not even parse: one incident update per batch, one log line."""
        self.malformed += how_many
        self._reasons["malformed"] = self._reasons.get("malformed", 0) + how_many
        incidents.note(self.replica.db, self.peer_device, "malformed", reason, count=how_many)
        self._check_limit()

    def _check_limit(self) -> None:
        own = self.refused + self.malformed
        if own > REFUSALS_BEFORE_DISCONNECT or self.relayed > RELAYED_BEFORE_DISCONNECT:
            total = own + self.relayed
            worst = max(self._reasons, key=self._reasons.__getitem__)
            incidents.note(self.replica.db, self.peer_device, "disconnected",
                           f"{total} changesets refused in one conversation (mostly: {worst})")
            raise TooManyRefusals(f"{total} of the changes you sent were refused "
                                  f"(mostly: {worst}); this device will not talk to you for a while")

    def compare_clocks(self, peer_wall_ms: int | None) -> None:
        """Report clocks more than 24 hours apart, on whichever side is ahead."""
        if peer_wall_ms is None:
            return
        row = self.replica.db.execute("SELECT name FROM devices WHERE id = ?", [self.peer_device]).fetchone()
        peer_name = str(row[0]) if row and row[0] else f"device {self.peer_device[:8]}"
        ours = self.replica.clock.wall_ms()
        ahead = peer_wall_ms - ours
        if abs(ahead) <= LIMIT_MS:
            return
        how_far = describe_ahead(abs(ahead) / 1000)
        if ahead > 0:
            incidents.note(self.replica.db, self.peer_device, "clock",
                           f"its clock is {how_far} ahead of this device's clock", extra=how_far)
        else:
            incidents.note(self.replica.db, self.replica.device_id, "own-clock",
                           f"this device's clock is {how_far} ahead of the clock of '{peer_name}'",
                           extra=f"{how_far} ahead of the clock of '{peer_name}'")
        log.warning("the clocks of this device and %s are %s apart", short_id(self.peer_device), how_far)

    def proofs_to_send(self) -> list[tuple[bytes, bytes]]:
        """Proofs of forks this conversation has not passed on yet, both versions each."""
        self.proofs_sent_upto, proofs = forks.proofs_after(self.replica.db, self.proofs_sent_upto)
        return proofs
