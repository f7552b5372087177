"""Laptops waiting for an admin, as the stored log says (core/waiting_devices.py).

The roster's evaluation does not read the admissions of a laptop nobody vouched for (store/
membership.py: a puppet's flood is stored, not evaluated at every arrival). Listing what waits
reads them when asked (the devices pane, `organiser device list`, a vouch), each such laptop's
first MAX_MEMBER_ADMISSIONS only, and evaluates the log once more with them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable

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


def waiting_devices(db: Database, extra: Iterable[Entry] = (), also: Collection[str] = ()) -> tuple[
        Membership, list[Waiting]]:
    """The membership the stored log makes (with `extra` entries, to try out an admin's vouch) and
    the laptops waiting for an admin in it. `also`: devices whose admissions to read even if they are
    not in the roster yet (a waiting laptop the `extra` entries admit)."""
    extra = list(extra)
    held = load_membership(db, extra)
    authors = {d.id for d in held.devices.values() if not d.removed and not d.vouched_for} | set(also)
    if not authors:
        return held, []
    candidates = may_wait(held, _admissions_of(db, authors), also)
    if not candidates:
        return held, []
    return held, waiting_for_an_admin(load_membership(db, [*extra, *candidates]))


def _admissions_of(db: Database, authors: Collection[str]) -> list[Entry]:
    aside = _ASIDE if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'forks_set_aside'").fetchone() else ""
    rows = db.execute(_ADMISSIONS_OF.format(aside=aside), [ADMIT, json.dumps(sorted(authors)), MAX_MEMBER_ADMISSIONS])
    return [Entry(author, seq, hlc, index, action, json.loads(value))
            for author, seq, index, hlc, action, value in rows]
