"""Which laptops have heard of a removal, as the admin's laptop knows it: those that met it
after (over real TLS on 127.0.0.1, nothing leaves the machine) and those that did not."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from organiser.net.node import SyncNode
from organiser.services.group import Group, create_group
from tests.cli_in_process import cli_in_process
from tests.conftest import add_device, sync_all
from tests.net.test_node import until


def node(group: Group, *peers: SyncNode) -> SyncNode:
    return SyncNode(group, listen_host="127.0.0.1", discovery=False,
                    static_peers=[("127.0.0.1", n.port) for n in peers])


@asynccontextmanager
async def connected(admin: Group, member: Group) -> AsyncIterator[tuple[SyncNode, SyncNode]]:
    """The admin's node and the member's, dialling it, once the two are connected."""
    a = node(admin)
    await a.start()
    b = node(member, a)
    await b.start()
    try:
        await until(lambda: [p.state for p in b.peers() if p.connected] == ["connected"], what="the two connected")
        yield a, b
    finally:
        await b.stop()
        await a.stop()


def heard_of(group: Group, removed: Group) -> tuple[set[str], set[str]]:
    (news,) = [n for n in group.membership.removal_news() if n.removed.id == removed.device_id]
    return {d.name for d in news.heard}, {d.name for d in news.not_known}


@pytest.mark.asyncio
async def test_the_admin_sees_which_laptops_have_heard_of_a_removal_and_which_not_yet(tmp_path):
    admin = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    minutes = add_device(admin, tmp_path / "b", "minutes laptop")
    projector = add_device(admin, tmp_path / "c", "projector laptop")
    stolen = add_device(admin, tmp_path / "r", "stolen laptop")
    sync_all([admin, minutes, projector, stolen], rounds=2)
    async with connected(admin, minutes):
        admin.membership.remove("stolen laptop")
        # Sent to the minutes laptop at once, noted at the admin's next heartbeat; the projector is off.
        await until(lambda: "minutes laptop" in heard_of(admin, stolen)[0], what="the minutes laptop heard")
        assert heard_of(admin, stolen) == ({"door laptop", "minutes laptop"}, {"projector laptop"})
        await until(lambda: minutes.membership.find("stolen laptop", include_removed=True).removed)
        # The minutes laptop knows the admin wrote it, and knows nothing of the projector.
        assert heard_of(minutes, stolen) == ({"door laptop", "minutes laptop"}, {"projector laptop"})
    code, said, _ = cli_in_process(tmp_path / "a", "device", "list")
    assert code == 0
    assert "'stolen laptop' was removed on " in said
    assert "heard by door laptop, minutes laptop; not known to have heard: projector laptop (never seen here)" in said
    code, listed, _ = cli_in_process(tmp_path / "a", "device", "list", "--json")
    (row,) = [d for d in json.loads(listed) if d["name"] == "stolen laptop"]
    assert row["removal_heard_by"] == [admin.device_id, minutes.device_id]  # by seniority
    assert row["removal_not_known_to"] == [projector.device_id]
    for group in (admin, minutes, projector, stolen):
        group.close()


def test_once_the_last_laptop_meets_one_that_knows_every_laptop_has_heard(tmp_path):
    from organiser.net import peerbook

    admin = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    minutes = add_device(admin, tmp_path / "b", "minutes laptop")
    stolen = add_device(admin, tmp_path / "r", "stolen laptop")
    sync_all([admin, minutes, stolen], rounds=2)
    admin.membership.remove("stolen laptop")
    assert heard_of(admin, stolen) == ({"door laptop"}, {"minutes laptop"})
    # A peer that says it holds less than the removal has not heard; at the removal's number it has.
    (seq,) = admin.db.execute("SELECT max(seq) FROM membership_log WHERE author = ? AND action = 'remove'",
                              [admin.device_id]).fetchone()
    peerbook.record_state(admin.db, minutes.device_id, "connected", None, {admin.device_id: seq - 1})
    assert heard_of(admin, stolen) == ({"door laptop"}, {"minutes laptop"})
    peerbook.record_state(admin.db, minutes.device_id, "offline", None, {admin.device_id: seq})
    peerbook.record_state(admin.db, minutes.device_id, "offline", None, {})  # what it held stays known
    assert heard_of(admin, stolen) == ({"door laptop", "minutes laptop"}, set())
    assert "every laptop of the group has heard." in cli_in_process(tmp_path / "a", "device", "list")[1]
    for group in (admin, minutes, stolen):
        group.close()


def test_a_member_in_bad_faith_cannot_make_laptops_look_as_if_they_had_heard_of_a_removal(tmp_path):
    """Mallory, a member but no admin, signs 'remove the stolen laptop' back-dated a year, and the
    minutes laptop takes it (every entry is kept in the log; a member's removal counts nowhere).
    When the admin really removes the stolen laptop, the minutes laptop has not heard of that: the
    admin must not be told it has, nor that the removal happened a year ago."""
    from organiser.core.hlc import make_stamp, physical_ms
    from organiser.core.membership import REMOVE
    from organiser.net import peerbook
    from tests.store.test_membership_attacks import _forged, _last_stamp

    admin = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    minutes = add_device(admin, tmp_path / "b", "minutes laptop")
    mallory = add_device(admin, tmp_path / "m", "mallory laptop")
    stolen = add_device(admin, tmp_path / "r", "stolen laptop")
    sync_all([admin, minutes, mallory, stolen], rounds=2)
    a_year_ago = make_stamp(physical_ms(_last_stamp(admin)) - 365 * 86_400_000)
    bogus = _forged(mallory, REMOVE, {"device": stolen.device_id, "kept": 0}, a_year_ago)
    for group in (admin, minutes):
        group.replica.apply([bogus])
    assert not admin.membership.find("stolen laptop").removed  # a member's removal counts nowhere
    # The minutes laptop met the admin and said it holds Mallory's entry, and the admin's chain as it is now.
    said = minutes.replica.version_vector()
    peerbook.record_state(admin.db, minutes.device_id, "offline", None, said)
    admin.membership.remove("stolen laptop")
    (news,) = admin.membership.removal_news()
    assert {d.name for d in news.heard} == {"door laptop"}
    assert {d.name for d in news.not_known} == {"minutes laptop", "mallory laptop"}
    assert news.removed_at > time.time() - 3600  # the admin's removal, not Mallory's back-dated one
    for group in (admin, minutes, mallory, stolen):
        group.close()


@pytest.mark.asyncio
async def test_a_removal_sent_to_a_laptop_that_never_took_it_is_not_heard(tmp_path, monkeypatch):
    """The admin's laptop sends the removal down the link, but the minutes laptop never takes it
    (its link cut mid-frame, its disk full): the admin must not be told it has heard. Heard is
    what a laptop says it holds, not what was sent it."""
    from organiser.sync.protocol import FrameType
    from organiser.sync.session import Session

    admin = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    minutes = add_device(admin, tmp_path / "b", "minutes laptop")
    stolen = add_device(admin, tmp_path / "r", "stolen laptop")
    sync_all([admin, minutes, stolen], rounds=2)
    handlers = Session._frame_handlers

    async def dropped(payload: bytes) -> None:
        return None

    def never_taken(self: Session):  # the minutes laptop's side of the link loses what it is sent
        found = handlers(self)
        if self.replica is minutes.replica:
            found.update({FrameType.CHANGES: dropped, FrameType.PACKED: dropped})
        return found

    monkeypatch.setattr(Session, "_frame_handlers", never_taken)
    async with connected(admin, minutes) as (a, _b):
        await until(lambda: any(link.session.last_sync for link in a._links.values()), what="the first sync done")
        admin.membership.remove("stolen laptop")
        (seq,) = admin.db.execute("SELECT max(seq) FROM membership_log WHERE author = ? AND action = 'remove'",
                                  [admin.device_id]).fetchone()
        (link,) = a._links.values()
        await until(lambda: link.session.peer_known.get(admin.device_id, 0) >= seq, what="the removal sent")
        await a._heartbeat(False)
        assert heard_of(admin, stolen) == ({"door laptop"}, {"minutes laptop"})
        assert not minutes.membership.find("stolen laptop", include_removed=True).removed
    for group in (admin, minutes, stolen):
        group.close()
