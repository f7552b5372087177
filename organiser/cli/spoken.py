"""`organiser invite --short`: offer a spoken code on the LAN and wait until it is used.

Where a sync node already runs on this device (the app, or `organiser serve`), the code is
offered beside it and the new device syncs with that node. Otherwise this command runs a node
itself for the code's lifetime, and after the admission a little longer, until the new device
holds the group (at most a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from typing import TYPE_CHECKING

from organiser.cli.common import open_chosen_group, print_json
from organiser.core.errors import ValidationError

FIRST_SYNC_WAIT = 60.0
if TYPE_CHECKING:
    from organiser.net.node import SyncNode

MAX_SPOKEN = 3600  # a spoken code is for people in the same room now; the long code is for later


def offer_spoken_code(args: argparse.Namespace) -> int:
    from organiser.cli.sync import parse_duration
    from organiser.config import settings
    from organiser.net import peerbook
    from organiser.net.node import SyncNode  # noqa: F811 - at run time, not only for the type
    from organiser.net.spoken_code import SPOKEN_EXPIRY
    from organiser.net.spoken_host import ADMITTED, SpokenInvite

    seconds = parse_duration(args.expires) if args.expires else SPOKEN_EXPIRY
    if seconds > MAX_SPOKEN:
        raise ValidationError("expires", "expires: a short code stays valid at most 1 hour (1h); use the long "
                              "code for later.")
    configured = settings().node_options()
    group = open_chosen_group(args)

    async def main() -> int:
        node: SyncNode | None = None
        if peerbook.node_running(group.db):
            spoken = SpokenInvite(group, None, announce=configured["discovery"],
                                  expires_seconds=seconds, sync_addresses=lambda: peerbook.node_addresses(group.db))
            await spoken.start()
        else:
            node = SyncNode(group, **configured)
            await node.start()
            spoken = await node.offer_spoken_invite(seconds)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(spoken.close()))
        until = time.strftime("%H:%M", time.localtime(spoken.expires_at))
        if args.json:
            print_json({"code": spoken.text, "expires_in": seconds})
        else:
            print(spoken.text, flush=True)
        print(f"Read this code to the person at the new laptop; it works once, until {until}, on this network. "
              "Waiting for it…", file=sys.stderr, flush=True)
        try:
            outcome = await spoken.outcome()
            if node is not None and outcome.state == ADMITTED:
                await _until_synced(node, outcome.device_name)
        finally:
            await spoken.close()
            if node is not None:
                await node.stop()
        if args.json:
            print_json({"outcome": outcome.state, "message": outcome.message})
        else:
            print(outcome.message, file=sys.stdout if outcome.state == ADMITTED else sys.stderr)
        return 0 if outcome.state == ADMITTED else 1

    try:
        return asyncio.run(main())
    finally:
        group.close()


async def _until_synced(node: SyncNode, device_name: str) -> None:
    """The new laptop dials this node for its first sync: serve it before leaving."""
    deadline = time.monotonic() + FIRST_SYNC_WAIT
    while time.monotonic() < deadline:
        if any(peer.name == device_name and peer.last_sync for peer in node.peers()):
            return
        await asyncio.sleep(0.2)
