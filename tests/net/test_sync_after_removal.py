"""A laptop that was off during a removal holds what the removed laptop wrote after the undo time;
when it syncs with the admin's laptop it hears of the removal, withdraws those changesets, and the
two are in step: `organiser sync` says so instead of waiting out its timeout (it waited for the
admin's laptop to acknowledge changesets that neither laptop holds any more). Real TLS, 127.0.0.1."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from organiser.core.hlc import physical_ms
from organiser.net.link import sync_with
from tests.conftest import add_device, sync_all
from tests.net.test_node import node

pytestmark = pytest.mark.asyncio


async def test_the_laptop_that_was_off_is_in_step_with_the_admin_after_a_take_back(tmp_path, group):
    door = group
    minutes = add_device(door, tmp_path / "minutes", "minutes laptop")
    mole = add_device(door, tmp_path / "mole", "Sam's laptop")
    event = door.events.add("General assembly", "2026-12-02T19:00").id
    sync_all([door, minutes, mole])
    time.sleep(0.01)
    mole.meetings.add_item(event, "Call off the strike")
    first = mole.replica.db.execute("SELECT min(hlc) FROM changes WHERE author = ?", [mole.device_id]).fetchone()[0]
    sync_all([minutes, mole])  # the admin's laptop never hears these
    door.membership.remove(mole.device_id, undo_since=datetime.fromtimestamp(physical_ms(first) / 1000, UTC))

    admin_node = node(door)
    await admin_node.start()
    try:
        began = time.monotonic()
        await sync_with(minutes, "127.0.0.1", admin_node.port, timeout=8)
        took = time.monotonic() - began
    finally:
        await admin_node.stop()
    assert took < 5
    assert minutes.meetings.items(event) == [] and minutes.replica.state_hash() == door.replica.state_hash()
    for g in (minutes, mole):
        g.close()
