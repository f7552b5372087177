"""What this device keeps about the shared folders it syncs through (migration m012).

`folders` names each folder; `folder_files` remembers each file as last read (so a pass
decrypts only what is new or changed, and status can say what each holds or why it was
refused); `folder_keys` keeps folder keys other members sealed to this device. The keys a
member can work out itself come from the membership log (`epoch_secrets`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

APPLIED, OWN, UNREADABLE, REFUSED, PENDING, CARD, KEYS = (
    "applied", "own", "unreadable", "refused", "pending", "card", "keys")
HOLDING = (APPLIED, OWN)  # files whose changesets count as in the folder


@dataclass(frozen=True)
class FolderRow:
    path: str
    added_at: float
    next_segment: int
    last_pass_at: float | None
    last_error: str
    shared: str


@dataclass(frozen=True)
class FileRow:
    path: str
    size: int
    mtime_ns: int
    state: str
    writer: str
    covers: dict[str, list[int]]  # per author, the runs of numbers it holds: [low, high, ...] (runs)
    detail: str
    tried_with: str = ""  # for a file not usable yet: the keys and roster it was tried with


def epoch_secrets(db: Database) -> list[bytes]:
    """One secret per membership epoch, oldest first: the hash of the founder's first
    changeset, then chained with each effective removal (in the order every device sorts
    them). Empty while this device does not hold the founder's first changeset."""
    founder = db.execute("SELECT value FROM meta WHERE key = 'founder'").fetchone()
    first = db.execute("SELECT hash FROM changes WHERE author = ? AND seq = 1",
                       [founder[0] if founder else ""]).fetchone()
    if first is None:
        return []
    secret = hashlib.sha256(b"organiser folder epoch v1" + first[0].encode()).digest()
    out = [secret]
    for (removal,) in db.execute(
        "SELECT c.hash FROM devices d JOIN membership_log m ON m.action = 'remove' "
        "AND json_extract(m.value, '$.device') = d.id AND m.author = d.removed_by "
        "JOIN changes c ON c.author = m.author AND c.seq = m.seq "
        "WHERE d.removed_kept IS NOT NULL ORDER BY d.removed_hlc, c.hash"
    ):
        secret = hashlib.sha256(secret + removal.encode()).digest()
        out.append(secret)
    return out


# ---- folders ------------------------------------------------------------------------------

def add_folder(db: Database, path: str) -> None:
    with db.atomic():
        db.execute("INSERT INTO folders (path, added_at) VALUES (?, ?)", [path, time.time()])


def remove_folder(db: Database, path: str) -> None:
    with db.atomic():
        db.execute("DELETE FROM folders WHERE path = ?", [path])
        db.execute("DELETE FROM folder_files WHERE folder = ?", [path])


def folders(db: Database) -> list[FolderRow]:
    return [FolderRow(*row) for row in db.execute(
        "SELECT path, added_at, next_segment, last_pass_at, last_error, shared FROM folders ORDER BY added_at")]


def folder(db: Database, path: str) -> FolderRow | None:
    row = db.execute("SELECT path, added_at, next_segment, last_pass_at, last_error, shared FROM folders "
                     "WHERE path = ?", [path]).fetchone()
    return FolderRow(*row) if row else None


def note_pass(db: Database, path: str, error: str = "") -> None:
    with db.atomic():
        db.execute("UPDATE folders SET last_pass_at = ?, last_error = ? WHERE path = ?", [time.time(), error, path])


def set_next_segment(db: Database, path: str, number: int) -> None:
    db.execute("UPDATE folders SET next_segment = max(next_segment, ?) WHERE path = ?", [number, path])


def next_own_segment(db: Database, path: str, own: str, device: str) -> int:
    """The number after every segment this device wrote in the folder, as its database holds them:
    next_segment, and the segments it noted as its own when it wrote them (a segment read there
    that names it may be a member's, sealed under the folder key every member holds)."""
    (highest,) = db.execute(
        "SELECT max(CAST(substr(path, ?, 8) AS INTEGER)) FROM folder_files WHERE folder = ? AND path GLOB ? "
        "AND writer = ? AND state = ?", [len(own) + 2, path, f"{own}/{'[0-9]' * 8}.seg", device, OWN]).fetchone()
    row = folder(db, path)
    return max(row.next_segment if row else 1, (highest or 0) + 1)


def scanned(db: Database, path: str) -> tuple[int, dict[str, int]]:
    """The change-log arrival number up to which this device wrote what the folder lacked, and
    what the folder held then: a pass looks only at what arrived since, unless the folder lost some."""
    row = db.execute("SELECT scanned_upto, scanned_coverage FROM folders WHERE path = ?", [path]).fetchone()
    return (int(row[0]), json.loads(row[1])) if row else (0, {})


def set_scanned(db: Database, path: str, upto: int, held: dict[str, int]) -> None:
    with db.atomic():
        db.execute("UPDATE folders SET scanned_upto = ?, scanned_coverage = ? WHERE path = ?",
                   [upto, json.dumps(held, sort_keys=True), path])


def set_shared(db: Database, path: str, shared: str) -> None:
    with db.atomic():
        db.execute("UPDATE folders SET shared = ? WHERE path = ?", [shared, path])


# ---- files as last read -------------------------------------------------------------------

def files(db: Database, path: str) -> dict[str, FileRow]:
    return {row[0]: FileRow(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7])
            for row in db.execute("SELECT path, size, mtime_ns, state, writer, covers, detail, tried_with "
                                  "FROM folder_files WHERE folder = ?", [path])}


def note_file(db: Database, folder_path: str, row: FileRow) -> None:
    db.execute("INSERT OR REPLACE INTO folder_files (folder, path, size, mtime_ns, state, writer, covers, detail, "
               "tried_with) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               [folder_path, row.path, row.size, row.mtime_ns, row.state, row.writer,
                json.dumps(row.covers, sort_keys=True), row.detail, row.tried_with])


def forget_files(db: Database, folder_path: str, paths: list[str]) -> None:
    db.conn.executemany("DELETE FROM folder_files WHERE folder = ? AND path = ?", [(folder_path, p) for p in paths])


def runs(numbers: Iterable[tuple[str, int]]) -> dict[str, list[int]]:
    """Per author, the runs of consecutive numbers among these (author, seq), flat and in order:
    [low, high, low, high, ...]. What a file is noted as holding (`FileRow.covers`): never one
    span from its lowest number to its highest, which a member copying an author's first and
    latest changesets into one file would make cover every number between."""
    by_author: dict[str, set[int]] = {}
    for author, seq in numbers:
        by_author.setdefault(author, set()).add(seq)
    out: dict[str, list[int]] = {}
    for author, seqs in by_author.items():
        flat = out[author] = []
        for seq in sorted(seqs):
            if flat and flat[-1] == seq - 1:
                flat[-1] = seq
            else:
                flat += [seq, seq]
    return out


def pairs(flat: list[int]) -> Iterator[tuple[int, int]]:
    """(low, high) of each run a file's `covers` lists for an author (see `runs`)."""
    return zip(flat[::2], flat[1::2], strict=True)


def coverage(rows: Any) -> dict[str, int]:
    """Per author, the highest seq up to which the files hold every changeset (from 1)."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for row in rows:
        if row.state in HOLDING:
            for author, flat in row.covers.items():
                spans.setdefault(author, []).extend(pairs(flat))
    out: dict[str, int] = {}
    for author, ranges in spans.items():
        upto = 0
        for low, high in sorted(ranges):
            if low > upto + 1:
                break
            upto = max(upto, high)
        if upto:
            out[author] = upto
    return out


# ---- keys sealed to this device -----------------------------------------------------------

def received_keys(db: Database) -> list[bytes]:
    return [bytes(k) for (k,) in db.execute("SELECT DISTINCT key FROM folder_keys")]


def keep_keys(db: Database, sender: str, keys: dict[bytes, bytes]) -> bool:
    """Keep the keys (by id) a member's key file seals to us, in place of the ones its earlier
    file did (each file holds all the newer keys); True if any is new here."""
    held = {bytes(k) for (k,) in db.execute("SELECT key_id FROM folder_keys")}
    db.execute("DELETE FROM folder_keys WHERE sender = ?", [sender])
    db.conn.executemany("INSERT INTO folder_keys (sender, key_id, key) VALUES (?, ?, ?)",
                        [(sender, key_id, key) for key_id, key in keys.items()])
    return bool(keys.keys() - held)


# ---- invites left in folders --------------------------------------------------------------

@dataclass(frozen=True)
class FolderInvite:
    stem: str
    folder: str
    invite: str  # the id in `invites` (one-time use, expiry)
    token: bytes


def add_folder_invite(db: Database, invite: FolderInvite) -> None:
    db.execute("INSERT INTO folder_invites (stem, folder, invite, token) VALUES (?, ?, ?, ?)",
               [invite.stem, invite.folder, invite.invite, invite.token])


def folder_invites(db: Database, folder_path: str) -> list[FolderInvite]:
    return [FolderInvite(s, f, i, bytes(t)) for s, f, i, t in db.execute(
        "SELECT stem, folder, invite, token FROM folder_invites WHERE folder = ?", [folder_path])]


def drop_folder_invite(db: Database, stem: str) -> None:
    db.execute("DELETE FROM folder_invites WHERE stem = ?", [stem])


def membership_changesets(db: Database) -> list[tuple[bytes, bytes]]:
    """Every changeset holding a membership entry, as signed (what a joiner needs first)."""
    return [(bytes(b), bytes(s)) for b, s in db.execute(
        "SELECT c.body, c.signature FROM changes c WHERE EXISTS (SELECT 1 FROM membership_log m "
        "WHERE m.author = c.author AND m.seq = c.seq) ORDER BY c.id")]
