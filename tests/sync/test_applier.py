"""Peers' changesets applied on a worker thread land in the store, and their events are
published on the caller's thread (where the app's views listen)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from organiser.core.bus import ChangesetsStored, RecordsChanged
from organiser.core.changeset import Changeset
from organiser.services.group import Group, create_group
from organiser.store import incidents
from organiser.store.replica import ApplyResult
from organiser.sync.applier import BackgroundApplier
from tests.conftest import add_device, sync_pair


def test_changesets_applied_on_a_worker_show_up_and_announce_on_the_callers_thread(two_devices):
    a, b = two_devices
    member = a.members.add("Ana López", emails=["ana@example.org"], roles=["Outreach"])
    seen: list[tuple[str, object]] = []
    b.bus.subscribe(RecordsChanged, lambda e: seen.append((threading.current_thread().name, e)))
    b.bus.subscribe(ChangesetsStored, lambda e: seen.append((threading.current_thread().name, e)))
    applier = BackgroundApplier(b.replica)
    try:
        result = asyncio.run(applier.apply(a.replica.changes_since(b.replica.version_vector())))
    finally:
        applier.close()
    assert result.applied == 1 and not result.refused
    assert b.members.get(member.id).roles == ["Outreach"]
    assert a.replica.state_hash() == b.replica.state_hash()
    here = threading.current_thread().name
    assert {name for name, _e in seen} == {here}
    changed = [e for _n, e in seen if isinstance(e, RecordsChanged)]
    assert member.id in changed[0].ids and changed[0].origin == "remote"


def test_a_bad_changeset_is_refused_on_the_worker_and_the_good_ones_still_apply(two_devices):
    a, b = two_devices
    good = a.members.add("Bilal Ahmed")
    bad = a.members.add("Chloé Martin")
    changes = a.replica.changes_since(b.replica.version_vector())
    forged = [cs if bad.id not in cs.body.decode() else
              type(cs)(cs.group, cs.author, cs.seq, cs.prev, cs.hlc, cs.ops,
                       cs.body.replace(b"Chlo", b"Evil"), cs.signature) for cs in changes]
    applier = BackgroundApplier(b.replica)
    try:
        result = asyncio.run(applier.apply(forged))
    finally:
        applier.close()
    assert [r.seq for r in result.refused] == [changes[-1].seq]
    assert b.members.get(good.id).name == "Bilal Ahmed"
    assert [m.name for m in b.members.list()] == ["Bilal Ahmed"]


def _forged(cs: Changeset) -> Changeset:
    """The same changeset with its body altered after signing."""
    return Changeset(cs.group, cs.author, cs.seq, cs.prev, cs.hlc, cs.ops, cs.body.replace(b"Dana", b"Evil"),
                     cs.signature)


@pytest.fixture
def three_devices(tmp_path: Path) -> Iterator[tuple[Group, Group, Group]]:
    """a founded the group, b receives, c is a third member that also relays a's changesets."""
    a = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    b = add_device(a, tmp_path / "b", "minutes laptop")
    c = add_device(a, tmp_path / "c", "kitchen laptop")
    sync_pair(a, b)
    sync_pair(a, c)
    sync_pair(c, b)
    yield a, b, c
    for device in (a, b, c):
        device.close()


async def _apply_at_once(applier: BackgroundApplier, requests: list[tuple[list[Changeset], str]]) -> list[ApplyResult]:
    """Callers asking in the same turn of the loop, as links bringing frames at once do."""
    tasks = [asyncio.create_task(applier.apply(changesets, source=source)) for changesets, source in requests]
    return list(await asyncio.gather(*tasks))


def test_requests_waiting_meanwhile_go_in_one_apply_and_each_caller_gets_its_own_result(three_devices):
    a, b, c = three_devices
    for name in ("Ana López", "Bilal Ahmed", "Chloé Martin", "Dana Kim"):
        a.members.add(name)
    c.members.add("Ezra Stone")
    c.members.add("Farah Nasser")
    from_a = a.replica.changes_since(b.replica.version_vector())
    from_c = c.replica.changes_since({**b.replica.version_vector(), a.device_id: 10 ** 9})
    assert len(from_a) == 4 and len(from_c) == 2
    stored: list[ChangesetsStored] = []
    b.bus.subscribe(ChangesetsStored, stored.append)
    applier = BackgroundApplier(b.replica)
    try:
        first, from_a_rest, from_c_with_forgery, copy = asyncio.run(_apply_at_once(applier, [
            (from_a[:1], a.device_id),  # goes to the worker alone; the others wait meanwhile
            (from_a[1:3], a.device_id),
            ([*from_c, _forged(from_a[3])], c.device_id),  # c relays a forged copy of a's 4th
            (from_a[1:2], c.device_id),  # c relays a copy of what a itself sends in the same batch
            ([_forged(from_a[3])], "d" * 64),  # another relay passes on the same forgery
        ]))[:4]
        assert applier.combined_applies == 2
    finally:
        applier.close()
    assert (first.applied, first.refused) == (1, [])
    assert (from_a_rest.applied, from_a_rest.refused) == (2, [])
    assert from_c_with_forgery.applied == 2
    assert [(r.author, r.seq, r.code) for r in from_c_with_forgery.refused] == [
        (a.device_id, from_a[3].seq, "signature")]
    assert (copy.applied, copy.duplicates, copy.refused) == (0, 1, [])
    assert [m.name for m in b.members.list()] == ["Ana López", "Bilal Ahmed", "Chloé Martin", "Ezra Stone",
                                                  "Farah Nasser"]
    blamed = {(row["device"], row["reason"]) for row in incidents.listed(b.db)}
    # The relays that sent the forgery, not a, its author.
    assert blamed == {(c.device_id, "signature"), ("d" * 64, "signature")}
    assert [e.count for e in stored] == [1, 4]  # one announcement per apply, as the node pushes on it


def test_two_versions_of_one_changeset_from_two_peers_are_applied_apart(three_devices):
    a, b, c = three_devices
    a.members.add("Ana López")
    a.members.add("Dana Kim")
    genuine = a.replica.changes_since(b.replica.version_vector())
    applier = BackgroundApplier(b.replica)
    try:
        first, from_a, forged_by_c = asyncio.run(_apply_at_once(applier, [
            (genuine[:1], a.device_id), (genuine[1:], a.device_id), ([_forged(genuine[1])], c.device_id)]))
        assert applier.combined_applies == 3
    finally:
        applier.close()
    assert (first.applied, from_a.applied, from_a.refused) == (1, 1, [])
    assert [(r.seq, r.code) for r in forged_by_c.refused] == [(genuine[1].seq, "signature")]
    assert {(row["device"], row["reason"]) for row in incidents.listed(b.db)} == {(c.device_id, "signature")}
    assert [m.name for m in b.members.list()] == ["Ana López", "Dana Kim"]
