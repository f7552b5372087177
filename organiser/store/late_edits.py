"""Edits of a forgotten member made on a laptop that had not heard of the order yet (docs/erasure.md).

Such an edit is listed by no order, so every laptop that heard of the order refuses it; its
author erases it in place when it hears, and nobody else ever holds that number of its chain.
Each author's later changesets were then sent again at every sync, for ever: the version vector
counts only an unbroken run.

- An admin's laptop holds the signed original for a moment, when it refuses the edit (or when it
  erases in place an edit it had stored before hearing of the order): it lists the edit's stub in
  a further order of its own, and stores the stub after it. Every laptop that hears the order
  then takes the stub, and the gap is filled everywhere.
- Any other laptop remembers the refused number, with the hash its signature vouched for
  (`erasure_refused`, migration m027): the vector it tells peers counts the number as held, so
  they stop sending it and what follows it, until an order lists it (then it is forgotten and
  asked for again, and comes as the stub that order vouches for). It remembers so, too, another
  laptop's late edit it had stored and erased in place (`set_aside`), and its own (kept: its chain
  must stay whole), which no peer can take: acknowledgements are not waited for beyond it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlite_utils import Database

from organiser.core.changeset import Changeset
from organiser.core.erasure import (
    ERASABLE_KINDS,
    ERASURE_KIND,
    MAX_LISTED,
    MAX_RECORDS,
    ORDER_FIELD,
    Listed,
    Order,
    stub_hash,
    stub_of,
)
from organiser.core.records import new_id
from organiser.store.overwrites import LocalOp
from organiser.store.verify import Refusal

REFUSED = "it writes a member the group has forgotten"


def order_ops(gone: frozenset[str], late: Sequence[Changeset], held: Sequence[Changeset]) -> list[list[LocalOp]]:
    """The further orders (one changeset each) listing the stubs of `late`, signed originals
    this admin's laptop checked a moment ago, and `held`, stubs it erased in place from originals
    it had stored; each writes a forgotten record. An order names forgotten records only."""
    listed = [Listed(cs.author, cs.seq, cs.hash, stub_hash(stub_of(cs.body, gone))) for cs in late]
    listed += [Listed(cs.author, cs.seq, cs.hash, stub_hash(cs.body)) for cs in held]
    written = sorted({op[1] for cs in (*late, *held) for op in cs.ops if op[1] in gone and op[0] in ERASABLE_KINDS})
    # Already forgotten here: naming them forgets nothing new. Only a laptop that hears this order
    # before the first one learns from it that they are forgotten (the first then names the rest).
    records = tuple(written[:MAX_RECORDS])
    return [[LocalOp(ERASURE_KIND, new_id(), ORDER_FIELD, Order(records, tuple(listed[i:i + MAX_LISTED])).to_value())]
            for i in range(0, len(listed), MAX_LISTED)]


def refused(db: Database, late: Sequence[Changeset]) -> list[Refusal]:
    """A laptop that is no admin's refuses them, and remembers each number with the hash its
    author's signature vouched for: its vector counts them as held (`bridged`)."""
    remember(db, late)
    return [Refusal(cs.author, cs.seq, REFUSED, "value") for cs in late]


def remember(db: Database, changesets: Sequence[Changeset]) -> None:
    db.conn.executemany("INSERT OR IGNORE INTO erasure_refused (author, seq, hash) VALUES (?, ?, ?)",
                        [(cs.author, cs.seq, cs.hash) for cs in changesets])


def remembered(db: Database) -> dict[str, set[int]]:
    """author -> the numbers of its chain refused here as late edits no order lists yet (our own
    among them: erased in place here, and no peer can take their stubs)."""
    gaps: dict[str, set[int]] = {}
    for author, seq in db.conn.execute("SELECT author, seq FROM erasure_refused"):
        gaps.setdefault(author, set()).add(seq)
    return gaps


def set_aside(db: Database, stubs: Sequence[Changeset]) -> None:
    """A laptop that is no admin's erased in place other laptops' edits it had stored before
    hearing of the order, which no order lists: no other laptop can check those stubs (their
    signatures are the originals'), and sent on they were refused as forgeries of this laptop. They
    leave the change log and are remembered as refused, with the hash the originals' signatures
    vouched for. Never this laptop's own: its next changeset would take that number again."""
    for cs in stubs:
        db.conn.execute("DELETE FROM change_log WHERE author = ? AND seq = ?", [cs.author, cs.seq])
        db.conn.execute("UPDATE vector SET seq = ? WHERE author = ? AND seq >= ?", [cs.seq - 1, cs.author, cs.seq])
    remember(db, stubs)


def forget_listed(db: Database, listed: Iterable[Listed]) -> None:
    """Numbers an order now lists are asked for again: they come as the stubs it vouches for."""
    db.conn.executemany("DELETE FROM erasure_refused WHERE author = ? AND seq = ?",
                        [(item.author, item.seq) for item in listed])


def bridged(db: Database, vector: dict[str, int], gaps: dict[str, set[int]]) -> dict[str, int]:
    """The vector with each author's run carried over the numbers refused here as late edits
    (`remembered`): peers stop sending them and what follows them at every sync."""
    for author, refused_seqs in gaps.items():
        top = vector.get(author, 0)
        if top + 1 not in refused_seqs:
            continue
        held = {seq for (seq,) in db.conn.execute("SELECT seq FROM changes WHERE author = ? AND seq > ?",
                                                  [author, top])}
        while top + 1 in refused_seqs or top + 1 in held:
            top += 1
        vector[author] = top
    return vector


def create(db: Database) -> None:
    """Migration m027's table."""
    db.conn.execute("CREATE TABLE erasure_refused (author TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL, "
                    "PRIMARY KEY (author, seq)) WITHOUT ROWID")
