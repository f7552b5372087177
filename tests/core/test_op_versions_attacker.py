"""An op names the version it overwrote (`base`) and the conflicts it settles (`resolves`) by
clock stamps: a member in bad faith wrote stamps no clock makes (2^64 - 1, past what SQLite
stores; 0; a fraction), and storing such an op raised OverflowError on the receiving laptop.
Such a changeset is malformed, like one whose own stamp is out of range."""

from __future__ import annotations

import pytest

from organiser.core.changeset import MalformedChangeset, Op, decode_changeset
from organiser.core.records import new_id
from tests.bad_peer import BadPeer

TOO_LARGE = 2**64 - 1  # the largest number orjson reads; SQLite's integers stop at 2^63 - 1
VERSIONS = {
    "a base past SQLite's integers": Op("member", new_id(), "name", "Ghost", base=(TOO_LARGE, "x" * 32)),
    "a settled conflict past SQLite's integers": Op("member", new_id(), "notes", "n", resolves=((TOO_LARGE, "x"),)),
    "a base stamped 0": Op("member", new_id(), "name", "Ghost", base=(0, "x" * 32)),
    "a base that is a fraction": Op("member", new_id(), "name", "Ghost", base=(1.5, "x" * 32)),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("case", sorted(VERSIONS))
def test_an_op_naming_a_version_no_clock_can_stamp_is_malformed(group, case) -> None:
    cs = BadPeer(group).sign([VERSIONS[case]])
    with pytest.raises(MalformedChangeset, match="names a version no clock stamps"):
        decode_changeset(cs.body, cs.signature)


def test_an_op_naming_versions_a_clock_stamps_is_read_as_written(group) -> None:
    stamp = group.replica.clock.now()
    op = Op("member", new_id(), "notes", "n", base=(stamp, "d" * 32), resolves=((stamp - 1, "e" * 32),))
    cs = BadPeer(group).sign([op])
    assert decode_changeset(cs.body, cs.signature).ops == (op,)


