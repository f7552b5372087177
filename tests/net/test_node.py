"""Sync nodes in this process over real TLS sockets on 127.0.0.1 (no mDNS, nothing leaves
the machine): live push, relaying, invites, and input that must be refused."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from organiser.core.bus import EventBus, PeersChanged, SyncProgress
from organiser.core.changeset import sign_changeset
from organiser.core.errors import OrganiserError
from organiser.net.node import SyncNode
from organiser.net.pairing import redeem_invite
from organiser.net.transport import close_quietly
from organiser.services.group import Group, create_group
from organiser.sync import protocol as p
from tests.conftest import add_device, sync_pair
from tests.net.member_link import member_streams

pytestmark = pytest.mark.asyncio


async def until(predicate, timeout: float = 10.0, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def node(group: Group, *peers: SyncNode) -> SyncNode:
    return SyncNode(group, listen_host="127.0.0.1", discovery=False,
                    static_peers=[("127.0.0.1", n.port) for n in peers])


async def joined(founder_node: SyncNode, data_dir: Path, name: str) -> Group:
    code = await founder_node.create_invite(3600)
    return await redeem_invite(data_dir, code, name)


@asynccontextmanager
async def office_and_door(group: Group, data_dir: Path) -> AsyncIterator[tuple[SyncNode, Group, SyncNode]]:
    """The office laptop (the group fixture's, the admin's) and a door laptop that joined it, both
    nodes running and linked: the office's node, the door laptop's group, and its node. Stopped
    and closed after, whatever the test stopped already."""
    office = node(group)
    await office.start()
    door = await joined(office, data_dir, "door laptop 2")
    door_node = node(door, office)
    await door_node.start()
    try:
        await until(lambda: [x.state for x in office.peers()] == ["connected"], what="the door connected")
        yield office, door, door_node
    finally:
        await door_node.stop()
        await office.stop()
        door.close()


async def test_each_connection_certificate_is_new_names_nothing_and_nothing_goes_to_disk(group):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from organiser.core.keys import public_key_hex
    from organiser.net.credentials import connection_certificate

    first, second = connection_certificate(), connection_certificate()
    assert first.fingerprint != second.fingerprint
    device_key = bytes.fromhex(public_key_hex(group.private_key()))
    for made in (first, second):
        cert = x509.load_der_x509_certificate(made.der)
        assert len(cert.subject) == 0
        key = cert.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        assert key != device_key
        for secret_or_name in (group.id, group.name, group.device_name, group.device_id):
            assert secret_or_name.encode() not in made.der and bytes.fromhex(group.id) not in made.der
    on_disk = {p.name for p in group.path.iterdir()}
    assert not on_disk & {"ca.key", "ca.crt", "device.crt", "device.key", "group.secret"}


async def test_a_new_device_joins_by_invite_then_edits_flow_both_ways_live(tmp_path, group, caplog):
    caplog.set_level(logging.INFO, logger="organiser")
    a = node(group)
    await a.start()
    try:
        group.members.add("Ana López")
        progress: list[SyncProgress] = []
        b_group = await joined(a, tmp_path / "b", "minutes laptop")
        assert b_group.members.list()[0].name == "Ana López"
        roster = {d["name"]: d for d in group.devices()}
        assert roster["minutes laptop"]["invited_by"] == group.device_id
        # a normal admission is news (INFO), not a warning on the inviter's terminal
        line = f"admitted device {b_group.device_id[:12]} by invite "  # the line naming no code
        said = [r.levelname for r in caplog.records if line in r.getMessage()]
        assert said == ["INFO"]
        b_group.bus.subscribe(SyncProgress, progress.append)
        changes: list[PeersChanged] = []
        group.bus.subscribe(PeersChanged, changes.append)
        b = node(b_group, a)
        await b.start()
        try:
            await until(lambda: [x.state for x in a.peers()] == ["connected"], what="a connected peer")
            assert b.peers()[0].name == "door laptop" and b.peers()[0].connected
            assert changes
            member = b_group.members.add("Bea")
            await until(lambda: any(m.id == member.id for m in group.members.list()), what="Bea on A")
            other = group.members.add("Cai")
            await until(lambda: any(m.id == other.id for m in b_group.members.list()), what="Cai on B")
            assert group.replica.state_hash() == b_group.replica.state_hash()
        finally:
            await b.stop()
            b_group.close()
        await until(lambda: [x.state for x in a.peers()] == ["offline"], what="the peer offline")
    finally:
        await a.stop()


async def test_a_restarted_node_dials_the_last_known_address_of_a_peer_that_dialled_it(tmp_path, group):
    a = node(group)
    await a.start()
    b_group = await joined(a, tmp_path / "b", "B")
    b = node(b_group, a)  # only B knows where A is
    await b.start()
    try:
        await until(lambda: [x.address for x in a.peers()] == [f"127.0.0.1:{b.port}"], what="B's address on A")
        await a.stop()
        restarted = node(group)  # no --peer, no mDNS: only what it remembers
        await restarted.start()
        try:
            await until(lambda: [x.state for x in restarted.peers()] == ["connected"], what="the redial")
            member = group.members.add("After the restart")
            await until(lambda: any(m.id == member.id for m in b_group.members.list()), what="the push")
        finally:
            await restarted.stop()
    finally:
        await b.stop()
        b_group.close()


async def test_a_node_can_be_stopped_and_started_again(tmp_path, group):
    a = node(group)
    await a.start()
    b_group = await joined(a, tmp_path / "b", "B")
    b = node(b_group, a)
    await b.start()
    try:
        await until(lambda: [x.state for x in b.peers()] == ["connected"], what="connected")
        await b.stop()
        assert [x.state for x in b.peers()] == ["offline"]
        await b.start()  # network back on: same node, same static peer
        await until(lambda: [x.state for x in b.peers()] == ["connected"], what="connected again")
    finally:
        await b.stop()
        b_group.close()
        await a.stop()


async def test_changes_relay_through_a_device_between_two_that_never_meet(tmp_path, group):
    a = node(group)
    await a.start()
    b_group = await joined(a, tmp_path / "b", "B")
    c_group = await joined(a, tmp_path / "c", "C")
    b = node(b_group, a)
    await b.start()
    # B accepts C's connection only once it knows C was admitted (news that comes from A)
    await until(lambda: any(d["id"] == c_group.device_id for d in b_group.devices()), what="C's admission on B")
    await a.stop()  # from now on B is the only way between A's data and C
    c = node(c_group, b)
    await c.start()
    try:
        await until(lambda: c.peers() and any(x.connected for x in c.peers()), what="C connected to B")
        member = b_group.members.add("Dee")
        await until(lambda: any(m.id == member.id for m in c_group.members.list()), what="Dee on C")
        event = c_group.events.add("Assembly", "2026-12-01T18:00")
        await until(lambda: b_group.events.list() and b_group.events.list()[0].id == event.id, what="event on B")
    finally:
        await c.stop()
        await b.stop()
        b_group.close()
        c_group.close()


async def test_a_big_initial_sync_reports_progress_and_converges(tmp_path, group):
    group.replica.commit_batch([group.members.build_add({"name": f"Member {i}"})[1] for i in range(3000)])
    a = node(group)
    await a.start()
    try:
        bus = EventBus()
        progress: list[SyncProgress] = []
        bus.subscribe(SyncProgress, progress.append)
        b_group = await redeem_invite(tmp_path / "b", await a.create_invite(3600), "B", bus=bus)
        assert len(b_group.members.list(limit=5000)) == 3000
        assert b_group.replica.state_hash() == group.replica.state_hash()
        assert len(progress) > 1 and progress[-1].done == progress[-1].total >= 3000
        assert [x.done for x in progress] == sorted(x.done for x in progress)
        b_group.close()
    finally:
        await a.stop()


async def test_reused_expired_and_mistyped_invites_are_refused_with_a_sentence(tmp_path, group):
    a = node(group)
    await a.start()
    try:
        code = await a.create_invite(3600)
        (await redeem_invite(tmp_path / "b", code, "B")).close()
        with pytest.raises(OrganiserError, match="already been used"):
            await redeem_invite(tmp_path / "c", code, "C")
        short = await a.create_invite(1)
        await asyncio.sleep(1.2)
        with pytest.raises(OrganiserError, match="expired at"):
            await redeem_invite(tmp_path / "d", short, "D")
        with pytest.raises(OrganiserError, match="mistyped"):
            await redeem_invite(tmp_path / "e", code[:-4], "E")
        assert sorted(d["name"] for d in group.devices()) == ["B", "door laptop"]
    finally:
        await a.stop()


async def test_a_device_of_another_group_cannot_connect(tmp_path, group):
    a = node(group)
    await a.start()
    stranger = create_group(tmp_path / "s", "Strangers", "their laptop")
    try:
        with pytest.raises(OrganiserError, match="not a device of this group"):
            await node(stranger).connect("127.0.0.1", a.port)
        assert a.peers() == []
    finally:
        stranger.close()
        await a.stop()


async def _member_sends(group: Group, port: int, data: bytes, wait: float = 5) -> bytes | None:
    """Send bytes after a proper HELLO; what came back until the node closed (None: still open)."""
    reader, writer = await member_streams(group, "127.0.0.1", port)
    try:
        writer.write(p.encode_hello(group.device_id, group.replica.version_vector()))
        writer.write(data)
        await writer.drain()
        try:
            return await asyncio.wait_for(reader.read(), wait)
        except TimeoutError:
            return None
    finally:
        await close_quietly(writer)


async def test_bad_input_from_a_member_is_refused_and_logged_and_the_node_keeps_serving(tmp_path, group, caplog):
    caplog.set_level(logging.INFO)
    a = node(group)
    await a.start()
    try:
        b_group = await joined(a, tmp_path / "b", "B")
        before = group.replica.state_hash(), group.replica.last_change_id()
        # garbage after the handshake, then an oversized frame
        await _member_sends(b_group, a.port, b"\x07garbage bytes, not a frame")
        await _member_sends(b_group, a.port, p.HEADER.pack(p.PROTOCOL_VERSION, 2, p.MAX_FRAME + 1))
        # a changeset by B with a signature that does not match, relayed by B itself
        head = b_group.replica.version_vector().get(b_group.device_id, 0)
        prev = b_group.replica.hash_at(b_group.device_id, head) if head else "0" * 64
        good = sign_changeset(b_group.private_key(), group.id, b_group.device_id, head + 1, prev,
                              b_group.replica.clock.now(), [])
        forged = bytes([good.signature[0] ^ 1]) + good.signature[1:]
        # (the conversation goes on after a refused changeset: only that changeset is refused)
        assert await _member_sends(b_group, a.port, p.encode_changes([(good.body, forged)]), wait=1.5) is None
        # and a raw TCP client that does not speak TLS at all
        reader, writer = await asyncio.open_connection("127.0.0.1", a.port)
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 10) == b""
        await close_quietly(writer)
        assert (group.replica.state_hash(), group.replica.last_change_id()) == before
        log = caplog.text
        assert "larger than the limit" in log
        assert "protocol version 7" in log
        assert "signature does not match" in log
        assert "secure handshake failed" in log
        assert any("signature" in i["detail"] for i in group.incidents())
        # still serving: a real sync works
        b_group.members.add("After the attack")
        await until(lambda: True)
        b = node(b_group, a)
        await b.start()
        await until(lambda: any(m.name == "After the attack" for m in group.members.list()), what="the sync")
        await b.stop()
        b_group.close()
    finally:
        await a.stop()


async def test_connect_to_an_address_where_nothing_listens_says_so(group):
    a = node(group)
    await a.start()
    port = a.port
    await a.stop()
    with pytest.raises(OrganiserError, match="cannot be reached"):
        await node(group).connect("127.0.0.1", port)


async def test_a_tls_client_without_the_group_ca_learns_nothing(group):
    a = node(group)
    await a.start()
    try:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        reader, writer = await asyncio.open_connection("127.0.0.1", a.port, ssl=ctx, server_hostname="x")
        writer.write(p.encode_hello("0" * 32, {}))
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
        await close_quietly(writer)
        # Without a certificate it may only redeem an invite: it sees the CA (public) and is cut off.
        assert group.name.encode() not in answer
        assert b"members" not in answer
    finally:
        await a.stop()


async def test_a_first_sync_takes_changesets_of_a_device_whose_admission_comes_later_in_the_stream(tmp_path, group):
    # A device whose id sorts before the founder's: per-author order would send its
    # changesets before the founder's changeset that admits it.
    n = 0
    while True:
        n += 1
        early = add_device(group, tmp_path / f"early{n}", "early laptop")
        if early.device_id < group.device_id:
            break
        early.close()
    early.replica.commit_batch([early.members.build_add({"name": f"Early {i}"})[1] for i in range(1500)])
    sync_pair(group, early)
    early.close()
    a = node(group)
    await a.start()
    try:
        newcomer = await joined(a, tmp_path / "new", "newcomer")
        assert len(newcomer.members.list(limit=5000)) == 1500
        assert newcomer.replica.state_hash() == group.replica.state_hash()
        assert not [i for i in newcomer.incidents() if i["what"] == "refused"]
        newcomer.close()
    finally:
        await a.stop()
