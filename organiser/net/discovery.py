"""Finding devices of the same group on the LAN with mDNS (python-zeroconf, async API).

Each node advertises `_organiser._tcp.local.` with a TXT record of protocol version,
device id and the group's opaque tag, never the group's name. Browsing turns what is
heard into `Sighting`s (our own small type) for devices with the same tag.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass

from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from organiser.sync.protocol import PROTOCOL_VERSION

log = logging.getLogger(__name__)

SERVICE_TYPE = "_organiser._tcp.local."
RESOLVE_TIMEOUT_MS = 3000


@dataclass(frozen=True)
class Sighting:
    """A device of our group heard on the LAN."""

    device_id: str
    addresses: tuple[str, ...]
    port: int
    service_name: str


def txt_record(device_id: str, tag: str) -> dict[str, str]:
    return {"v": str(PROTOCOL_VERSION), "d": device_id, "t": tag}


def sighting_from(info: AsyncServiceInfo, tag: str, own_device: str) -> Sighting | None:
    """Our Sighting from zeroconf's ServiceInfo, or None if it is not a peer of our group."""
    props = {k.decode(errors="replace"): (v or b"").decode(errors="replace")
             for k, v in (info.properties or {}).items()}
    if props.get("t") != tag or props.get("v") != str(PROTOCOL_VERSION):
        return None
    device = props.get("d", "")
    if not device or device == own_device or not info.port:
        return None
    addresses = tuple(a for a in info.parsed_scoped_addresses(IPVersion.V4Only))
    if not addresses:
        return None
    return Sighting(device, addresses, int(info.port), info.name)


class Discovery:
    def __init__(self, device_id: str, tag: str, port: int, addresses: list[str],
                 on_found: Callable[[Sighting], None], on_lost: Callable[[str], None]) -> None:
        self.device_id = device_id
        self.tag = tag
        self.port = port
        self.addresses = addresses
        self.on_found = on_found
        self.on_lost = on_lost
        self._zc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._info: AsyncServiceInfo | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._names: dict[str, str] = {}  # service name -> device id

    async def start(self) -> None:
        self._zc = AsyncZeroconf(ip_version=IPVersion.V4Only)
        short = self.device_id[:12]
        self._info = AsyncServiceInfo(
            SERVICE_TYPE, f"organiser-{short}.{SERVICE_TYPE}",
            addresses=[socket.inet_aton(a) for a in self.addresses], port=self.port,
            properties=txt_record(self.device_id, self.tag), server=f"organiser-{short}.local.")
        # A clash (say, our own record from before a crash) gets a new name, not an error.
        await self._zc.async_register_service(self._info, allow_name_change=True)
        self._browser = AsyncServiceBrowser(self._zc.zeroconf, SERVICE_TYPE, handlers=[self._on_change])

    async def update_addresses(self, addresses: list[str]) -> None:
        """The machine's addresses changed (Wi-Fi to cable, a new DHCP lease): re-announce."""
        if self._zc is None or self._info is None or addresses == self.addresses:
            return
        self.addresses = addresses
        info = AsyncServiceInfo(SERVICE_TYPE, self._info.name,
                                addresses=[socket.inet_aton(a) for a in addresses], port=self.port,
                                properties=txt_record(self.device_id, self.tag), server=self._info.server)
        await self._zc.async_update_service(info)
        self._info = info

    def _on_change(self, zeroconf: Zeroconf, service_type: str, name: str,
                   state_change: ServiceStateChange) -> None:
        if state_change is ServiceStateChange.Removed:
            device = self._names.pop(name, None)
            if device:
                self.on_lost(device)
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
        found = sighting_from(info, self.tag, self.device_id)
        if found is not None:
            self._names[name] = found.device_id
            self.on_found(found)

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
