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
