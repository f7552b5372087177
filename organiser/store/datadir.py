"""Where groups live on disk: one folder (and one database) per group."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from organiser.core.errors import NoGroupError

DB_NAME = "organiser.db"
KEY_NAME = "device.key"


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
    return path


def groups_dir(data_dir: Path) -> Path:
    return data_dir / "groups"


def group_dirs(data_dir: Path) -> list[Path]:
    base = groups_dir(data_dir)
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if (p / DB_NAME).exists() and (p / KEY_NAME).exists())


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
    marker = data_dir / "current"
    if marker.exists():
        chosen = groups_dir(data_dir) / marker.read_text().strip()
        if chosen in dirs:
            return chosen
    return dirs[-1]


def set_current(data_dir: Path, group_id: str) -> None:
    tmp = data_dir / "current.tmp"
    tmp.write_text(group_id + "\n")
    os.replace(tmp, data_dir / "current")
