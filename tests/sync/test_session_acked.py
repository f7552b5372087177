"""A conversation is in step only once the peer holds what we sent it, our own changesets
included, even when the peer says it hears us directly (it does: it is talking to us). Before,
a peer naming us in NEIGHBOURS made our own authors count as "skipped", so any VECTOR from it
marked the exchange done and `organiser sync` returned before the peer held our edit."""

from __future__ import annotations

import asyncio

import pytest

from organiser.sync import protocol as p
from organiser.sync.session import Session
from tests.conftest import add_device, sync_pair

pytestmark = pytest.mark.asyncio


class _Written:
    """The writing end of a stream, keeping what was written (no socket: the peer is this test)."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.frames.append(data)

    async def drain(self) -> None:
        return None

    def is_closing(self) -> bool:
        return False


async def test_a_peer_that_hears_us_directly_must_still_acknowledge_our_own_edit(tmp_path, group):
    b = add_device(group, tmp_path / "b", "minutes laptop")
    sync_pair(group, b)
    before = group.replica.version_vector()  # what the peer (the founder) holds
    b.members.add("Bea")  # B's own edit, not yet on the founder's laptop
    reader = asyncio.StreamReader()
    session = Session(b.replica, reader, _Written(), group.device_id)  # type: ignore[arg-type]
    session.peer_known = dict(before)
    session.peer_neighbours = frozenset({b.device_id})  # the founder hears B directly: this link
    receiving = asyncio.create_task(session._receive())
    try:
        await session._stream_initial()
        assert session.stats.sent == 1  # B's edit went out
        reader.feed_data(p.encode_vector(before))  # the founder's vector from before it stored Bea
        await asyncio.sleep(0.05)
        assert not session.acked.is_set()
        reader.feed_data(p.encode_vector(b.replica.version_vector()))  # now it holds Bea
        await asyncio.wait_for(session.acked.wait(), 5)
    finally:
        receiving.cancel()
        await asyncio.gather(receiving, return_exceptions=True)
        b.close()
