"""A member in bad faith names, in an op, the version it overwrote (`base`) or the conflicts it
settles (`resolves`) by a clock stamp past what SQLite stores (2^64 - 1): the changeset decoded,
passed every check, and storing it raised OverflowError on the receiving laptop, taking the honest
changesets of the same apply with it. Over TLS on 127.0.0.1."""

from __future__ import annotations

import pytest

from organiser.core.changeset import Op
from organiser.core.records import new_id
from organiser.net.link import sync_with
from organiser.net.transport import close_quietly
from organiser.sync import protocol as p
from tests.bad_peer import BadPeer, new_member
from tests.net.member_link import member_streams
from tests.net.test_node import joined, node, until

pytestmark = pytest.mark.asyncio

TOO_LARGE = 2**64 - 1  # the largest number orjson reads; SQLite's integers stop at 2^63 - 1


async def test_a_version_past_sqlites_integers_neither_gets_in_nor_stops_the_honest_changesets(
        tmp_path, group) -> None:
    a = node(group)
    await a.start()
    try:
        rogue = await joined(a, tmp_path / "b", "rogue laptop")
        await sync_with(rogue, "127.0.0.1", a.port, timeout=20)
        modified = BadPeer(rogue)
        good = modified.sign(new_member("Bea"))
        bad = modified.sign([Op("member", new_id(), "name", "Ghost", base=(TOO_LARGE, "x" * 32))])
        later = modified.sign(new_member("Cleo"))
        reader, writer = await member_streams(rogue, "127.0.0.1", a.port)
        writer.write(p.encode_hello(rogue.device_id, rogue.replica.version_vector()))
        writer.write(p.encode_changes([(cs.body, cs.signature) for cs in (good, bad, later)]))
        await writer.drain()
        try:
            await until(lambda: {"Bea", "Cleo"} <= {m.name for m in group.members.list()}, what="the honest ones")
        finally:
            await close_quietly(writer)
        assert "Ghost" not in {m.name for m in group.members.list()}
        rogue.close()
    finally:
        await a.stop()
