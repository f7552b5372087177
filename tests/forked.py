"""A device that signed two versions of one change: the fork the CLI and the Forks view tests start from."""

from __future__ import annotations

from organiser.services.group import Group
from tests.bad_peer import BadPeer, new_member
from tests.conftest import sync_pair


def sign_two_versions(a: Group, b: Group) -> tuple[dict[str, str], int]:
    """b's modified client signs two versions of its next number, adding member 'Left' or 'Right';
    a (the admin) and b receive both. Returns each version's hash by name, and the number."""
    sync_pair(a, b)
    modified = BadPeer(b)
    seq, prev = modified.seq + 1, modified.prev
    left = modified.sign(new_member("Left"))
    right = modified.sign(new_member("Right"), seq=seq, prev=prev)
    for device in (a, b):
        device.replica.apply([left, right])
    return {"Left": left.hash, "Right": right.hash}, seq
