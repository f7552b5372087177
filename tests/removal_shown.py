"""The signed changeset that removed a device, as a member of the build that handed it to the removed
laptop when refusing it (fc65889) did, for the tests of what the removed laptop makes of it
(core/removal_proof.py, services/removed_here.py). Members no longer send it: the group's new folder
and discovery keys are chained from its hash (tests/net/test_removed_laptop_learns_no_new_key.py)."""

from __future__ import annotations

import json

from sqlite_utils import Database

from organiser.core.changeset import decode_changeset
from organiser.core.membership_entries import REMOVE
from organiser.core.removal_proof import MAX_PROOF_BYTES, only_membership


def removal_changeset(db: Database, device: str, admins: frozenset[str]) -> tuple[bytes, bytes] | None:
    """(body, signature) of an admin's changeset removing `device`: of several, the one keeping least
    (the removal that stands). None when there is none this small, or it holds anything but membership
    entries (nothing written for the group after the removal goes to the removed laptop)."""
    rows = db.execute(
        "SELECT author, seq, value FROM membership_log WHERE action = ? AND json_extract(value, '$.device') = ?",
        [REMOVE, device]).fetchall()
    found = sorted((_kept(value), author, seq) for author, seq, value in rows if author in admins)
    for _kept_here, author, seq in found:
        row = db.execute("SELECT body, signature FROM changes WHERE author = ? AND seq = ?", [author, seq]).fetchone()
        if row is None or len(row[0]) > MAX_PROOF_BYTES:
            continue
        body, signature = bytes(row[0]), bytes(row[1])
        if only_membership([op.kind for op in decode_changeset(body, signature).ops]):
            return body, signature
    return None


def _kept(value: str) -> int:
    kept = json.loads(value).get("kept")
    return kept if type(kept) is int else 1 << 62

