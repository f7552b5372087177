"""A fork of a changeset kept aside after its author's removal reaches the other laptop as any
fork's proof does (sync/sending.py sends `store/forks.py` `proofs_after` after its initial
stream): two laptops holding different versions, each kept aside, end up agreeing over the
sync protocol. The removal race is built in tests/store/test_membership_attacker.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from organiser.services.group import Group
from organiser.sync.session import Session
from tests.conftest import add_device, sync_pair
from tests.store.test_membership_attacker import _removal_race_outcome, _two_versions_in_a_removal_race
from tests.store.test_membership_attacks import _roster
from tests.sync.test_session_freed import _connected_pair

pytestmark = pytest.mark.asyncio


async def _converse(one: Group, other: Group, until: Callable[[], bool]) -> None:
    """One conversation over 127.0.0.1, until both initial streams arrived and `until` holds
    (the last frames may still be stored: a bounded wait, not a sleep)."""
    (a_reader, a_writer), (b_reader, b_writer), server = await _connected_pair()
    ours = Session(one.replica, a_reader, a_writer, other.device_id)
    theirs = Session(other.replica, b_reader, b_writer, one.device_id)
    runs = asyncio.gather(ours.run(), theirs.run())
    try:
        await asyncio.wait_for(asyncio.gather(ours.received_all.wait(), theirs.received_all.wait()), 10)
        for _ in range(250):
            if until():
                break
            await asyncio.sleep(0.02)
        assert until()
    finally:
        b_writer.transport.abort()
        await asyncio.wait_for(runs, 10)
        server.close()
        await server.wait_closed()


def _set_aside(g: Group) -> bool:
    return g.db.execute("SELECT count(*) FROM forks_set_aside").fetchone()[0] == 1


async def test_two_laptops_each_keeping_aside_another_version_agree_over_the_sync_protocol(group, tmp_path) -> None:
    b = add_device(group, tmp_path / "b", "minutes laptop")
    c = add_device(group, tmp_path / "c", "spare laptop")
    for one, other in ((group, b), (group, c), (b, c)):
        sync_pair(one, other)
    a, b, c, x, removal, other = _two_versions_in_a_removal_race((group, b, c), tmp_path)
    try:
        a.replica.apply([removal])  # a: b won the race, for now
        x.replica.apply([other])  # x: kept aside, b stays removed
        await _converse(a, x, lambda: _set_aside(x))  # x sees the fork in what a streams
        await _converse(a, x, lambda: _set_aside(a))  # a sees it in x's proof, sent after x's stream
        for g in (a, x):
            _removal_race_outcome(g, b, c, removal.seq)
        assert _roster(a) == _roster(x)
        assert a.replica.state_hash() == x.replica.state_hash()
    finally:
        for g in (b, c, x):
            g.close()
