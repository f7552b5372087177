"""Finding the laptop that offers a spoken invite code, with mDNS (python-zeroconf, async API).

The inviting laptop announces `_organiser-join._tcp.local.` under a random instance name with
a TXT record of the protocol version and the nameplate's tag (spoken_code.nameplate_tag): no
group id, no device id, no name, and the record goes away when the code is used, burned or
expired. The joining laptop browses for a record with its code's tag. Like the group's own
discovery, an announcement only says where to connect: who answers, SPAKE2 over TLS tells.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket

from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from organiser.net.spoken_code import nameplate_tag
from organiser.sync.protocol import PROTOCOL_VERSION

log = logging.getLogger(__name__)

SERVICE_TYPE = "_organiser-join._tcp.local."
FIND_TIMEOUT = 10.0
_RESOLVE_MS = 3000


class Announcement:
    """The inviter's mDNS record for one spoken code, from start() until stop()."""

    def __init__(self, nameplate: int, port: int, addresses: list[str]) -> None:
        self.tag = nameplate_tag(nameplate)
        self.port = port
        self.addresses = addresses
        self._zc: AsyncZeroconf | None = None
        self._info: AsyncServiceInfo | None = None

    async def start(self) -> None:
        self._zc = AsyncZeroconf(ip_version=IPVersion.V4Only)
        short = secrets.token_hex(6)
        self._info = AsyncServiceInfo(
            SERVICE_TYPE, f"join-{short}.{SERVICE_TYPE}", addresses=[socket.inet_aton(a) for a in self.addresses],
            port=self.port, properties={"v": str(PROTOCOL_VERSION), "n": self.tag}, server=f"join-{short}.local.")
        await self._zc.async_register_service(self._info, allow_name_change=True)

    async def stop(self) -> None:
        if self._zc is None:
            return
        zc, self._zc = self._zc, None
        if self._info is not None:
            try:
                await asyncio.wait_for(zc.async_unregister_service(self._info), 2.0)
            except Exception:  # the record then expires by itself within its TTL
                log.info("could not withdraw the spoken invite's mDNS record", exc_info=True)
        await zc.async_close()


async def find_inviter(nameplate: int, timeout: float = FIND_TIMEOUT) -> list[str]:
    """Addresses ("host:port") of laptops announcing this nameplate, as soon as one is heard;
    empty if none was heard within `timeout` seconds."""
    tag = nameplate_tag(nameplate)
    found: asyncio.Queue[str] = asyncio.Queue()
    tasks: set[asyncio.Task[None]] = set()

    async def resolve(zeroconf: Zeroconf, name: str) -> None:
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        try:
            if not await info.async_request(zeroconf, _RESOLVE_MS):
                return
        except Exception:  # someone else's malformed answer
            log.debug("could not resolve %s", name, exc_info=True)
            return
        props = {k.decode(errors="replace"): (v or b"").decode(errors="replace")
                 for k, v in (info.properties or {}).items()}
        if props.get("n") == tag and props.get("v") == str(PROTOCOL_VERSION) and info.port:
            for address in info.parsed_scoped_addresses(IPVersion.V4Only):
                found.put_nowait(f"{address}:{info.port}")

    def on_change(zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        if state_change is not ServiceStateChange.Removed:
            task = asyncio.create_task(resolve(zeroconf, name))
            tasks.add(task)  # a strong reference until it finishes
            task.add_done_callback(tasks.discard)

    zc = AsyncZeroconf(ip_version=IPVersion.V4Only)
    browser = AsyncServiceBrowser(zc.zeroconf, SERVICE_TYPE, handlers=[on_change])
    try:
        first = await asyncio.wait_for(found.get(), timeout)
    except TimeoutError:
        return []
    finally:
        for task in list(tasks):
            task.cancel()
        await browser.async_cancel()
        await zc.async_close()
    addresses = [first]
    while not found.empty():
        address = found.get_nowait()
        if address not in addresses:
            addresses.append(address)
    return addresses
