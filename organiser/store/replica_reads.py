"""What a replica hands out without writing: its meta values, its roster, its version vector, the changesets a peer
lacks, the hash chain's links, the state hash (`Replica` inherits these)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlite_utils import Database

from organiser.core.changeset import GENESIS, Changeset, decode_changeset
from organiser.store import late_edits, membership
from organiser.store.materialise import state_hash

VersionVector = dict[str, int]


class ReplicaReads:
    db: Database
    device_id: str
    _roster: membership.Roster | None

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def database_path(self) -> str:
        return self.db.execute("PRAGMA database_list").fetchone()[2]

    def roster(self) -> membership.Roster:
        """Who may write, as the membership log decides (cached until it changes)."""
        if self._roster is None:
            self._roster = membership.read_roster(self.db)
        return self._roster

    def split_by_membership(self, changesets: list[Changeset]) -> tuple[list[Changeset], list[Changeset]]:
        """Split off the changesets a removed device wrote after the last of its that stays."""
        limits = self.roster().limits
        if not limits:
            return changesets, []
        ready, beyond = [], []
        for cs in changesets:
            limit = limits.get(cs.author)
            (beyond if limit is not None and cs.seq > limit else ready).append(cs)
        return ready, beyond

    def _links(self, cs: Changeset) -> bool:
        """Whether a changeset fits the chain held around it: its predecessor and its follower."""
        before = GENESIS if cs.seq == 1 else self.hash_at(cs.author, cs.seq - 1)
        after = self.prev_at(cs.author, cs.seq + 1)
        return (before is None or cs.prev == before) and (after is None or after == cs.hash)

    def version_vector(self) -> VersionVector:
        """What we tell peers we hold: the unbroken runs of each author's chain, carried over the
        numbers refused here as late edits of a forgotten member (store/late_edits.py)."""
        remembered = late_edits.remembered(self.db)
        return late_edits.bridged(self.db, self.held_vector(remembered), remembered)

    def held_vector(self, remembered: dict[str, set[int]] | None = None) -> VersionVector:
        """The unbroken run of each author's chain held here, as far as peers can take it: our own
        chain up to our own late edit of a forgotten member that no order lists (store/late_edits.py)."""
        vector = {a: s for a, s in self.db.execute("SELECT author, seq FROM vector") if s > 0}
        # Local commits extend this device's own chain one by one without a vector write.
        (own,) = self.db.execute("SELECT max(seq) FROM changes WHERE author = ?", [self.device_id]).fetchone()
        if own and own > vector.get(self.device_id, 0):
            vector[self.device_id] = own
        own_late = (late_edits.remembered(self.db) if remembered is None else remembered).get(self.device_id)
        if own_late and vector.get(self.device_id, 0) >= min(own_late):
            vector[self.device_id] = min(own_late) - 1
        return vector

    def changes_since(self, vector: VersionVector, limit: int | None = None) -> list[Changeset]:
        """Changesets we hold that a peer with `vector` lacks, in per-author seq order."""
        return list(self.iter_changes_since(vector, limit))

    def iter_changes_since(self, vector: VersionVector, limit: int | None = None) -> Iterator[Changeset]:
        """Changesets a peer with `vector` lacks, then the membership entries kept aside here
        (`kept_aside_entries`): every device must evaluate the same entries."""
        sent = 0
        authors = [a for (a,) in self.db.execute("SELECT DISTINCT author FROM changes")]
        for author in sorted(authors):
            for body, sig in self.db.execute(
                "SELECT body, signature FROM changes WHERE author = ? AND seq > ? ORDER BY seq",
                [author, vector.get(author, 0)],
            ):
                if limit is not None and sent >= limit:
                    return
                sent += 1
                yield decode_changeset(body, sig)
        for cs in self.kept_aside_entries(vector):
            if limit is not None and sent >= limit:
                return
            sent += 1
            yield cs

    def kept_aside_entries(self, vector: VersionVector) -> list[Changeset]:
        """Membership entries a removal took back here that may count, beyond `vector`
        (`membership.kept_aside_that_count`)."""
        return membership.kept_aside_that_count(self.db, vector)

    def raw_changes_after(self, local_id: int, limit: int = 1000) -> list[tuple[int, bytes, bytes]]:
        """Changesets stored after a local arrival number (for live push): (id, body, sig)."""
        return list(self.db.execute(
            "SELECT id, body, signature FROM changes WHERE id > ? ORDER BY id LIMIT ?", [local_id, limit]
        ))

    def last_change_id(self) -> int:
        return self.db.execute("SELECT coalesce(max(id), 0) FROM changes").fetchone()[0]

    def hash_at(self, author: str, seq: int) -> str | None:
        row = self.db.execute("SELECT hash FROM changes WHERE author = ? AND seq = ?", [author, seq]).fetchone()
        return row[0] if row else None

    def prev_at(self, author: str, seq: int) -> str | None:
        row = self.db.execute("SELECT prev FROM changes WHERE author = ? AND seq = ?", [author, seq]).fetchone()
        return row[0] if row else None

    def state_hash(self) -> str:
        """A hash of the visible data: equal on two devices exactly when they show the same."""
        return state_hash(self.db)
