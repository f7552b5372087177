"""One device's replica of a group: local commits, applying peers' changesets, vectors.

Every local write is one signed changeset stored in the same SQLite transaction as its
effect, so a crash leaves either both or neither. Changesets from peers are checked
(group, author in roster, signature, hash chain) before anything is stored; a refused
one is logged and the good ones around it still apply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlite_utils import Database

from organiser.core.bus import (
    ChangesetRefused,
    ChangesetsStored,
    ClockWarning,
    EventBus,
    RecordsChanged,
)
from organiser.core.changeset import GENESIS, Changeset, sign_changeset
from organiser.core.errors import OrganiserError
from organiser.core.gcpause import gc_paused
from organiser.core.hlc import HybridClock
from organiser.core.keys import load_public_key, short_id
from organiser.core.merge import RecordState
from organiser.store import changelog, checks, erasure, forks, incidents, late_edits, membership
from organiser.store.arrivals import ApplyResult, advance_vector, combined, new_ones
from organiser.store.materialise import (
    MergeOutcome,
    Stored,
    flush_search_index,
    merge_changesets,
    store_new_records,
)
from organiser.store.overwrites import Agreeing, LocalOp, read_touched, with_bases
from organiser.store.replica_reads import ReplicaReads
from organiser.store.verify import Refusal, verify_run

log = logging.getLogger(__name__)

# What a local commit reads first, in one statement: peers' clock, this device's newest
# changeset (seq, hash, clock stamp), and whether any conflict is recorded.
_HEAD = (
    "SELECT (SELECT value FROM meta WHERE key = 'hlc'), h.seq, h.hash, h.hlc, EXISTS (SELECT 1 FROM conflicts) "
    "FROM (SELECT 1) LEFT JOIN (SELECT seq, hash, hlc FROM changes WHERE author = ? ORDER BY seq DESC LIMIT 1) h"
)
# A transaction that changes this many records (a sync, an import) indexes them for search
# at once, in bulk, with the small writes noted before it; smaller ones leave it to the next search.
BULK_INDEX = 200


class _Head(NamedTuple):
    """This device's newest changeset, where its next local commit starts from."""

    data_version: int  # PRAGMA data_version when read: it changes when another connection writes
    seq: int
    prev: str  # its hash: the next changeset's `prev`
    any_conflicts: bool  # whether any conflict is recorded (then a write may settle some)


class RemovedError(OrganiserError):
    """This device was removed from its group: it can no longer write."""


class Replica(ReplicaReads):
    def __init__(
        self,
        db: Database,
        *,
        group_id: str,
        device_id: str,
        key: Ed25519PrivateKey,
        bus: EventBus | None = None,
        clock: HybridClock | None = None,
    ) -> None:
        self.db = db
        self.group_id = group_id
        self.device_id = device_id
        self._key = key
        self.bus = bus or EventBus()
        self.clock = clock or HybridClock(self._stored_clock())
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._roster: membership.Roster | None = None
        self._data_version = -1  # SQLite's count of other connections' commits, when the roster was read
        # The change log rebuilds bodies with the group the database names (store/changelog.py).
        self._log_group = group_id if self.meta("group_id") == group_id else None
        # This device's newest changeset, as this connection last wrote it; PRAGMA data_version
        # tells whether another connection has written since, and only then is it read again.
        self._head_seen: _Head | None = None
        # Stubs an erasure order vouches for, in the apply under way (store/erasure.py `vouch`).
        self._vouched: set[tuple[str, int]] = set()
        self._erased = False  # an order was carried out in the transaction under way
        # Edits of a forgotten member no order lists, in the apply under way: signed originals
        # refused, and stubs erased in place; an admin's laptop orders them (`_order_late`).
        self._late: list[Changeset] = []
        self._late_held: list[Changeset] = []
        # Change log ids (first, last) of what this connection stored in the transaction under way.
        self._log_ids: list[tuple[int, int]] = []

    # ---- meta -------------------------------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def _stored_clock(self) -> int:
        """The highest clock stamp stored: peers' (kept in meta) or this device's own last."""
        peers, _seq, _hash, own, _conflicts = self.db.conn.execute(_HEAD, [self.device_id]).fetchone()
        return max(int(peers or 0), own or 0)

    @contextmanager
    def _write(self) -> Iterator[None]:
        """A write transaction that takes the lock at once, so the CLI, `serve` and the
        app can share one database without one of them failing half-way."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    # ---- local writes -----------------------------------------------------------------

    def commit(self, ops: Sequence[LocalOp], *, fresh: Collection[str] = ()) -> Changeset:
        """Write one local transaction as one signed changeset; return it."""
        return self.commit_batch([ops], fresh=fresh)[0]

    def commit_read_under_lock(self, build: Callable[[], Sequence[Sequence[LocalOp]]]) -> list[Changeset]:
        """Commit the changesets (groups of ops) `build()` makes from what the database holds, read
        under this commit's write lock: no other connection can store anything between the reading
        and the commit (erasure orders list every changeset that wrote the member)."""
        return self._commit_batch(None, (), build)

    def commit_batch(self, op_groups: Sequence[Sequence[LocalOp]], *, fresh: Collection[str] = ()) -> list[Changeset]:
        """Write several changesets (say, one per imported record) in one SQLite transaction:
        all of them are stored, or none. `fresh`: ids the caller has just made up (a new
        record's random id), which cannot be stored yet and need not be looked up."""
        return self._commit_batch(op_groups, fresh)

    def _commit_batch(self, op_groups: Sequence[Sequence[LocalOp]] | None, fresh: Collection[str],
                      build: Callable[[], Sequence[Sequence[LocalOp]]] | None = None) -> list[Changeset]:
        if op_groups is not None and (not op_groups or not all(op_groups)):
            raise ValueError("a changeset needs at least one op")
        self._head_seen, seen = None, self._head_seen  # forgotten unless this commit is stored
        self._log_ids = []  # none left from a transaction rolled back
        with self._write():
            head = self._head(seen)
            if build is not None:
                op_groups = build()
            if not op_groups or not all(op_groups):
                raise ValueError("a changeset needs at least one op")
            erasure.refuse_local_writes(self.db, op_groups)
            touched = read_touched(self.db, op_groups, fresh, head.any_conflicts)
            batch = self._sign(op_groups, touched.states, touched.agreeing, head)
            outcome = self._store(batch, (touched.states, touched.stored), local=True,
                                  all_new=touched.all_fresh and len(batch) == 1)
            if len(outcome.changed) >= BULK_INDEX:
                flush_search_index(self.db)
        # Stored: this device's head is known until another connection writes.
        self._head_seen = head._replace(seq=batch[-1].seq, prev=batch[-1].hash)
        self._wipe_if_erased()
        self._announce(outcome, batch, "local")
        return batch

    def _wipe_if_erased(self) -> None:
        """After a transaction that carried out an erasure order: no old page keeps the values
        (or, after any other, what of that a reader kept from finishing)."""
        if self._erased:
            self._erased = False
            erasure.wipe_free_pages(self.db)
        else:
            erasure.pay_owed_wipe(self.db)

    def _head(self, seen: _Head | None) -> _Head:
        """This device's newest changeset, as this connection last wrote it, or read again when
        another connection (the CLI beside the app, the sync worker) has written since."""
        conn = self.db.conn
        data_version = conn.execute("PRAGMA data_version").fetchone()[0]
        if seen is not None and seen.data_version == data_version:
            return seen
        peers_clock, seq, prev, own_clock, any_conflicts = conn.execute(_HEAD, [self.device_id]).fetchone()
        if seq is None:
            seq, prev, own_clock = 0, GENESIS, 0
        self.clock.observe(max(int(peers_clock or 0), own_clock))
        self._roster = None  # another connection may have applied a removal of this device
        if self.device_id in self.roster().limits:
            raise RemovedError("this laptop was removed from the group; its changes are no longer accepted.")
        return _Head(data_version, seq, prev, any_conflicts)

    def _sign(self, op_groups: Sequence[Sequence[LocalOp]], states: dict[str, RecordState],
              agreeing: Agreeing, head: _Head) -> list[Changeset]:
        """One signed changeset per group of ops, chained after this device's head. Each op
        names the version it overwrites (its base): the stored one, or an earlier group's."""
        versions = {rid: dict(state.versions) for rid, state in states.items()}
        seq, prev = head.seq, head.prev
        batch: list[Changeset] = []
        last = len(op_groups) - 1
        for number, ops in enumerate(op_groups):
            full_ops = with_bases(ops, versions, agreeing)
            seq += 1
            cs = sign_changeset(self._key, self.group_id, self.device_id, seq, prev, self.clock.now(), full_ops)
            prev = cs.hash
            batch.append(cs)
            if number < last:  # later groups in the batch overwrite what this one wrote, knowingly
                for op in ops:
                    versions.setdefault(op.record, {})[op.field] = [cs.hlc, self.device_id]
        return batch

    def _store(self, batch: list[Changeset], preloaded: tuple[dict[str, RecordState], Stored] | None = None,
               *, local: bool = False, all_new: bool = False) -> MergeOutcome:
        """Store verified changesets and merge their ops (inside a write transaction).

        A local commit touches as few pages as it can, since each costs disk writes: this
        device's own entry of the version vector and its clock are read from its own newest
        changeset, not stored apart."""
        batch, erasing = erasure.before_storing(self.db, batch)
        if erasing.gone:  # stubs replaced what wrote a forgotten record: nothing preloaded holds
            preloaded, all_new = None, False
        self.db.conn.executemany(changelog.INSERT, changelog.stored_rows(batch, self._log_group))
        if batch:  # under the write lock, one insert's ids follow one another
            (last,) = self.db.conn.execute("SELECT max(id) FROM change_log").fetchone()
            self._log_ids.append((last - len(batch) + 1, last))
        # all_new: one local changeset whose records were all made up for it (see commit_batch)
        outcome = (store_new_records(self.db, batch[0]) if all_new else None) or merge_changesets(
            self.db, batch, preloaded)
        self._erased |= erasure.after_merging(self.db, self._log_group, batch, erasing, outcome)
        self._late_held.extend(erasing.unlisted)
        if not local:
            advance_vector(self.db, {cs.author for cs in batch})
        if membership.has_entries(batch):
            update = membership.note_entries(self.db, batch)
            if update is not None:
                self._roster = None
                self._keys.clear()
                outcome.take_in(update.outcome)
                outcome.device_roster_changed = True
                outcome.kinds.add("device")
                outcome.changed |= set(update.membership.devices)
        return outcome

    def _announce(self, outcome: MergeOutcome, batch: list[Changeset], origin: str,
                  publish: Callable[[object], None] | None = None) -> None:
        if outcome.device_roster_changed:
            self._keys.clear()
        if publish is None:  # published at once: events nobody listens to are not built
            bus, publish = self.bus, self.bus.publish
            wants_stored, wants_changed = bus.listens(ChangesetsStored), bus.listens(RecordsChanged)
        else:
            wants_stored = wants_changed = True
        log_ids, self._log_ids = tuple(self._log_ids), []
        if batch and wants_stored:
            publish(ChangesetsStored(len(batch), frozenset(cs.author for cs in batch), log_ids))
        if outcome.changed and wants_changed:
            publish(
                RecordsChanged(frozenset(outcome.changed), frozenset(outcome.kinds), origin)
            )

    def forget_roster(self) -> None:
        """Drop cached device keys (the roster changed through another connection)."""
        self._keys.clear()
        self._roster = None

    def forget_roster_if_written_elsewhere(self) -> None:
        """Drop the cached roster when another connection committed since it was read (the app's
        own connection admitting a device by invite, or another process such as `organiser device
        promote`): a connection that only applies what peers send, like the apply worker's, hears
        of those admissions and removals no other way. Every apply asks, under its write lock."""
        (version,) = self.db.execute("PRAGMA data_version").fetchone()
        if version != self._data_version:
            self._data_version = version
            self.forget_roster()

    def key(self) -> Ed25519PrivateKey:
        return self._key

    def roster_key(self, device: str) -> Ed25519PublicKey | None:
        """The key of a device the membership log admitted (removed ones too: their changesets
        up to the last that stays still need checking)."""
        if device in self._keys:
            return self._keys[device]
        public_hex = self.roster().keys.get(device)
        if public_hex is None and device == self.meta("founder"):
            public_hex = self.meta("founder_key")
        if public_hex is None:
            return None
        try:
            self._keys[device] = load_public_key(public_hex)
        except ValueError:  # admitted by an entry stored before such keys were refused: no key, a stranger
            log.warning("device %s was admitted with a key that is not an Ed25519 key", short_id(device))
            return None
        return self._keys[device]

    def apply(self, changesets: Iterable[Changeset], *, events: list[object] | None = None,
              source: str | Callable[[Refusal], str | None] | None = None) -> ApplyResult:
        """Check and store changesets from peers. Idempotent and order-independent.

        Events go on the bus, or, when `events` is given (applying on a worker thread), into
        that list for the caller to publish on its own thread. `source`: the peer device that
        sent them, blamed for what no author's signature vouches for (or, for a batch gathered from
        several peers, a function naming the sender of each refusal)."""
        with gc_paused():
            # Erasure orders in a transaction of their own, after what makes their authors admins
            # and before the stubs they vouch for (store/erasure.py `apply_rounds`).
            rounds = erasure.apply_rounds(list(changesets))
            result = self._apply(rounds[0], events, source)
            for part in rounds[1:]:
                result = combined(result, self._apply(part, events, source))
            return result

    def _apply(self, changesets: list[Changeset], events: list[object] | None,
               source: str | Callable[[Refusal], str | None] | None = None) -> ApplyResult:
        self._head_seen = None  # conflicts and the clock may change here
        self._log_ids = []  # none left from a transaction rolled back
        publish = events.append if events is not None else self.bus.publish
        result = ApplyResult()
        outcome = MergeOutcome()
        with self._write():
            # Checked under the write lock: a removal committed elsewhere after a look taken
            # before it (the apply worker's) would let the removed laptop's changes in.
            self.forget_roster_if_written_elsewhere()
            changesets, self._vouched = erasure.vouch(self.db, changesets)
            suspects: list[Changeset] = []
            pending = forks.refuse_set_aside(
                self.db, new_ones(self.db, self.group_id, changesets, result, suspects, self._links), result.refused)
            self._late, self._late_held = [], []
            stored, strangers = self._store_known(pending, result, outcome)
            stored.extend(self._order_late(outcome))
            result.refused.extend(
                Refusal(cs.author, cs.seq, "its author is not a laptop of this group", "stranger") for cs in strangers
            )
            self._settle_forks(suspects, pending, result, outcome)
            self._note_clocks_ahead(stored, publish)
            incidents.note_refusals(self.db, result.refused, source)
            self.set_meta("hlc", str(self.clock.last))
            if len(outcome.changed) >= BULK_INDEX:
                flush_search_index(self.db)
        self._vouched = set()
        self._wipe_if_erased()
        result.applied = len(stored)
        result.changed_records = outcome.changed
        _log_refusals(result.refused, source)
        for refusal in result.refused:
            publish(ChangesetRefused(refusal.author, refusal.seq, refusal.reason, refusal.code,
                                     incidents.blamed(refusal, source) or "", refusal.note))
        self._announce(outcome, stored, "remote", publish)
        return result

    def _store_known(self, pending: list[Changeset], result: ApplyResult,
                     outcome: MergeOutcome) -> tuple[list[Changeset], list[Changeset]]:
        """Store the changesets of devices the roster knows, round by round: devices invited in
        this very batch become known as their invites apply. Returns the changesets stored and
        those whose authors stayed unknown."""
        stored: list[Changeset] = []
        for _round in range(len(pending) + 1):
            known = {a: k for a in {cs.author for cs in pending} if (k := self.roster_key(a))}
            if not known:
                break
            stored.extend(self._store_round([cs for cs in pending if cs.author in known], known, result, outcome))
            pending = [cs for cs in pending if cs.author not in known]
        return stored, pending

    def _store_round(self, arrived: list[Changeset], known: dict[str, Ed25519PublicKey], result: ApplyResult,
                     outcome: MergeOutcome) -> list[Changeset]:
        """Check and store the changesets of authors known this round; return those stored."""
        ready, beyond = self.split_by_membership(arrived)
        # Entries kept aside may bring their author back, and with it a removal it wrote: what
        # else arrived is split again by that roster, as it would be had they come in another
        # batch (each pass moves changesets out of `ready`, so the passes are bounded).
        for _pass in range(len(arrived) + 1):
            if not beyond:
                break
            before = self.roster()
            self._keep_withdrawn(beyond, known, result, outcome)
            if self.roster() == before:
                break
            ready, beyond = self.split_by_membership(ready)
        batch = self._verified(ready, known, result.refused)
        # Checked like a person's edit once signatures vouch for who wrote them (and by the rules
        # of erasure orders: store/erasure.py).
        batch, unfit, late = erasure.screen(self.db, batch, self._vouched, self.roster().admins, self.clock.wall_ms())
        result.refused.extend(unfit)
        if late and self.device_id in self.roster().admins:
            self._late.extend(late)  # its stubs are ordered once the round is stored (`_order_late`)
        else:
            result.refused.extend(late_edits.refused(self.db, late))
        if batch:
            part = self._store(batch)
            outcome.take_in(part)
            if part.device_roster_changed:
                self._keys.clear()
        return batch

    def _order_late(self, outcome: MergeOutcome) -> list[Changeset]:
        """On an admin's laptop: edits of a forgotten member no order lists (made on laptops that
        had not heard of it), checked here as signed originals a moment ago, are listed in a
        further order, stored with their stubs after it (store/late_edits.py). Returns them."""
        late, self._late = self._late, []
        held, self._late_held = self._late_held, []
        if not (late or held):
            return []
        if self.device_id not in self.roster().admins or self.device_id in self.roster().limits:
            late_edits.set_aside(self.db, [cs for cs in held if cs.author != self.device_id])
            late_edits.remember(self.db, [cs for cs in held if cs.author == self.device_id])
            return []
        groups = late_edits.order_ops(erasure.forgotten(self.db), late, held)
        head = self._head(None)
        touched = read_touched(self.db, groups, {op.record for ops in groups for op in ops}, head.any_conflicts)
        orders = self._sign(groups, touched.states, touched.agreeing, head)
        outcome.take_in(self._store(orders, (touched.states, touched.stored), local=True))
        if late:
            outcome.take_in(self._store(late))
        erasure.requeue(self.db, self._log_group, held)
        log.info("ordered the stubs of %d late edit(s) of a forgotten member", len(late) + len(held))
        return orders + late

    def _verified(self, ready: list[Changeset], known: dict[str, Ed25519PublicKey],
                  refused: list[Refusal]) -> list[Changeset]:
        """The changesets whose signatures and hash chains hold, author by author."""
        good: list[Changeset] = []
        for author, key in known.items():
            run = [cs for cs in ready if cs.author == author]
            if run:
                verified, bad = verify_run(run, key, self, self._vouched)
                good.extend(verified)
                refused.extend(bad)
        return good

    def _settle_forks(self, suspects: list[Changeset], new: list[Changeset], result: ApplyResult,
                      outcome: MergeOutcome) -> None:
        """A second version of a held number (stored or kept aside) is a fork, if its author
        signed it; what arrived of authors that forked before, stored or kept aside after their
        removal, is walked again too (store/forks.py)."""
        arrived = forks.watched(self.db, {cs.author for cs in new}) if new else set()
        if not suspects and not arrived:
            return
        found = forks.examine(self.db, suspects, self.roster_key, result.refused, arrived)
        outcome.take_in(found)
        if found.device_roster_changed:  # set aside or kept versions held membership entries
            self.forget_roster()
            outcome.take_in(membership.refresh_roster(self.db).outcome)

    def _note_clocks_ahead(self, stored: list[Changeset], publish: Callable[[object], None]) -> None:
        """Report each stored changeset stamped far ahead of this device's clock."""
        newest = max((cs.hlc for cs in stored), default=0)
        if not newest or self.clock.observe(newest) is None:
            return  # only when the newest is far ahead, look for each one, to report them all
        for cs in stored:
            report = self.clock.observe(cs.hlc)
            if report is not None:
                incidents.note(self.db, cs.author, "clock-drift", f"clock {report.ahead_seconds:.0f} s ahead "
                               "of ours", seq=cs.seq, extra=checks.describe_ahead(report.ahead_seconds))
                publish(ClockWarning(cs.author, report.ahead_seconds))

    def _keep_withdrawn(self, beyond: list[Changeset], keys: dict[str, Ed25519PublicKey], result: ApplyResult,
                        outcome: MergeOutcome) -> None:
        """Changesets of a removed device after its last that stays are refused: not shown, not
        relayed. Those that are genuine and pass the checks any changeset passes are kept aside
        all the same, with their membership entries, because a more senior admin's entry may yet
        undo the removal and bring them back (unchecked, a malformed one would come back here,
        refused on a device that heard its author first)."""
        for author in {cs.author for cs in beyond}:
            good, bad = verify_run([cs for cs in beyond if cs.author == author], keys[author], self)
            result.refused.extend(bad)
            good, unfit = checks.screen(self.db, good, self.clock.wall_ms())
            result.refused.extend(unfit)
            if erasure.any_orders(self.db):  # kept aside as its stub: a forgotten member's values stay off the disk
                good = erasure.stubbed(good, erasure.forgotten(self.db))
            update = membership.keep_withdrawn(self.db, good)
            if update is not None:
                self._roster = None
                self._keys.clear()
                outcome.take_in(update.outcome)
            # Those their own entries brought back (a more senior admin's removal of the remover
            # among them) are stored, not refused: no incident against a device still a member.
            limit = self.roster().limits.get(author)
            result.refused.extend(Refusal(cs.author, cs.seq, "its author was removed from the group", "removed")
                                  for cs in good if limit is not None and cs.seq > limit)


def _log_refusals(refused: list[Refusal], source: str | Callable[[Refusal], str | None] | None) -> None:
    """One line per batch: a peer sending thousands must not flood the log."""
    if refused:
        first = refused[0]
        log.warning("refused %d changeset(s)%s, e.g. %s#%s: %s", len(refused),
                    f" sent by {short_id(source)}" if isinstance(source, str) else "", short_id(first.author),
                    first.seq, first.reason)

