"""A member in bad faith signs two changesets under one clock stamp, each writing another value
into the same field, and hands them to two laptops in opposite orders. Last-writer-wins orders
writes by (stamp, device): the two writes tie, and each laptop kept the one it heard first, so
the group showed two names for one member for good, with no conflict and no fork to see."""

from __future__ import annotations

from itertools import permutations

import pytest

from organiser.core.changeset import Op
from organiser.core.hlc import COUNTER_BITS
from organiser.core.records import new_id
from tests.bad_peer import BadPeer
from tests.conftest import sync_pair


def _shown(g, member: str) -> tuple[str, str, list]:
    return (g.members.get(member).name, g.replica.state_hash(),
            sorted((c["field"], str(c["value"])) for c in g.conflicts()))


def test_two_writes_of_one_field_under_one_stamp_show_the_same_value_on_laptops_hearing_them_in_either_order(three):
    a, b, c = three
    member = new_id()
    modified = BadPeer(b)
    stamp = b.replica.clock.now()
    first = modified.sign([Op("member", member, "name", "Ana Lopez")], hlc=stamp)
    second = modified.sign([Op("member", member, "name", "Zed Mole")], hlc=stamp)

    for cs in (first, second):
        a.replica.apply([cs], source=b.device_id)
    for cs in (second, first):  # the second one's predecessor is not held yet: kept all the same
        c.replica.apply([cs], source=b.device_id)

    assert _shown(a, member) == _shown(c, member)
    sync_pair(a, c)  # and the laptops, holding the same changesets, stay as they are
    assert _shown(a, member) == _shown(c, member)


@pytest.mark.parametrize("tied_after_the_honest_write", [True, False])
@pytest.mark.parametrize("order", list(permutations(range(3))))
def test_three_writes_under_one_stamp_and_an_honest_concurrent_one_agree_in_opposite_orders(
        three, order, tied_after_the_honest_write):
    a, b, c = three
    member = new_id()
    modified = BadPeer(b)
    ten_seconds = 10_000 << COUNTER_BITS
    start = modified.sign([Op("member", member, "name", "Start")], hlc=b.replica.clock.now() - ten_seconds)
    a.replica.apply([start], source=b.device_id)
    sync_pair(a, c)
    c.members.edit(member, name="Cleo")  # an honest write b has not heard of
    cleo = c.db.execute("SELECT max(hlc) FROM changes WHERE author = ?", [c.device_id]).fetchone()[0]
    stamp = cleo + (1 << COUNTER_BITS) * (1 if tied_after_the_honest_write else -1)  # a millisecond after, or before
    tied = [modified.sign([Op("member", member, "name", name)], hlc=stamp) for name in ("Mia", "Ana", "Zed")]

    for i in order:
        a.replica.apply([tied[i]], source=b.device_id)
    for i in reversed(order):
        c.replica.apply([tied[i]], source=b.device_id)
    sync_pair(a, c)

    assert _shown(a, member) == _shown(c, member)
    assert _shown(a, member)[0] == ("Zed" if tied_after_the_honest_write else "Cleo")


def test_one_value_under_one_stamp_with_and_without_a_base_agrees_in_either_order(three):
    a, b, c = three
    member = new_id()
    modified = BadPeer(b)
    start = modified.sign([Op("member", member, "name", "Start")])
    stamp = b.replica.clock.now()
    plain = modified.sign([Op("member", member, "notes", "same")], hlc=stamp)
    based = modified.sign([Op("member", member, "notes", "same", base=(start.hlc, b.device_id))], hlc=stamp)
    for cs in (start, plain, based):
        a.replica.apply([cs], source=b.device_id)
    for cs in (start, based, plain):
        c.replica.apply([cs], source=b.device_id)
    sync_pair(a, c)
    versions = [g.db.execute("SELECT versions FROM records WHERE id = ?", [member]).fetchone() for g in (a, c)]
    assert versions[0] == versions[1]
    assert _shown(a, member) == _shown(c, member)
