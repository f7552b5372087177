"""When a room joins at once, a laptop is not streamed an author's changesets by a second
peer while it hears that author directly (its HELLO says whom it hears): over a shared
Wi-Fi every copy counts. Real node, TLS on 127.0.0.1."""

from __future__ import annotations

import pytest

from organiser.net.transport import close_quietly
from organiser.sync import packing
from organiser.sync import protocol as p
from tests.conftest import add_device, sync_pair
from tests.net.member_link import authors_streamed_until_synced, member_streams
from tests.net.test_node import node

pytestmark = pytest.mark.asyncio


async def _authors_streamed(joiner, port: int, neighbours: frozenset[str]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Say HELLO to the node at `port` as `joiner`, hearing `neighbours` directly; count the
    changesets it streams by author until SYNCED."""
    reader, writer = await member_streams(joiner, "127.0.0.1", port)
    writer.write(p.encode_hello(joiner.device_id, joiner.replica.version_vector(), codecs=packing.available(),
                                neighbours=neighbours))
    await writer.drain()
    counts = await authors_streamed_until_synced(reader)
    await close_quietly(writer)
    return counts


async def test_a_peer_does_not_stream_an_authors_changesets_to_a_laptop_that_hears_that_author(tmp_path, group):
    b_group = add_device(group, tmp_path / "b", "second laptop")
    fresh = add_device(group, tmp_path / "d", "fresh laptop")
    fresh.replica.apply(group.replica.changes_since({}))  # the membership log, as an invite brings it
    group.replica.commit_batch([group.members.build_add({"name": f"Member {i}"})[1] for i in range(200)])
    b_group.members.add("Written on B")
    sync_pair(group, b_group)  # B holds the founder's 200 members, its own one and the roster
    b = node(b_group)
    await b.start()
    try:
        hearing = await _authors_streamed(fresh, b.port, frozenset({group.device_id}))
        assert group.device_id not in hearing  # the founder streams those itself
        assert hearing.get(b_group.device_id) == 1  # B's own changeset still comes from B
        not_hearing = await _authors_streamed(fresh, b.port, frozenset())
        assert not_hearing[group.device_id] >= 200
    finally:
        await b.stop()
        for g in (b_group, fresh):
            g.close()

