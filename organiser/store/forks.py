"""Equivocation: two validly signed changesets with the same author and number.

Honest software never signs two; a modified app or a copied key can, and devices holding
different versions would never agree again. So a second version is kept as proof in
`forks`, the first staying where it is held: in `changes`, or in `withdrawn_changes` when it
came after its author's removal and is kept aside (a fork wherever its versions are held).
The proof is passed on to every peer with the version held (`proofs_after`), and every
device walks that author's versions (core/forks.py): from an undecided fork on, its
changesets are set aside (not shown, later ones refused) until an admin keeps one version
(a signed membership `keep` entry, evaluated into `fork_settlements`). Then the kept branch
is in `changes` and shown (or kept aside, past its author's removal), and the other branch
is in `forks`, kept as proof. What is shown depends only on the versions held and the
decisions, so state hashes agree (`resettle` rebuilds the records the versions touched from
the change log).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlite_utils import Database

from organiser.core.changeset import GENESIS, Changeset, decode_changeset, verify_signature
from organiser.core.forks import Version, follow
from organiser.core.membership import MEMBERSHIP_KIND
from organiser.store import erasure, incidents
from organiser.store.database import in_chunks
from organiser.store.materialise import MergeOutcome, indexed_upto, merge_changesets, reindex_members
from organiser.store.verify import Refusal


def set_aside(db: Database) -> dict[str, int]:
    """author -> the first sequence number set aside (an undecided fork)."""
    return dict(db.execute("SELECT author, seq FROM forks_set_aside").fetchall())


# Versions of one number kept besides the one held: two versions prove a fork. A member signing
# hundreds of one number had every laptop keep them all (each decoding all before it) and send
# them all again at every conversation.
PROOFS_PER_NUMBER = 2


def keep_proof(db: Database, cs: Changeset) -> bool:
    """Store a second version of a held (author, seq) as proof; True when it is new here (false too
    once PROOFS_PER_NUMBER versions of that number are kept)."""
    cursor = db.conn.execute(
        "INSERT OR IGNORE INTO forks (author, seq, hash, body, signature, found_at) SELECT ?, ?, ?, ?, ?, ? "
        "WHERE (SELECT count(*) FROM forks WHERE author = ? AND seq = ?) < ?",
        [cs.author, cs.seq, cs.hash, cs.body, cs.signature, _now(), cs.author, cs.seq, PROOFS_PER_NUMBER],
    )
    return cursor.rowcount > 0


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def proofs_after(db: Database, after: int) -> tuple[int, list[tuple[bytes, bytes]]]:
    """Proofs stored after a local number, each with the version held (stored or kept aside),
    as (body, signature) pairs to send: whoever receives both sees the fork for itself."""
    out: list[tuple[bytes, bytes]] = []
    top = after
    for fork_id, author, seq, body, signature in db.execute(
        "SELECT id, author, seq, body, signature FROM forks WHERE id > ? ORDER BY id", [after]
    ).fetchall():
        top = fork_id
        held = _held(db, "body, signature", author, seq)
        if held is not None:
            out.append((held[0], held[1]))
        out.append((body, signature))
    return top, out


def resettle(db: Database, authors: Iterable[str]) -> MergeOutcome:
    """Walk these authors' versions again (core/forks.py, inside the caller's transaction), after
    a new proof or an admin's decision: the version chosen at each number goes into `changes`,
    the others (and a branch not kept) into `forks`, kept as proof; the records any of their
    versions touched are rebuilt from every changeset held that is not set aside."""
    affected: set[str] = set()
    entries_moved = False
    for author in sorted(set(authors)):
        records, moved = _walk(db, author)
        affected |= records
        entries_moved |= moved
    outcome = _rebuild(db, affected, set_aside(db)) if affected else MergeOutcome()
    # Membership entries count only from versions shown: the caller evaluates the log again.
    outcome.device_roster_changed |= entries_moved
    return outcome


class _Versions(NamedTuple):
    """An author's versions from its first fork on, and the admins' choices among them."""

    start: int  # the first number forked or decided
    held: dict[int, Changeset]  # seq -> the version in `changes`
    others: dict[str, Changeset]  # hash -> a version kept as proof in `forks`
    kept: dict[int, str]  # seq -> the hash an admin chose to keep

    def all(self) -> list[Changeset]:
        return [*self.held.values(), *self.others.values()]


def _walk(db: Database, author: str) -> tuple[set[str], bool]:
    """Settle one author; return the records its versions from the first fork on touched, if
    anything moved or its set-aside changed (else nothing needs rebuilding), and whether
    membership entries were among them."""
    versions = _versions_of(db, author)
    aside_before = set_aside(db).get(author)
    db.execute("DELETE FROM forks_set_aside WHERE author = ?", [author])
    if versions is None:
        return set(), False
    before = GENESIS if versions.start == 1 else _hash_at(db, author, versions.start - 1)
    walk = follow([Version(cs.seq, cs.hash, cs.prev) for cs in versions.all()], versions.kept, before)
    moved = _move_chosen(db, walk.chosen, versions.held, versions.others)
    if walk.ended_at is not None:
        moved = _retire_from(db, walk.ended_at, versions.held) or moved
    if walk.aside_from is not None:
        db.execute("INSERT INTO forks_set_aside (author, seq) VALUES (?, ?)", [author, walk.aside_from])
    if moved:
        _recount_vector(db, author, versions.start)
    if not moved and aside_before == walk.aside_from:
        return set(), False
    return _touched_by(versions.all())


def _held(db: Database, columns: str, author: str, seq: int) -> tuple | None:
    """These columns of the version of (author, seq) held: stored, or kept aside past its
    author's removal (`withdrawn_changes`, store/membership.py)."""
    for table in ("changes", "withdrawn_changes"):
        row = db.execute(f"SELECT {columns} FROM {table} WHERE author = ? AND seq = ?", [author, seq]).fetchone()
        if row is not None:
            return tuple(row)
    return None


def _versions_of(db: Database, author: str) -> _Versions | None:
    """None when the author has no fork held and no choice made. The versions held are those
    stored and those kept aside past the author's removal: a fork is a fork wherever it is held."""
    kept = dict(db.execute("SELECT seq, hash FROM fork_settlements WHERE author = ?", [author]).fetchall())
    proofs = [seq for (seq,) in db.execute("SELECT seq FROM forks WHERE author = ?", [author])]
    if not proofs and not kept:
        return None
    start = min([*proofs, *kept])
    held = {cs.seq: cs for cs in _decoded(db, "withdrawn_changes", author, start)}
    held.update((cs.seq, cs) for cs in _decoded(db, "changes", author, start))
    return _Versions(start, held,
                     {cs.hash: cs for cs in _decoded(db, "forks", author, start)}, kept)


def _move_chosen(db: Database, chosen: dict[int, str], held: dict[int, Changeset],
                 others: dict[str, Changeset]) -> bool:
    """Put the version chosen at each number into `changes`, the one held there before into
    `forks`; return whether any moved."""
    moved = False
    for seq, digest in chosen.items():
        here = held.get(seq)
        if here is not None and here.hash == digest:
            if digest in others:  # the same version came again as a proof: one copy is enough
                db.execute("DELETE FROM forks WHERE hash = ?", [digest])
            continue
        if here is not None:
            _to_proofs(db, here)
        _to_changes(db, others[digest])
        moved = True
    return moved


def _retire_from(db: Database, ended_at: int, held: dict[int, Changeset]) -> bool:
    """Versions held from where the kept branch ends go to `forks`; return whether any did."""
    retired = [cs for seq, cs in held.items() if seq >= ended_at]
    for cs in retired:
        _to_proofs(db, cs)
    return bool(retired)


def _touched_by(versions: list[Changeset]) -> tuple[set[str], bool]:
    """The records these versions write, and whether membership entries are among them."""
    ops = [op for cs in versions for op in cs.ops]
    return {op.record for op in ops}, any(op.kind == MEMBERSHIP_KIND for op in ops)


def _decoded(db: Database, table: str, author: str, start: int) -> list[Changeset]:
    return [decode_changeset(body, signature) for body, signature in db.execute(
        f"SELECT body, signature FROM {table} WHERE author = ? AND seq >= ?", [author, start]).fetchall()]


def _hash_at(db: Database, author: str, seq: int) -> str | None:
    row = _held(db, "hash", author, seq)
    return row[0] if row else None


def _to_proofs(db: Database, cs: Changeset) -> None:
    for table in ("changes", "withdrawn_changes"):  # stored, or kept aside past its author's removal
        db.execute(f"DELETE FROM {table} WHERE author = ? AND seq = ? AND hash = ?", [cs.author, cs.seq, cs.hash])
    db.execute("DELETE FROM membership_log WHERE author = ? AND seq = ?", [cs.author, cs.seq])
    db.conn.execute(
        "INSERT OR IGNORE INTO forks (author, seq, hash, body, signature, found_at) VALUES (?, ?, ?, ?, ?, ?)",
        [cs.author, cs.seq, cs.hash, cs.body, cs.signature, _now()])


def _to_changes(db: Database, cs: Changeset) -> None:
    """The chosen version into `changes`, or kept aside when it comes after its author's removal
    (the roster evaluated next brings it back, should the removal not stand)."""
    db.execute("DELETE FROM forks WHERE hash = ?", [cs.hash])
    removed = db.execute("SELECT removed_kept FROM devices WHERE id = ?", [cs.author]).fetchone()
    table = "withdrawn_changes" if removed is not None and removed[0] is not None and cs.seq > removed[0] else "changes"
    db.conn.execute(f"INSERT INTO {table} (author, seq, hlc, prev, hash, body, signature) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [cs.author, cs.seq, cs.hlc, cs.prev, cs.hash, cs.body, cs.signature])
    db.execute("DELETE FROM membership_log WHERE author = ? AND seq = ?", [cs.author, cs.seq])
    db.conn.executemany(  # the kept version's entries replace the other's (store/membership.py)
        "INSERT INTO membership_log (author, seq, idx, hlc, action, value) VALUES (?, ?, ?, ?, ?, ?)",
        [(cs.author, cs.seq, index, cs.hlc, op.field, json.dumps(op.value, sort_keys=True))
         for index, op in enumerate(cs.ops) if op.kind == MEMBERSHIP_KIND and type(op.value) is dict])


def _recount_vector(db: Database, author: str, start: int) -> None:
    """The author's highest contiguous number held, after versions moved in or out from `start`."""
    row = db.execute("SELECT seq FROM vector WHERE author = ?", [author]).fetchone()
    top = min(row[0] if row else 0, start - 1)
    for (seq,) in db.execute("SELECT seq FROM changes WHERE author = ? AND seq > ? ORDER BY seq", [author, top]):
        if seq != top + 1:
            break
        top = seq
    db.execute("INSERT INTO vector (author, seq) VALUES (?, ?) ON CONFLICT (author) DO UPDATE SET seq = excluded.seq",
               [author, top])


def _rebuild(db: Database, affected: set[str], aside: dict[str, int]) -> MergeOutcome:
    if not affected:
        return MergeOutcome()
    keep = _changesets_naming(db, affected, aside)
    members = _forget(db, affected)
    outcome = merge_changesets(db, keep)
    if erasure.any_orders(db):  # merged again from stubs: forgotten records stay blank and deleted
        erasure.scrub(db, affected & erasure.forgotten(db))
    gone = affected - {op.record for cs in keep for op in cs.ops}
    if members - gone:
        reindex_members(db, members - gone)
    outcome.changed |= affected
    return outcome


def _changesets_naming(db: Database, records: set[str], aside: dict[str, int]) -> list[Changeset]:
    """Changesets held and not set aside whose bodies name any of these records (a cheap
    search for the id in the body; the merge then takes only their ops on these records)."""
    needles = [rid.encode() for rid in records]
    return [decode_changeset(body, signature)
            for author, seq, body, signature in db.execute("SELECT author, seq, body, signature FROM changes")
            if not (author in aside and seq >= aside[author]) and any(needle in body for needle in needles)]


def _forget(db: Database, records: Iterable[str]) -> set[str]:
    """Delete the records, their conflicts and settled versions, and their full-text entries;
    return the members whose roles or skills were among them."""
    members: set[str] = set()
    upto = indexed_upto(db)
    for chunk, marks in in_chunks(sorted(records)):
        members |= _unindex(db, chunk, marks, upto)
        for table in ("records", "search_pending"):
            db.conn.execute(f"DELETE FROM {table} WHERE id IN ({marks})", chunk)
        for table in ("conflicts", "settled"):
            db.conn.execute(f"DELETE FROM {table} WHERE record IN ({marks})", chunk)
    return members


def _unindex(db: Database, chunk: list[str], marks: str, upto: int) -> set[str]:
    """Take these records out of the full-text index (those it holds, with the text it holds);
    return the members whose roles or skills were among them."""
    rows = db.execute(
        f"SELECT r.rowid, r.kind, r.link1, coalesce(p.indexed, r.search) FROM records r "
        f"LEFT JOIN search_pending p ON p.id = r.id WHERE r.id IN ({marks})", chunk).fetchall()
    db.conn.executemany("INSERT INTO records_fts (records_fts, rowid, search) VALUES ('delete', ?, ?)",
                        [(rowid, text) for rowid, _kind, _link, text in rows if rowid <= upto and text])
    return {link for _rowid, kind, link, _text in rows if kind in ("member_role", "member_skill") and link}


def refuse_set_aside(db: Database, pending: list[Changeset], refused: list[Refusal]) -> list[Changeset]:
    """Changesets of set-aside authors from their fork on are refused (not stored)."""
    aside = set_aside(db)
    if not aside:
        return pending
    keep: list[Changeset] = []
    for cs in pending:
        first = aside.get(cs.author)
        if first is not None and cs.seq >= first:
            refused.append(Refusal(cs.author, cs.seq, f"its author signed two different changesets numbered {first}; "
                                   "its changesets from then on are set aside", "set-aside"))
        else:
            keep.append(cs)
    return keep


def watched(db: Database, authors: set[str]) -> set[str]:
    """Those of these authors that forked (proofs held, or an admin's choice): what arrives of
    theirs must be walked again, since it may belong to a branch that was not kept."""
    if not authors:
        return set()
    known = {a for (a,) in db.execute("SELECT author FROM forks UNION SELECT author FROM fork_settlements")}
    return authors & known


def examine(db: Database, suspects: list[Changeset], key_of: Callable[[str], Ed25519PublicKey | None],
            refused: list[Refusal], arrived: AbstractSet[str] = frozenset()) -> MergeOutcome:
    """Second versions of numbers held: a fork when its author signed it. Keeps the proof,
    counts the incident, and settles the author again (and `arrived`, forked authors some of
    whose changesets were just stored: out of order, they may follow a version not kept);
    returns what changed."""
    forked: set[str] = set(arrived)
    for cs in suspects:
        key = key_of(cs.author)
        if key is None:
            refused.append(Refusal(cs.author, cs.seq, "its author is not a laptop of this group", "stranger"))
            continue
        if not verify_signature(key, cs):
            refused.append(Refusal(cs.author, cs.seq, "its signature does not match its author's key", "signature"))
            continue
        held = _held(db, "hash, prev", cs.author, cs.seq)
        if held is None or held[0] == cs.hash:
            continue  # the other version was not stored after all: this one comes again later
        if keep_proof(db, cs):
            forked.add(cs.author)
            if held[1] == cs.prev:  # two versions after one history: where the author forked
                incidents.note(db, cs.author, "fork", f"it signed two different changesets numbered {cs.seq}",
                               seq=cs.seq)
    return resettle(db, forked) if forked else MergeOutcome()


def heads(db: Database, vector: dict[str, int]) -> dict[str, str]:
    """author -> hash of the changeset at the top of its contiguous run (what `vector` says
    we hold). Swapped at HELLO: two devices holding different versions of one number would
    otherwise never send each other either, since both vectors say they hold it."""
    out: dict[str, str] = {}
    for author, seq in vector.items():
        row = db.execute("SELECT hash FROM changes WHERE author = ? AND seq = ?", [author, seq]).fetchone()
        if row is not None:
            out[author] = row[0]
    return out


def differing_heads(db: Database, peer_vector: dict[str, int], peer_heads: dict[str, str],
                    ours: dict[str, int] | None = None) -> dict[str, int]:
    """author -> the number at which the peer holds another version than ours (a fork to fetch).

    Only authors in our own version vector `ours` can differ (of the others we hold nothing),
    and those are looked up in one query: a HELLO naming 100,000 made-up devices costs no more
    SQL than one naming ours. A sync session passes its vector; without one, it is read here."""
    if ours is None:
        ours = dict(db.execute("SELECT author, max(seq) FROM changes GROUP BY author").fetchall())
    wanted = {author: peer_vector[author] for author in ours
              if author in peer_heads and peer_vector.get(author, 0) > 0}
    if not wanted:
        return {}
    rows = db.execute(
        "SELECT c.author, c.seq, c.hash FROM json_each(?) w JOIN changes c ON c.author = w.key AND c.seq = w.value",
        [json.dumps(wanted)]).fetchall()
    return {author: seq for author, seq, digest in rows if digest != peer_heads[author]}
