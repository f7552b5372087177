"""Peers' changesets applied on a worker thread land in the store, and their events are
published on the caller's thread (where the app's views listen)."""

from __future__ import annotations

import asyncio
import threading

from organiser.core.bus import ChangesetsStored, RecordsChanged
from organiser.sync.applier import BackgroundApplier


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
