"""A node pushing what is new to every live link at once (SyncNode inherits it).

A changeset stored here, by this laptop or from a peer, goes to every other link in one round;
rounds close together are gathered, so a busy room sends fewer, fuller frames.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from organiser.core.bus import ChangesetsStored
from organiser.net.fanout import Mesh
from organiser.sync.outbox import PushRound

if TYPE_CHECKING:
    from organiser.net.node import _Link
    from organiser.services.group import Group

log = logging.getLogger(__name__)

# A push right after another waits this long, so changesets stored meanwhile go in one frame: in a
# busy room each frame costs every link a TLS record, a wake-up and an acknowledgement, and frame
# by frame 30 laptops spent more CPU than two cores have. A lone edit still goes at once.
PUSH_GATHER = 0.03
# In a room bigger than the full mesh (net/fanout.py) every frame is relayed on and applied by
# every laptop, one transaction per frame: applying one changeset alone costs ~1.1 ms of CPU,
# sixteen together ~0.13 ms each (measured, see tests/perf/room.py). So pushes gather longer
# there; each hop adds at most this to an edit's way through the room.
PUSH_GATHER_ROOM = 0.15


class Pushing:
    """The push rounds of a sync node (SyncNode inherits it)."""

    group: Group
    _links: dict[str, _Link]
    _mesh: Mesh | None
    _loop: asyncio.AbstractEventLoop | None
    _stopping: bool
    _push_task: asyncio.Task[None] | None
    _push_wanted: bool
    _pushed_at: float

    def _on_stored(self, _event: ChangesetsStored) -> None:
        if self._loop is not None and not self._stopping:
            self._loop.call_soon_threadsafe(self._schedule_push)

    def _schedule_push(self) -> None:
        if self._stopping or self._loop is None:  # queued before the node began to stop: nothing to send now
            return
        self._push_wanted = True
        if self._push_task is None or self._push_task.done():
            self._push_task = self._loop.create_task(self._push_all())  # the node's loop: see SyncNode._spawn

    async def _push_all(self) -> None:
        while self._push_wanted and not self._stopping:
            gather = PUSH_GATHER_ROOM if self._mesh is not None and self._mesh.partial else PUSH_GATHER
            if time.monotonic() - self._pushed_at < gather:
                await asyncio.sleep(gather)
            self._pushed_at = time.monotonic()
            self._push_wanted = False
            await self._push_round()

    async def _push_round(self) -> None:
        roster = self.group.replica.roster()
        # Nothing more for a device removed a moment ago, not even news of its removal.
        links = [link for link in self._links.values() if link.session.live
                 and roster.admitted(link.session.peer_device)]
        shared = PushRound(self.group.replica.db)
        results = await asyncio.gather(*(link.session.push(shared) for link in links), return_exceptions=True)
        for link, result in zip(links, results, strict=True):
            if isinstance(result, Exception):
                log.info("could not push to %s: %s", link.session.peer_short, result)
                link.writer.close()
