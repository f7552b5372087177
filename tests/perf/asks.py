"""A member asking a node again and again to send everything (127.0.0.1 only). Prints JSON.

    python -m tests.perf.asks [--members 3000] [--seconds 10] [--every 0.05]

One laptop holds a group of MEMBERS members; a second, admitted by invite, says at HELLO that it
holds everything, then sends a REQUEST with no numbers (everything again, as for a fork to prove)
every EVERY seconds for SECONDS, reading all it is sent. Reported: the asks sent, how many readings
of the change log answered them (sync/asking.py merges what waits), the changesets and bytes the
honest laptop sent, and the incident it noted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from organiser.net.transport import close_quietly
from organiser.services.group import create_group
from organiser.sync import protocol as p
from tests.net.member_link import member_streams
from tests.net.test_node import joined, node
from tests.net.test_relay_skip import Peer


async def flood(base: Path, members: int, seconds: float, every: float) -> dict[str, Any]:
    group = create_group(base / "door", "Tenants Union", "door laptop")
    for i in range(members):  # one changeset each, as typed at the door
        group.members.add(f"Member {i}")
    honest = node(group)
    await honest.start()
    flooder = await joined(honest, base / "flooder", "flooder")
    try:
        held = group.replica.version_vector()
        peer = Peer(*await member_streams(flooder, "127.0.0.1", honest.port))
        await peer.send(p.encode_hello(flooder.device_id, held, features=(p.SKIP_FEATURE,)))
        await peer.read_until(lambda f: f.type == p.FrameType.SYNCED)
        await peer.send(p.encode_relay() + p.encode_frame(p.FrameType.SYNCED))
        received = 0

        async def read_everything() -> None:
            nonlocal received
            while chunk := await peer.reader.read(65536):
                received += len(chunk)

        reading = asyncio.create_task(read_everything())
        asks, started = 0, time.monotonic()
        while time.monotonic() - started < seconds:
            await peer.send(p.encode_request({}))
            asks += 1
            await asyncio.sleep(every)
        stats = honest._links[flooder.device_id].session.stats
        reading.cancel()
        await close_quietly(peer.writer)
        noted = [i for i in group.incidents() if i["reason"] == "asks"]
        return {"members": members, "changesets_held": sum(held.values()), "seconds": seconds, "asks": asks,
                "readings": getattr(stats, "asks_served", None), "asks_waited": getattr(stats, "asks_waited", None),
                "changesets_sent": stats.sent, "bytes_to_flooder": received,
                "incident_count": noted[0]["count"] if noted else 0}
    finally:
        await honest.stop()
        flooder.close()
        group.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.asks")
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=0.05)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(flood(Path(tmp), args.members, args.seconds, args.every))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
