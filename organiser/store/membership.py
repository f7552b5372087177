"""The membership log on disk: storing entries, the roster they make, and removals.

Entries arrive inside changesets (ops of kind `membership`); `note_entries` keeps them in
`membership_log` and, when some of them may count, `refresh_roster` evaluates the log again
(core/membership.py; only the entries that may count: those of devices that may be admins, and
admissions under a policy) and writes the roster to `devices`. When a device is
removed, its changesets after the last one that stays are moved out of `changes` into
`withdrawn_changes` and the records they touched are merged again from what remains, so
every device shows the same records whichever order it learnt things in. Should a later
entry undo that removal (a more senior admin's concurrent removal of the remover), they
come back. Runs inside the caller's write transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter

from sqlite_utils import Database

from organiser.core.changeset import Changeset, Op, decode_changeset
from organiser.core.membership import ADMIT, MEMBERSHIP_KIND, Entry, Membership, entry_of, evaluate
from organiser.core.membership_limits import MAX_MEMBER_ADMISSIONS
from organiser.core.merge import RecordState
from organiser.store import erasure, forks
from organiser.store import minutes as minutes_store
from organiser.store.database import in_chunks
from organiser.store.materialise import MergeOutcome, Stored, indexed_upto, load_states, merge_changesets

_CHANGE_COLUMNS = "author, seq, hlc, prev, hash, body, signature"


@dataclass(frozen=True)
class Roster:
    """What checking a changeset needs: every device's key (removed ones too, for the
    changesets of theirs that stay), and the last seq that stays of each removed device."""

    keys: dict[str, str]
    limits: dict[str, int]
    admins: frozenset[str] = frozenset()

    def admitted(self, device: str) -> bool:
        return device in self.keys and device not in self.limits


@dataclass
class RosterUpdate:
    membership: Membership
    outcome: MergeOutcome = field(default_factory=MergeOutcome)
    newly_removed: frozenset[str] = frozenset()


_KIND = itemgetter(0)  # an Op's kind


def has_entries(batch: Iterable[Changeset]) -> bool:
    return any(MEMBERSHIP_KIND in map(_KIND, cs.ops) for cs in batch)


def entries_in(batch: Iterable[Changeset]) -> list[Entry]:
    out: list[Entry] = []
    for cs in batch:
        if MEMBERSHIP_KIND not in map(_KIND, cs.ops):  # in C: a first sync has a few among thousands
            continue
        for index, op in enumerate(cs.ops):
            if op.kind == MEMBERSHIP_KIND:
                entry = entry_of(cs.author, cs.seq, cs.hlc, index, op.field, op.value)
                if entry is not None:
                    out.append(entry)
    return out


def note_entries(db: Database, batch: Iterable[Changeset]) -> RosterUpdate | None:
    """Keep the membership entries of stored changesets; re-evaluate when there were any."""
    entries = entries_in(batch)
    if not entries:
        return None
    _use_invites(db, entries)
    db.conn.executemany(
        "INSERT OR IGNORE INTO membership_log (author, seq, idx, hlc, action, value) VALUES (?, ?, ?, ?, ?, ?)",
        [(e.author, e.seq, e.index, e.hlc, e.action, json.dumps(e.value, sort_keys=True)) for e in entries],
    )
    if not _any_may_count(db, entries):
        # Kept (a later promotion of their author may make them count), but no evaluation
        # changes: a member signing thousands of entries it has no right to costs their storing.
        return None
    return refresh_roster(db)


# The devices that may be admins at some point of some evaluation: the founder and whoever a
# device of these promotes (core/membership_limits.py `promotable`). Another device's entries
# change nothing in any evaluation, except admissions once one of these devices wrote a policy
# entry (members may invite then); they stay in the log for the day a promotion reaches them.
# `vouched_for`: the devices whose admissions may count as a member's (core/membership.py, invitations
# by members reach one step): those one of these devices admits, and the old roster's.
_MAY_BE_ADMINS = """
    WITH RECURSIVE may_be_admins(device) AS (
        SELECT value FROM meta WHERE key = 'founder'
        UNION
        SELECT json_extract(m.value, '$.device') FROM may_be_admins a JOIN membership_log m ON m.author = a.device
        WHERE m.action = 'promote' AND json_type(m.value, '$.device') = 'text'),
    policy_set(yes) AS (
        SELECT EXISTS (SELECT 1 FROM may_be_admins a JOIN membership_log p ON p.author = a.device
                       WHERE p.action = 'policy')),
    vouched_for(device) AS (
        SELECT json_extract(m.value, '$.device') FROM may_be_admins a JOIN membership_log m ON m.author = a.device
        WHERE m.action = 'admit' AND json_type(m.value, '$.device') = 'text'
        UNION SELECT device FROM legacy_roster)"""

# The entries an evaluation may give effect to (store/membership.py reads only these): of another
# device vouched for's admissions, its first MAX_MEMBER_ADMISSIONS in chain order (none set aside after a
# fork, as load_membership leaves those out), the only ones of its that can count. A puppet a member
# admitted signs admissions that are not read at all, until an admin admits it again or promotes it.
_MEMBER_ADMISSIONS = """
        SELECT author, seq, idx, hlc, action, value FROM (
            SELECT author, seq, idx, hlc, action, value,
                   row_number() OVER (PARTITION BY author ORDER BY seq, idx) AS place
            FROM membership_log m
            WHERE action = 'admit' AND (SELECT yes FROM policy_set) AND author NOT IN may_be_admins
                  AND author IN vouched_for{aside})
        WHERE place <= {limit}"""


def entries_that_may_count(limit: int) -> tuple[str, str]:
    """The query's text before the fork tables exist (migrations), and after."""
    before, after = (_MAY_BE_ADMINS + """,
    counting(author, seq, idx, hlc, action, value) AS (
        SELECT m.author, m.seq, m.idx, m.hlc, m.action, m.value
        FROM may_be_admins a JOIN membership_log m ON m.author = a.device
        UNION ALL""" + _MEMBER_ADMISSIONS.format(aside=aside, limit=limit) + ")" for aside in (
        "", " AND NOT EXISTS (SELECT 1 FROM forks_set_aside f WHERE f.author = m.author AND m.seq >= f.seq)"))
    return before, after


_ENTRIES_THAT_MAY_COUNT_BEFORE_FORKS, _ENTRIES_THAT_MAY_COUNT = entries_that_may_count(MAX_MEMBER_ADMISSIONS)


def _entries_that_may_count(db: Database) -> str:
    return _ENTRIES_THAT_MAY_COUNT if _has_fork_tables(db) else _ENTRIES_THAT_MAY_COUNT_BEFORE_FORKS


def _any_may_count(db: Database, entries: list[Entry]) -> bool:
    rows = db.execute(_MAY_BE_ADMINS + " SELECT device, (SELECT yes FROM policy_set) FROM may_be_admins").fetchall()
    may_be_admins = {device for device, _policy in rows}
    if any(e.author in may_be_admins for e in entries):
        return True
    policy_set = any(policy for _device, policy in rows)
    if not policy_set:
        return False
    vouched_for = {device for (device,) in db.execute(_MAY_BE_ADMINS + " SELECT device FROM vouched_for")}
    first: dict[str, tuple[int, int]] = {}  # each vouched-for member's earliest admission among these
    for e in entries:
        if e.action == ADMIT and e.author in vouched_for:
            first[e.author] = min(first.get(e.author, (e.seq, e.index)), (e.seq, e.index))
    return any(_admissions_before(db, author, seq, index) < MAX_MEMBER_ADMISSIONS
               for author, (seq, index) in first.items())


def _admissions_before(db: Database, author: str, seq: int, index: int) -> int:
    """How many admissions of `author` the log holds before (seq, index) in its chain (none set
    aside after a fork): past MAX_MEMBER_ADMISSIONS, those at and after it count nowhere, and a
    member's flood past its first admissions is stored without evaluating the log."""
    aside = (" AND NOT EXISTS (SELECT 1 FROM forks_set_aside f WHERE f.author = m.author AND m.seq >= f.seq)"
             if _has_fork_tables(db) else "")
    return db.execute(f"SELECT count(*) FROM membership_log m WHERE author = ? AND action = 'admit' "
                      f"AND (seq < ? OR (seq = ? AND idx < ?)){aside}", [author, seq, seq, index]).fetchone()[0]


class InviteUsed(ValueError):
    """An admission named an invite of this device that was used already (nothing is stored)."""


def _use_invites(db: Database, entries: list[Entry]) -> None:
    """An admission naming an invite this device made marks it used, in the same transaction:
    one code admits one device, ever. Only this device's own admissions count: another device
    naming one of our invites (their ids travel in admissions) changes nothing here."""
    own = db.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()
    for entry in entries:
        invite = entry.value.get("invite") if entry.action == ADMIT and own and entry.author == own[0] else None
        if not invite or type(invite) is not str:
            continue
        row = db.execute("SELECT used_by FROM invites WHERE id = ?", [invite]).fetchone()
        if row is None:
            continue  # another device's invite
        if row[0] and row[0] != entry.target:
            raise InviteUsed(f"invite {invite[:8]} was used already")
        db.execute("UPDATE invites SET used_by = ?, used_at = ? WHERE id = ?", [entry.target, entry.hlc, invite])


def keep_withdrawn(db: Database, batch: list[Changeset]) -> RosterUpdate | None:
    """Keep aside verified changesets a removed device wrote after its last that stays; if
    they hold membership entries, evaluate the log again (they may matter after all)."""
    db.conn.executemany(
        f"INSERT OR IGNORE INTO withdrawn_changes ({_CHANGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(cs.author, cs.seq, cs.hlc, cs.prev, cs.hash, cs.body, cs.signature) for cs in batch])
    return note_entries(db, batch)


# Kept-aside changesets holding membership entries that may count (see kept_aside_that_count).
_KEPT_ASIDE_THAT_COUNT = """
    SELECT w.author, w.seq, w.body, w.signature FROM withdrawn_changes w
    WHERE EXISTS (SELECT 1 FROM counting m WHERE m.author = w.author AND m.seq = w.seq)
    ORDER BY w.author, w.seq"""


def kept_aside_that_count(db: Database, vector: dict[str, int]) -> list[Changeset]:
    """Changesets holding membership entries that a removal took back here, beyond `vector`.

    Their entries still count when the log is evaluated (a more senior admin's entry may undo
    the removal), so they must reach every device, or two devices holding the same change log
    would evaluate different entries and disagree on who belongs. A receiver that takes the
    removal as we do keeps them aside too; one that does not, stores them.

    Only entries that can count are handed on: those of a device that may be an admin (the
    founder, or one such a device promotes), or, once such a device wrote a policy entry, a
    changeset holding an admission. Another member's entries are ignored in every evaluation, so
    a member that flooded the log before an admin took back all it wrote does not have its
    flood sent again at every conversation's start."""
    return [decode_changeset(body, sig) for author, seq, body, sig in db.execute(
        _entries_that_may_count(db) + _KEPT_ASIDE_THAT_COUNT) if seq > vector.get(author, 0)]


def load_membership(db: Database, extra: Iterable[Entry] = ()) -> Membership:
    """The membership the stored log makes (with `extra` entries, to try one out first)."""
    meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('founder', 'founder_key')").fetchall())
    entries = [Entry(a, s, h, i, action, json.loads(v)) for a, s, i, h, action, v in db.execute(
        _entries_that_may_count(db) + " SELECT author, seq, idx, hlc, action, value FROM counting")]
    if _has_fork_tables(db):  # entries in changesets set aside after a fork count nowhere
        aside = dict(db.execute("SELECT author, seq FROM forks_set_aside").fetchall())
        entries = [e for e in entries if e.author not in aside or e.seq < aside[e.author]]
    # Entries of changesets a removal withdrew stay in the log; the rules drop them.
    legacy = db.execute("SELECT device, public_key, name, admitted_by FROM legacy_roster").fetchall()
    return evaluate([*entries, *extra], meta.get("founder", ""), meta.get("founder_key", ""), legacy)


def read_roster(db: Database) -> Roster:
    keys: dict[str, str] = {}
    limits: dict[str, int] = {}
    admins: set[str] = set()
    for device, public_key, admin, kept in db.execute("SELECT id, public_key, admin, removed_kept FROM devices"):
        keys[device] = public_key
        if kept is not None:
            limits[device] = kept
        elif admin:
            admins.add(device)
    return Roster(keys, limits, frozenset(admins))


def refresh_roster(db: Database, *, again: bool = True) -> RosterUpdate:
    """Evaluate the log, write the roster, withdraw (or bring back) changesets accordingly.
    `again`: evaluate once more if keeping a fork's version brought or took membership entries."""
    before = dict(db.execute("SELECT id, removed_kept FROM devices WHERE removed_kept IS NOT NULL").fetchall())
    state = load_membership(db)
    _write_roster(db, state)
    limits = state.limits()
    touched = _withdraw_and_restore(db, state, limits)
    update = RosterUpdate(state, newly_removed=frozenset(limits.keys() - before.keys()))
    if touched:
        update.outcome = rebuild_records(db, touched)
    if _has_fork_tables(db):  # not yet while m006 runs this
        _settle_decided_forks(db, state, update, again)
    return update


def _write_roster(db: Database, state: Membership) -> None:
    ranked = sorted(state.devices.values(), key=lambda d: d.rank)
    db.execute("DELETE FROM devices")
    db.conn.executemany(
        "INSERT INTO devices (id, public_key, name, admitted_by, invite, admin, removed_kept, removed_by, "
        "removed_hlc, rank) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(d.id, d.public_key, d.name, d.admitted_by, d.invite, int(d.admin), d.removed_kept, d.removed_by,
          d.removed_hlc, rank) for rank, d in enumerate(ranked)],
    )
    db.execute("INSERT INTO meta (key, value) VALUES ('membership_removals', ?) "
               "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [str(state.removals)])


def _withdraw_and_restore(db: Database, state: Membership, limits: dict[str, int]) -> set[str]:
    """Changesets of devices the log does not admit (an admission that turned out to have no
    effect) or wrote after their removal: out. Those it admits again: back. Returns the
    records they touched."""
    touched: set[str] = set()
    for (author,) in db.execute("SELECT DISTINCT author FROM changes").fetchall():
        if author not in state.devices:
            touched |= _withdraw(db, author, 0)
        elif author in limits:
            touched |= _withdraw(db, author, limits[author])
    for (author,) in db.execute("SELECT DISTINCT author FROM withdrawn_changes").fetchall():
        if author in state.devices:
            touched |= _restore(db, author, limits.get(author))
    return touched


def _settle_decided_forks(db: Database, state: Membership, update: RosterUpdate, again: bool) -> None:
    """Walk again the authors whose kept versions the admins' choices changed; if versions
    holding membership entries came or went, evaluate the log once more (when `again`)."""
    decided = _write_fork_settlements(db, state)
    if not decided:
        return
    settled = forks.resettle(db, decided)
    _add_changes(update.outcome, settled)
    if settled.device_roster_changed and again:
        second = refresh_roster(db, again=False)
        _add_changes(update.outcome, second.outcome)
        update.membership = second.membership
        update.newly_removed |= second.newly_removed


def _add_changes(total: MergeOutcome, part: MergeOutcome) -> None:
    """What `part` changed, added to `total` (its device-roster flag is the caller's to read)."""
    total.changed.update(part.changed)
    total.kinds.update(part.kinds)
    total.minutes.update(part.minutes)
    total.conflicts.extend(part.conflicts)


def _has_fork_tables(db: Database) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'fork_settlements'").fetchone() is not None


def _write_fork_settlements(db: Database, state: Membership) -> set[str]:
    """Write the admins' choices of versions to keep; return the authors whose choices changed."""
    before = {(a, s): (h, by) for a, s, h, by in db.execute(
        "SELECT author, seq, hash, decided_by FROM fork_settlements").fetchall()}
    now = {key: (kept.hash, kept.decided_by) for key, kept in state.kept_branches.items()}
    if now == before:
        return set()
    db.execute("DELETE FROM fork_settlements")
    db.conn.executemany(
        "INSERT INTO fork_settlements (author, seq, hash, decided_by, decided_hlc) VALUES (?, ?, ?, ?, ?)",
        [(author, seq, kept.hash, kept.decided_by, kept.hlc) for (author, seq), kept in state.kept_branches.items()])
    return {author for author, _seq in before.keys() ^ now.keys()} | {
        author for (author, seq), choice in now.items() if before.get((author, seq), choice)[0] != choice[0]}


def _withdraw(db: Database, device: str, kept: int) -> set[str]:
    rows = db.execute(f"SELECT {_CHANGE_COLUMNS} FROM changes WHERE author = ? AND seq > ?", [device, kept]).fetchall()
    if not rows:
        return set()
    db.conn.executemany(f"INSERT OR IGNORE INTO withdrawn_changes ({_CHANGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        rows)
    db.execute("DELETE FROM changes WHERE author = ? AND seq > ?", [device, kept])
    db.execute("UPDATE vector SET seq = ? WHERE author = ? AND seq > ?", [kept, device, kept])
    return {op.record for row in rows for op in decode_changeset(row[5], row[6]).ops}


def _restore(db: Database, device: str, kept: int | None) -> set[str]:
    limit = kept if kept is not None else 1 << 62
    rows = db.execute(f"SELECT {_CHANGE_COLUMNS} FROM withdrawn_changes WHERE author = ? AND seq <= ? ORDER BY seq",
                      [device, limit]).fetchall()
    if not rows:
        return set()
    db.conn.executemany(f"INSERT OR IGNORE INTO changes ({_CHANGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute("DELETE FROM withdrawn_changes WHERE author = ? AND seq <= ?", [device, limit])
    top = db.execute("SELECT coalesce(seq, 0) FROM vector WHERE author = ?", [device]).fetchone()
    seq = top[0] if top else 0
    for (next_seq,) in db.execute("SELECT seq FROM changes WHERE author = ? AND seq > ? ORDER BY seq", [device, seq]):
        if next_seq != seq + 1:
            break
        seq = next_seq
    db.execute("INSERT INTO vector (author, seq) VALUES (?, ?) ON CONFLICT (author) DO UPDATE SET seq = excluded.seq",
               [device, seq])
    return {op.record for row in rows for op in decode_changeset(row[5], row[6]).ops}


def rebuild_records(db: Database, ids: set[str]) -> MergeOutcome:
    """Merge these records again from scratch, from every changeset still held: what a
    device shows that never received the withdrawn changesets. Reads the whole change log;
    removals are rare."""
    ids = {rid for rid in ids if rid}
    stored: Stored = {}
    old = load_states(db, ids, stored)
    states = {rid: RecordState(s.kind, rid, {}, {}) for rid, s in old.items()}
    batch = _held_ops_on(db, ids)
    for chunk, marks in in_chunks(sorted(ids)):
        db.execute(f"DELETE FROM conflicts WHERE record IN ({marks})", chunk)
        db.execute(f"DELETE FROM settled WHERE record IN ({marks})", chunk)
        # Minutes are a CRDT: merged again from the updates still held, or the withdrawn ones' text
        # would stay on the laptops that merged them (and on no laptop that did not).
        minutes_store.start_again(db, [row[0] for row in db.execute(
            f"SELECT event FROM minutes WHERE event IN ({marks})", chunk).fetchall()])
    outcome = merge_changesets(db, batch, (states, stored)) if batch else MergeOutcome()
    gone = [rid for rid in ids if rid in stored and not states.get(rid, RecordState("", rid, {}, {})).values]
    _delete_records(db, gone, stored)
    if erasure.any_orders(db):  # merged again from stubs: forgotten records stay blank and deleted
        erasure.scrub(db, ids & erasure.forgotten(db))
    outcome.changed |= set(old) | set(gone)
    outcome.kinds |= {s.kind for s in old.values()}
    return outcome


def _held_ops_on(db: Database, ids: set[str]) -> list[Changeset]:
    """Every changeset held (not set aside after a fork: shown nowhere until an admin keeps a
    version) cut down to its ops on these records, in the order the merge takes them."""
    aside = dict(db.execute("SELECT author, seq FROM forks_set_aside").fetchall()) if _has_fork_tables(db) else {}
    batch: list[Changeset] = []
    for author, seq, body, signature in db.execute("SELECT author, seq, body, signature FROM changes"):
        if author in aside and seq >= aside[author]:
            continue
        cs = decode_changeset(body, signature)
        ops = tuple(op for op in cs.ops if op.record in ids)
        if ops:
            batch.append(Changeset(cs.group, cs.author, cs.seq, cs.prev, cs.hlc, ops, cs.body, cs.signature, cs.hash))
    batch.sort(key=lambda cs: (cs.hlc, cs.author))
    return batch


def _delete_records(db: Database, gone: list[str], stored: Stored) -> None:
    """Records only withdrawn changesets wrote: out of the table and its search index."""
    if not gone:
        return
    upto = indexed_upto(db)
    pending = dict(db.execute("SELECT id, indexed FROM search_pending").fetchall())
    for rid in gone:
        rowid, search = stored[rid]
        indexed = pending.get(rid, search)
        if rowid <= upto and indexed:
            db.execute("INSERT INTO records_fts (records_fts, rowid, search) VALUES ('delete', ?, ?)", [rowid, indexed])
        db.execute("DELETE FROM search_pending WHERE id = ?", [rid])
        db.execute("DELETE FROM records WHERE id = ?", [rid])


def discovery_key(db: Database) -> bytes:
    """A key only current members can work out: from the hash of the founder's first
    changeset and of every changeset holding an effective removal. Changesets flow only
    between admitted devices (and their hashes cover signatures nobody else can make), so
    an outsider cannot know them, and a removed device never receives its own removal."""
    keys = discovery_keys(db, 1)
    # Joined, not synced yet: a value everyone can work out, which no member announces.
    return keys[0] if keys else hashlib.sha256(b"organiser discovery key v2").digest()


def discovery_keys(db: Database, generations: int) -> list[bytes]:
    """The discovery key now, then as it was before each of the latest removals (newest
    first, at most `generations`): a member that has not yet heard of a removal still holds
    an earlier one, and must still be able to reach the devices that would tell it."""
    founder = db.execute("SELECT value FROM meta WHERE key = 'founder'").fetchone()
    digest = hashlib.sha256(b"organiser discovery key v2")
    first = db.execute("SELECT hash FROM changes WHERE author = ? AND seq = 1", [founder[0] if founder else ""])
    row = first.fetchone()
    if row is None:  # joined, not synced yet: it knows nothing only members know
        return []
    digest.update(row[0].encode())
    keys = [digest.copy().digest()]
    for (removal,) in db.execute(
        "SELECT c.hash FROM devices d JOIN membership_log m ON m.action = 'remove' "
        "AND json_extract(m.value, '$.device') = d.id AND m.author = d.removed_by "
        "JOIN changes c ON c.author = m.author AND c.seq = m.seq "
        "WHERE d.removed_kept IS NOT NULL ORDER BY d.removed_hlc, c.hash"
    ):
        digest.update(removal.encode())
        keys.append(digest.copy().digest())
    return keys[::-1][:generations]


def entry_op(record: str, action: str, value: dict) -> Op:
    """An op carrying one membership entry (for code that builds changesets by hand)."""
    return Op(MEMBERSHIP_KIND, record, action, value)
