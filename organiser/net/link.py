"""A single sync with one address (for `organiser sync` and right after joining), and
which addresses this machine can be reached at."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time

import ifaddr

from organiser.core.errors import OrganiserError
from organiser.net.handshake import Peer, PeerRefused, meet_member
from organiser.net.outbound import REMOVED_MESSAGE
from organiser.net.transport import close_quietly, dial
from organiser.services.group import Group
from organiser.services.removed_here import REMOVED_NOTICE
from organiser.sync.session import Session, SessionStats

log = logging.getLogger(__name__)


# Said where the address to give others would be, when this laptop has none (the app's Laptops view,
# `status`, `invite`): a loopback address reaches no other laptop, however it is typed.
NOT_ON_A_NETWORK = ("this laptop is not on a network that other laptops can reach: join the room's Wi-Fi "
                    "(or the hotspot the group uses)")


def local_addresses() -> list[str]:
    """IPv4 addresses of this machine's interfaces that others on the LAN could reach;
    the loopback address only when there is nothing else (where the node listens and what
    discovery announces: on a laptop alone, its own programs still reach it there)."""
    return reachable_addresses() or ["127.0.0.1"]


def reachable_addresses() -> list[str]:
    """IPv4 addresses of this machine's interfaces that other laptops could reach: none on a
    laptop that is on no network yet (what people are told to type, never the loopback)."""
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if not isinstance(ip.ip, str):
                continue
            address = ipaddress.IPv4Address(ip.ip)
            if address.is_loopback or address.is_link_local or address.is_unspecified:
                continue
            if ip.ip not in found:
                found.append(ip.ip)
    return found


def addresses_for_others(group: Group) -> list[str]:
    """Where another laptop reaches this one, as `status` tells it: where the node listens now, else
    where it will listen (the port it listened on last); none on a laptop on no network yet."""
    from organiser.net import peerbook

    reachable = set(reachable_addresses())
    running = peerbook.node_addresses(group.db)
    if running:
        return [a for a in running if a.rpartition(":")[0] in reachable]
    port = peerbook.planned_listen_port(group.db, local_addresses())
    return [f"{host}:{port}" for host in reachable] if port else sorted(reachable)


def is_member(group: Group, device: str, public_hex: str) -> bool:
    """Whether the membership log admits this key and has not removed it (read afresh: a
    removal made by another process on this database counts at once)."""
    roster = group.replica.roster()
    return roster.admitted(device) and roster.keys.get(device) == public_hex


async def sync_with(group: Group, host: str, port: int, timeout: float = 60.0,
                    inviter: str | None = None) -> SessionStats:
    """Connect, exchange what each side lacks, and return once both hold everything the
    other had; one clear sentence if that does not happen within `timeout` seconds.
    `inviter`: right after joining, the device that admitted us (its key was checked against
    the invite code), trusted for this first sync that brings us the membership log."""
    def admit(peer: Peer) -> str:
        if peer.device == group.device_id:
            return "this is the same device"
        group.replica.forget_roster()
        if peer.device == inviter or is_member(group, peer.device, peer.public_hex):
            return ""
        return "this device is not a member of the group (or was removed from it)"

    def refused(exc: PeerRefused) -> None:
        # Told as the app's node is told (net/node.py), so `status` and the app say so afterwards.
        if exc.message != REMOVED_MESSAGE or not exc.by_member:  # a stranger's word counts for nothing
            return
        if not group.replica.meta(REMOVED_NOTICE):
            # whole seconds, down: a change made the moment after is counted as since (services/removed_here.py)
            group.replica.set_meta(REMOVED_NOTICE, f"{int(time.time())} {host}:{port}")

    link = await dial(host, port, timeout=min(timeout, 5.0))
    reader, writer = link.reader, link.writer
    peer = await meet_member(group, link, host, f"{host}:{port}", admit, refused)
    device, public_hex = peer.device, peer.public_hex
    session = Session(group.replica, reader, writer, device,
                      is_member=lambda: device == inviter or is_member(group, device, public_hex))
    runner = asyncio.create_task(session.run())
    try:
        done = asyncio.create_task(_in_step(session))
        await asyncio.wait([runner, done], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if not session.in_step:
            reason = session.close_reason or f"it did not finish within {timeout:g} s"
            raise OrganiserError(f"sync with {host}:{port} did not complete: {reason}.")
        return session.stats
    finally:
        done.cancel()
        runner.cancel()
        await asyncio.gather(runner, done, return_exceptions=True)
        await close_quietly(writer)


async def _in_step(session: Session) -> None:
    while not session.in_step and not session.closed.is_set():
        await asyncio.sleep(0.02)
