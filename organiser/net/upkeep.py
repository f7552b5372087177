"""A node's upkeep while it runs: noticing commits by other processes on its database (the CLI
beside `serve`), and the heartbeat that `organiser status` reads (with, every few beats, a look
at this machine's addresses and the links a big room no longer needs). SyncNode inherits it.

Idle, this is most of what a laptop does, times 30 in a full room: so the look at the database
slows when nothing is committed (this process's own edits need no look: they are pushed on the
bus's ChangesetsStored at once), and the heartbeat writes only what moved.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from organiser.net import peerbook
from organiser.net.discovery import Discovery
from organiser.net.link import local_addresses

if TYPE_CHECKING:
    from organiser.net.node import _Link
    from organiser.services.group import Group

log = logging.getLogger(__name__)

WATCH_EVERY = 0.2  # how often to look for changes written by another process, while they come
WATCH_QUIET = 0.8  # ... and once none came for a while (the interval doubles up to this)
ADDRESSES_EVERY = 6.0  # how often to look whether this machine's addresses changed (another network)


class Upkeep:
    """The store watch and heartbeat of a sync node (SyncNode inherits it)."""

    group: Group
    listen_host: str
    _port: int
    _advertised: list[str]
    _discovery: Discovery | None
    _links: dict[str, _Link]
    _stopping: bool
    _recorded: dict[str, tuple[Any, ...]]  # peer -> (state, last sync, what it holds) the heartbeat wrote

    if TYPE_CHECKING:  # what the node provides (net/node.py)
        def _drop_non_members(self) -> None: ...
        def _schedule_push(self) -> None: ...
        def _prune_links(self) -> None: ...

    async def _check_addresses(self) -> None:
        if self.listen_host not in ("", "0.0.0.0"):
            return
        hosts = local_addresses()
        advertised = [f"{h}:{self._port}" for h in hosts]
        if advertised != self._advertised:
            log.info("this machine's addresses are now %s", ", ".join(hosts))
            self._advertised = advertised
            if self._discovery is not None:
                await self._discovery.update_addresses(hosts)

    async def _watch_store(self) -> None:
        """Notice commits by other processes on this database (PRAGMA data_version moves
        only for those), and keep the heartbeat that `status` reads. This process's own edits
        need no looking: they are pushed on the bus's ChangesetsStored at once. So the look
        comes every WATCH_EVERY while commits come, and slows to WATCH_QUIET once none did."""
        db = self.group.db
        version = db.execute("PRAGMA data_version").fetchone()[0]
        interval = WATCH_EVERY
        last_stamp = last_addresses = time.monotonic()
        while not self._stopping:
            await asyncio.sleep(interval)
            try:
                now_version = db.execute("PRAGMA data_version").fetchone()[0]
                if now_version != version:
                    version = now_version
                    interval = WATCH_EVERY
                    self._drop_non_members()  # the CLI beside us may have removed a device
                    self._schedule_push()
                else:
                    interval = min(interval * 2, WATCH_QUIET)
                if time.monotonic() - last_stamp > peerbook.HEARTBEAT_EVERY:
                    last_stamp = time.monotonic()
                    addresses = time.monotonic() - last_addresses > ADDRESSES_EVERY
                    if addresses:
                        last_addresses = last_stamp
                    await self._heartbeat(addresses)
            except Exception:
                log.exception("watching the database failed; trying again")

    async def _heartbeat(self, addresses: bool) -> None:
        if self._discovery is not None:
            await self._discovery.retag()  # a new day, or a removal
        if addresses:
            await self._check_addresses()
        self._prune_links()
        db = self.group.db
        peerbook.stamp_node(db, self._advertised)
        for link in list(self._links.values()):
            session = link.session
            # Written when it moved: every link's row every 2 s was most of an idle laptop's writes.
            # What it says it holds moves as edits reach it: the admin's removal among them (who has heard).
            moved = (session.state, session.last_sync, sorted(session.peer_said.items()))
            if session.last_sync and self._recorded.get(session.peer_device) != moved:
                self._recorded[session.peer_device] = moved
                peerbook.record_state(db, session.peer_device, session.state, session.last_sync, session.peer_said)
