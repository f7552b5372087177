"""Finding this device's groups on disk: by folder or group id, which can be read now, and
their names for the start window. Below `group.py`, which opens them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from organiser.core.errors import NoGroupError, OrganiserError
from organiser.store.cipher import dbapi, is_encrypted, key_for
from organiser.store.database import connect
from organiser.store.datadir import (
    DB_NAME,
    WRAPPED_KEY_NAME,
    current_group_dir,
    finish_key_change,
    group_dirs,
)
from organiser.store.keyfile import read_key_file

log = logging.getLogger(__name__)

JOINING_META = "joining_group"  # set while a join is half-way: the group id being joined


def read_meta(db: Any, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def is_locked(path: Path) -> bool:
    """Whether the group in folder `path` is encrypted and this process holds no key for it."""
    db_path = path / DB_NAME
    return is_encrypted(db_path) and key_for(db_path) is None


def find_group_dir(data_dir: Path, group: str | None, passphrase: str | None = None) -> Path:
    """The folder of a group named by folder or group id (or the start of either), else the current one.
    Group ids live inside the databases: a locked one is looked into only with the passphrase given.
    `NoGroupError` when `data_dir` holds no group, or `group` names none or more than one."""
    try:
        return current_group_dir(data_dir, group)
    except NoGroupError:
        if not group or not group_dirs(data_dir):
            raise
    found = _groups_with_id(data_dir, group, passphrase)
    if len(found) != 1:
        unopened = passphrase is None and any(is_locked(p) for p in group_dirs(data_dir))
        raise NoGroupError(f"group '{group}' does not name exactly one group in {data_dir}"
                           + (" (encrypted groups are looked into only with their passphrase)." if unopened else "."))
    return found[0]


def _groups_with_id(data_dir: Path, start: str, passphrase: str | None) -> list[Path]:
    """The group folders whose database holds a group id starting with `start` (locked ones only with the
    passphrase)."""
    return [path for path in group_dirs(data_dir) if (group_id_of(path, passphrase) or "").startswith(start)]


def group_id_of(path: Path, passphrase: str | None, *, joining: bool = True) -> str | None:
    """The group id inside a folder's database (with `joining`, also of a join stopped half-way), or
    None where it cannot be read with what is given."""
    db_path = path / DB_NAME
    key = key_for(db_path)
    if key is None and is_encrypted(db_path):
        if passphrase is None:
            return None
        try:
            finish_key_change(path)
            key = read_key_file(path / WRAPPED_KEY_NAME, passphrase)
        except OrganiserError:
            return None
    try:
        db = connect(db_path, readonly=True, key=key)
    except OrganiserError:
        return None
    try:
        return read_meta(db, "group_id") or (read_meta(db, JOINING_META) if joining else None)
    finally:
        db.close()


def readable_group_ids(data_dir: Path) -> dict[str, Path]:
    """Group id -> folder, for the groups whose database can be read now (plain or unlocked)."""
    out = {}
    for path in group_dirs(data_dir):
        if not is_locked(path):
            group_id = group_id_of(path, None)
            if group_id:
                out[group_id] = path
    return out


def locked_label(folder: str) -> str:
    """What names an encrypted group while it is locked (its name is inside it): its folder's start."""
    return f"Encrypted group {folder[:6]}"


def existing_groups(data_dir: Path) -> list[tuple[str, str]]:
    """(group folder name, group name) of the groups this device holds, for the start window;
    an encrypted one's name is inside it, so it is listed by its folder's local name until
    unlocked. A folder whose database cannot be read is left out, with a warning logged."""
    out = []
    for path in group_dirs(data_dir):
        if is_locked(path):
            out.append((path.name, f"{locked_label(path.name)} (locked)"))
            continue
        try:
            db = connect(path / DB_NAME, readonly=True)
            try:
                name, joining = read_meta(db, "group_name"), read_meta(db, JOINING_META)
            finally:
                db.close()
        except (OrganiserError, OSError, dbapi().Error) as exc:
            log.warning("group folder %s is not offered: its database cannot be read (%s)", path, exc)
            continue
        if not name and joining:
            # A join refused or cut off before the group reached this laptop (say, the food bank's code
            # tried at a tenant-union laptop): its key is kept for a retry, but there is no group to open.
            log.info("group folder %s is not offered: its join has not finished", path)
            continue
        out.append((path.name, name or path.name))
    return out


@dataclass(frozen=True)
class HeldGroup:
    """One group this laptop holds, as `organiser group list` shows it. `choice` is what `--group`
    takes for it: its group id, or for a locked one its folder's local name (the id is inside)."""

    folder: str
    group_id: str | None
    name: str | None
    locked: bool
    current: bool

    @property
    def choice(self) -> str:
        return self.group_id or self.folder


def held_groups(data_dir: Path) -> list[HeldGroup]:
    """The groups of `data_dir`, the current one (what a command without --group uses) marked; a join
    that has not finished is no group yet and is left out, as on the start screen."""
    names = dict(existing_groups(data_dir))
    ids = readable_group_ids(data_dir)
    by_folder = {path.name: group_id for group_id, path in ids.items()}
    try:
        current = current_group_dir(data_dir).name
    except NoGroupError:
        current = ""
    out = []
    for path in group_dirs(data_dir):
        if path.name not in names:
            continue
        locked = is_locked(path)
        out.append(HeldGroup(path.name, by_folder.get(path.name), None if locked else names[path.name], locked,
                             path.name == current))
    return out
