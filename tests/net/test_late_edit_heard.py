"""A late edit of a forgotten member over real connections (TLS on 127.0.0.1; docs/erasure.md,
store/late_edits.py). The minutes laptop, off while the admin forgot a member, edited them and
added an event. The spare laptop and the admin's laptop each took those changesets before the
minutes laptop heard of the order (from a laptop that had not heard either): the spare laptop
refused the edit, the admin's laptop ordered its stub. Then, counting the changesets each sync
sends: with the admin away, the minutes laptop and the spare laptop stop sending each other
anything after their first sync (before the mend: the edit and the event at every sync); once
the admin's laptop is met, its order brings the stub and every sync after sends nothing."""

from __future__ import annotations

import pytest

from organiser.net.link import sync_with
from organiser.services.group import Group
from tests.conftest import add_device, sync_pair
from tests.net.test_node import node

pytestmark = pytest.mark.asyncio

PHONE = "+44 7700 900777"


def _held(group: Group) -> bool:
    raw = b"".join(bytes(b) for (b,) in group.db.execute("SELECT body FROM changes"))
    return b"900777" in raw or b"900778" in raw or b"Quisling" in raw


async def _sync(group: Group, peer_node, rounds: int) -> list[int]:
    """Changesets sent each way at each of `rounds` syncs, as (sent + received) per sync."""
    counts = []
    for _round in range(rounds):
        stats = await sync_with(group, "127.0.0.1", peer_node.port, timeout=20)
        counts.append(stats.sent + stats.received)
    return counts


def _late_edit(tmp_path, admin: Group, **member_fields) -> tuple[str, Group, Group]:
    """The scene of every test here: the admin forgets a member while the minutes laptop is off
    (the spare laptop hears of it), then the minutes laptop edits the member and adds an event.
    The member's id, the minutes laptop and the spare laptop."""
    member = admin.members.add("Zofia Quisling", phones=[PHONE], **member_fields).id
    late = add_device(admin, tmp_path / "late", "minutes laptop")
    spare = add_device(admin, tmp_path / "spare", "spare laptop")
    for x, y in ((admin, late), (admin, spare), (late, spare)):
        sync_pair(x, y)
    admin.forgetting.forget(member)  # while the minutes laptop is off
    sync_pair(admin, spare)
    late.members.edit(member, phones=[PHONE, "+44 7700 900778"])
    late.events.add("General assembly", "2026-12-02T19:00")
    return member, late, spare


async def test_a_late_edit_is_sent_once_then_never_again_and_the_admins_order_fills_the_gap(tmp_path, group):
    admin = group
    member, late, spare = _late_edit(tmp_path, admin, skills=["first aid"])
    edits = late.replica.changes_since(admin.replica.version_vector())
    assert [r.code for r in spare.replica.apply(edits).refused] == ["value"]  # refused, remembered
    assert admin.replica.apply(edits).refused == []  # the admin's laptop orders the edit's stub
    assert not _held(admin) and not _held(spare) and _held(late)

    spare_node = node(spare)
    await spare_node.start()
    try:
        # the admin is not in the room: the first sync brings the orders, the next send nothing
        counts = await _sync(late, spare_node, 3)
        assert counts[1:] == [0, 0]  # before the mend: 2 and 2 (the edit's stub, the event)
        assert not _held(late) and late.forgetting.is_forgotten(member)
    finally:
        await spare_node.stop()
    assert "General assembly" in [e.title for e in spare.events.list()]

    admin_node = node(admin)
    await admin_node.start()
    try:
        await _sync(late, admin_node, 1)
        counts = await _sync(spare, admin_node, 3)  # the further order; the stub, asked for again
        assert counts[2] == 0
        assert (await _sync(late, admin_node, 1)) == [0]
    finally:
        await admin_node.stop()
    for g in (late, spare):
        assert g.replica.version_vector() == admin.replica.version_vector()
        assert g.replica.state_hash() == admin.replica.state_hash()
        assert not _held(g)
    assert spare.db.execute("SELECT count(*) FROM erasure_refused").fetchone()[0] == 0
    for g in (late, spare):
        g.close()


async def test_a_laptop_remembering_a_refusal_still_completes_a_sync_with_one_that_never_saw_the_edit(
        tmp_path, group):
    """The minutes laptop met the spare one first and heard of the order there, so the admin's
    laptop is only ever sent the edit's stub, which it cannot order (docs/erasure.md, known limits).
    The spare laptop counts the refused number as held; it does not wait for the admin's laptop to
    acknowledge a number it does not hold itself (before: that sync never completed)."""
    admin = group
    member, late, spare = _late_edit(tmp_path, admin)
    spare.replica.apply(late.replica.changes_since(spare.replica.version_vector()))  # refused, remembered
    late.replica.apply(spare.replica.changes_since(late.replica.version_vector()))  # erased in place
    admin_node = node(admin)
    await admin_node.start()
    try:
        for _round in range(2):  # each completes (the changesets after the gap still go to the admin's laptop)
            await sync_with(spare, "127.0.0.1", admin_node.port, timeout=10)
    finally:
        await admin_node.stop()
    assert "General assembly" in [e.title for e in admin.events.list()]
    spare_node = node(spare)
    await spare_node.start()
    try:
        assert await _sync(late, spare_node, 2) == [0, 0]
    finally:
        await spare_node.stop()
    for g in (late, spare):
        g.close()


async def test_an_order_heard_live_brings_the_stub_of_a_remembered_refusal_on_the_open_connection(tmp_path, group):
    """The spare laptop told the admin's at HELLO that it holds the refused number; the admin's
    laptop then orders its stub and pushes the order. The spare laptop's vector falls back, it asks
    again (REQUEST) and takes the stub, without a new connection."""
    from tests.net.test_node import until
    from tests.net.test_removal_heard import connected

    admin = group
    member, late, spare = _late_edit(tmp_path, admin)
    edits = late.replica.changes_since(spare.replica.version_vector())
    spare.replica.apply(edits)  # refused, remembered
    edit = edits[0]
    async with connected(admin, spare):
        assert admin.replica.apply(edits).refused == []  # heard from a laptop that had not heard either
        await until(lambda: spare.replica.hash_at(edit.author, edit.seq) == edit.hash,
                    what="the stub on the spare laptop")
    assert spare.replica.held_vector() == admin.replica.held_vector()
    assert not _held(spare)
    for g in (late, spare):
        g.close()


async def test_the_laptop_that_wrote_the_edit_completes_its_syncs_with_an_admin_that_never_saw_it(tmp_path, group):
    """It heard of the order from the spare laptop before it met any admin, so the admin's laptop
    is only ever sent the stub, which it cannot order (docs/erasure.md, known limits). The laptop
    does not wait for the admin's to acknowledge that number (before: no sync completed)."""
    admin = group
    member, late, spare = _late_edit(tmp_path, admin)
    spare.replica.apply(late.replica.changes_since(spare.replica.version_vector()))
    late.replica.apply(spare.replica.changes_since(late.replica.version_vector()))  # erased in place
    admin_node = node(admin)
    await admin_node.start()
    try:
        await _sync(late, admin_node, 2)
    finally:
        await admin_node.stop()
    assert "General assembly" in [e.title for e in admin.events.list()] and not _held(admin)
    for g in (late, spare):
        g.close()
