"""Erasure orders on disk, and carrying them out (docs/erasure.md; core/erasure.py).

`erasure_orders` holds the records each stored order forgets, `erasure_listed` the changesets it
lists (author, number, chain hash, stub hash). Carrying an order out rewrites every held
changeset that wrote a forgotten record as its stub, under a new arrival number (after the order,
so a laptop sent changesets in arrival order meets the order first), and scrubs the records, the
full-text index and the conflicts. All of it runs inside the caller's write transaction;
`wipe_free_pages` runs after it, to leave no old page in the file.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from typing import Any, NamedTuple

from sqlite_utils import Database

from organiser.core.changeset import Changeset, decode_changeset
from organiser.core.erasure import ERASABLE_KINDS, carries_order, orders_in, stub_hash, stub_of, touches
from organiser.core.errors import ValidationError
from organiser.store import changelog, checks, late_edits
from organiser.store.database import in_chunks
from organiser.store.materialise import MergeOutcome, flush_search_index, indexed_upto
from organiser.store.verify import Refusal

log = logging.getLogger(__name__)


def forgotten(db: Database) -> frozenset[str]:
    """Every record an order stored here forgets."""
    return frozenset(r for (r,) in db.conn.execute("SELECT DISTINCT record FROM erasure_orders"))


def listed(db: Database, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], tuple[str, set[str]]]:
    """(author, seq) -> (chain hash, stub hashes) of the changesets stored orders list among `keys`."""
    out: dict[tuple[str, int], tuple[str, set[str]]] = {}
    wanted = sorted(set(keys))
    for chunk, _marks in in_chunks(wanted):
        for author, seq, digest, stub in db.conn.execute(
            "SELECT l.author, l.seq, l.hash, l.stub_hash FROM json_each(?) j JOIN erasure_listed l "
            "ON l.author = json_extract(j.value, '$[0]') AND l.seq = json_extract(j.value, '$[1]')",
            [_json_pairs(chunk)],
        ):
            out.setdefault((author, seq), (digest, set()))[1].add(stub)
    return out


def _json_pairs(pairs: list[tuple[str, int]]) -> str:
    import orjson

    return orjson.dumps([list(p) for p in pairs]).decode()


def any_orders(db: Database) -> bool:
    return bool(db.conn.execute("SELECT EXISTS (SELECT 1 FROM erasure_orders)").fetchone()[0])


class Erasing(NamedTuple):
    """What storing a batch has to do with erasure: every forgotten record, and those its orders add."""

    gone: frozenset[str]
    newly: set[str]
    # Held changesets its orders' carrying out erased in place though no order lists them (stored
    # here before the order was heard of), as their stubs: an admin's laptop orders them.
    unlisted: list[Changeset]


def refuse_local_writes(db: Database, op_groups: Sequence[Sequence[Any]]) -> None:
    """A local edit of a forgotten record is refused (it would write the values back)."""
    if any_orders(db):
        gone = forgotten(db)
        if any(touches(ops, gone) for ops in op_groups):
            raise ValidationError("id", "this member was forgotten by the group; nothing of them can be written.")


def before_storing(db: Database, batch: list[Changeset]) -> tuple[list[Changeset], Erasing]:
    """Keep the batch's orders; the batch with what writes a forgotten record as its stub, so the
    values never reach the disk."""
    newly = note_orders(db, batch) if any(carries_order(cs.ops) for cs in batch) else set()
    gone = forgotten(db) if newly or any_orders(db) else frozenset()
    return (stubbed(batch, gone) if gone else batch), Erasing(gone, newly, [])


def after_merging(db: Database, group: str | None, batch: list[Changeset], erasing: Erasing,
                  outcome: MergeOutcome) -> bool:
    """Carry out the batch's new orders, or scrub the forgotten records its stubs merged into (a
    stub may rewrite a record's row with no value changed). True when an order was carried out:
    the file is then rebuilt after the transaction (`wipe_free_pages`)."""
    if erasing.newly:
        erasing.unlisted.extend(carry_out(db, group, erasing.gone, erasing.newly))
        outcome.changed |= erasing.newly
        outcome.kinds.add("member")
        return True
    if erasing.gone:
        scrub(db, {op[1] for cs in batch for op in cs.ops if op[1] in erasing.gone})
    return False


def vouch(db: Database, changesets: list[Changeset]) -> tuple[list[Changeset], set[tuple[str, int]]]:
    """Stubs an order stored here vouches for, made to stand for their originals in the chain
    (the hash the order lists); returns the changesets and the (author, seq) of the stubs.
    Anything else comes back as it came, to be checked by its signature (a stub no order
    vouches for fails that check)."""
    if not changesets or not any_orders(db):
        return changesets, set()
    found = listed(db, [(cs.author, cs.seq) for cs in changesets])
    if not found:
        return changesets, set()
    out: list[Changeset] = []
    vouched: set[tuple[str, int]] = set()
    for cs in changesets:
        entry = found.get((cs.author, cs.seq))
        if entry is not None and cs.hash != entry[0] and stub_hash(cs.body) in entry[1]:
            cs = Changeset(cs.group, cs.author, cs.seq, cs.prev, cs.hlc, cs.ops, cs.body, cs.signature, entry[0])
            vouched.add((cs.author, cs.seq))
        out.append(cs)
    return out, vouched


def screen(db: Database, batch: list[Changeset], vouched: Collection[tuple[str, int]], admins: Collection[str],
           now_ms: int) -> tuple[list[Changeset], list[Refusal], list[Changeset]]:
    """`checks.screen` for verified changesets, but for the stubs an order vouches for (checked so
    on the admin's laptop, before their values went); then `refusals` for all of them."""
    stubs = [cs for cs in batch if (cs.author, cs.seq) in vouched]
    good, unfit = checks.screen(db, [cs for cs in batch if (cs.author, cs.seq) not in vouched], now_ms)
    if stubs:
        good = sorted(good + stubs, key=lambda cs: (cs.author, cs.seq))
    good, refused, late = refusals(db, good, admins, vouched)
    return good, unfit + refused, late


def refusals(db: Database, batch: list[Changeset], admins: Collection[str], vouched: Collection[tuple[str, int]]
             ) -> tuple[list[Changeset], list[Refusal], list[Changeset]]:
    """Refuse orders by a device that is not an admin. Writes to forgotten records that no order
    lists (a member in bad faith writing a forgotten phone number back, or an edit made on a
    laptop that had not heard of the order) come back apart, signed originals that passed every
    other check: the caller refuses them or, on an admin's laptop, orders their stubs
    (store/late_edits.py)."""
    gone = forgotten(db) if any_orders(db) else frozenset()
    originals = listed(db, [(cs.author, cs.seq) for cs in batch]) if gone else {}
    good: list[Changeset] = []
    refused: list[Refusal] = []
    late: list[Changeset] = []
    for cs in batch:
        if carries_order(cs.ops) and (cs.author not in admins or not _only_orders(cs)):
            refused.append(Refusal(cs.author, cs.seq, "it orders a member forgotten, and only an admin may",
                                   "entries"))
        elif (gone and (cs.author, cs.seq) not in vouched and touches(cs.ops, gone)
              and originals.get((cs.author, cs.seq), ("",))[0] != cs.hash):
            late.append(cs)
        else:
            good.append(cs)
    return good, refused, late


def apply_rounds(batch: list[Changeset]) -> list[list[Changeset]]:
    """A batch holding erasure orders, in the transactions that apply it, in the batch's order
    (the order a peer stored them in): what came before an order, then the order, and so on; the
    changesets an order lists (stubs) and the writes to what it forgets last of all, once the
    orders are stored. So an order meets the entries that made its author an admin before it
    (a newcomer taking the whole log at once), and not a later demotion of its author."""
    orders = [cs for cs in batch if carries_order(cs.ops)]
    if not orders or len(orders) == len(batch):
        return [batch]
    found = [order for cs in orders for order in orders_in(cs.ops)]
    named = {(item.author, item.seq) for order in found for item in order.changesets}
    gone = {record for order in found for record in order.records}
    rounds: list[list[Changeset]] = [[]]
    ordering = False  # whether the round being filled is one of orders
    last: list[Changeset] = []
    for cs in batch:
        is_order = carries_order(cs.ops)
        if not is_order and ((cs.author, cs.seq) in named or touches(cs.ops, gone)):
            last.append(cs)
            continue
        if is_order != ordering:
            rounds.append([])
            ordering = is_order
        rounds[-1].append(cs)
    rounds.append(last)
    return [part for part in rounds if part]


def _only_orders(cs: Changeset) -> bool:
    """An order stands alone in its changeset, well formed."""
    return len(orders_in(cs.ops)) == len(cs.ops) > 0


def note_orders(db: Database, batch: Iterable[Changeset]) -> set[str]:
    """Keep the orders of stored changesets; return the records newly forgotten."""
    before = forgotten(db)
    added: set[str] = set()
    for cs in batch:
        for order in orders_in(cs.ops):
            db.conn.executemany("INSERT OR IGNORE INTO erasure_orders (author, seq, record) VALUES (?, ?, ?)",
                                [(cs.author, cs.seq, record) for record in order.records])
            db.conn.executemany("INSERT OR IGNORE INTO erasure_listed (author, seq, hash, stub_hash) "
                                "VALUES (?, ?, ?, ?)", [tuple(item) for item in order.changesets])
            added.update(order.records)
            late_edits.forget_listed(db, order.changesets)
    return added - before


def stubbed(batch: list[Changeset], gone: Collection[str]) -> list[Changeset]:
    """The batch with every changeset that writes a forgotten record as its stub (chain hash and
    signature kept): the values never reach the disk."""
    if not gone:
        return batch
    return [_stub(cs, gone) if touches(cs.ops, gone) else cs for cs in batch]


def _stub(cs: Changeset, gone: Collection[str]) -> Changeset:
    body = stub_of(cs.body, gone)
    stub = decode_changeset(body, cs.signature)
    return Changeset(cs.group, cs.author, cs.seq, cs.prev, cs.hlc, stub.ops, body, cs.signature, cs.hash)


def carry_out(db: Database, group: str | None, gone: frozenset[str], new: Collection[str]) -> list[Changeset]:
    """Rewrite every held changeset that writes a newly forgotten record as its stub, under a new
    arrival number; scrub the records. Returns the stubs no stored order lists."""
    db.conn.execute("PRAGMA secure_delete = ON")
    rewritten: list[Changeset] = []
    for local_id, held in _naming(db, new):
        stub = _stub(held, gone)
        if stub.body == held.body:
            continue
        db.conn.execute("DELETE FROM change_log WHERE id = ?", [local_id])
        db.conn.executemany(changelog.INSERT, changelog.stored_rows([stub], group))
        rewritten.append(stub)
    _stub_kept_aside(db, gone)
    scrub(db, gone)
    found = listed(db, [(cs.author, cs.seq) for cs in rewritten]) if rewritten else {}
    return [cs for cs in rewritten if found.get((cs.author, cs.seq), ("",))[0] != cs.hash]


def requeue(db: Database, group: str | None, stubs: Sequence[Changeset]) -> None:
    """Held stubs under new arrival numbers (after an order just stored that lists them), so a
    laptop sent changesets in arrival order meets the order first."""
    for cs in stubs:
        db.conn.execute("DELETE FROM change_log WHERE author = ? AND seq = ?", [cs.author, cs.seq])
        db.conn.executemany(changelog.INSERT, changelog.stored_rows([cs], group))


def _stub_kept_aside(db: Database, gone: Collection[str]) -> None:
    """What a removal took back and keeps aside (`withdrawn_changes`: few, read whole), in place as
    its stub: a removed infiltrator's writes of the member are no way round the erasure."""
    rows = db.conn.execute("SELECT author, seq, body, signature FROM withdrawn_changes").fetchall()
    for author, seq, body, signature in rows:
        held = decode_changeset(bytes(body), bytes(signature))
        if touches(held.ops, gone):
            db.conn.execute("UPDATE withdrawn_changes SET body = ? WHERE author = ? AND seq = ?",
                            [stub_of(held.body, gone), author, seq])


def _naming(db: Database, records: Collection[str]) -> list[tuple[int, Changeset]]:
    """(arrival number, changeset with its chain hash) of every held changeset that writes one of
    `records`, in arrival order: one pass over the change log's stored text, then a decode of
    each changeset whose text names one of them."""
    wanted = sorted(records)
    if not wanted:
        return []
    text = "coalesce(head, '') || coalesce(ops, '') || coalesce(CAST(body AS TEXT), '')"
    found: list[tuple[int, Changeset]] = []
    for chunk, _marks in in_chunks(wanted):
        ids = [i for (i,) in db.conn.execute(
            f"SELECT id FROM change_log WHERE {' OR '.join(f'instr({text}, ?)' for _ in chunk)}", chunk)]
        for local_id in ids:
            digest, body, signature = db.conn.execute(
                "SELECT hash, body, signature FROM changes WHERE id = ?", [local_id]).fetchone()
            cs = decode_changeset(bytes(body), bytes(signature))
            if touches(cs.ops, records):
                found.append((local_id, Changeset(cs.group, cs.author, cs.seq, cs.prev, cs.hlc, cs.ops, cs.body,
                                                  cs.signature, digest)))
    found.sort(key=lambda item: item[0])
    return found


def scrub(db: Database, records: Collection[str]) -> None:
    """Forgotten records keep their versions (merging converges) with every value null, shown as
    deleted; out of the full-text index and the conflicts."""
    if not records:
        return
    import orjson

    db.conn.execute("PRAGMA secure_delete = ON")
    flush_search_index(db)  # the index then holds exactly records.search up to `upto`
    upto = indexed_upto(db)
    for chunk, marks in in_chunks(sorted(records)):
        rows = db.conn.execute(f"SELECT rowid, id, data, search FROM records WHERE id IN ({marks}) "
                               f"AND kind IN ({', '.join('?' * len(ERASABLE_KINDS))})",
                               [*chunk, *sorted(ERASABLE_KINDS)]).fetchall()
        indexed = [(rowid, search) for rowid, _id, _data, search in rows if rowid <= upto and search]
        db.conn.executemany("INSERT INTO records_fts (records_fts, rowid, search) VALUES ('delete', ?, ?)", indexed)
        db.conn.executemany(
            "UPDATE records SET data = ?, deleted = 1, search = '' WHERE rowid = ?",
            [(orjson.dumps(dict.fromkeys(orjson.loads(data))).decode(), rowid) for rowid, _id, data, _s in rows])
        db.conn.execute(f"DELETE FROM conflicts WHERE record IN ({marks}) AND kind IN "
                        f"({', '.join('?' * len(ERASABLE_KINDS))})", [*chunk, *sorted(ERASABLE_KINDS)])
    # Deleting from FTS5 leaves the old words in the index's older segments until they merge.
    db.conn.execute("INSERT INTO records_fts (records_fts) VALUES ('optimize')")


OWED = "erasure_wipe_owed"  # meta: what of the wipe is still to do ('vacuum' or 'checkpoint')


def wipe_free_pages(db: Database) -> None:
    """After the transaction: move the write-ahead log into the file and empty it, then rebuild
    the file, so no free page or old log frame keeps an erased value. Another connection reading
    all the while (30 s) leaves the log's old frames, holding the values, in the -wal file: that
    is said in the log, and what is left is owed to the next write here (`pay_owed_wipe`)."""
    conn = db.conn
    owed = ""
    try:
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
    except Exception as exc:  # sqlite3 or sqlcipher3 OperationalError: the database is busy
        log.warning("after an erasure, the database file could not be rebuilt: %s", exc)
        owed = "vacuum"
    if not owed and not _emptied_log(conn):
        log.warning("after an erasure, another connection was still reading: the write-ahead log keeps old "
                    "pages until it can be emptied, after the next write")
        owed = "checkpoint"
    _note_owed(db, owed)


def pay_owed_wipe(db: Database) -> None:
    """After a write: finish a wipe a reader kept from finishing, without waiting for readers."""
    row = db.conn.execute("SELECT value FROM meta WHERE key = ?", [OWED]).fetchone()
    if row is None:
        return
    if row[0] == "vacuum":
        wipe_free_pages(db)
        return
    conn = db.conn
    (waits,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute("PRAGMA busy_timeout = 0")  # a reader still there: try again after the next write
    try:
        emptied = _emptied_log(conn)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(waits)}")
    if emptied:
        _note_owed(db, "")


def _emptied_log(conn: Any) -> bool:
    """Move the write-ahead log into the file and truncate it; False when a reader kept it."""
    try:
        busy, _frames, _moved = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except Exception as exc:  # the database is locked by a writer beyond the busy timeout
        log.info("the write-ahead log could not be emptied yet: %s", exc)
        return False
    return not busy


def _note_owed(db: Database, owed: str) -> None:
    if owed:
        db.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                        "value = excluded.value", [OWED, owed])
    else:
        db.conn.execute("DELETE FROM meta WHERE key = ?", [OWED])


def held_touching(db: Database, records: Collection[str]) -> list[Changeset]:
    """Held changesets that write any of `records` (with their chain hash), for an order to list."""
    return [cs for _id, cs in _naming(db, records)]
