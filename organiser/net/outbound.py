"""Connections a node makes: dialling a peer it heard of, an address given by hand or one it
remembers, with backoff, then the member handshake (net/handshake.py) before any group data.
SyncNode inherits it, as it inherits InboundConnections for the connections it takes.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from organiser.core.errors import OrganiserError
from organiser.net import peerbook
from organiser.net.fanout import Mesh
from organiser.net.handshake import Peer, PeerRefused, meet_member
from organiser.net.invite_code import split_address
from organiser.net.limits import KeptAway
from organiser.net.transport import close_quietly, dial
from organiser.services.removed_here import REMOVED_NOTICE

if TYPE_CHECKING:
    from organiser.net.node import _Link
    from organiser.services.group import Group

log = logging.getLogger(__name__)

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 8.0
# A dial loop with nothing to do (its peer linked, or not ours to dial in a big room) waits for the
# room to change (a link up or down, an announcement heard or lost) rather than looking every
# second: 25 such loops per laptop were a good part of an idle room's CPU. Past this it looks anyway.
IDLE_RECHECK = 15.0
REMOVED_MESSAGE = "this device was removed from the group"


class OutboundConnections:
    """The part of a sync node that dials (SyncNode inherits it)."""

    group: Group
    kept_away: KeptAway
    _links: dict[str, _Link]
    _listen_addresses: dict[str, str]
    _dialers: dict[str, asyncio.Task[None]]
    _mesh: Mesh | None
    _dial_slots: asyncio.Semaphore
    _stopping: bool
    _room_event: asyncio.Event  # set, then replaced, whenever links or the room's names change

    if TYPE_CHECKING:  # what the node provides (net/node.py)
        @property
        def device_id(self) -> str: ...
        def _admission(self, peer: Peer) -> str: ...
        def _learn_removal(self, told_by: str) -> None: ...
        def _is_connected(self, device: str | None) -> bool: ...
        def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None: ...
        async def _run_link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, device: str,
                            public_hex: str, *, initiator: str, address: str) -> None: ...

    async def connect(self, host: str, port: int) -> None:
        """Connect to an address by hand and keep that connection up."""
        address = f"{host}:{port}"
        device = await self._dial(address, None, wait=False)
        self._keep_dialling(address, device)

    def _room_changed(self) -> None:
        """Wake the dial loops that wait: a link came or went, or the room's names changed."""
        self._room_event.set()
        self._room_event = asyncio.Event()

    async def _until_room_changes(self, most: float) -> None:
        try:
            await asyncio.wait_for(self._room_event.wait(), most)
        except TimeoutError:
            pass

    def _keep_dialling(self, address: str, device: str | None, head_start: float = 0.0) -> None:
        if address in self._dialers or self._stopping:
            return
        self._dialers[address] = asyncio.create_task(self._dial_loop(address, device, head_start))

    async def _dial_loop(self, address: str, device: str | None, head_start: float) -> None:
        delay = BACKOFF_FIRST
        await asyncio.sleep(head_start)
        while not self._stopping:
            if self._left_to_others(address, device):
                await self._until_room_changes(IDLE_RECHECK)  # a big room: another node links to this one
                continue
            if self.group.replica.meta(REMOVED_NOTICE):
                # a member told us this device was removed: no point in knocking again, unless
                # another member admits it meanwhile (the claim cannot be proved to us)
                await self._until_room_changes(IDLE_RECHECK)
                continue
            if device is not None and self.kept_away.active(device):
                await asyncio.sleep(min(0.5 + self.kept_away.seconds_left(device), BACKOFF_MAX))
                delay = BACKOFF_FIRST
                continue
            if device is not None and self._is_connected(device):
                await self._until_room_changes(IDLE_RECHECK)  # until its link ends (or something else moves)
                delay = BACKOFF_FIRST
                continue
            started = time.monotonic()
            device = await self._try_dial(address, device)
            if time.monotonic() - started > 10:
                delay = BACKOFF_FIRST  # it was a good connection that ended
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, BACKOFF_MAX)

    def _left_to_others(self, address: str, device: str | None) -> bool:
        """In a big room the links are chosen (net/fanout.py): this address is not one of ours to dial."""
        return self._mesh is not None and not self._mesh.wanted(address) and not self._is_connected(device)

    async def _try_dial(self, address: str, device: str | None) -> str | None:
        """One conversation with `address`, until it ends; the device found there (or the one
        expected, when it failed: the loop knocks again)."""
        try:
            return await self._dial(address, device)
        except OrganiserError as exc:  # `logged`: without what the laptop there said (net/handshake.py)
            log.info("could not sync with %s: %s", address, getattr(exc, "logged", exc))
        except Exception:  # a bug costs this attempt, never the loop that keeps the link
            log.exception("unexpected failure talking to %s", address)
        return device

    async def _dial(self, address: str, expected: str | None, *, wait: bool = True) -> str:
        """Connect to an address; run the conversation (until it ends when `wait`)."""
        host, port = split_address(address)
        async with self._dial_slots:
            link = await dial(host, port)
        reader, writer = link.reader, link.writer

        def refused(exc: PeerRefused) -> None:
            if exc.message == REMOVED_MESSAGE and exc.by_member:  # a stranger's word counts for nothing
                self._learn_removal(address)

        peer = await meet_member(self.group, link, host, address, self._admission, refused)
        device, public_hex = peer.device, peer.public_hex
        if self._stopping:  # stopped while this dialled (the app quits, the group closes): no link now
            await close_quietly(writer)
            raise OrganiserError(f"the network stopped before the connection to {address} was made.")
        if expected and device != expected:
            await close_quietly(writer)
            raise OrganiserError(f"{address} is now another device than the one expected there.")
        peerbook.remember_address(self.group.db, device, address)
        self._listen_addresses[device] = address
        run = self._run_link(reader, writer, device, public_hex, initiator=self.device_id, address=address)
        if wait:
            await run
        else:
            self._spawn(run)
        return device

    def _dialing_connected(self, address: str) -> bool:
        return any(link.address == address and not link.session.closed.is_set() for link in self._links.values())
