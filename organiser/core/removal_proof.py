"""What a removed laptop can check of its own removal. Pure, no I/O.

A member of the build fc65889 refusing a removed laptop handed it the admin's signed changeset that
removed it (members no longer do: the group's new folder and discovery keys are chained from that
changeset's hash, which the removed laptop must not learn). The removed laptop never applies it (its
log stops before it), but checks it against its own membership log: an admin it knows signed, for this
group, a removal of this very device. Then it can say who removed it, when, and which of its changes
the group keeps; a member's claim alone says none of that (and is forgotten when another member lets
it in, net/admission.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from organiser.core.changeset import MalformedChangeset, decode_changeset, verify_signature
from organiser.core.membership_entries import MEMBERSHIP_KIND, REMOVE

# What a proof may weigh: an admin's removal is one short changeset; anything larger is not sent.
MAX_PROOF_BYTES = 4096


@dataclass(frozen=True)
class RemovalProof:
    """An admin's signed removal of this device, checked here."""

    by: str  # the admin's device id
    hlc: int  # when the admin removed it (the changeset's clock stamp)
    kept: int  # this device's last change the group keeps; later ones reach no laptop of the group


def only_membership(ops_kinds: Collection[str]) -> bool:
    """Whether a changeset holds membership entries only: the one a removed laptop may be shown
    (nothing the group wrote after the removal goes with it)."""
    return bool(ops_kinds) and all(kind == MEMBERSHIP_KIND for kind in ops_kinds)


def check_removal(body: bytes, signature: bytes, *, group: str, device: str, keys: Mapping[str, str],
                  admins: Collection[str]) -> RemovalProof | None:
    """The removal of `device` that an admin of `group` signed in this changeset, or None when it is
    not one: malformed, too large, another group's, not signed by a device `admins` names (with its
    key in `keys`, public keys in hex), or not a removal of this device naming what stays."""
    if len(body) > MAX_PROOF_BYTES:
        return None
    try:
        cs = decode_changeset(body, signature)
    except MalformedChangeset:
        return None
    if cs.group != group or cs.author not in admins or cs.author not in keys:
        return None
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(keys[cs.author]))
    except ValueError:
        return None
    if not only_membership([op.kind for op in cs.ops]) or not verify_signature(key, cs):
        return None
    for op in cs.ops:
        if op.field == REMOVE and isinstance(op.value, dict) and op.value.get("device") == device:
            kept = kept_of_value(op.value)
            if kept is not None:
                return RemovalProof(cs.author, cs.hlc, kept)
    return None


def kept_of_value(value: Mapping[str, object]) -> int | None:
    kept = value.get("kept")
    return kept if type(kept) is int and kept >= 0 else None
