"""Whom a node keeps a sync connection with when the room is big: bounded fan-out with relay.

Every laptop dialling every other is n(n-1)/2 TLS handshakes at once: 435 for 30 laptops, more
than two starved cores finish within the handshake limit (measured: nothing converged). So in a
room of more than LINKS + 1 nodes each node dials only a few, chosen so that the graph is
connected with a small diameter, and changesets travel onward through every conversation
(sync/session.py relays what it stores):

- the ring: all nodes ordered by a hash of their name with the room's salt; each dials its
  successor. Every node is on the ring, so the graph is connected whatever else happens;
- chords: each dials DIALS - 1 more, the others whose hash of the (unordered) pair is smallest,
  a rendezvous choice. Random chords on a ring give a diameter near log2(n) (3 or 4 hops for 30).

The names are what every node sees alike before any handshake: the mDNS service instance names
(random each start, net/discovery.py), salted with a tag of the group's discovery key, so the
order says nothing outside the group. Each node places everyone from its own view (the names it has heard);
views agree once the announcements are in, and until then the ring of any view is still a ring.
With at most LINKS + 1 nodes every node dials every other: the full mesh, as before.
Pure choice logic: no sockets here.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

# Live connections a node aims for. Each link has two ends, so a node dials LINKS // 2 and is
# dialled by about as many. 6 keeps a 30-laptop room at 3 handshakes per laptop instead of 29,
# and ring + 2 chords each keeps the diameter at 3-4 hops (each hop is a few ms of apply).
LINKS = 6
LINKS_VARIABLE = "ORGANISER_SYNC_LINKS"  # a smaller K for tests that must prove relay works
# Inbound links taken beyond what this node chose: others' views may differ from ours for a
# while (a laptop heard late), so a few more than LINKS are taken; past this the node refuses.
ACCEPT_FACTOR = 3


def links_wanted() -> int:
    """LINKS, or the environment's value (at least 2: a ring needs two ends per node)."""
    value = os.environ.get(LINKS_VARIABLE, "")
    return max(2, int(value)) if value.isdigit() else LINKS


def _rank(salt: str, *names: str) -> bytes:
    return hashlib.blake2b("\x00".join((salt, *names)).encode(), digest_size=16).digest()


def ring(names: set[str] | frozenset[str], salt: str) -> list[str]:
    return sorted(names, key=lambda name: (_rank(salt, name), name))


def chosen(me: str, others: set[str] | frozenset[str], salt: str, links: int = LINKS) -> frozenset[str]:
    """The nodes `me` dials, from the names it has heard (`others`, without itself)."""
    others = frozenset(others) - {me}
    if len(others) <= links:
        return others  # a small room: the full mesh
    order = ring(others | {me}, salt)
    here = order.index(me)
    successor = order[(here + 1) % len(order)]
    predecessor = order[here - 1]  # it dials us already
    dials = max(1, links // 2)
    chords = sorted((o for o in others if o not in (successor, predecessor)),
                    key=lambda o: (_rank(salt, *sorted((me, o))), o))
    return frozenset({successor, *chords[:dials - 1]})


def edges(names: set[str] | frozenset[str], salt: str, links: int = LINKS) -> set[frozenset[str]]:
    """Every link of the room when all nodes share one view (for tests and the docs)."""
    return {frozenset((a, b)) for a in names for b in chosen(a, set(names) - {a}, salt, links)}


@dataclass
class Mesh:
    """One node's view of the room: the names heard on the LAN, by the address they listen at."""

    me: str
    salt: str
    links: int = field(default_factory=links_wanted)
    _names: dict[str, str] = field(default_factory=dict)  # address -> name
    _choices: dict[str, frozenset[str]] = field(default_factory=dict)  # for this view: name -> it dials

    def saw(self, address: str, name: str) -> bool:
        """Place a name heard at an address; whether that changed this view of the room."""
        if self._names.get(address) == name:
            return False  # announcements repeat
        for old in [a for a, n in self._names.items() if n == name and a != address]:
            del self._names[old]  # the same node at a new address
        self._names[address] = name
        self._choices.clear()
        return True

    def lost(self, name: str) -> bool:
        gone = [a for a, n in self._names.items() if n == name]
        for address in gone:
            del self._names[address]
        self._choices.clear()
        return bool(gone)

    @property
    def partial(self) -> bool:
        """More nodes than the full mesh allows: links are chosen, some pairs stay apart."""
        return len(set(self._names.values()) - {self.me}) > self.links

    def _chosen_by(self, name: str) -> frozenset[str]:
        if name not in self._choices:
            self._choices[name] = chosen(name, set(self._names.values()) | {self.me}, self.salt, self.links)
        return self._choices[name]

    def dialled(self) -> set[str]:
        """The addresses this node should keep dialling."""
        mine = self._chosen_by(self.me)
        return {a for a, n in self._names.items() if n in mine}

    def wanted(self, address: str) -> bool:
        """Dial this address? An address not placed by a name (typed by hand, remembered from
        an earlier meeting and not heard yet) is dialled as before."""
        name = self._names.get(address)
        return name is None or name in self._chosen_by(self.me)

    def needed(self, address: str) -> bool:
        """Is the link to this address one that either end chose? If neither did, it is a link
        left from a smaller room (or an earlier view) and may close."""
        name = self._names.get(address)
        return name is None or name in self._chosen_by(self.me) or self.me in self._chosen_by(name)

    def accepts(self, live_links: int) -> bool:
        """May one more peer that dialled us be taken? Bounded, but never below the full mesh."""
        return not self.partial or live_links < ACCEPT_FACTOR * self.links
