"""The files of a shared folder: what each device writes where, and what a pass reads.

    FOLDER/<device name>/00000001.seg   a device's own segments, numbered, never rewritten
    FOLDER/<device name>/card           its exchange key and what it has applied (rewritten)
    FOLDER/<device name>/keys           newer folder keys, sealed to each current member
    FOLDER/<stem>.invite, .request      a one-time admission and the joiner's answer

Device names are keyed hashes of device ids. Each file is written under a temporary name and
renamed when complete, and only its own device writes it, so the folder tool never has to
merge. Everything else is reported and left alone: conflict copies the tool made, files
still arriving, files nobody of ours writes.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

SEGMENT = re.compile(r"^(\d{8})\.seg$")
DEVICE_DIR = re.compile(r"^[0-9a-f]{24}$")
INVITE_FILE = re.compile(r"^([0-9a-f]{24})\.(invite|request)$")
CARD, KEYS = "card", "keys"
TEMP_PREFIX = ".tmp-"
# Folder tools' own files and folders: not ours to report.
TOOL_FILES = {".stfolder", ".stignore", ".stversions", ".sync", ".nextcloudsync.log", "desktop.ini", ".DS_Store"}
CONFLICT_MARKS = (".sync-conflict-", "(conflicted copy", "conflicted copy", "-conflict-", "(Case Conflict")
PARTIAL_MARKS = (TEMP_PREFIX, ".syncthing.", "~syncthing~", ".~", ".part", ".tmp")


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


def why_ignored(name: str) -> str:
    if any(mark in name for mark in CONFLICT_MARKS):
        return "a conflict copy made by the folder tool"
    if name.startswith(PARTIAL_MARKS) or name.endswith((".part", ".tmp", ".partial")):
        return "still arriving (a partial or temporary file)"
    return "not a file Organiser writes"


def _entry(path: Path, rel: str) -> FileEntry | None:
    try:
        st = path.stat()
    except OSError:  # deleted while we looked
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
        if match and top.is_file(follow_symlinks=False):
            entry = _entry(Path(top.path), name)
            if entry:
                found.invites.setdefault(match.group(1), {})[match.group(2)] = entry
            continue
        if name.startswith(TEMP_PREFIX):
            continue  # ours or another device's write in progress
        found.ignored.append((name + ("/" if top.is_dir() else ""), why_ignored(name)))
    return found


def _list_device(found: Listing, folder: Path, device: str) -> None:
    numbered: list[tuple[int, FileEntry]] = []
    for item in sorted(os.scandir(folder), key=lambda e: e.name):
        rel = f"{device}/{item.name}"
        if not item.is_file(follow_symlinks=False):
            found.ignored.append((rel + "/", "not a file Organiser writes"))
            continue
        if item.name.startswith(TEMP_PREFIX):
            continue
        entry = _entry(Path(item.path), rel)
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
    return f"{number:08d}.seg"


def write_whole(path: Path, data: bytes) -> None:
    """Write under a temporary name, make it durable, then rename: readers see all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f"{TEMP_PREFIX}{secrets.token_hex(6)}"
    try:
        with open(temp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    try:
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some network mounts refuse fsync on a directory; the rename is done
        pass
    finally:
        os.close(fd)


def read_file(root: Path, rel: str) -> bytes | None:
    try:
        return (root / rel).read_bytes()
    except OSError:
        return None
