"""A member in bad faith asking a node again and again to send everything (REQUEST with low
numbers, or RELAY taking an author back from the start) gets it at the pace of its allowance
(sync/asking.py), not as fast as the node can read and send: its asks wait, merged, an incident
is noted, and the link still works. Real node, TLS on 127.0.0.1; the allowance is shrunk so a
small group shows it."""

from __future__ import annotations

import asyncio
import time

import pytest

from organiser.net.transport import close_quietly
from organiser.sync import asking
from organiser.sync import protocol as p
from tests.net.member_link import member_streams
from tests.net.test_node import joined, node
from tests.net.test_relay_skip import Peer, _carried

pytestmark = pytest.mark.asyncio

BURST, RATE = 100, 50  # changesets; a whole group of this test is ~60
WINDOW = 3.0  # seconds the flooder reads for
ASK_EVERY = 0.02  # ... and asks again every this long, until a little before


async def _read_for(peer: Peer, seconds: float) -> list[p.Frame]:
    """Every frame the node sends for `seconds`."""
    frames: list[p.Frame] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            chunk = await asyncio.wait_for(peer.reader.read(65536), left)
        except TimeoutError:
            break
        assert chunk, "the node closed the link"
        frames += peer.decoder.feed(chunk)
    return frames


async def _ask_again_and_again(peer: Peer, frame: bytes) -> int:
    """Send `frame` every ASK_EVERY for most of the window; how many were sent."""
    sent = 0
    deadline = time.monotonic() + WINDOW - 0.5
    while time.monotonic() < deadline:
        await peer.send(frame)
        sent += 1
        await asyncio.sleep(ASK_EVERY)
    return sent


@pytest.mark.parametrize("ask", ["request", "relay-take"])
async def test_a_member_asking_for_everything_again_and_again_gets_it_at_its_allowance(
        tmp_path, group, monkeypatch, ask) -> None:
    monkeypatch.setattr(asking, "ASK_BURST", BURST)
    monkeypatch.setattr(asking, "ASK_RATE", RATE)
    for i in range(60):
        group.members.add(f"Member {i}")
    a = node(group)
    await a.start()
    try:
        flooder = await joined(a, tmp_path / "b", "flooder")
        held = group.replica.version_vector()
        whole = sum(held.values())
        # It claims at HELLO to hold everything, so the first stream sends nothing and each low ask
        # reads as one for another version of each author (a fork to prove): everything is sent.
        peer = Peer(*await member_streams(flooder, "127.0.0.1", a.port))
        await peer.send(p.encode_hello(flooder.device_id, held, features=(p.SKIP_FEATURE,)))
        await peer.read_until(lambda f: f.type == p.FrameType.SYNCED)
        await peer.send(p.encode_relay() + p.encode_frame(p.FrameType.SYNCED))
        frame = p.encode_request({}) if ask == "request" else p.encode_relay(take=dict.fromkeys(held, 0))
        started = time.monotonic()
        asking_task = asyncio.create_task(_ask_again_and_again(peer, frame))
        frames = await _read_for(peer, WINDOW)
        elapsed = time.monotonic() - started
        asks = await asking_task
        sent = len(_carried(frames))
        # Everything it asked for came, once at least (the asks merged), but no more than the
        # allowance: without it, one whole group per ask.
        assert sent >= whole
        assert sent <= BURST + RATE * elapsed + whole, (sent, whole, elapsed)
        session = a._links[flooder.device_id].session
        assert session.stats.asks_waited >= asking.ASKS_NOTED
        assert session.stats.asks_served < asks / 4
        (incident,) = [i for i in group.incidents() if i["reason"] == "asks"]
        assert incident["device"]["id"] == flooder.device_id
        # The link still works: a new edit reaches it.
        group.members.add("After the flood")
        frames = await peer.read_until(lambda f: held[group.device_id] + 1 in _carried([f]))
        assert not session.closed.is_set()
        await close_quietly(peer.writer)
        flooder.close()
    finally:
        await a.stop()
