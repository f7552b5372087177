"""A member's HELLO naming 100,000 made-up devices: looking for forks among them must cost a
bounded number of queries on the event loop (the app's window), not one per device."""

from __future__ import annotations

import secrets

from organiser.services.group import Group
from organiser.store import forks
from tests.bad_peer import BadPeer, new_member


def _counting_queries(group: Group) -> list[str]:
    seen: list[str] = []
    group.db.conn.set_trace_callback(seen.append)
    return seen


def test_differing_heads_of_100000_made_up_devices_takes_one_query(group: Group) -> None:
    held = [BadPeer(group).sign(new_member("Ana"))]
    group.replica.apply(held)
    ours = group.replica.version_vector()
    made_up = {f"{n:064x}": secrets.token_hex(32) for n in range(100_000)}
    vector = dict.fromkeys(made_up, 1)
    other_version = secrets.token_hex(32)
    heads = {**made_up, group.device_id: other_version}
    vector[group.device_id] = ours[group.device_id]
    queries = _counting_queries(group)
    try:
        differing = forks.differing_heads(group.db, vector, heads, ours)
    finally:
        group.db.conn.set_trace_callback(None)
    assert differing == {group.device_id: ours[group.device_id]}  # the one real device whose head differs
    assert len(queries) <= 1


def test_differing_heads_finds_nothing_when_the_peer_holds_the_same_versions(group: Group) -> None:
    group.replica.apply([BadPeer(group).sign(new_member("Ana"))])
    ours = group.replica.version_vector()
    same = forks.heads(group.db, ours)
    assert same and forks.differing_heads(group.db, ours, same, ours) == {}
    assert forks.differing_heads(group.db, ours, same) == {}  # our vector read from the store
