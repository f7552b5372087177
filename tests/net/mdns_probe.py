"""Listen for `_organiser._tcp.local.` like any device on the LAN would, and print what
the TXT records reveal, as JSON. Run inside a test namespace only:

    python -m tests.net.mdns_probe SECONDS [SERVICE_TYPE]
"""

from __future__ import annotations

import asyncio
import json
import sys

from zeroconf import IPVersion, ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from organiser.net.discovery import SERVICE_TYPE


async def probe(seconds: float, service_type: str = SERVICE_TYPE) -> list[dict]:
    zc = AsyncZeroconf(ip_version=IPVersion.V4Only)
    names: set[str] = set()

    def seen(zeroconf, service_type, name, state_change):  # type: ignore[no-untyped-def]
        if state_change is not ServiceStateChange.Removed:
            names.add(name)

    browser = AsyncServiceBrowser(zc.zeroconf, service_type, handlers=[seen])
    await asyncio.sleep(seconds)
    found = []
    for name in sorted(names):
        info = AsyncServiceInfo(service_type, name)
        if await info.async_request(zc.zeroconf, 2000):
            found.append({"name": name, "server": info.server, "port": info.port,
                          "addresses": info.parsed_scoped_addresses(IPVersion.V4Only),
                          "txt": {k.decode(): (v or b"").decode(errors="replace")
                                  for k, v in (info.properties or {}).items()},
                          "raw_txt": info.text.decode(errors="replace") if info.text else ""})
    await browser.async_cancel()
    await zc.async_close()
    return found


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0, *sys.argv[2:3]))))
