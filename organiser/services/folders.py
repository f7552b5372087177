"""Syncing through shared folders: the API the app and the CLI call.

    folders = Folders(group.replica)
    folders.add("/home/ana/Sync/tenants")      # attach a folder (several per group work)
    folders.sync()                              # one pass over every folder: read, then write
    folders.status(path)                        # per device, how far the folder has it
    folders.compact(path)                       # admin: merge segments every member has applied

While the app or `serve` runs, `FolderWatcher` makes a pass over every folder every second,
and at once when changesets are stored here (a local edit, or what a LAN peer sent), on a
worker thread with its own connection (polling works on network mounts, where change
notifications do not). docs/folder-sync.md has the design and the threat model.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from organiser.core.bus import ChangesetsStored, RecordsChanged
from organiser.core.changeset import Changeset, verify_signature
from organiser.core.errors import NotFoundError, OrganiserError, ValidationError
from organiser.folder import crypto, layout
from organiser.folder.segments import BadSegment, decode_segment
from organiser.services.devices import DeviceInfo, Devices, MembershipRefused
from organiser.services.folder_pass import FolderPass, Keyring, PassReport
from organiser.services.folder_trouble import collapse_foreign, left_behind, unusable
from organiser.store import folders as store
from organiser.store.database import connect
from organiser.store.replica import Replica

log = logging.getLogger(__name__)


def in_the_log(path: str) -> str:
    """A sync folder as the log names it: a tag, not its path. People name the folder after the group
    ("~/Sync/Marsh Lane Tenants Union"), and the log (the systemd journal, from a desktop session)
    stays on the disk outside the encrypted store. The tag is the same at every pass, so one folder's
    lines can still be told from another's."""
    return "#" + hashlib.sha256(path.encode()).hexdigest()[:8]

POLL_SECONDS = 1.0  # how soon another device's file is read once the folder tool delivered it


class FolderUnavailable(OrganiserError):
    """A sync folder that cannot be read or written now (exit code 1: the world, not the input)."""


@dataclass(frozen=True)
class FolderInfo:
    path: str
    added_at: float
    last_pass_at: float | None
    last_error: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "added_at": self.added_at, "last_pass_at": self.last_pass_at,
                "last_error": self.last_error}


def folder_path(text: str) -> str:
    """A folder as typed, made absolute; ValidationError if it is not a folder we can write to."""
    if not str(text).strip():
        raise ValidationError("folder", "folder: give the path of a shared folder.")
    path = Path(text).expanduser().absolute()
    if not path.is_dir():
        raise ValidationError("folder", f"folder: {path} is not a folder (create it first, or check the path).")
    if not os.access(path, os.W_OK | os.X_OK):
        raise ValidationError("folder", f"folder: this laptop cannot write to {path}.")
    return os.path.normpath(path)


class Folders:
    def __init__(self, replica: Replica) -> None:
        self.replica = replica
        self.db = replica.db

    # ---- which folders -------------------------------------------------------------------

    def list(self) -> list[FolderInfo]:
        return [FolderInfo(r.path, r.added_at, r.last_pass_at, r.last_error) for r in store.folders(self.db)]

    def add(self, text: str) -> FolderInfo:
        path = folder_path(text)
        if store.folder(self.db, path) is not None:
            raise ValidationError("folder", f"folder: {path} is already a sync folder of this group.")
        store.add_folder(self.db, path)
        return self.find(path)

    def find(self, text: str) -> FolderInfo:
        path = os.path.normpath(Path(text).expanduser().absolute())
        for info in self.list():
            if info.path == path:
                return info
        raise NotFoundError(f"{path} is not a sync folder of this group; see 'organiser folder status'.")

    def remove(self, text: str) -> FolderInfo:
        """Stop syncing through a folder. What this device wrote there stays for the others."""
        info = self.find(text)
        store.remove_folder(self.db, info.path)
        return info

    # ---- passes --------------------------------------------------------------------------

    def sync(self, text: str | None = None, events: list[object] | None = None) -> list[PassReport]:
        """One pass over one folder (or every folder): read what others left, write what it lacks."""
        chosen = [self.find(text)] if text else self.list()
        return [self.sync_folder(info.path, events) for info in chosen]

    def sync_folder(self, path: str, events: list[object] | None = None) -> PassReport:
        folder_pass = FolderPass(self.replica, path, events)
        try:
            report = folder_pass.run()
        except OSError as exc:  # unplugged, moved, read-only, full: said in status, tried again later
            read = folder_pass.report.applied if folder_pass.read_done else None
            message = unusable(path, exc, read)
            store.note_pass(self.db, path, message)
            raise FolderUnavailable(message) from None
        store.note_pass(self.db, path)
        return report

    # ---- what the folder holds -----------------------------------------------------------

    def status(self, text: str) -> dict[str, Any]:
        info = self.find(text)
        root = Path(info.path)
        rows = store.files(self.db, info.path)
        listing = layout.list_folder(root) if root.is_dir() else None
        reachable = listing is not None and not left_behind(root, rows, listing)
        # A stick pulled out: its files are not deleted, they are elsewhere.
        problems = _file_problems(root, rows.values(), deleted=reachable)
        segments, size = 0, 0
        if reachable and listing is not None:
            problems += [{"path": p, "why": why} for p, why in listing.ignored]
            for numbered in listing.segments.values():
                segments += len(numbered)
                size += sum(e.size for _n, e in numbered)
        keys = Keyring(self.replica)
        own = str(root / crypto.device_folder_name(keys.names, self.replica.device_id)) if keys.names else ""
        # A laptop that joined through the folder reads it at once, but writes (and is read by the
        # others) only once the laptop that invited it has passed over the folder and admitted it.
        admitted = self.replica.roster().admitted(self.replica.device_id)
        return {**info.to_json(), "reachable": reachable, "segments": segments, "bytes": size,
                "writes_in": own, "admitted": admitted, "devices": self._device_rows(rows),
                "problems": collapse_foreign(problems)}

    def _device_rows(self, rows: dict[str, store.FileRow]) -> list[dict[str, Any]]:
        """Per device of the group: how far the folder and this device have it, and whether it reads the folder."""
        in_folder = store.coverage(rows.values())
        here = self.replica.version_vector()
        applied = self._applied(rows)
        devices = []
        for device in Devices(self.replica).list():
            seen = applied.get(device.id)
            devices.append({
                "id": device.id, "name": device.name, "this_device": device.this_device, "admin": device.admin,
                "removed": device.removed,
                "in_folder": in_folder.get(device.id, 0), "here": here.get(device.id, 0),
                "reads_folder": seen is not None,
                "caught_up": seen is not None and all(seen.get(a, 0) >= s for a, s in in_folder.items()),
            })
        return devices

    def _applied(self, rows: dict[str, store.FileRow]) -> dict[str, dict[str, int]]:
        """Per device that left a card in the folder (and this one): the last number of each author it applied."""
        applied = {r.writer: {a: s[-1] for a, s in r.covers.items()} for r in rows.values() if r.state == store.CARD}
        applied[self.replica.device_id] = self.replica.version_vector()
        return applied

    # ---- compaction ----------------------------------------------------------------------

    def compact(self, text: str) -> dict[str, Any]:
        """Merge the segments every current member has applied into few new ones of this device,
        then delete them. Admins only; every current member must have left a card.

        What is written is what this device's store holds, as signed (the versions it verified),
        never what the files say: a member can leave another version of a changeset beside the
        genuine one. A segment is deleted only when every changeset in it was carried over or is
        forged (its author's key never signed it); one holding anything else this device does not
        hold as written (a fork's second version, kept as proof; a version refused when read)
        stays, and is said in "kept". Forged versions left behind are said in "dropped"."""
        info = self.find(text)
        devices = Devices(self.replica)
        if not devices.is_admin():
            raise MembershipRefused("only an admin can compact a sync folder.")
        self.sync_folder(info.path)
        rows = store.files(self.db, info.path)
        safe = _applied_by_every([d for d in devices.list() if not d.removed], self._applied(rows))
        candidates = [r for r in rows.values() if _is_segment(r) and _covered(r, safe)]
        result: dict[str, Any] = {"segments_before": len(candidates), "segments_after": len(candidates),
                                  "changesets": 0, "kept": [], "dropped": []}
        if len(candidates) < 2:
            return result
        root = Path(info.path)
        keys = Keyring(self.replica)
        judged = [self._judge(root, row, keys) for row in candidates]
        carried = [j for j in judged if not j.kept]
        result["kept"] = [{"path": j.path, "why": j.kept} for j in judged if j.kept]
        for problem in result["kept"]:
            log.warning("compacting %s: %s %s", in_the_log(info.path), problem["path"], problem["why"])
        if len(carried) < 2:  # nothing to merge: every segment stays as it is
            return result
        versions = {digest: row for j in carried for digest, row in j.rows.items()}
        # Arrival order, as a pass writes: a device's admission before that device's own changesets.
        written_rows = [row for _order, row in sorted(versions.values())]
        try:
            written = self._write_merged(info.path, keys, written_rows)
        except OSError as exc:  # unplugged, read-only, full: nothing is deleted before the new segments are whole
            raise FolderUnavailable(f"the folder {info.path} cannot be used now ({exc.strerror or exc}).") from None
        gone, left = _delete_unchanged(root, carried)
        with self.db.atomic():
            store.forget_files(self.db, info.path, [j.path for j in gone])
        result["kept"] += left
        result["dropped"] = [{"path": j.path, "why": j.dropped} for j in gone if j.dropped]
        for problem in [*left, *result["dropped"]]:
            log.warning("compacting %s: %s %s", in_the_log(info.path), problem["path"], problem["why"])
        result.update(segments_after=written + len(result["kept"]), changesets=len(written_rows))
        return result

    def _judge(self, root: Path, row: store.FileRow, keys: Keyring) -> _Judged:
        """Read one segment and set it against this device's store: the versions it holds as
        written (to carry over), or why the segment must stay."""
        try:
            st = os.lstat(root / row.path)
        except OSError as exc:
            return _Judged(row.path, (0, 0), kept=f"kept: it could not be read now ({exc.strerror or exc})")
        data = layout.read_file(root, row.path)  # as a pass reads: never through a link put there since
        if data is None:
            return _Judged(row.path, (0, 0), kept="kept: it could not be read now (it is no longer a segment's file)")
        try:
            _key, plain = crypto.open_sealed(keys.by_id, data, row.path)
            _info, changesets = decode_segment(plain)
        except (crypto.Unreadable, BadSegment) as exc:
            return _Judged(row.path, (st.st_size, st.st_mtime_ns), kept=f"kept: it no longer opens ({exc})")
        stored = _stored_versions(self.db, changesets)
        others = [cs for cs in changesets if cs.hash not in stored]
        forged: list[Changeset] = []
        unknown: list[Changeset] = []
        for cs in others:
            (forged if self._forged(cs) else unknown).append(cs)
        judged = _Judged(row.path, (st.st_size, st.st_mtime_ns), rows=stored)
        if unknown:
            judged.kept = (f"kept: {len(unknown)} of its {len(changesets)} changesets are not held here as "
                           f"written, e.g. {_name(unknown[0])}, {_unheld_why(self.db, unknown[0])}")
        elif forged:
            judged.dropped = (f"deleted with {len(forged)} forged changeset(s) in it, e.g. {_name(forged[0])}, "
                              "whose signature its author's key never made; the rest was carried over")
        return judged

    def _forged(self, cs: Changeset) -> bool:
        """Signed by no one: the author is a device of this group and its key does not verify the
        signature (that never changes). A stranger's changeset may verify once its admission is read."""
        key = self.replica.roster_key(cs.author)
        return key is not None and not verify_signature(key, cs)

    def _write_merged(self, folder: str, keys: Keyring, rows: list[tuple[str, int, bytes, bytes]]) -> int:
        """The changesets carried over as new segments of this device; how many segments."""
        if keys.names is None or keys.newest is None:
            raise ValidationError("folder", "folder: this laptop holds no folder key; nothing was compacted.")
        # A segment another device left in this device's folder may stay, or be among those about
        # to be deleted: write_rows numbers past this device's own and skips every name taken (a
        # stranger's 99999999.seg there must not use up its numbers, as counting it would).
        return FolderPass(self.replica, folder).write_rows(rows)


@dataclass
class _Judged:
    """A segment compaction read: its size and time then, the versions of its changesets this
    device holds as written (hash -> (arrival order, row as signed)), and, when it must stay,
    why; when forged versions in it are left behind, what."""

    path: str
    stat: tuple[int, int]
    rows: dict[str, tuple[tuple[int, int, str, int], tuple[str, int, bytes, bytes]]] = field(default_factory=dict)
    kept: str = ""
    dropped: str = ""


def _stored_versions(db: Database, changesets: list[Changeset]
                     ) -> dict[str, tuple[tuple[int, int, str, int], tuple[str, int, bytes, bytes]]]:
    """Of these changesets, the versions this device holds exactly (in `changes`, or kept aside
    past their author's removal in `withdrawn_changes`), read from its store as signed."""
    wanted = json.dumps([[cs.author, cs.seq, cs.hash] for cs in changesets])
    out: dict[str, tuple[tuple[int, int, str, int], tuple[str, int, bytes, bytes]]] = {}
    for rank, table, order in ((0, "changes", "t.id"), (1, "withdrawn_changes", "0")):
        for arrival, author, seq, digest, body, signature in db.execute(
            f"SELECT {order}, t.author, t.seq, t.hash, t.body, t.signature FROM json_each(?) k "
            f"JOIN {table} t ON t.author = json_extract(k.value, '$[0]') AND t.seq = json_extract(k.value, '$[1]') "
            "AND t.hash = json_extract(k.value, '$[2]')", [wanted]
        ):
            out[digest] = ((rank, arrival, author, seq), (author, seq, bytes(body), bytes(signature)))
    return out


def _unheld_why(db: Database, cs: Changeset) -> str:
    """Why this device does not hold a validly signed (or unverifiable) version as written."""
    if db.execute("SELECT 1 FROM forks WHERE hash = ?", [cs.hash]).fetchone():
        return "a second version kept here as proof of a fork, which laptops reading the folder need"
    for table in ("changes", "withdrawn_changes"):
        if db.execute(f"SELECT 1 FROM {table} WHERE author = ? AND seq = ?", [cs.author, cs.seq]).fetchone():
            return "another version than the one held here (refused when read)"
    return "which this laptop does not hold (refused when read)"


def _name(cs: Changeset) -> str:
    return f"{cs.author[:12]}#{cs.seq}"


def _delete_unchanged(root: Path, carried: list[_Judged]) -> tuple[list[_Judged], list[dict[str, str]]]:
    """Delete the segments carried over, unless one changed since it was read (its new contents
    were not judged) or cannot be deleted; return those gone and, for the others, why they stay."""
    gone: list[_Judged] = []
    left: list[dict[str, str]] = []
    for judged in carried:
        path = root / judged.path
        try:
            st = path.stat()
            if (st.st_size, st.st_mtime_ns) != judged.stat:
                left.append({"path": judged.path, "why": "kept: it changed while it was being compacted"})
                continue
            path.unlink()
        except FileNotFoundError:
            pass  # deleted meanwhile: what it held is in the new segments all the same
        except OSError as exc:  # a read-only copy: it stays, holding only what the new segments hold
            left.append({"path": judged.path, "why": f"kept: it could not be deleted ({exc.strerror or exc})"})
            continue
        gone.append(judged)
    return gone, left


def _file_problems(root: Path, rows: Iterable[store.FileRow], deleted: bool = True) -> list[dict[str, str]]:
    """Files of the folder a pass refused, could not read or waits on, and files deleted from it."""
    rows = list(rows)
    problems = [{"path": r.path, "why": f"{r.state}: {r.detail}"} for r in rows
                if r.state in (store.REFUSED, store.UNREADABLE, store.PENDING)]
    if deleted:
        problems += [{"path": r.path, "why": "deleted from the folder"} for r in rows if not (root / r.path).exists()]
    return problems


def _applied_by_every(members: list[DeviceInfo], applied: dict[str, dict[str, int]]) -> dict[str, int]:
    """Per author, the last number every current member has applied; refused when one has left no card."""
    absent = [d.name for d in members if d.id not in applied]
    if absent:
        raise MembershipRefused(f"not every member has read this folder yet ({', '.join(absent)}); "
                                "nothing was compacted.")
    authors = {a for numbers in applied.values() for a in numbers}
    return {a: min(applied[d.id].get(a, 0) for d in members) for a in authors}


def _covered(row: store.FileRow, safe: dict[str, int]) -> bool:
    return all(safe.get(author, 0) >= flat[-1] for author, flat in row.covers.items())  # runs in order


def _is_segment(row: store.FileRow) -> bool:
    return row.state in store.HOLDING and bool(layout.SEGMENT.match(row.path.split("/")[-1]))


class FolderWatcher:
    """Passes over every folder of the group while the app or `serve` runs, on a worker thread
    with its own connection; events it raises are published on the loop's thread."""

    def __init__(self, replica: Replica, interval: float = POLL_SECONDS) -> None:
        self._main = replica
        self._path = replica.database_path()
        self._interval = interval
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="organiser-folders")
        self._local = threading.local()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._unsubscribe: Any = None
        self._replicas: list[Replica] = []
        self.last_reports: dict[str, PassReport] = {}
        self._said: dict[str, str] = {}  # per folder, why it could not be used, as logged last

    def _worker(self) -> Folders:
        replica = getattr(self._local, "replica", None)
        if replica is None:
            main = self._main
            db = connect(self._path, synchronous="NORMAL")  # what it stores can be read again
            replica = Replica(db, group_id=main.group_id, device_id=main.device_id, key=main.key())
            self._local.replica = replica
            self._replicas.append(replica)
        return Folders(replica)

    def _pass(self) -> tuple[list[PassReport], list[object]]:
        folders = self._worker()
        # Another connection (the window's, the LAN's, the command line beside the app) may have
        # changed who belongs since the last pass: a roster kept from before a removal sealed the
        # new folder key to the removed laptop and read what it wrote after as a member's.
        version = folders.db.conn.execute("PRAGMA data_version").fetchone()[0]
        if version != getattr(self._local, "data_version", None):
            folders.replica.forget_roster()
            self._local.data_version = version
        events: list[object] = []
        reports = []
        for info in folders.list():
            try:
                reports.append(folders.sync_folder(info.path, events))
                if self._said.pop(info.path, None):
                    log.info("the folder %s can be used again", in_the_log(info.path))
            except FolderUnavailable as exc:  # said in status, tried again at the next pass
                if self._said.get(info.path) != str(exc):  # once, not at every pass while a stick is out
                    log.warning("%s", str(exc).replace(info.path, in_the_log(info.path)))
                    self._said[info.path] = str(exc)
            except Exception as exc:  # one folder's failure must not stop the passes over the others
                log.exception("a pass over the sync folder %s failed", in_the_log(info.path))
                store.note_pass(folders.db, info.path, f"the last pass over {info.path} failed ({exc}).")
        return reports, events

    def start(self) -> None:
        if self._task is None:
            # The loop set for this thread, running or not: the app may start the watcher from
            # a Qt slot between two turns of its qasync loop.
            loop = asyncio.get_event_loop()
            self._wake = asyncio.Event()
            # A commit may happen on any thread (the app's, an applier's): the loop is woken safely.
            self._unsubscribe = self._main.bus.subscribe(
                ChangesetsStored, lambda _event: loop.call_soon_threadsafe(self._wake.set))
            self._task = loop.create_task(self._run())

    async def pass_now(self) -> list[PassReport]:
        reports, events = await asyncio.wrap_future(self._executor.submit(self._pass))
        for event in events:
            if isinstance(event, RecordsChanged) and "device" in event.kinds:
                self._main.forget_roster()
            self._main.bus.publish(event)
        for report in reports:
            self.last_reports[report.folder] = report
        return reports

    async def _run(self) -> None:
        while True:
            try:
                await self.pass_now()
            except Exception:  # a pass that failed is logged and tried again; the loop goes on
                log.exception("a pass over the sync folders failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self._interval)
            except TimeoutError:
                pass
            self._wake.clear()

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            except Exception:  # it had died (said now): stopping must still close its connections
                log.exception("the folder watcher had stopped with an error")
            self._task = None

        def close() -> None:
            for replica in self._replicas:
                replica.db.close()

        await asyncio.wrap_future(self._executor.submit(close))
        self._executor.shutdown(wait=True)
