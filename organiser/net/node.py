"""A sync node: the piece that `organiser serve` and the app both run.

It listens (TLS 1.3, then the in-channel member handshake of handshake.py), advertises and browses mDNS, dials
devices it hears of, `--peer` addresses and last-known addresses (with backoff), keeps
one conversation per peer device, pushes every new changeset to all of them at once,
and notices changes written into the same database by another process (the CLI).
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from organiser.core.bus import ChangesetsStored, PeersChanged, RecordsChanged
from organiser.core.errors import OrganiserError
from organiser.core.keys import short_id
from organiser.net import peerbook
from organiser.net.admission import Admission
from organiser.net.allocator import return_big_buffers
from organiser.net.discovery import Discovery, Sighting, day_tag
from organiser.net.fanout import Mesh
from organiser.net.inbound import InboundConnections
from organiser.net.limits import ConnectionCount, KeptAway, LogOnce
from organiser.net.link import is_member, local_addresses
from organiser.net.outbound import REMOVED_MESSAGE, OutboundConnections
from organiser.net.outdated import messages_for, note_if_old, seen_old_laptop
from organiser.net.pairing import ConfirmAdmission, make_invite
from organiser.net.peerbook import PeerInfo
from organiser.net.pushing import Pushing
from organiser.net.spoken_host import SpokenInvite
from organiser.net.transport import close_quietly
from organiser.net.upkeep import Upkeep
from organiser.services.group import Group
from organiser.sync.applier import BackgroundApplier
from organiser.sync.asking import PeerAllowances
from organiser.sync.routes import Routes, believed
from organiser.sync.session import Session

log = logging.getLogger(__name__)


class _QuietTlsEof(logging.Filter):
    """asyncio warns when a peer closes during a TLS upgrade (a refused or duplicate
    connection); that is routine here, and the node logs the refusal itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "eof_received() has no effect when using ssl" not in record.getMessage()


logging.getLogger("asyncio").addFilter(_QuietTlsEof())

__all__ = ["PeerInfo", "SyncNode"]

DIALS_AT_ONCE = 2  # TLS handshakes this node starts at once: a room's laptops share a few cores
STOP_ROUNDS = 5  # rounds of ending tasks when the node stops (each round's tasks may have started others)


class CannotListen(OrganiserError):
    """The port asked for is taken (or not allowed): the message says which."""


@dataclass
class _Link:
    session: Session
    writer: asyncio.StreamWriter
    initiator: str  # device id of the side that dialled
    address: str  # where the peer listens, when known


class SyncNode(Admission, InboundConnections, OutboundConnections, Upkeep, Pushing):
    def __init__(self, group: Group, *, listen_host: str = "0.0.0.0", listen_port: int = 0,
                 discovery: bool = True, static_peers: Sequence[tuple[str, int]] = ()) -> None:
        self.group = group
        self.listen_host = listen_host
        self.listen_port = listen_port
        self.use_discovery = discovery
        self.static_peers = list(static_peers)
        self._server: asyncio.Server | None = None
        self._port = 0
        self._advertised: list[str] = []
        self._discovery: Discovery | None = None
        self._links: dict[str, _Link] = {}
        self._allowances: dict[str, PeerAllowances] = {}  # per member device, as long as the node runs
        self._listen_addresses: dict[str, str] = {}  # device -> "host:port" it listens at
        self._dialers: dict[str, asyncio.Task[None]] = {}  # keyed by address
        self._tasks: set[asyncio.Task] = set()
        self._push_task: asyncio.Task[None] | None = None
        self._push_wanted = False
        self._pushed_at = 0.0
        self._neighbours: frozenset[str] = frozenset()
        self._routes = Routes(group.device_id)  # which link brings each author (sync/routes.py)
        self._rerouting = False
        self._mesh: Mesh | None = None  # whom to keep links with in a big room (net/fanout.py)
        self._dial_slots = asyncio.Semaphore(DIALS_AT_ONCE)
        self._room_event = asyncio.Event()
        self._recorded: dict[str, tuple[Any, ...]] = {}  # peer -> (state, last sync, what it holds) the heartbeat wrote
        self._unsubscribe = lambda: None
        self._applier: BackgroundApplier | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._connections = ConnectionCount()
        self.kept_away = KeptAway()
        self._refusals_said = LogOnce()
        self._old_probes = LogOnce()
        # Asked before a device is admitted by an invite (the app sets it); None admits.
        self.confirm_admission: ConfirmAdmission | None = None
        self._spoken: set[SpokenInvite] = set()  # spoken invite codes offered now

    # ---- life cycle -------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def device_id(self) -> str:
        return self.group.device_id

    async def start(self) -> None:
        self._stopping = False  # a node can be started again after stop() (network off, then on)
        self._neighbours, self._routes = frozenset(), Routes(self.device_id)
        self._room_event = asyncio.Event()  # of this loop
        self._loop = asyncio.get_running_loop()
        self._applier = BackgroundApplier(self.group.replica)
        return_big_buffers()  # frames' buffers, freed, leave resident memory (net/allocator.py)
        hosts = local_addresses() if self.listen_host in ("", "0.0.0.0") else [self.listen_host]
        # The port and the remembered addresses belong to the network they were learnt on: elsewhere
        # a stranger would follow this laptop by them (ListenPlan).
        self._server = await self._listen(peerbook.port_to_listen_on(self.group.db, hosts))
        self._port = self._server.sockets[0].getsockname()[1]
        peerbook.remember_listen_port(self.group.db, self._port, hosts)
        self._advertised = [f"{h}:{self._port}" for h in hosts]
        peerbook.all_offline(self.group.db)
        peerbook.stamp_node(self.group.db, self._advertised)
        unsubscribe_stored = self.group.bus.subscribe(ChangesetsStored, self._on_stored)
        unsubscribe_records = self.group.bus.subscribe(RecordsChanged, self._on_records)
        self._unsubscribe = lambda: (unsubscribe_stored(), unsubscribe_records())
        self._spawn(self._watch_store())
        if self.use_discovery:
            await self._start_discovery(hosts)
        self._dial_known_peers()
        log.info("sync node of device %s listening on port %d", short_id(self.device_id), self._port)

    async def _start_discovery(self, hosts: list[str]) -> None:
        self._discovery = Discovery(self.group.discovery_key, self._port, hosts,
                                    self._on_sighting, self._on_lost, on_old=self._on_old_sighting)
        try:
            await self._discovery.start()
        except Exception as exc:  # no multicast here: the fallbacks still work
            log.warning("mDNS discovery is off: %s", exc)
            self._discovery = None
        else:
            # Salted with the group's key, not the day's tag: laptops started either side of
            # midnight must place everyone alike.
            self._mesh = Mesh(self._discovery.name, day_tag(self.group.discovery_key(), 0))

    def _dial_known_peers(self) -> None:
        """The addresses given on the command line, and where the group's devices were last seen
        (on this network: start() forgets them on another one)."""
        for host, port in self.static_peers:
            if self._is_own_address(host, port):  # one peers list for every laptop names each one too
                log.info("not dialling %s:%d from the static peers: it is this device", host, port)
                continue
            self._keep_dialling(f"{host}:{port}", None)
        roster = {d["id"] for d in self.group.devices()}
        for device, seen in peerbook.remembered(self.group.db).items():
            if device in roster and seen.get("address"):
                self._keep_dialling(seen["address"], device)

    def _is_own_address(self, host: str, port: int) -> bool:
        own_hosts = {h.rsplit(":", 1)[0].strip("[]") for h in self._advertised}
        own_hosts |= {self.listen_host, "localhost", "127.0.0.1", "::1", socket.gethostname()}
        return port == self._port and host.lower() in {h.lower() for h in own_hosts}

    async def _listen(self, planned: int | None) -> asyncio.Server:
        """Listen where asked; with no port asked, on the port this device used before on this
        network (`planned`: an invite code made while no node ran names it), else on any free port."""
        ports = [self.listen_port]
        if not self.listen_port:
            ports = [p for p in (planned, 0) if p is not None]
        for number, port in enumerate(ports):
            try:
                return await asyncio.start_server(self._on_inbound, self.listen_host, port, limit=2 ** 22)
            except OSError as exc:
                if number == len(ports) - 1:
                    raise CannotListen(f"cannot listen on {self.listen_host}:{port} "
                                         f"({exc.strerror or exc}).") from None
                log.info("port %d is taken; listening on another", port)
        raise AssertionError("unreachable")

    async def stop(self) -> None:
        self._stopping = True
        self._unsubscribe()
        await asyncio.gather(*(spoken.close() for spoken in self._spoken))
        if self._discovery is not None:
            await self._discovery.stop()
        if self._server is not None:
            self._server.close()
        for link in list(self._links.values()):
            link.writer.close()
        await self._end_tasks()
        self._dialers.clear()
        if self._server is not None:
            try:
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            except TimeoutError:
                pass
        self._links.clear()
        if self._applier is not None:
            await asyncio.to_thread(self._applier.close)  # waits for a step under way
            self._applier = None
        peerbook.all_offline(self.group.db)
        peerbook.clear_node(self.group.db)
        self.group.bus.publish(PeersChanged())

    async def _end_tasks(self) -> None:
        """Cancel the node's tasks and wait for them to end, again for any that began meanwhile (a
        connection accepted as the server closed): the app quits right after, and a task left to the
        loop's last turn runs with no running loop, or not at all (its coroutine never awaited)."""
        for _ in range(STOP_ROUNDS):
            tasks = [task for task in (*self._dialers.values(), *self._tasks, self._push_task)
                     if task is not None and not task.done()]
            if not tasks:
                return
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
        """Run `coro` as the node's task, on the node's loop: qasync steps tasks in a last turn after its
        run_until_complete (the app quitting, the tests), where asyncio marks no loop running and
        asyncio.create_task would raise with the coroutine made and never awaited. Nothing new starts
        once the node is stopping: stop() ends what runs."""
        if self._stopping:
            coro.close()
            return None
        task = (self._loop or asyncio.get_running_loop()).create_task(coro)  # not started: an invite's timer
        self._tasks.add(task)  # a strong reference until it finishes
        task.add_done_callback(self._tasks.discard)
        return task

    # ---- what the app shows -------------------------------------------------------------

    def peers(self) -> list[PeerInfo]:
        book = peerbook.remembered(self.group.db)
        ours = self.group.replica.version_vector() if self._links else {}
        out = []
        for device in self.group.devices():
            device_id = device["id"]
            if device_id == self.device_id:
                continue
            link = self._links.get(device_id)
            live = link is not None and not link.session.closed.is_set()
            seen = book.get(device_id, {})
            last_sync = (link.session.last_sync if link else None) or seen.get("last_sync")
            out.append(PeerInfo(device_id, str(device.get("name", "")),
                                self._listen_addresses.get(device_id) or seen.get("address", ""),
                                live, link.session.state if live and link else "offline", last_sync,
                                live and link is not None and peerbook.in_step(link.session, ours)))
        return out

    async def create_invite(self, expires_seconds: int = 86400) -> str:
        # Only this device can redeem the code: it names only where this device listens.
        return make_invite(self.group, list(self._advertised), expires_seconds)

    async def offer_spoken_invite(self, expires_seconds: int | None = None) -> SpokenInvite:
        """A short code to read aloud (spoken_host.py): announced on mDNS while discovery is on,
        answered on a port of its own, withdrawn when used, burned, expired or when the node stops."""
        spoken = SpokenInvite(self.group, self.confirm_admission, listen_host=self.listen_host,
                              announce=self.use_discovery, sync_addresses=lambda: list(self._advertised),
                              **({"expires_seconds": expires_seconds} if expires_seconds else {}))
        await spoken.start()
        self._spoken.add(spoken)
        self._spawn(self._forget_spoken(spoken))
        return spoken

    async def _forget_spoken(self, spoken: SpokenInvite) -> None:
        await spoken.outcome()
        self._spoken.discard(spoken)

    def _changed(self, session: Session | None = None) -> None:
        if self._stopping:
            return  # stop() marks every peer offline once, at the end
        self._room_changed()
        if session is not None:
            if session.greeted_at is not None and not session.closed.is_set():
                # It answered our HELLO: it took this device for a member. The handshake alone does not
                # say so: a removed laptop still passes it with its keys from before the removal, and is
                # then told it was removed (it forgot and was told again, every few seconds, for good).
                self._admitted_by(session.peer_device)
            self._learn_address(session)
            self._record(session)
            self._spawn(self._share_neighbours())
        self.group.bus.publish(PeersChanged())

    def _record(self, session: Session) -> None:
        """Write the peer's row that `organiser status` reads, as the peer's link now is. A conversation
        that a newer link of the same peer replaced can end seconds later (a dropped Wi-Fi: its close
        goes unanswered): its end must not mark a linked peer offline. The heartbeat writes a row only
        when the link moved since it last wrote it, so it is told what was written here."""
        device = session.peer_device
        link = self._links.get(device)
        speaking = link.session if link is not None else session
        live = not speaking.closed.is_set()
        try:
            peerbook.record_state(self.group.db, device, speaking.state if live else "offline",
                                  speaking.last_sync, _highest(session.peer_said, speaking.peer_said))
        except Exception:
            log.exception("could not record the state of peer %s", session.peer_short)
            return
        if live:
            self._recorded[device] = (speaking.state, speaking.last_sync, sorted(speaking.peer_said.items()))
        else:
            self._recorded.pop(device, None)

    async def _share_neighbours(self) -> None:
        """Tell every peer which devices we hear from directly, so nobody relays those
        devices' changesets to us; when we lose one, ask the others for what we may lack."""
        self._rerouting = False
        live = [link.session for link in self._links.values()
                if link.session.received_all.is_set() and not link.session.closed.is_set()]
        current = frozenset(s.peer_device for s in live)
        lost = self._neighbours - current
        self._neighbours = current
        members = self.group.replica.roster().keys
        self._routes.update((s.peer_device, None if s.peer_hops is None else
                             believed(s.peer_neighbours, s.peer_hops, members), s.doubted) for s in live)
        await self._routes.tell([link.session for link in self._links.values()], current, lost)

    def _reroute(self) -> None:
        """A peer's counts changed: count again soon (once for all the NEIGHBOURS of a moment)."""
        if not self._rerouting and not self._stopping:
            self._rerouting = True
            self._spawn(self._share_neighbours())

    def _distrust(self, peer: str, author: str) -> None:
        """The link kept for `author` owed it for long: count again without it for `author`."""
        self._routes.back_off(peer, author)
        self._reroute()

    def _learn_address(self, session: Session) -> None:
        """A peer that dialled us says where it listens: remember it, to dial it next time."""
        device = session.peer_device
        link = self._links.get(device)
        if not session.peer_listen_port or link is None or device in self._listen_addresses:
            return
        peer = link.writer.get_extra_info("peername")
        if not peer:
            return
        address = f"{peer[0]}:{session.peer_listen_port}"
        self._listen_addresses[device] = address
        try:
            peerbook.remember_address(self.group.db, device, address)
        except Exception:
            log.exception("could not remember the address of %s", short_id(device))

    # ---- connections ----------------------------------------------------------------------

    async def _run_link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, device: str,
                        public_hex: str, *, initiator: str, address: str) -> None:
        if not self._takes_link(device, initiator):
            await close_quietly(writer)
            return
        if device not in self._allowances:  # kept across its conversations (sync/asking.py)
            self._allowances[device] = PeerAllowances.fresh(self.group.replica)
        session = Session(self.group.replica, reader, writer, device, listen_port=self._port,
                          allowances=self._allowances[device],
                          applier=self._applier, neighbours=lambda: self._neighbours,
                          siblings=lambda: [link.session for link in self._links.values()],
                          parents=lambda: self._routes.parents, on_routes=self._reroute, distrust=self._distrust,
                          is_member=lambda: is_member(self.group, device, public_hex), on_change=self._changed)
        link = _Link(session, writer, initiator, address)
        self._links[device] = link
        self._changed(session)
        try:
            await session.run()
        finally:
            await self._link_ended(device, link)

    def _takes_link(self, device: str, initiator: str) -> bool:
        """Whether a member's connection becomes a link (closing an older one it replaces)."""
        if device == self.device_id or self.kept_away.active(device):
            return False  # kept away: logged once, when it was disconnected
        if initiator != self.device_id and self._mesh is not None and not self._mesh.accepts(len(self._links)):
            log.info("not linking with %s: the room is big and %d peers dialled us", short_id(device), len(self._links))
            return False  # it has others to dial
        existing = self._links.get(device)
        if existing is not None and not existing.session.closed.is_set():
            # Both sides dialled each other: both keep the connection dialled by the smaller id.
            preferred = min(self.device_id, device)
            if existing.initiator == preferred and initiator != preferred:
                log.info("keeping the link with %s that %s dialled; closing the other", short_id(device),
                         short_id(preferred))
                return False
            log.info("a new connection of %s replaces its link", short_id(device))
            existing.writer.close()
        return True

    async def _link_ended(self, device: str, link: _Link) -> None:
        session = link.session
        if session.refused_peer:
            self.kept_away.add(device, session.close_reason)
        if REMOVED_MESSAGE in session.close_reason:
            self._learn_removal(device)
        if self._links.get(device) is link:
            del self._links[device]
        await close_quietly(link.writer)
        if not self._stopping:
            self._changed(session)

    def _prune_links(self) -> None:
        """A big room: close the links that neither end chose (left from when the room was
        smaller), once every link this node chose is up, so the room never falls apart."""
        if self._mesh is None or not self._mesh.partial:
            return
        live = self._live_links_by_address()
        if not self._mesh.dialled() <= live.keys():
            return
        for address, link in live.items():
            # A link still bringing or taking a first sync stays: views of the room differ while
            # laptops join, and cutting it restarted the stream on a weak Wi-Fi again and again.
            if link.session.in_step and not self._mesh.needed(address):
                log.info("closing the link to %s: the room is big and neither of us chose it",
                         link.session.peer_short)
                link.writer.close()

    def _live_links_by_address(self) -> dict[str, _Link]:
        return {self._listen_addresses.get(device) or link.address: link for device, link in self._links.items()
                if link.session.live and not link.session.closed.is_set()}

    def _is_connected(self, device: str | None) -> bool:
        if device is None:
            return False
        link = self._links.get(device)
        return link is not None and not link.session.closed.is_set()

    # ---- discovery ------------------------------------------------------------------------

    def _on_sighting(self, found: Sighting) -> None:
        """An announcement with our group's tag: dial the address. Which device answers, and
        whether it belongs, only the handshake tells; an announcement never cancels a dialer
        or a connection, so a replayed one cannot redirect or cut anyone off."""
        address = f"{found.addresses[0]}:{found.port}"
        if self._mesh is not None and self._mesh.saw(address, found.service_name):
            self._room_changed()
        if address in self._advertised or self._dialing_connected(address):
            return
        # A random head start, so two nodes that hear each other at once rarely dial at
        # the same moment; either way only one connection per pair is kept.
        self._keep_dialling(address, None, random.uniform(0.0, 2.0 if self._mesh and self._mesh.partial else 1.0))
        self.group.bus.publish(PeersChanged())

    def _on_old_sighting(self, found: Sighting) -> None:
        """An announcement in the previous protocol's format: if its node is of this group
        (its certificate says), the laptop must be updated; say so (once per address)."""
        if self._old_probes.due(found.addresses[0]):
            self._spawn(note_if_old(self.group, found.addresses[0], found.port))

    def _outdated_peer(self, host: str, device: str) -> None:
        """An older Organiser of this group (a device id when its certificate named one)."""
        seen_old_laptop(self.group, host, device)
        self.group.bus.publish(PeersChanged())

    def outdated_peers(self) -> list[str]:
        """One sentence per laptop of the group seen lately that runs an older Organiser."""
        return messages_for(self.group)

    def _on_lost(self, name: str) -> None:
        log.info("a node of the group (%s) left the network", name)
        if self._mesh is not None and self._mesh.lost(name):
            self._room_changed()
        self.group.bus.publish(PeersChanged())


def _highest(*said: dict[str, int]) -> dict[str, int]:
    """Per author, the highest number any of these conversations heard the peer say it holds."""
    out: dict[str, int] = {}
    for vector in said:
        for author, seq in vector.items():
            out[author] = max(seq, out.get(author, 0))
    return out
