"""A fork's settling in the membership log: an admin keeps one version of a number a device
signed twice (core/membership.py applies it as the `keep` entry)."""

from __future__ import annotations

from organiser.core.membership_entries import NOT_A_MEMBER, Device, Entry, KeptBranch, Membership


def keep_version(state: Membership, e: Entry, author: Device) -> str | None:
    """An admin keeps one version of a forked number; a removed device's fork may still need it
    (its changesets up to the last that stays)."""
    if e.target not in state.devices:
        return NOT_A_MEMBER
    seq, branch = e.value.get("seq"), e.value.get("hash")
    if type(seq) is not int or seq < 1 or type(branch) is not str or not is_hash(branch):
        return "it does not name the version to keep"
    key = (e.target, seq)
    before = state.kept_branches.get(key)
    if before is not None and before.rank < author.rank:
        return "a more senior admin chose the version to keep"
    state.kept_branches[key] = KeptBranch(branch, author.id, e.hlc, author.rank)
    return None


def is_hash(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)
