"""A laptop lost or stolen, its member back on a new one, over real TLS on 127.0.0.1 (no mDNS):
the new laptop's edits reach the admin's running node, the stolen one is told it was removed."""

from __future__ import annotations

import pytest

from organiser.net.node import SyncNode
from tests.net.test_node import joined, node, until

pytestmark = pytest.mark.asyncio


def _names(group) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(m.name for m in group.members.list())


async def test_a_new_laptop_admitted_while_the_admins_node_runs_is_heard_by_it(tmp_path, group):
    """The member's replacement laptop joins after the admin's node has applied a peer's changes
    (its apply worker is running): what the new laptop writes is taken, not refused as a stranger's."""
    a = node(group)
    await a.start()
    old = await joined(a, tmp_path / "old", "Ana's laptop")
    old_node = node(old, a)
    await old_node.start()
    new = None
    new_node: SyncNode | None = None
    try:
        old.members.add("Written on the old laptop")
        await until(lambda: _names(group) == ["Written on the old laptop"], what="the old laptop's edit on A")
        group.membership.remove(old.device_id)
        new = await joined(a, tmp_path / "new", "Ana's laptop")
        new_node = node(new, a)
        await new_node.start()
        new.members.add("Written on the new laptop")
        await until(lambda: "Written on the new laptop" in _names(group), what="the new laptop's edit on A")
        assert group.incidents() == []
    finally:
        if new_node is not None:
            await new_node.stop()
        if new is not None:
            new.close()
        await old_node.stop()
        old.close()
        await a.stop()


async def test_the_thief_of_a_removed_laptop_gets_nothing_new_and_the_laptop_says_it_was_removed(tmp_path, group):
    """The thief has the stolen laptop's disk and its passphrase (so its device key). After the
    removal a one-off `organiser sync` is refused, nothing written since reaches it, nothing it
    writes reaches the group, and the laptop itself now says it was removed (as the app's node does)."""
    from organiser.core.errors import OrganiserError
    from organiser.net.link import sync_with

    a = node(group)
    await a.start()
    stolen = await joined(a, tmp_path / "stolen", "Ana's laptop")
    try:
        await sync_with(stolen, "127.0.0.1", a.port, timeout=10)
        group.membership.remove(stolen.device_id)
        group.members.add("Written after the theft")
        stolen.members.add("Written by the thief")
        with pytest.raises(OrganiserError, match="removed from the group"):
            await sync_with(stolen, "127.0.0.1", a.port, timeout=10)
        assert stolen.membership_status()["removed"]
        assert _names(stolen) == ["Written by the thief"]
        assert _names(group) == ["Written after the theft"]
    finally:
        stolen.close()
        await a.stop()
