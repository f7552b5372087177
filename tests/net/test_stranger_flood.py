"""A member relaying changesets signed by keys that are no device of the group: free to make,
so a flood of them ends the conversation, past a limit an honest relay never reaches."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from organiser.core.changeset import GENESIS, Changeset, sign_changeset
from organiser.net.transport import close_quietly
from organiser.services.group import Group
from organiser.sync import protocol as p
from organiser.sync.guard import REFUSALS_BEFORE_DISCONNECT, RELAYED_BEFORE_DISCONNECT
from tests.bad_peer import BadPeer, new_member
from tests.net.member_link import member_streams
from tests.net.test_node import joined, node, until

pytestmark = pytest.mark.asyncio


def strangers_chain(group: Group, count: int) -> list[Changeset]:
    """`count` changesets of one made-up device, validly chained and signed by its own key."""
    key, author = Ed25519PrivateKey.generate(), secrets.token_hex(32)
    out: list[Changeset] = []
    prev = GENESIS
    for seq in range(1, count + 1):
        cs = sign_changeset(key, group.id, author, seq, prev, group.replica.clock.now(), new_member(f"Ghost {seq}"))
        out.append(cs)
        prev = cs.hash
    return out


async def _send_hello_and(group: Group, port: int, changesets: list[Changeset]):  # type: ignore[no-untyped-def]
    reader, writer = await member_streams(group, "127.0.0.1", port)
    writer.write(p.encode_hello(group.device_id, group.replica.version_vector()))
    for part in p.batches([(cs.body, cs.signature) for cs in changesets]):
        writer.write(p.encode_changes(part))
    await writer.drain()
    return reader, writer


async def _read_until_closed(reader: asyncio.StreamReader, wait: float) -> bytes | None:
    """All the node sent until it closed, or None when it kept the connection open `wait` s."""
    try:
        return await asyncio.wait_for(reader.read(), wait)
    except TimeoutError:
        return None


async def test_a_member_relaying_endless_changesets_of_made_up_devices_is_disconnected(tmp_path, group):
    a = node(group)
    await a.start()
    try:
        b_group = await joined(a, tmp_path / "b", "relay laptop")
        flood = strangers_chain(b_group, RELAYED_BEFORE_DISCONNECT + 200)
        reader, writer = await _send_hello_and(b_group, a.port, flood)
        answer = await _read_until_closed(reader, 30)
        await close_quietly(writer)
        assert answer is not None and b"were refused" in answer and b"stranger" in answer
        await until(lambda: a.kept_away.active(b_group.device_id), what="the back-off")
        assert not any(m.name.startswith("Ghost") for m in group.members.list())
        b_group.close()
    finally:
        await a.stop()


async def test_a_relay_passing_on_some_changesets_of_unknown_devices_stays_connected(tmp_path, group):
    a = node(group)
    await a.start()
    try:
        b_group = await joined(a, tmp_path / "b", "relay laptop")
        # More than a bad peer's limit, as a relay meets before a device's admission reaches us.
        relayed = strangers_chain(b_group, 2 * REFUSALS_BEFORE_DISCONNECT)
        good = BadPeer(b_group).sign(new_member("Real member"))
        reader, writer = await _send_hello_and(b_group, a.port, [*relayed, good])
        await until(lambda: "Real member" in {m.name for m in group.members.list()}, what="the relay's own change")
        assert await _read_until_closed(reader, 1.0) is None  # still talking
        assert not a.kept_away.active(b_group.device_id)
        await close_quietly(writer)
        b_group.close()
    finally:
        await a.stop()
