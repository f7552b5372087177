"""A member allowed to invite admits a device under a key no laptop can load, then sends a
changeset in that device's name together with its own honest ones, over TLS on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from organiser.core.changeset import GENESIS, Op, sign_changeset
from organiser.core.keys import device_id_for, public_key_hex
from organiser.core.membership import ADMIT, MEMBERSHIP_KIND
from organiser.core.records import new_id
from organiser.net.link import sync_with
from organiser.net.transport import close_quietly
from organiser.sync import protocol as p
from tests.bad_peer import BadPeer, new_member
from tests.net.member_link import member_streams
from tests.net.test_node import joined, node, until

pytestmark = pytest.mark.asyncio


async def test_an_admitted_key_of_31_bytes_neither_gets_in_nor_stops_the_laptop_taking_honest_changes(
        tmp_path, group) -> None:
    group.membership.set_policy(members_may_invite=True)
    a = node(group)
    await a.start()
    try:
        rogue = await joined(a, tmp_path / "b", "rogue laptop")
        honest = await joined(a, tmp_path / "c", "minutes laptop")
        await sync_with(rogue, "127.0.0.1", a.port, timeout=20)
        text = "ab" * 31 + "  "  # 64 characters, read by bytes.fromhex as 31 bytes
        device = device_id_for(text)
        modified = BadPeer(rogue)
        admission = modified.sign([Op(MEMBERSHIP_KIND, new_id(), ADMIT,
                                      {"device": device, "public_key": text, "name": "guest", "invite": ""})])
        as_the_device = sign_changeset(Ed25519PrivateKey.generate(), group.id, device, 1, GENESIS,
                                       rogue.replica.clock.now(), new_member("Ghost"))
        good = modified.sign(new_member("Bea"))
        reader, writer = await member_streams(rogue, "127.0.0.1", a.port)
        writer.write(p.encode_hello(rogue.device_id, rogue.replica.version_vector()))
        writer.write(p.encode_changes([(admission.body, admission.signature)]))
        writer.write(p.encode_changes([(as_the_device.body, as_the_device.signature), (good.body, good.signature)]))
        await writer.drain()
        try:
            await until(lambda: "Bea" in {m.name for m in group.members.list()}, what="the honest changeset")
        finally:
            await close_quietly(writer)
        assert device not in {d["id"] for d in group.devices()}
        assert "Ghost" not in {m.name for m in group.members.list()}
        assert "value" in {i["reason"] for i in group.incidents() if i["device"]["id"] == rogue.device_id}
        # and the laptop goes on with everyone else
        honest.members.add(name="Cleo")
        await sync_with(honest, "127.0.0.1", a.port, timeout=20)
        assert "Cleo" in {m.name for m in group.members.list()}
        await asyncio.sleep(0)
        rogue.close()
        honest.close()
    finally:
        await a.stop()


async def test_a_senior_member_admitting_a_laptop_again_under_its_key_in_capitals_does_not_lock_it_out(
        tmp_path, group) -> None:
    """The admission that counts is the most senior member's: a senior member wrote the key of a
    laptop a junior member had admitted in capital letters, every laptop's roster then held that
    text, and the laptop's own key (written as the app writes keys) no longer matched it: every
    laptop refused it as "not a member of the group"."""
    from tests.conftest import add_device, sync_pair

    group.membership.set_policy(members_may_invite=True)
    senior = add_device(group, tmp_path / "b", "senior member")
    junior = add_device(group, tmp_path / "c", "junior member")
    for other in (senior, junior):
        sync_pair(group, other)
    newcomer = add_device(junior, tmp_path / "d", "new laptop")  # admitted by the junior member
    sync_pair(group, junior)
    key = public_key_hex(newcomer.private_key())
    capitals = BadPeer(senior).sign([Op(MEMBERSHIP_KIND, new_id(), ADMIT, {
        "device": newcomer.device_id, "public_key": key.upper(), "name": "new laptop", "invite": ""})])
    assert group.replica.apply([capitals], source=senior.device_id).refused == []
    sync_pair(group, newcomer)  # it holds what members hold (the discovery key's changesets)
    a = node(group)
    await a.start()
    try:
        newcomer.members.add(name="Written on the new laptop")
        await sync_with(newcomer, "127.0.0.1", a.port, timeout=20)
        assert "Written on the new laptop" in {m.name for m in group.members.list()}
    finally:
        await a.stop()
        for g in (senior, junior, newcomer):
            g.close()
