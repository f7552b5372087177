"""A fault on one laptop's side (a full disk, a bug) ends that conversation only, and the
other laptop is told why instead of seeing the connection simply close."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import pytest

from organiser.sync.session import Session
from tests.conftest import add_device, sync_pair
from tests.sync.test_session_freed import _connected_pair

pytestmark = pytest.mark.asyncio


async def test_a_laptop_that_cannot_store_what_arrives_tells_the_other_why_and_logs_it(
        tmp_path, group, monkeypatch, caplog) -> None:
    b = add_device(group, tmp_path / "b", "kitchen laptop")
    sync_pair(group, b)
    (a_reader, a_writer), (b_reader, b_writer), server = await _connected_pair()
    ours = Session(group.replica, a_reader, a_writer, b.device_id)
    theirs = Session(b.replica, b_reader, b_writer, group.device_id)
    try:
        runs = asyncio.gather(ours.run(), theirs.run())
        await asyncio.wait_for(asyncio.gather(ours.received_all.wait(), theirs.received_all.wait()), 10)

        def full_disk(*_args: object, **_kwargs: object) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(b.replica, "apply", full_disk)
        with caplog.at_level(logging.INFO, logger="organiser.sync.session"):
            group.members.add("Written while B's disk is full")
            await ours.push()
            await asyncio.wait_for(runs, 10)
        assert theirs.close_reason == "an error on this laptop: OperationalError: database or disk is full"
        assert ours.close_reason == ("the peer closed the conversation: the other laptop ended the conversation "
                                     "after an error of its own (OperationalError: database or disk is full); "
                                     "its log has the details")
        failed = [r for r in caplog.records if r.getMessage().startswith("conversation with") and r.exc_info]
        assert len(failed) == 1 and "database or disk is full" in str(failed[0].exc_info[1])
    finally:
        server.close()
        await server.wait_closed()
        b.close()
