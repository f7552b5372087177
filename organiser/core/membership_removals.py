"""Removals in the membership log: what an admin's removal of a device does (core/membership.py
applies them in the log's order)."""

from __future__ import annotations

from organiser.core.membership_entries import Device, Entry, Membership


def kept_of(entry: Entry) -> int | None:
    kept = entry.value.get("kept")
    return kept if type(kept) is int and kept >= 0 else None


def remove(state: Membership, e: Entry, author: Device, target: Device) -> str | None:
    kept = kept_of(e)
    if kept is None:
        return "the removal does not name the last changeset that stays"
    if target.admin and state.admins() == [target.id]:
        return "the group would be left without an admin"
    target.removed_kept = kept
    target.removed_by = author.id
    target.removed_hlc = e.hlc
    target.removed_at = e.order
    target.admin = False
    state.removals += 1
    return None


def remove_again(e: Entry, author: Device, target: Device) -> str | None:
    """Another admin's removal of a removed device: of all its removals, the one keeping least
    stands, whatever their stamps (an earlier-stamped removal keeping everything must not shield it)."""
    kept = kept_of(e)
    if kept is None:
        return "the removal does not name the last changeset that stays"
    assert target.removed_kept is not None
    if kept >= target.removed_kept:
        return "the laptop was removed already, keeping no more than this"
    target.removed_kept, target.removed_by, target.removed_hlc, target.removed_at = kept, author.id, e.hlc, e.order
    return None


def bar(state: Membership, e: Entry) -> str | None:
    """An admin's removal of a device the roster does not hold here (one waiting for an admin, or
    one whose admission a later removal took back): no later admission of it counts, so a member's
    modified client cannot let the key back in."""
    if kept_of(e) is None:
        return "the removal does not name the last changeset that stays"
    state.barred.add(e.target)
    return None
