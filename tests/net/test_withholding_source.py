"""A member in bad faith claims to hold the group and sends none of it (sync/skipping.py): a
joiner that chose it as the source of an author, and told an honest holder to skip that author,
takes the author from the honest holder again once nothing of it arrives, and does not choose
the withholder again. Real node, TLS on 127.0.0.1; both peers are spoken by hand."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from organiser.net.transport import close_quietly
from organiser.sync import protocol as p
from organiser.sync import skipping
from tests.net.test_node import node, until
from tests.net.test_one_source import FEATURES, _first_after_hello, _joiner_of_a_big_group
from tests.net.test_relay_skip import Peer

pytestmark = pytest.mark.asyncio


async def _keep_talking(peer: Peer, done: asyncio.Event) -> None:
    """What a withholder does to look alive: a PING every tenth of a second, nothing else (for 20 s
    at most; the test sets `done` before: a cancel may be lost inside `wait_for` in Python 3.11)."""
    deadline = time.monotonic() + 20.0
    while not done.is_set() and time.monotonic() < deadline:
        await peer.send(p.encode_frame(p.FrameType.PING))
        with contextlib.suppress(TimeoutError):  # reading keeps the node's writes flowing
            peer.frames += peer.decoder.feed(await asyncio.wait_for(peer.reader.read(65536), 0.1))


async def test_a_member_that_claims_the_group_and_withholds_it_does_not_keep_a_joiner_from_it(
        tmp_path, group, monkeypatch) -> None:
    monkeypatch.setattr(skipping, "BRINGING_QUIET", 1.0)  # the same rule, in a second instead of five
    joiner, withholder, holder = await _joiner_of_a_big_group(tmp_path, group, "withholder", "holder")
    founder = group.device_id  # not in the room: only the two holders can bring its changesets
    j = node(joiner)
    await j.start()
    try:
        bad = await Peer.hello(withholder, j.port, FEATURES)  # greets first: it wins the tie
        frames = await bad.read_until(lambda f: f.type == p.FrameType.RELAY)
        assert p.decode_relay(_first_after_hello(frames).payload) == (frozenset(), {})
        await bad.send(p.encode_relay() + p.encode_frame(p.FrameType.SYNCED))  # "I send you all of it"
        good = await Peer.hello(holder, j.port, FEATURES)
        frames = await good.read_until(lambda f: f.type == p.FrameType.RELAY)
        assert p.decode_relay(_first_after_hello(frames).payload) == (frozenset({founder}), {})
        await good.send(p.encode_relay() + p.encode_frame(p.FrameType.SYNCED))
        held = joiner.replica.version_vector()[founder]
        done = asyncio.Event()
        talking = asyncio.create_task(_keep_talking(bad, done))
        # The withholder sends nothing of the founder's: within a few seconds the joiner takes them
        # from the honest holder again, from what it holds.
        frames = await good.read_until(lambda f: f.type == p.FrameType.RELAY and p.decode_relay(f.payload)[1], 15.0)
        assert p.decode_relay(frames[-1].payload) == (frozenset(), {founder: held})
        missing = group.replica.changes_since(joiner.replica.version_vector())
        for part in p.batches([(cs.body, cs.signature) for cs in missing]):
            await good.send(p.encode_changes(part))
        await until(lambda: joiner.replica.version_vector()[founder] == group.replica.version_vector()[founder],
                    what="the joiner holds the founder's changesets")
        # The holder's frames no longer make the joiner skip the founder's on its link for the withholder's sake.
        await good.send(p.encode_frame(p.FrameType.PING))
        # Anything the joiner says answers a PING (a PONG only when it said nothing for 0.2 s): here
        # often the VECTOR telling what it now holds, or its own PING.
        answers = (p.FrameType.PONG, p.FrameType.VECTOR, p.FrameType.PING)
        frames = await good.read_until(lambda f: f.type in answers)
        assert not [f for f in frames if f.type == p.FrameType.RELAY and p.decode_relay(f.payload)[0]]
        done.set()
        await talking
        await close_quietly(bad.writer)
        await close_quietly(good.writer)
    finally:
        await j.stop()
        for laptop in (joiner, withholder, holder):
            laptop.close()
