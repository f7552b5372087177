"""Who may talk to a node: the member check at the door, removals taking effect at once on live
links, and what this device was told of its own removal (SyncNode inherits it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from organiser.core.bus import PeersChanged, RecordsChanged
from organiser.core.keys import short_id
from organiser.net.handshake import Peer
from organiser.net.limits import KeptAway
from organiser.net.link import is_member
from organiser.net.outbound import REMOVED_MESSAGE
from organiser.services.removed_here import REMOVED_NOTICE, forget_told
from organiser.services.removed_nearby import note_removed_knock
from organiser.sync import protocol as p

if TYPE_CHECKING:
    from organiser.net.node import _Link
    from organiser.services.group import Group

log = logging.getLogger(__name__)

KEPT_AWAY_MESSAGE = "this device will not talk to you for a while (too many of your changes were refused)"


class Admission:
    """The member checks of a sync node (SyncNode inherits it)."""

    group: Group
    kept_away: KeptAway
    _links: dict[str, _Link]
    _loop: asyncio.AbstractEventLoop | None
    _stopping: bool

    if TYPE_CHECKING:  # what the node provides (net/node.py, net/outbound.py)
        @property
        def device_id(self) -> str: ...
        def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None: ...
        def _room_changed(self) -> None: ...

    def _admission(self, peer: Peer) -> str:
        """Checked in the handshake, before any group data flows: "" admits, else why not."""
        if peer.device == self.device_id:
            return "this is the same device"
        if self.kept_away.active(peer.device):  # logged once, when it was disconnected
            return KEPT_AWAY_MESSAGE
        self.group.replica.forget_roster()
        return "" if is_member(self.group, peer.device, peer.public_hex) else self._refusal_for(peer.device)

    def _refusal_for(self, device: str) -> str:
        if device in self.group.replica.roster().limits:
            # Still in the room: the Laptops view on this laptop says so (services/removed_nearby.py).
            if note_removed_knock(self.group, device):
                self.group.bus.publish(PeersChanged())
            return REMOVED_MESSAGE
        return "this device is not a member of the group"

    def _drop_non_members(self) -> None:
        """A removal takes effect at once: the removed device's live connections close."""
        self.group.replica.forget_roster()
        roster = self.group.replica.roster()
        for device, link in list(self._links.items()):
            if not roster.admitted(device):
                log.warning("closing the connection of %s: %s", short_id(device), self._refusal_for(device))
                self._spawn(self._close_removed(link, self._refusal_for(device)))

    async def _close_removed(self, link: _Link, message: str) -> None:
        try:
            link.writer.write(p.encode_error(message))  # not the removal: see member_handshake
            async with asyncio.timeout(0.5):  # in this task: see close_quietly (net/transport.py)
                await link.writer.drain()
        except (OSError, ConnectionError, TimeoutError, RuntimeError):
            pass  # closing anyway
        link.writer.close()

    def _learn_removal(self, told_by: str) -> None:
        """A member told us we were removed: kept once, shown by `status` and the app."""
        if not self.group.replica.meta(REMOVED_NOTICE):
            log.warning("device %s says this device was removed from the group", short_id(told_by))
            # whole seconds, down: a change made the moment after is counted as since (services/removed_here.py)
            self.group.replica.set_meta(REMOVED_NOTICE, f"{int(time.time())} {told_by}")
            self.group.bus.publish(PeersChanged())

    def _admitted_by(self, device: str) -> None:
        """A member has just admitted this device (it answered our HELLO): a claim that it was removed
        (which no laptop can prove to it: its removal is never shown to it, see member_handshake) is
        forgotten, so one member in bad faith saying so cannot cut it off from the group. A laptop
        really removed is told again by the next member that knows."""
        if self.group.replica.meta(REMOVED_NOTICE):
            log.warning("device %s admitted this device: forgetting that it was told it was removed",
                        short_id(device))
            forget_told(self.group)
            self._room_changed()  # the dial loops waiting on the claim go on
            self.group.bus.publish(PeersChanged())

    def _on_records(self, event: RecordsChanged) -> None:
        if "device" in event.kinds and self._loop is not None and not self._stopping:
            self._loop.call_soon_threadsafe(self._drop_non_members)
