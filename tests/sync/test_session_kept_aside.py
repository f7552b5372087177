"""Membership entries a removal took back are kept aside, not in the change log, yet every
device must evaluate them (sync/sending.py `_send_kept_aside`): a conversation hands them on."""

from __future__ import annotations

import asyncio

import pytest

from organiser.sync.session import Session
from tests.conftest import add_device, admins_removing_each_other
from tests.sync.test_session_freed import _connected_pair

pytestmark = pytest.mark.asyncio


async def test_a_conversation_hands_on_the_entries_a_removal_took_back(group, tmp_path) -> None:
    d = [group, *(add_device(group, tmp_path / f"d{i}", f"device {i}") for i in range(1, 4))]
    try:
        admins_removing_each_other(d)
        kept = group.replica.kept_aside_entries({})
        assert kept, "d2's removal of d1 is kept aside on d0"
        assert not d[3].replica.kept_aside_entries({})
        # d3 heard nothing yet; it talks with d0 only, over the sync protocol.
        (a_reader, a_writer), (b_reader, b_writer), server = await _connected_pair()
        ours = Session(group.replica, a_reader, a_writer, d[3].device_id)
        theirs = Session(d[3].replica, b_reader, b_writer, group.device_id)
        runs = asyncio.gather(ours.run(), theirs.run())
        try:
            await asyncio.wait_for(asyncio.gather(ours.received_all.wait(), theirs.received_all.wait()), 10)
            def roster(g):  # type: ignore[no-untyped-def]
                return [(m.id, m.admin, m.removed, m.kept) for m in g.membership.list()]

            for _ in range(250):  # the last frames may still be stored: a bounded wait, not a sleep
                if roster(d[3]) == roster(group):
                    break
                await asyncio.sleep(0.02)
            assert roster(d[3]) == roster(group)
            assert [cs.hash for cs in d[3].replica.kept_aside_entries({})] == [cs.hash for cs in kept]
        finally:
            b_writer.transport.abort()
            await asyncio.wait_for(runs, 10)
            server.close()
            await server.wait_closed()
    finally:
        for g in d[1:]:
            g.close()
