"""A stranger on the LAN (127.0.0.1 here) holding connections to a node: TLS without a client
certificate left waiting in the invite step, and bare TCP stalled before the handshake. It must
hold only a few slots, and a member's laptop must still connect and sync meanwhile."""

from __future__ import annotations

import asyncio
import time

import pytest

from organiser.net.limits import MAX_CONNECTIONS, MAX_REDEEMING, MAX_UNAUTHENTICATED
from organiser.net.node import SyncNode
from organiser.net.transport import pairing_context
from tests.net.test_node import joined, node, until

pytestmark = pytest.mark.asyncio

TLS_STRANGERS = MAX_CONNECTIONS + 16  # more than every slot the node has
STALLED_STRANGERS = MAX_UNAUTHENTICATED
ATTEMPTS_EACH = 200  # bounds the attack in count; the test's deadline bounds it in time


class Stranger:
    """Keeps connections open, and opens a new one whenever the node closes one."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.attempts = 0
        self.holding = 0  # connections the node has not closed yet
        self.stop = asyncio.Event()

    async def hold(self, tls: bool) -> None:
        for _ in range(ATTEMPTS_EACH):
            if self.stop.is_set():
                return
            self.attempts += 1
            writer = None
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(
                    "127.0.0.1", self.port, ssl=pairing_context() if tls else None,
                    server_hostname="" if tls else None), 5)
                self.holding += 1
                try:
                    # Say nothing more: wait until the node gives up on us (or the test ends).
                    reading = asyncio.ensure_future(reader.read())
                    stopping = asyncio.ensure_future(self.stop.wait())
                    await asyncio.wait([reading, stopping], timeout=30, return_when=asyncio.FIRST_COMPLETED)
                    for pending in (reading, stopping):
                        pending.cancel()
                finally:
                    self.holding -= 1
            except (OSError, TimeoutError, ConnectionError):
                pass
            finally:
                if writer is not None:
                    writer.transport.abort()
            await asyncio.sleep(0.2)


def _bounded(a: SyncNode, seen: dict[str, int]) -> bool:
    count = a._connections
    seen["unauthenticated"] = max(seen["unauthenticated"], count.unauthenticated)
    seen["redeeming"] = max(seen["redeeming"], count.redeeming)
    return count.unauthenticated <= MAX_UNAUTHENTICATED and count.redeeming <= MAX_REDEEMING


async def test_strangers_holding_every_connection_they_can_do_not_keep_a_member_out(tmp_path, group):
    a = node(group)
    await a.start()
    b_group = await joined(a, tmp_path / "b", "minutes laptop")
    stranger = Stranger(a.port)
    attack = [asyncio.create_task(stranger.hold(tls=True)) for _ in range(TLS_STRANGERS)]
    attack += [asyncio.create_task(stranger.hold(tls=False)) for _ in range(STALLED_STRANGERS)]
    b = node(b_group, a)
    seen = {"unauthenticated": 0, "redeeming": 0}
    try:
        await until(lambda: stranger.attempts >= 2 * (TLS_STRANGERS + STALLED_STRANGERS)
                    and a._connections.redeeming == MAX_REDEEMING, 30, "the strangers to move in")
        assert _bounded(a, seen)
        await b.start()
        group.members.add("Added during the attack")
        deadline = time.monotonic() + 30
        while "Added during the attack" not in {m.name for m in b_group.members.list()}:
            assert time.monotonic() < deadline, f"the member did not sync ({a._connections})"
            assert _bounded(a, seen), seen
            await asyncio.sleep(0.05)
        assert any(p.connected for p in a.peers())
        assert stranger.attempts > TLS_STRANGERS + STALLED_STRANGERS  # still at it while the member synced
        assert seen["redeeming"] == MAX_REDEEMING and seen["unauthenticated"] <= MAX_UNAUTHENTICATED
    finally:
        stranger.stop.set()
        await asyncio.gather(*attack, return_exceptions=True)
        await b.stop()
        b_group.close()
        await a.stop()

