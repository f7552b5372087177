"""The meeting host's case over real TLS on 127.0.0.1 (nothing leaves the machine): after the update
the minutes laptop (admitted by a laptop a member let in, before invitations by members reached one
step) is out of the group, and its notes do not reach the office laptop. The admin's vouch for the
middle laptop, on the office laptop, lets the minutes laptop connect, and its notes arrive."""

from __future__ import annotations

import pytest

from organiser.net.node import SyncNode
from tests.conftest import waiting_scene
from tests.net.test_node import until


def _notes_arrived(group) -> bool:  # type: ignore[no-untyped-def]
    return "Noted at the meeting" in {m.name for m in group.members.list()}


@pytest.mark.asyncio
async def test_the_minutes_laptops_notes_arrive_once_an_admin_vouches_for_the_middle_laptop(tmp_path):
    # the minutes laptop hears the group; the group takes nothing of its
    office, door, middle, minutes = waiting_scene(
        tmp_path, before_sync=lambda _middle, minutes: minutes.members.add(name="Noted at the meeting"))
    assert not _notes_arrived(office)
    a = SyncNode(office, listen_host="127.0.0.1", discovery=False)
    await a.start()
    m = SyncNode(minutes, listen_host="127.0.0.1", discovery=False, static_peers=[("127.0.0.1", a.port)])
    await m.start()
    try:
        await until(lambda: any(p.device_id == office.device_id for p in m.peers()), what="the minutes laptop tried")
        assert not any(p.connected for p in a.peers()) and not _notes_arrived(office)
        assert [w.name for w in office.membership.waiting()] == ["minutes laptop"]

        done = office.membership.vouch("middle laptop")
        assert [w.name for w in done.brings] == ["minutes laptop"]
        await until(lambda: _notes_arrived(office), timeout=30, what="the minutes laptop's notes at the office")
        assert "minutes laptop" in {d.name for d in minutes.membership.list() if not d.removed}
    finally:
        await m.stop()
        await a.stop()
        for group in (office, door, middle, minutes):
            group.close()
