"""A stranger on the LAN, played for real over TLS on 127.0.0.1: whether it connects to a
member, or makes a member connect to it (as a replayed mDNS announcement would), nothing it
receives names the device, its key, the group or its name; members still connect; a
member relaying between two others (it holds the discovery key) is refused by both."""

from __future__ import annotations

import asyncio
import logging

import pytest

from organiser.core.errors import OrganiserError
from organiser.core.keys import public_key_hex
from organiser.net import handshake
from organiser.net.credentials import connection_certificate
from organiser.net.link import sync_with
from organiser.net.transport import channel_of, close_quietly, dial, peer_certificate, server_context
from organiser.services.group import Group
from organiser.sync import protocol as p
from tests.conftest import add_device, sync_pair
from tests.net.test_node import node, until

pytestmark = pytest.mark.asyncio


def what_identifies(group: Group) -> dict[str, bytes]:
    key = public_key_hex(group.private_key())
    return {"device key": bytes.fromhex(key), "device key (hex)": key.encode(),
            "device id": group.device_id.encode(), "device id (bytes)": bytes.fromhex(group.device_id),
            "group id": group.id.encode(), "group id (bytes)": bytes.fromhex(group.id),
            "group name": group.name.encode(), "device name": group.device_name.encode()}


def assert_names_nothing(received: bytes, group: Group) -> None:
    for what, value in what_identifies(group).items():
        assert value not in received, f"a stranger learnt the {what}"


async def _read_all(reader: asyncio.StreamReader, wait: float = 3.0) -> bytes:
    got = b""
    try:
        while chunk := await asyncio.wait_for(reader.read(65536), wait):
            got += chunk
    except (TimeoutError, ConnectionError, OSError):
        pass
    return got


@pytest.mark.parametrize("shows_certificate", [True, False])
async def test_a_stranger_connecting_to_a_member_learns_no_id_key_or_group(group, caplog, shows_certificate):
    caplog.set_level(logging.WARNING)
    a = node(group)
    await a.start()
    try:
        for attempt in range(2):  # twice: nothing stays the same from one connection to the next
            link = await dial("127.0.0.1", a.port, with_certificate=shows_certificate)
            certificate = peer_certificate(link.writer) or b""
            # What a stranger can send: made-up tags (it holds no member key), or a made-up invite proof.
            if shows_certificate:
                link.writer.write(p.encode_json(p.FrameType.MEMBER_PROOF, {"tags": ["00" * 32]}))
            else:
                link.writer.write(p.encode_json(p.FrameType.INVITE_PROOF, {"tag": "00" * 32}))
            await link.writer.drain()
            received = await _read_all(link.reader)
            await close_quietly(link.writer)
            assert certificate and received  # it did get a certificate and an answer...
            assert_names_nothing(certificate + received, group)  # ...that name nothing
            frames = p.FrameDecoder().feed(received)
            assert frames[-1].type == p.FrameType.ERROR
            if attempt == 0:
                first = certificate
        assert certificate != first  # a new certificate each time: nothing to follow
        assert a.peers() == []
    finally:
        await a.stop()


async def test_a_member_dialling_a_strangers_fake_node_shows_it_nothing(group):
    """A replayed announcement makes a member dial the stranger: what the member sends names nothing."""
    received: list[bytes] = []
    done = asyncio.Event()

    async def fake_node(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        certificate = connection_certificate()
        try:
            await writer.start_tls(server_context(certificate))
            shown = peer_certificate(writer) or b""
            writer.write(p.encode_json(p.FrameType.MEMBER_PROOF, {"tags": ["11" * 32]}))
            await writer.drain()
            received.append(shown + await _read_all(reader))
        finally:
            done.set()
            await close_quietly(writer)

    server = await asyncio.start_server(fake_node, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    member = node(group)
    await member.start()
    try:
        with pytest.raises(OrganiserError, match="not a device of this group"):
            await member.connect("127.0.0.1", port)
        await asyncio.wait_for(done.wait(), 10)
        assert received and received[0]
        assert_names_nothing(received[0], group)
    finally:
        await member.stop()
        server.close()


async def test_members_still_connect_and_sync(tmp_path, group):
    b_group = add_device(group, tmp_path / "b", "B")
    sync_pair(group, b_group)
    a = node(group)
    await a.start()
    try:
        group.members.add("Ana López")
        await sync_with(b_group, "127.0.0.1", a.port, timeout=20)
        assert [m.name for m in b_group.members.list()] == ["Ana López"]
    finally:
        await a.stop()
        b_group.close()


async def test_a_member_relaying_between_two_others_is_refused_by_both(tmp_path, group, caplog):
    """C is a member (it holds the discovery key), sits between B and A and relays their device
    keys' signatures: each names the certificates of a connection the other never saw."""
    caplog.set_level(logging.WARNING)
    b_group = add_device(group, tmp_path / "b", "B")
    c_group = add_device(group, tmp_path / "c", "C")
    sync_pair(group, b_group)
    sync_pair(group, c_group)
    a = node(group)
    await a.start()

    async def relay(b_reader: asyncio.StreamReader, b_writer: asyncio.StreamWriter) -> None:
        certificate = connection_certificate()
        await b_writer.start_tls(server_context(certificate))
        to_b = channel_of(b_writer, certificate, "server")
        to_a = await dial("127.0.0.1", a.port)
        keys = handshake.proof_keys(c_group)
        try:
            for writer, channel in ((b_writer, to_b), (to_a.writer, to_a.channel)):  # C's own, valid proofs
                writer.write(p.encode_json(p.FrameType.MEMBER_PROOF, {"tags": [
                    handshake._tag(k, handshake._PROOF, channel, channel.role) for k in keys]}))
            for reader in (b_reader, to_a.reader):  # the victims' proofs: read and dropped
                await handshake._read(reader, p.FrameType.MEMBER_PROOF, 5)
            # B, having checked C's proof, shows C its key: C passes it on to A, and A's answer back to B.
            to_a.writer.write(await asyncio.wait_for(b_reader.read(4096), 5))
            b_writer.write(await asyncio.wait_for(to_a.reader.read(4096), 5))
        finally:
            await close_quietly(to_a.writer)
            await close_quietly(b_writer)

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(OrganiserError, match="does not sign this connection"):
            await sync_with(b_group, "127.0.0.1", port, timeout=10)
        await until(lambda: "does not sign this connection" in caplog.text and "from 127.0.0.1" in caplog.text,
                    what="A refusing the relayed identity")
        assert a.peers() == [] or not any(peer.connected for peer in a.peers())
    finally:
        server.close()
        await a.stop()
        b_group.close()
        c_group.close()
