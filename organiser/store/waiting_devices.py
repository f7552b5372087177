"""Laptops waiting for an admin, as the stored log says (core/waiting_devices.py).

The roster's evaluation does not read the admissions of a laptop nobody vouched for (store/
membership.py: a puppet's flood is stored, not evaluated at every arrival); it reads those of a
laptop vouched for since, and ignores the ones stamped before the vouch. Listing what waits
reads the others when asked (the devices pane, `organiser device list`, a vouch), each such laptop's
first MAX_MEMBER_ADMISSIONS only and MAX_LISTED in all, and evaluates the log once more with them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from organiser.core.membership import ADMIT, Entry, Membership
from organiser.core.membership_limits import MAX_MEMBER_ADMISSIONS
from organiser.core.waiting_devices import Waiting, may_wait, waiting_for_an_admin
from organiser.store.membership import load_membership

# Each listed author's first admissions in its chain, none in changesets set aside after a fork
# (they count nowhere until an admin keeps a version).
_ADMISSIONS_OF = """
    SELECT author, seq, idx, hlc, action, value FROM (
        SELECT author, seq, idx, hlc, action, value,
               row_number() OVER (PARTITION BY author ORDER BY seq, idx) AS place
        FROM membership_log m
        WHERE action = ? AND author IN (SELECT value FROM json_each(?)){aside})
    WHERE place <= ?"""
_ASIDE = " AND NOT EXISTS (SELECT 1 FROM forks_set_aside f WHERE f.author = m.author AND m.seq >= f.seq)"


# Laptops listed at most, from the admitters first in the roster: a member's puppets (laptops whose
# keys it held, each admitting its first 200) listed 20,000 from 100 puppets, 0.6 s of evaluation at
# each reload of the devices pane. An admitter is listed whole or not at all.
MAX_LISTED = 400


@dataclass(frozen=True)
class WaitingList:
    """The membership the log makes and the laptops waiting for an admin in it; `unlisted`: the
    laptops that admitted more such laptops, left out past MAX_LISTED."""

    membership: Membership
    waiting: list[Waiting]
    unlisted: int = 0


def waiting_devices(db: Database, extra: Iterable[Entry] = (), also: Collection[str] = ()) -> WaitingList:
    """The membership the stored log makes (with `extra` entries, to try out an admin's vouch) and
    the laptops waiting for an admin in it. `also`: devices whose admissions to read first, even if
    they are not in the roster yet (a waiting laptop the `extra` entries admit)."""
    extra = list(extra)
    held = load_membership(db, extra)
    members = sorted((d for d in held.devices.values() if not d.removed and not d.vouched_for), key=lambda d: d.rank)
    authors, unlisted = _admitters(db, [*also, *(d.id for d in members if d.id not in also)])
    candidates = may_wait(held, _admissions_of(db, authors), also) if authors else []
    if not candidates:  # a laptop vouched for since: what it admitted before is in the log read already
        return WaitingList(held, waiting_for_an_admin(held), unlisted)
    return WaitingList(held, waiting_for_an_admin(load_membership(db, [*extra, *candidates])), unlisted)


def _admitters(db: Database, authors: list[str]) -> tuple[list[str], int]:
    """Of `authors` (in the order to list them), those that admitted some device, as many as make
    MAX_LISTED admissions or fewer (the first one whatever its count), and how many are left out."""
    if not authors:
        return [], 0
    counts = dict(db.execute("SELECT author, count(*) FROM membership_log WHERE action = ? AND author IN "
                             "(SELECT value FROM json_each(?)) GROUP BY author", [ADMIT, json.dumps(authors)]))
    listed: list[str] = []
    total = 0
    admitting = [author for author in authors if counts.get(author)]
    for author in admitting:
        count = min(counts[author], MAX_MEMBER_ADMISSIONS)
        if listed and total + count > MAX_LISTED:
            break
        listed.append(author)
        total += count
    return listed, len(admitting) - len(listed)


def _admissions_of(db: Database, authors: Collection[str]) -> list[Entry]:
    aside = _ASIDE if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'forks_set_aside'").fetchone() else ""
    rows = db.execute(_ADMISSIONS_OF.format(aside=aside), [ADMIT, json.dumps(sorted(authors)), MAX_MEMBER_ADMISSIONS])
    return [Entry(author, seq, hlc, index, action, json.loads(value))
            for author, seq, index, hlc, action, value in rows]
