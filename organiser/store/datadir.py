"""Where groups live on disk: one folder (and one database) per group.

A group's folder is named by a random local id that means nothing outside this laptop (groups
made before encryption existed keep their group id as the name until `organiser encrypt`).
Everything is owner-only: folders 0700, files 0600.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from pathlib import Path

from organiser.core.errors import NoGroupError

DB_NAME = "organiser.db"
WRAPPED_KEY_NAME = "db.key"  # the database key sealed with the passphrase (store/keyfile.py)
NEXT_KEY_NAME = WRAPPED_KEY_NAME + ".next"  # a new database key, sealed, while the passphrase is changed
REKEYING_NAME = DB_NAME + ".rekeying"  # the database copied under that new key, until it takes the old one's place
KEY_NAME = "device.key"  # where groups made before encryption kept the device key, in clear
SECRET_NAME = "group.secret"  # ... and the group secret
# Files of a group that hold or derive from a secret, as groups made before encryption had them.
LEGACY_SECRET_FILES = (KEY_NAME, SECRET_NAME, "ca.key", "ca.crt", "device.crt")


def default_data_dir() -> Path:
    env = os.environ.get("ORGANISER_DATA_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "Organiser"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Organiser"
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "organiser"


def ensure_private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o700)
    return path


# GNOME's desktop search (Tracker 3) skips a folder holding this file (its default
# ignored-directories-with-content): a data folder configured under Documents was read into its index.
TRACKER_IGNORE = ".trackerignore"


def keep_desktop_search_out(data_dir: Path) -> None:
    """An empty, owner-only `.trackerignore` in the data folder, if it has none."""
    try:
        os.close(os.open(data_dir / TRACKER_IGNORE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def make_owner_only(group_path: Path) -> None:
    """Folders 0700 and files 0600 from the data folder down to this group's files (groups made
    before this release had a 0644 database in a 0755 folder), and the desktop search kept out."""
    keep_desktop_search_out(group_path.parent.parent)
    for folder in (group_path.parent.parent, group_path.parent, group_path):
        if folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) & 0o077:
            folder.chmod(0o700)
    for entry in group_path.iterdir():
        if entry.is_file() and stat.S_IMODE(entry.stat().st_mode) & 0o077:
            entry.chmod(0o600)


def new_local_name() -> str:
    """A folder name for a new group: random, so the folder tells nobody which group it holds."""
    return secrets.token_hex(8)


def groups_dir(data_dir: Path) -> Path:
    return data_dir / "groups"


def group_dirs(data_dir: Path) -> list[Path]:
    base = groups_dir(data_dir)
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if (p / DB_NAME).exists())


def current_group_dir(data_dir: Path, group: str | None = None) -> Path:
    """The folder of the chosen group: by id (or its start), else the current one."""
    dirs = group_dirs(data_dir)
    if not dirs:
        raise NoGroupError(
            f"there is no group in {data_dir} yet: create one with "
            "'organiser init --group NAME --device-name NAME' or join one with "
            "'organiser join CODE --device-name NAME'."
        )
    if group:
        matches = [d for d in dirs if d.name.startswith(group)]
        if len(matches) != 1:
            raise NoGroupError(f"group '{group}' does not name exactly one group in {data_dir}.")
        return matches[0]
    name = current_name(data_dir)
    if name and groups_dir(data_dir) / name in dirs:
        return groups_dir(data_dir) / name
    return dirs[-1]


def current_name(data_dir: Path) -> str | None:
    """The local name of the group opened last, from the file "current"; None when there is none or
    it cannot be read (damaged, or planted: not text, a folder), which means "the last group"."""
    try:
        return (data_dir / "current").read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def set_current(data_dir: Path, folder_name: str) -> None:
    """Remember the group opened last, by its folder's local name (which names no group)."""
    tmp = data_dir / "current.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(folder_name + "\n")
    os.replace(tmp, data_dir / "current")


def finish_key_change(path: Path) -> None:
    """A passphrase change killed after its new database took the old one's place (services/atrest.py)
    left the new key file beside the old one: put it in place. Safe to repeat, and while another
    process changes the passphrase (until its switch, its database copy is still there)."""
    if (path / NEXT_KEY_NAME).exists() and not (path / REKEYING_NAME).exists():
        try:
            os.replace(path / NEXT_KEY_NAME, path / WRAPPED_KEY_NAME)
        except FileNotFoundError:  # another process has just done it
            return
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
