"""Forgetting a member over real connections (TLS on 127.0.0.1): a laptop that was off during the
erasure hears of it from the admin's laptop and erases; a laptop that joins afterwards by invite
receives stubs the order vouches for, never the values, and is in step with both."""

from __future__ import annotations

from pathlib import Path

import pytest

from organiser.net.link import sync_with
from organiser.services.group import Group
from tests.conftest import add_device, sync_pair
from tests.net.test_node import joined, node

pytestmark = pytest.mark.asyncio

PHONE = "+44 7700 900777"
SECRETS = (PHONE.encode(), b"Quisling", b"quisling", b"900777", b"allotment")


def _held(group: Group) -> list[bytes]:
    """What a seizer of this laptop finds of the member in its database file, log and shared memory."""
    path = Path(group.replica.database_path())
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    return [s for s in SECRETS if s in raw]


async def test_a_laptop_off_during_the_erasure_erases_and_a_newcomer_never_receives_the_values(tmp_path, group):
    admin = group
    member = admin.members.add("Zofia Quisling", phones=[PHONE], notes="keeps the allotment keys",
                               skills=["first aid"]).id
    admin.members.edit(member, notes="keeps the allotment keys and the van")
    admin.events.add("General assembly", "2026-12-02T19:00")
    off = add_device(admin, tmp_path / "off", "minutes laptop")
    sync_pair(admin, off)
    off.members.edit(member, phones=[PHONE, "+44 7700 900778"])  # written on the other laptop too
    sync_pair(admin, off)
    assert _held(off)  # the test can fail: the values are there

    admin.forgetting.forget(member)  # while `off` is off
    assert _held(admin) == []

    admin_node = node(admin)
    await admin_node.start()
    try:
        await sync_with(off, "127.0.0.1", admin_node.port, timeout=20)
        assert _held(off) == [] and off.forgetting.is_forgotten(member)
        assert off.replica.state_hash() == admin.replica.state_hash()
        # its first sync, from the admin's laptop, brings the change log in arrival order
        newcomer = await joined(admin_node, tmp_path / "new", "new laptop")
        assert _held(newcomer) == []
        assert newcomer.replica.version_vector() == admin.replica.version_vector()  # the stubs came, in place
        await sync_with(off, "127.0.0.1", admin_node.port, timeout=20)  # hears of the newcomer
    finally:
        await admin_node.stop()
    off_node = node(off)
    await off_node.start()
    try:
        await sync_with(newcomer, "127.0.0.1", off_node.port, timeout=20)
    finally:
        await off_node.stop()
    assert _held(newcomer) == [] and newcomer.forgetting.is_forgotten(member)
    assert newcomer.replica.state_hash() == admin.replica.state_hash()
    assert newcomer.db.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0  # no stub was refused
    assert [m.name for m in newcomer.members.list()] == []
    for g in (off, newcomer):
        g.close()
