"""Incidents: what peers sent that was refused, and clocks far off, counted per device and reason.

One row per (device, reason), with a count, the first and last time, the latest changeset
number and sentence: a peer that sends ten thousand refused changesets leaves one row. The
reasons are a fixed set of codes, so the table stays as small as the roster times the codes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlite_utils import Database

from organiser.store.verify import Refusal

# Code -> what it means, for people; {name} is the device's name, {note} a detail such as "3 years".
WORDING: dict[str, str] = {
    "value": "'{name}' sends values nobody could type here, which were refused",
    "size": "'{name}' sends changes larger than the app allows, which were refused",
    "unknown": "'{name}' sends kinds of record or fields this version does not know: one of you may need to "
               "update the app",
    "entries": "'{name}' gives a member more roles and skills than the app allows, which were refused",
    "clock": "'{name}' sends changes from {note} in the future: check its clock",
    # Said of one peer's word: a peer whose clock is wrong, or a member lying in its greeting,
    # must not talk anyone into setting a correct clock wrong.
    "own-clock": "the clock of this laptop ('{name}') is {note}: one of the two is wrong; compare this "
                 "laptop's clock with a phone's before changing it",
    "clock-drift": "the clock of '{name}' is {note} ahead; its changes were taken in",
    "fork": "'{name}' signed two different changes with the same number (a modified app or a copied key): its "
            "changes from then on are set aside until an admin decides",
    "signature": "'{name}' passed on changes whose signatures do not match their authors",
    "chain": "'{name}' signed changes that do not link to the ones before them (a sign of two versions)",
    "stranger": "'{name}' passed on changes signed by a laptop that is not in the group",
    "group": "'{name}' passed on changes of another group",
    "malformed": "'{name}' sent changes that are not well formed",
    "packed": "'{name}' sent a compressed batch that expands beyond the limit or is not valid: it was refused",
    "neighbours": "'{name}' tells this laptop who it hears far more often than the app does: the extra messages "
                  "were not read",
    "asks": "'{name}' asks this laptop to send changes again far more often than the app does: they were sent "
            "at a slower pace",
    "disconnected": "'{name}' was disconnected for a while: it kept sending changes that were refused",
    "removed": "'{name}' was removed from the group: changes it made after that were refused",
    "refused": "changes from '{name}' were refused",
}
# Refusals no author's signature vouches for: blamed on the peer that sent them. ("chain" is
# checked after the signature: the author signed a changeset that breaks its own chain.)
UNVOUCHED = frozenset({"signature", "stranger", "group", "malformed", "refused"})
# A sender that cannot be known (a file in a shared folder its writer did not sign): what no
# author's signature vouches for is then blamed on no device.
NO_SENDER = "(no sender)"
# Refusals that follow from an incident already counted (the author's fork).
QUIET = frozenset({"set-aside"})
COLUMNS = ("device", "reason", "count", "first_at", "last_at", "seq", "detail", "note")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def note(db: Database, device: str | None, reason: str, detail: str, *, seq: int | None = None,
         count: int = 1, extra: str = "") -> None:
    """Count one incident (inside or outside the caller's transaction)."""
    note_many(db, [(device or "", reason, seq, detail[:500], extra, count)])


def note_many(db: Database, rows: Iterable[tuple[str, str, int | None, str, str, int]]) -> None:
    """Count incidents given as (device, reason, seq, detail, note, count)."""
    at = _now()
    db.conn.executemany(
        "INSERT INTO incidents (device, reason, count, first_at, last_at, seq, detail, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device, reason) DO UPDATE SET "
        "count = count + excluded.count, last_at = excluded.last_at, "
        "seq = coalesce(excluded.seq, seq), detail = excluded.detail, note = excluded.note",
        [(device, reason, count, at, at, seq, detail, extra) for device, reason, seq, detail, extra, count in rows],
    )


Source = str | Callable[[Refusal], str | None] | None


def blamed(r: Refusal, source: Source) -> str | None:
    """The device a refusal is counted against: its author, whose signature vouches for it, else
    the peer that sent it (`source`: that peer, or for a batch gathered from several peers, what
    tells the sender of each refusal); None when nobody vouched for it (a file in a shared folder
    its writer did not sign)."""
    if r.code not in UNVOUCHED:
        return r.author
    sender = source(r) if callable(source) else source
    return None if sender == NO_SENDER else sender or r.author


def note_refusals(db: Database, refusals: list[Refusal], source: Source) -> None:
    """Count a batch's refusals, one row update per (device, reason), against the device `blamed`."""
    rows: dict[tuple[str, str], list] = {}
    for r in refusals:
        if r.code in QUIET:
            continue
        device = blamed(r, source)
        if device is None:
            continue  # nobody vouched for it: neither its author's signature nor a sender's
        row = rows.setdefault((device, r.code), [device, r.code, r.seq, "", "", 0])
        row[2], row[3], row[4], row[5] = r.seq, r.reason, r.note, row[5] + 1
    if rows:
        note_many(db, [tuple(row) for row in rows.values()])


def listed(db: Database, limit: int = 200) -> list[dict[str, Any]]:
    """Incidents, the latest first."""
    return [dict(zip(COLUMNS, row, strict=True)) for row in db.execute(
        f"SELECT {', '.join(COLUMNS)} FROM incidents ORDER BY last_at DESC, device, reason LIMIT ?", [limit])]


def for_people(incident: dict[str, Any], name: str) -> str:
    """One sentence a person understands, e.g. "'door laptop' sends changes from 3 days in the future"."""
    wording = WORDING.get(incident["reason"], "changes from '{name}' were refused")
    sentence = wording.format(name=name, note=incident.get("note") or "far off")
    return sentence[:1].upper() + sentence[1:] + "."
