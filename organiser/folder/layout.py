"""The files of a shared folder: what each device writes where, and what a pass reads.

    FOLDER/<device name>/00000001.seg   a device's own segments, numbered, never rewritten
    FOLDER/<device name>/card           its exchange key and what it has applied (rewritten)
    FOLDER/<device name>/keys           newer folder keys, sealed to each current member
    FOLDER/<stem>.invite, .request      a one-time admission and the joiner's answer

Device names are keyed hashes of device ids. Each file is written under a temporary name and
renamed when complete, and only its own device writes it, so the folder tool never has to
merge. Everything else is reported and left alone: conflict copies the tool made, files
still arriving, files nobody of ours writes, links, pipes and files larger than any we write.
Nothing here follows a link inside the folder, reading or writing: whoever else can write to
the folder could point one at this user's own files.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from organiser.core.errors import OrganiserError

SEGMENT = re.compile(r"^(\d{8})\.seg$")
LAST_SEGMENT = 99_999_999  # the highest number with the 8 digits readers list; no segment is written past it
DEVICE_DIR = re.compile(r"^[0-9a-f]{24}$")
INVITE_FILE = re.compile(r"^([0-9a-f]{24})\.(invite|request)$")
CARD, KEYS = "card", "keys"
TEMP_PREFIX = ".tmp-"
STALE_TEMP_S = 3600  # no write takes this long: a temporary file this old was cut off
# Folder tools' own files and folders: not ours to report.
TOOL_FILES = {".stfolder", ".stignore", ".stversions", ".sync", ".nextcloudsync.log", "desktop.ini", ".DS_Store"}
CONFLICT_MARKS = (".sync-conflict-", "(conflicted copy", "conflicted copy", "-conflict-", "(Case Conflict")
PARTIAL_MARKS = (TEMP_PREFIX, ".syncthing.", "~syncthing~", ".~", ".part", ".tmp")
NOT_OURS = "not a file Organiser writes"

# No file Organiser writes is larger, so none larger is read. A segment is closed once it holds
# 8 MiB of changesets (folder/segments.py SEGMENT_BYTES, counted as body + 64), so it holds
# at most that plus one changeset (at most 1 MiB, store/checks.py), 4 bytes of length each and a
# header naming each author's span (5,000 authors at most: ~0.4 MiB); zlib adds under 0.1% to what
# does not compress and the seal 40 bytes: under 10 MiB. A card, a key file or an invite is JSON
# that readers inflate to 16 MiB at most (segments.decode_json): about as much compressed.
MAX_FILE_BYTES = 20 * 1024 * 1024
# An answer to an invite holds a public key, a device name (1,000 characters at most) and a
# signature: about 4 KiB at most, compressed and sealed.
MAX_REQUEST_BYTES = 64 * 1024
_READ_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


class Unwritable(OrganiserError, OSError):
    """A place in the folder this device must not write to: something it did not make is there (a
    link, a folder, a pipe), or no segment number is left. Nothing was written there. An OSError
    too, so a pass that meets it where nobody expects it ends like one the disk refused."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__(errno.EEXIST, f"{where}: {why}" if where else why, where)
        self.where, self.why = where, why

    def __str__(self) -> str:
        return str(self.strerror)


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative to the folder, with "/"
    size: int
    mtime_ns: int


@dataclass
class Listing:
    segments: dict[str, list[tuple[int, FileEntry]]] = field(default_factory=dict)  # device dir -> numbered
    cards: dict[str, FileEntry] = field(default_factory=dict)
    keys: dict[str, FileEntry] = field(default_factory=dict)
    invites: dict[str, dict[str, FileEntry]] = field(default_factory=dict)  # stem -> kind -> file
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


def is_copy_of_a_temp(name: str) -> bool:
    """The folder tool's partial copy of a device's temporary file (Syncthing's
    `.syncthing.<name>.tmp`, `~syncthing~<name>.tmp`): the tool began copying a file that was
    renamed away once written, so the copy never completes; the tool deletes it in its own time
    (Syncthing after a day). Not a file still arriving, so not said."""
    for mark in (".syncthing.", "~syncthing~"):
        if name.startswith(mark + TEMP_PREFIX):
            return True
    return False


def why_ignored(name: str) -> str:
    if any(mark in name for mark in CONFLICT_MARKS):
        return "a conflict copy made by the folder tool"
    if name.startswith(PARTIAL_MARKS) or name.endswith((".part", ".tmp", ".partial")):
        return "still arriving (a partial or temporary file)"
    return NOT_OURS


def not_readable(st: os.stat_result, limit: int = MAX_FILE_BYTES) -> str | None:
    """Why a path (as lstat saw it) is not read, or None for a regular file no larger than `limit`."""
    if not stat.S_ISREG(st.st_mode):
        return _kind(st.st_mode) + ", not a file Organiser writes (it is not followed or read)"
    if st.st_size > limit:
        return f"larger than any such file Organiser writes ({st.st_size:,} bytes, at most {limit:,})"
    return None


def not_a_folder(path: Path) -> str | None:
    """Why `path` cannot be a device's folder (a link, a file, a pipe); None if it is a real folder or absent."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return None if stat.S_ISDIR(st.st_mode) else _kind(st.st_mode) + ", not a folder"


def check_device_folder(path: Path) -> None:
    """Unwritable if the device folder at `path` is there and is not a real folder: whoever else can
    write to the folder could have linked it to this user's own files."""
    why = not_a_folder(path)
    if why:
        raise Unwritable(f"{path.name}/", f"this device's folder is {why}; nothing is written through it")


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a file" if stat.S_ISREG(mode) else "a socket or other special file"


def _entry(item: os.DirEntry[str], rel: str, found: Listing, limit: int = MAX_FILE_BYTES) -> FileEntry | None:
    """The file's entry, or None (and the file reported) when it is not one to read: its size
    comes from the listing, so a file larger than any we write is never opened."""
    try:
        st = item.stat(follow_symlinks=False)
    except OSError:  # deleted while we looked
        return None
    why = not_readable(st, limit)
    if why:
        found.ignored.append((rel, why))
        return None
    return FileEntry(rel, st.st_size, st.st_mtime_ns)


def list_folder(root: Path) -> Listing:
    found = Listing()
    for top in sorted(os.scandir(root), key=lambda e: e.name):
        name = top.name
        if name in TOOL_FILES:
            continue
        if top.is_dir(follow_symlinks=False) and DEVICE_DIR.match(name):
            _list_device(found, Path(top.path), name)
            continue
        match = INVITE_FILE.match(name)
        if match:
            limit = MAX_REQUEST_BYTES if match.group(2) == "request" else MAX_FILE_BYTES
            entry = _entry(top, name, found, limit)
            if entry:
                found.invites.setdefault(match.group(1), {})[match.group(2)] = entry
            continue
        if name.startswith(TEMP_PREFIX):
            continue  # ours or another device's write in progress
        if top.is_symlink():
            found.ignored.append((name, "a symbolic link, not a file Organiser writes (it is not followed or read)"))
        else:
            found.ignored.append((name + ("/" if top.is_dir(follow_symlinks=False) else ""), why_ignored(name)))
    return found


def _list_device(found: Listing, folder: Path, device: str) -> None:
    numbered: list[tuple[int, FileEntry]] = []
    for item in sorted(os.scandir(folder), key=lambda e: e.name):
        rel = f"{device}/{item.name}"
        if item.is_dir(follow_symlinks=False):
            found.ignored.append((rel + "/", NOT_OURS))
            continue
        if item.name.startswith(TEMP_PREFIX) or is_copy_of_a_temp(item.name):
            continue
        entry = _entry(item, rel, found)
        if entry is None:
            continue
        match = SEGMENT.match(item.name)
        if match:
            numbered.append((int(match.group(1)), entry))
        elif item.name == CARD:
            found.cards[device] = entry
        elif item.name == KEYS:
            found.keys[device] = entry
        else:
            found.ignored.append((rel, why_ignored(item.name)))
    if numbered:
        found.segments[device] = sorted(numbered)


def segment_name(number: int) -> str:
    """A segment's file name. Readers list 8 digits only: past LAST_SEGMENT there is no name to write."""
    if not 1 <= number <= LAST_SEGMENT:
        raise Unwritable("", f"no segment number is left in this device's folder ({LAST_SEGMENT} is the "
                             "highest a reader lists); nothing more is written there")
    return f"{number:08d}.seg"


def taken_numbers(root: Path, device: str) -> dict[int, FileEntry | None]:
    """Every name in a device's folder that a segment could have, whatever holds it: the file's
    entry, or None for anything else there (a folder, a link, a pipe)."""
    taken: dict[int, FileEntry | None] = {}
    folder = root / device
    if not_a_folder(folder) or not folder.exists():
        return taken
    for item in os.scandir(folder):
        match = SEGMENT.match(item.name)
        if not match:
            continue
        try:
            st = item.stat(follow_symlinks=False)
        except OSError:  # deleted while we looked
            continue
        regular = stat.S_ISREG(st.st_mode)
        taken[int(match.group(1))] = FileEntry(f"{device}/{item.name}", st.st_size, st.st_mtime_ns) if regular else None
    return taken


def _where(path: Path) -> str:
    """The path as problems name it: relative to the folder (device files sit one folder down)."""
    return path.name if INVITE_FILE.match(path.name) else f"{path.parent.name}/{path.name}"


def remove_stale_temps(folder: Path, older_than_s: float = STALE_TEMP_S) -> list[str]:
    """A device's own half-written files, left when a write was cut off (the program killed, the
    stick pulled out), are deleted once old enough that no write of its own can still be going
    on (the app and the CLI of one laptop write in the same folder). The names deleted."""
    gone: list[str] = []
    if not folder.is_dir():  # nothing written yet
        return gone
    cutoff = time.time() - older_than_s
    for item in os.scandir(folder):
        if (item.name.startswith(TEMP_PREFIX) and item.is_file(follow_symlinks=False)
                and item.stat(follow_symlinks=False).st_mtime < cutoff):
            os.unlink(item.path)
            gone.append(item.name)
    return gone


def write_whole(path: Path, data: bytes) -> None:
    """Write under a temporary name, make it durable, then rename: readers see all or nothing.
    Nothing is written through a link or onto something that is not a regular file: Unwritable."""
    if not INVITE_FILE.match(path.name):
        # A device's file: its folder must be a real folder. The top of the folder may be a link
        # the user chose; a device folder never is one of ours.
        try:
            path.parent.mkdir()
        except FileExistsError:
            pass
        check_device_folder(path.parent)
    temp = path.parent / f"{TEMP_PREFIX}{secrets.token_hex(6)}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(temp, flags, 0o666)  # a new name of our own: never an existing file or a link
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        _check_target(path)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _check_target(path: Path) -> None:
    """Renaming replaces whatever is at `path`: only a regular file (an older copy of ours) may be."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise Unwritable(_where(path), f"it is {_kind(st.st_mode)}, not a file Organiser wrote; "
                                       "nothing was written over it")


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some network mounts refuse fsync on a directory; the rename is done
        pass
    finally:
        os.close(fd)


def read_file(root: Path, rel: str, limit: int = MAX_FILE_BYTES) -> bytes | None:
    """The whole file, or None if it is gone, not a regular file or larger than `limit`. Checked
    before opening (lstat) and again on what was opened (fstat): a link, a pipe or a device put
    in its place meanwhile is neither followed nor waited on (O_NOFOLLOW, O_NONBLOCK)."""
    path = root / rel
    try:
        if not_readable(os.lstat(path), limit):
            return None
        fd = os.open(path, os.O_RDONLY | _READ_FLAGS)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as file:
            if not_readable(os.fstat(file.fileno()), limit):
                return None
            data = file.read(limit + 1)  # a file that grew meanwhile is still read only so far
    except OSError:
        return None
    return data if len(data) <= limit else None
