"""One pass over a shared folder: read what other devices left, write what the folder lacks.

What is read is peer input: each segment must authenticate under a folder key, parse whole,
and come from the device whose folder it sits in; its changesets then go through the same
checks as a LAN peer's (`Replica.apply`: membership, signatures, hash chains, screen()).
A file that fails any of that is refused whole and reported, never applied in part.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from organiser.core.changeset import Changeset
from organiser.folder import crypto, layout
from organiser.folder.segments import (
    SEGMENT_BYTES,
    SEGMENT_CHANGESETS,
    BadSegment,
    SegmentInfo,
    decode_segment,
    encode_segment,
)
from organiser.services.folder_admissions import admit_requests
from organiser.services.folder_cards import CardsAndKeys, Keyring
from organiser.services.folder_trouble import check_not_left_behind, collapse_foreign
from organiser.store import folders as store
from organiser.store import incidents
from organiser.store.membership import kept_aside_that_count
from organiser.store.replica import Replica
from organiser.store.verify import Refusal
from organiser.sync.outbox import missing

log = logging.getLogger(__name__)

APPLY_BATCH = 20000  # changesets applied in one transaction while reading
# Files a pass could not use yet are read again only once the keys or roster they were tried with
# changed: one sealed with a key we lack, a card of a device not admitted here, a segment from one.
_NOT_YET = (store.UNREADABLE, store.REFUSED, store.PENDING)


@dataclass
class PassReport:
    folder: str
    written: int = 0  # changesets written to this device's segments
    segments_written: int = 0
    read: int = 0  # changesets read from others' segments
    applied: int = 0
    refused: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)  # files ignored or refused now

    def to_json(self) -> dict[str, Any]:
        return {"folder": self.folder, "written": self.written, "segments_written": self.segments_written,
                "read": self.read, "applied": self.applied, "refused": self.refused, "problems": self.problems}


# A segment read: the file, its writer, whether the writer's signature vouches for it, its changesets.
_Opened = tuple[layout.FileEntry, str, bool, list[Changeset]]


@dataclass
class _Segment:
    """The segment this device is filling: its number and the changesets gathered so far."""

    number: int
    rows: list[tuple[str, int, bytes, bytes]] = field(default_factory=list)
    size: int = 0


class FolderPass(CardsAndKeys):
    def __init__(self, replica: Replica, folder: str, events: list[object] | None = None) -> None:
        self.replica = replica
        self.db = replica.db
        self.folder = folder
        self.root = Path(folder)
        self.events = events
        self.report = PassReport(folder)
        self.exchange = crypto.exchange_key(replica.key())
        self._listing = layout.Listing()
        self._trying = ""  # what files not usable yet are tried with in this pass (_tried_with)
        self.read_done = False  # every file was read: trouble from now on is in writing
        self._cut_short: list[layout.FileEntry] = []  # own segments that no longer open under a key held

    # ---- the pass ---------------------------------------------------------------------------

    def run(self) -> PassReport:
        if not self.root.is_dir():
            raise FileNotFoundError(errno.ENOENT, "it is not there: unplugged or moved?", self.folder)
        listing = self._listing = layout.list_folder(self.root)
        known = store.files(self.db, self.folder)
        check_not_left_behind(self.root, known, listing)  # before anything is forgotten, deleted or written
        # Answers to this device's invites, admitted before writing; used and expired invites'
        # files deleted (not while a stick is out: its invite would be forgotten, its files kept).
        if admit_requests(self.replica, self.folder):
            known = store.files(self.db, self.folder)
        keys = Keyring(self.replica)
        self.report.problems += [{"path": p, "why": why} for p, why in listing.ignored]
        known = self._forget_deleted(known)
        self._trying = self._tried_with(keys)
        if self._read_keys(listing, known, keys):
            keys = Keyring(self.replica)
            self._trying = self._tried_with(keys)
        self._read_cards(listing, known, keys)
        self._read_segments(listing, known, keys)
        self._read_cards_of_newcomers(listing, keys)
        self.read_done = True
        self._write_own(listing, Keyring(self.replica))  # a removal just read starts a new epoch
        self.report.problems = collapse_foreign(self.report.problems)
        return self.report

    def _read_cards_of_newcomers(self, listing: layout.Listing, keys: Keyring) -> None:
        """Cards refused in this pass because their device's admission was read after them
        (segments come after cards) are read again now, not said 'not signed' until the next pass."""
        trying = self._tried_with(keys)
        if trying == self._trying:
            return
        self._trying = trying
        cards = {entry.path for entry in listing.cards.values()}
        self.report.problems = [p for p in self.report.problems if p["path"] not in cards]
        self._read_cards(listing, store.files(self.db, self.folder), keys)

    def _tried_with(self, keys: Keyring) -> str:
        """What a file that could not be used yet was tried with: the keys held and the roster.
        Read before the segments are: an admission applied during the pass changes it for the next."""
        roster = self.db.execute("SELECT id, removed_kept FROM devices ORDER BY id").fetchall()
        return hashlib.sha256(b"".join(sorted(keys.by_id)) + orjson.dumps(roster)).hexdigest()[:32]

    def _forget_deleted(self, known: dict[str, store.FileRow]) -> dict[str, store.FileRow]:
        """Files deleted from the folder since the last pass are forgotten (and said); the rest stay known."""
        gone = [p for p in known if not (self.root / p).exists()]
        if not gone:
            return known
        with self.db.atomic():
            store.forget_files(self.db, self.folder, gone)
        self.report.problems += [{"path": p, "why": "deleted from the folder"} for p in gone]
        return {p: r for p, r in known.items() if p not in gone}

    def _write_own(self, listing: layout.Listing, keys: Keyring) -> None:
        """This device's new segments, its card and, after a removal, the newer keys: if it may write."""
        if keys.newest is None or keys.names is None or not self._may_write():
            return
        own = crypto.device_folder_name(keys.names, self.replica.device_id)
        try:
            layout.check_device_folder(self.root / own)  # said at every pass, even with nothing to write
            self._write_segments(own, keys.newest)
            self._delete_cut_short()
            stale = layout.remove_stale_temps(self.root / own)
            if stale:
                log.info("deleted this device's half-written files left by a write cut off: %s", ", ".join(stale))
            self._write_card(own, keys.newest, listing)
            self._share_keys(own, keys)
        except layout.Unwritable as exc:  # something not ours where we write, or no segment number left
            self._problem(exc.where or f"{own}/", exc.why)

    def _delete_cut_short(self) -> None:
        """This device's own segments cut short (a stick pulled out while one was written): what
        they held was just written again, so they go, unless changed since they were read.
        Only their writer deletes them; one under a key this device lacks is never touched."""
        gone = []
        for entry in self._cut_short:
            try:
                st = os.lstat(self.root / entry.path)
                if (st.st_size, st.st_mtime_ns) == (entry.size, entry.mtime_ns):
                    os.unlink(self.root / entry.path)
                    gone.append(entry.path)
            except FileNotFoundError:
                gone.append(entry.path)
        if not gone:
            return
        with self.db.atomic():
            store.forget_files(self.db, self.folder, gone)
        log.info("deleted this device's segments cut short, written again: %s", ", ".join(gone))
        self.report.problems = [p for p in self.report.problems if p["path"] not in gone]

    def _own(self, keys: Keyring) -> str:
        return crypto.device_folder_name(keys.names, self.replica.device_id) if keys.names else ""

    def _may_write(self) -> bool:
        roster = self.replica.roster()
        me = self.replica.device_id
        return roster.admitted(me) and me not in roster.limits

    def _changed(self, entry: layout.FileEntry, known: dict[str, store.FileRow]) -> bool:
        """New or changed since last read, or not usable then and tried with other keys or roster."""
        row = known.get(entry.path)
        return (row is None or row.size != entry.size or row.mtime_ns != entry.mtime_ns
                or (row.state in _NOT_YET and row.tried_with != self._trying))

    def _problem(self, path: str, why: str) -> None:
        self.report.problems.append({"path": path, "why": why})

    # ---- reading ------------------------------------------------------------------------------

    def _read_segments(self, listing: layout.Listing, known: dict[str, store.FileRow], keys: Keyring) -> None:
        batch: list[_Opened] = []
        size = 0
        for device_dir, numbered in listing.segments.items():
            for _number, entry in numbered:
                if not self._changed(entry, known):
                    continue
                opened = self._open_segment(device_dir, entry, keys)
                if opened is None:
                    continue
                batch.append((entry, *opened))
                size += len(opened[2])
                if size >= APPLY_BATCH:
                    self._apply(batch)
                    batch, size = [], 0
        if batch:
            self._apply(batch)

    def _open_segment(self, device_dir: str, entry: layout.FileEntry, keys: Keyring
                      ) -> tuple[str, bool, list[Changeset]] | None:
        """(writer, whether its signature vouches for the file, changesets), or None if refused."""
        data = layout.read_file(self.root, entry.path)
        try:
            _key, plain = crypto.open_sealed(keys.by_id, data or b"", entry.path)
        except crypto.Unreadable as exc:
            self._note(entry, store.UNREADABLE, detail=str(exc))
            self._problem(entry.path, f"unreadable: {exc}")
            if _cut_short(data or b"", exc) and keys.names and device_dir == self._own(keys):
                self._cut_short.append(entry)
            return None
        try:
            info, changesets = decode_segment(plain)
            if info.group != self.replica.group_id:
                raise BadSegment("it belongs to another group")
            if keys.names is None or crypto.device_folder_name(keys.names, info.writer) != device_dir:
                raise BadSegment("it was written by another laptop than the one whose folder holds it")
            vouched = self._signed_by_writer(info)
        except BadSegment as exc:
            with self.db.atomic():
                self._note(entry, store.REFUSED, detail=str(exc))
            self._problem(entry.path, f"refused: {exc}")
            self.report.refused += 1
            return None
        return info.writer, vouched, changesets

    def _signed_by_writer(self, info: SegmentInfo) -> bool:
        """The writer named signed the segment (BadSegment if a signature is there and false). Any
        member can seal a file under the folder key and name another as its writer; unsigned
        (written before segments were signed, or by a device not admitted here yet) it vouches for nobody."""
        public = self.replica.roster_key(info.writer)
        if not info.signature or public is None:
            return False
        try:
            public.verify(info.signature, info.statement())
        except Exception:  # cryptography's InvalidSignature
            raise BadSegment("its writer's signature does not match it") from None
        return True

    def _apply(self, batch: list[_Opened]) -> None:
        everything = [cs for *_rest, changesets in batch for cs in changesets]
        where = {(cs.author, cs.seq): entry.path for entry, _w, _v, changesets in batch for cs in changesets}
        # What no author's signature vouches for is blamed on the device that signed the file it
        # came in; from an unsigned file, on nobody (the file is said refused in the folder's status).
        signed_by = {entry.path: writer for entry, writer, vouched, _cs in batch if vouched}

        def source(refusal: Refusal) -> str:
            return signed_by.get(where.get((refusal.author, refusal.seq), ""), incidents.NO_SENDER)

        result = self.replica.apply(everything, events=self.events, source=source)
        self.report.read += len(everything)
        self.report.applied += result.applied
        self.report.refused += len(result.refused)
        refused, waiting = _refusals_by_file(result.refused, where)
        not_held = {(r.author, r.seq) for r in result.refused}
        with self.db.atomic():
            for entry, writer, _vouched, changesets in batch:
                reasons = refused.get(entry.path, [])
                detail = f"{len(reasons)} of {len(changesets)} changesets refused: {reasons[0]}" if reasons else ""
                self._note(entry, _file_state(entry.path in waiting, len(reasons), len(changesets)),
                           writer=writer, covers=store.runs((cs.author, cs.seq) for cs in changesets
                                                            if (cs.author, cs.seq) not in not_held),
                           detail=detail)
                if reasons:
                    self._problem(entry.path, detail)

    def _note(self, entry: layout.FileEntry, state: str, *, writer: str = "",
              covers: dict[str, list[int]] | None = None, detail: str = "") -> None:
        store.note_file(self.db, self.folder, store.FileRow(entry.path, entry.size, entry.mtime_ns, state, writer,
                                                            covers or {}, detail, self._trying))

    # ---- writing ------------------------------------------------------------------------------

    def _write_segments(self, own: str, key: crypto.FolderKey) -> None:
        have = store.coverage(store.files(self.db, self.folder).values())
        after = self._scan_from(have)
        segment = _Segment(self._next_number(own))
        while True:
            after, rows = missing(self.db, have, after, limit=2000)
            if not rows:
                break
            for out in rows:
                self._add(own, key, segment, (out.author, out.seq, out.body, out.signature))
        # Membership entries a removal took back here: every device evaluates them, so they are
        # written too (until the folder holds them).
        for cs in kept_aside_that_count(self.db, have):
            self._add(own, key, segment, (cs.author, cs.seq, cs.body, cs.signature))
        if segment.rows:
            self._write_one(own, key, segment.number, segment.rows)
        store.set_scanned(self.db, self.folder, after,
                          store.coverage(store.files(self.db, self.folder).values()))

    def _add(self, own: str, key: crypto.FolderKey, segment: _Segment, row: tuple[str, int, bytes, bytes]) -> None:
        """One changeset into the segment being made; written out when full."""
        segment.rows.append(row)
        segment.size += len(row[2]) + 64
        if len(segment.rows) >= SEGMENT_CHANGESETS or segment.size >= SEGMENT_BYTES:
            segment.number = self._write_one(own, key, segment.number, segment.rows)
            segment.rows, segment.size = [], 0

    def _next_number(self, own: str) -> int:
        """The number of this device's next segment, never reused: after every one it wrote (its
        database), and after its own segments in the folder it forgot (a database restored from a
        backup), which only it can make: a stranger's file cannot push it past the 8 digits readers
        list. A name something else holds (a stranger's file or folder) is skipped."""
        number = store.next_own_segment(self.db, self.folder, own, self.replica.device_id)
        known, keys = store.files(self.db, self.folder), Keyring(self.replica)
        taken = layout.taken_numbers(self.root, own)
        for n, entry in sorted(taken.items()):
            if n >= number and entry is not None and self._is_own_segment(entry, known.get(entry.path), keys):
                number = n + 1
        while number in taken:  # at most len(taken) steps
            number += 1
        return number  # past layout.LAST_SEGMENT, writing a segment is refused (Unwritable), not misnamed

    def _is_own_segment(self, entry: layout.FileEntry, row: store.FileRow | None, keys: Keyring) -> bool:
        """Written by this device: noted so when it wrote it, else signed with its key (any member
        can seal a segment naming this device as its writer, numbered 99999999)."""
        if row is not None and (row.size, row.mtime_ns) == (entry.size, entry.mtime_ns) and row.state == store.OWN:
            return True
        try:
            _key, plain = crypto.open_sealed(keys.by_id, layout.read_file(self.root, entry.path) or b"", entry.path)
            info = decode_segment(plain)[0]
            self.replica.key().public_key().verify(info.signature, info.statement())
        except Exception:  # does not open, does not parse, or not signed by this device's key
            return False
        return info.writer == self.replica.device_id

    def _scan_from(self, have: dict[str, int]) -> int:
        """Where to look for what the folder lacks: after what the last pass looked at, unless the
        folder lost some of what it held then (a file deleted, changed, refused): then from the start."""
        after, held_then = store.scanned(self.db, self.folder)
        return 0 if any(have.get(author, 0) < seq for author, seq in held_then.items()) else after

    def write_rows(self, rows: list[tuple[str, int, bytes, bytes]]) -> int:
        """Write these (author, seq, body, signature) rows as new segments of this device;
        return how many segments."""
        keys = Keyring(self.replica)
        if keys.newest is None or keys.names is None:
            return 0
        own = crypto.device_folder_name(keys.names, self.replica.device_id)
        layout.check_device_folder(self.root / own)  # raised: compaction deletes only what it wrote again
        # Split as a pass splits (count and bytes), so no segment is larger than readers accept.
        segment = _Segment(self._next_number(own))
        before = self.report.segments_written
        for row in rows:
            self._add(own, keys.newest, segment, row)
        if segment.rows:
            self._write_one(own, keys.newest, segment.number, segment.rows)
        return self.report.segments_written - before

    def _write_one(self, own: str, key: crypto.FolderKey, number: int,
                   changesets: list[tuple[str, int, bytes, bytes]]) -> int:
        replica = self.replica
        plain, _info = encode_segment(replica.device_id, replica.group_id, changesets, replica.key().sign)
        rel = f"{own}/{layout.segment_name(number)}"
        layout.write_whole(self.root / rel, crypto.seal(key, plain, rel))
        st = (self.root / rel).stat()
        with self.db.atomic():
            held = store.runs((author, seq) for author, seq, _body, _signature in changesets)
            store.note_file(self.db, self.folder, store.FileRow(rel, st.st_size, st.st_mtime_ns, store.OWN,
                                                                self.replica.device_id, held, ""))
            store.set_next_segment(self.db, self.folder, number + 1)
        self.report.written += len(changesets)
        self.report.segments_written += 1
        return number + 1


def _cut_short(data: bytes, exc: crypto.Unreadable) -> bool:
    """An Organiser file cut short (empty, or its header there and sealed under a key held), not
    a stranger's file (junk, or under a key this device lacks): those stay, reported."""
    return not data or (data.startswith(crypto.MAGIC) and str(exc) != crypto.NO_KEY)


def _refusals_by_file(refusals: list[Refusal],
                      where: dict[tuple[str, int], str]) -> tuple[dict[str, list[str]], set[str]]:
    """Per file, the reasons its changesets were refused; and the files to read again later, whose
    author's admission may be in a file not read yet."""
    refused: dict[str, list[str]] = {}
    waiting: set[str] = set()
    for refusal in refusals:
        path = where.get((refusal.author, refusal.seq), "")
        refused.setdefault(path, []).append(refusal.reason)
        if refusal.code == "stranger":
            waiting.add(path)
    return refused, waiting


def _file_state(waiting: bool, refused: int, changesets: int) -> str:
    if waiting:
        return store.PENDING
    return store.REFUSED if refused and refused == changesets else store.APPLIED
