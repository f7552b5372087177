"""Invites this device made. Local, not replicated: a code is redeemed only at the device
that made it, which records its use in the same transaction as the admission
(store/membership.py), so one code admits exactly one device."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class Invite:
    id: str
    expires_at: int
    used_by: str | None
    ended: str = ""  # "burned" or "withdrawn" when it was ended before it expired


def add_invite(db: Database, invite_id: str, token_hash: str, expires_at: int) -> None:
    with db.atomic():
        db.execute("INSERT INTO invites (id, token_hash, expires_at, made_at) VALUES (?, ?, ?, ?)",
                   [invite_id, token_hash, expires_at, int(time.time())])


def find_invite(db: Database, token_hash: str) -> Invite | None:
    row = db.execute("SELECT id, expires_at, used_by, ended FROM invites WHERE token_hash = ?",
                     [token_hash]).fetchone()
    return Invite(*row) if row else None


def recent_token_hashes(db: Database, expired_since: int, limit: int = 1000) -> list[tuple[str, str | None]]:
    """(token hash, device it admitted or None) of the invites that expire after
    `expired_since`, newest first: what a device redeeming a code, or joining its first
    sync, can prove it knows (net/handshake.py)."""
    return [(row[0], row[1]) for row in db.execute(
        "SELECT token_hash, used_by FROM invites WHERE expires_at > ? ORDER BY made_at DESC LIMIT ?",
        [expired_since, limit])]


def burn_invite(db: Database, invite_id: str, ended: str = "burned") -> None:
    """End an unused code now, so nothing can redeem it any more, not even with the right words:
    "burned" (a spoken code spent by a wrong try) or "withdrawn" (the other code of the same
    invitation let a laptop in, or the dialog showing it closed)."""
    with db.atomic():
        db.execute("UPDATE invites SET expires_at = min(expires_at, ?), ended = ? "
                   "WHERE id = ? AND used_by IS NULL AND ended = ''", [int(time.time()) - 1, ended, invite_id])
