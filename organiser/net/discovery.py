"""Finding devices of the same group on the LAN with mDNS (python-zeroconf, async API).

Each node advertises `_organiser._tcp.local.` under a random instance name, with a TXT
record of protocol version and a tag: an HMAC of the UTC day under the group's discovery
key, which only current members hold and which changes after every removal. No device id,
no group id or name. A member recognises today's tag (or yesterday's or tomorrow's, for
clocks near midnight); everyone else sees a random-looking value that changes every day.
Browsing turns what is heard into `Sighting`s (our own small type): an address to dial.
Who is there is learnt only from the TLS handshake, so a replayed or forged announcement
can at most make a node dial an address that then fails the handshake: it cannot redirect
or cancel any connection.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from organiser.sync.protocol import PROTOCOL_VERSION

log = logging.getLogger(__name__)

SERVICE_TYPE = "_organiser._tcp.local."
RESOLVE_TIMEOUT_MS = 3000


DAY = 86400


@dataclass(frozen=True)
class Sighting:
    """A node of our group heard on the LAN (which device it is, TLS will tell)."""

    addresses: tuple[str, ...]
    port: int
    service_name: str


def day_tag(discovery_key: bytes, day: int) -> str:
    return hmac.new(discovery_key, f"organiser discovery tag v2 {day}".encode(), hashlib.sha256).hexdigest()[:16]


def current_tags(discovery_key: bytes, now: float) -> tuple[str, frozenset[str]]:
    """(the tag to announce now, the tags to recognise: yesterday's, today's, tomorrow's)."""
    day = int(now // DAY)
    return day_tag(discovery_key, day), frozenset(day_tag(discovery_key, d) for d in (day - 1, day, day + 1))


def txt_record(tag: str) -> dict[str, str]:
    return {"v": str(PROTOCOL_VERSION), "t": tag}


def sighting_from(info: AsyncServiceInfo, tags: frozenset[str], own_name: str) -> Sighting | None:
    """Our Sighting from zeroconf's ServiceInfo, or None if it is not a node of our group."""
    if not _announces_our_group(_txt_properties(info), tags) or info.name == own_name or not info.port:
        return None
    addresses = _ipv4_addresses(info)
    return Sighting(addresses, int(info.port), info.name) if addresses else None


def old_sighting_from(info: AsyncServiceInfo) -> Sighting | None:
    """An announcement in the previous protocol's format (its TXT record named a permanent
    device id, "d"): a laptop that must be updated, if it is of our group (net/outdated.py)."""
    props = info.properties or {}
    if not props.get(b"d") or not info.port:
        return None
    addresses = _ipv4_addresses(info)
    return Sighting(addresses, int(info.port), info.name) if addresses else None


def _txt_properties(info: AsyncServiceInfo) -> dict[str, str]:
    """The TXT record as text; what anyone on the LAN sent is decoded without failing."""
    return {k.decode(errors="replace"): (v or b"").decode(errors="replace") for k, v in (info.properties or {}).items()}


def _announces_our_group(props: dict[str, str], tags: frozenset[str]) -> bool:
    # "d": the previous protocol's format, which cannot sync with this one
    return props.get("t") in tags and props.get("v") == str(PROTOCOL_VERSION) and "d" not in props


def _ipv4_addresses(info: AsyncServiceInfo) -> tuple[str, ...]:
    return tuple(info.parsed_scoped_addresses(IPVersion.V4Only))


class Discovery:
    def __init__(self, discovery_key: Callable[[], bytes], port: int, addresses: list[str],
                 on_found: Callable[[Sighting], None], on_lost: Callable[[str], None],
                 clock: Callable[[], float] = time.time, on_old: Callable[[Sighting], None] | None = None) -> None:
        self.discovery_key = discovery_key
        self.clock = clock
        self.tag, self.tags = current_tags(discovery_key(), clock())
        self.port = port
        self.addresses = addresses
        self.on_found = on_found
        self.on_lost = on_lost
        self.on_old = on_old
        self._zc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._info: AsyncServiceInfo | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._names: set[str] = set()  # service names of our group's nodes heard

    async def start(self) -> None:
        self._zc = AsyncZeroconf(ip_version=IPVersion.V4Only)
        short = secrets.token_hex(6)  # a new random name each start: nothing to follow
        self._info = AsyncServiceInfo(
            SERVICE_TYPE, f"organiser-{short}.{SERVICE_TYPE}",
            addresses=[socket.inet_aton(a) for a in self.addresses], port=self.port,
            properties=txt_record(self.tag), server=f"organiser-{short}.local.")
        # A clash (say, our own record from before a crash) gets a new name, not an error.
        await self._zc.async_register_service(self._info, allow_name_change=True)
        self._browser = AsyncServiceBrowser(self._zc.zeroconf, SERVICE_TYPE, handlers=[self._on_change])

    @property
    def name(self) -> str:
        """Our service instance name (random each start), as the others hear it."""
        return self._info.name if self._info is not None else ""

    async def update_addresses(self, addresses: list[str]) -> None:
        """The machine's addresses changed (Wi-Fi to cable, a new DHCP lease): re-announce."""
        if self._zc is None or self._info is None or addresses == self.addresses:
            return
        self.addresses = addresses
        await self._announce()

    async def retag(self) -> None:
        """A new day, or a removal changed the discovery key: announce the new tag."""
        tag, tags = current_tags(self.discovery_key(), self.clock())
        self.tags = tags
        if tag != self.tag:
            self.tag = tag
            await self._announce()

    async def _announce(self) -> None:
        if self._zc is None or self._info is None:
            return
        info = AsyncServiceInfo(SERVICE_TYPE, self._info.name,
                                addresses=[socket.inet_aton(a) for a in self.addresses], port=self.port,
                                properties=txt_record(self.tag), server=self._info.server)
        await self._zc.async_update_service(info)
        self._info = info

    def _on_change(self, zeroconf: Zeroconf, service_type: str, name: str,
                   state_change: ServiceStateChange) -> None:
        if state_change is ServiceStateChange.Removed:
            if name in self._names:
                self._names.discard(name)
                self.on_lost(name)  # only news for the app: connections end by themselves
            return
        task = asyncio.create_task(self._resolve(zeroconf, service_type, name))
        self._tasks.add(task)  # keep a strong reference until it finishes
        task.add_done_callback(self._tasks.discard)

    async def _resolve(self, zeroconf: Zeroconf, service_type: str, name: str) -> None:
        info = AsyncServiceInfo(service_type, name)
        try:
            if not await info.async_request(zeroconf, RESOLVE_TIMEOUT_MS):
                return
        except Exception:  # a malformed answer from someone else's device
            log.debug("could not resolve %s", name, exc_info=True)
            return
        found = sighting_from(info, self.tags, self._info.name if self._info else "")
        if found is not None:
            self._names.add(name)
            self.on_found(found)
        elif self.on_old is not None and (old := old_sighting_from(info)) is not None:
            self.on_old(old)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._browser is not None:
            await self._browser.async_cancel()
        if self._zc is not None:
            if self._info is not None:
                try:
                    await asyncio.wait_for(self._zc.async_unregister_service(self._info), 2.0)
                except (TimeoutError, Exception):
                    log.debug("could not withdraw our mDNS record", exc_info=True)
            await self._zc.async_close()
