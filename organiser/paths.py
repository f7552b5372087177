"""Where this laptop keeps its groups, decided the same way for the app and the command line
(both import this; neither imports the other for it)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

# Where GNOME's desktop search (Tracker 3) looks by default (org.freedesktop.Tracker3.Miner.Files):
# the top level of the home folder and of Downloads; these XDG folders with everything in them.
SEARCHED_TOP_LEVEL = ("DOWNLOAD",)
SEARCHED_THROUGHOUT = ("DESKTOP", "DOCUMENTS", "MUSIC", "PICTURES", "VIDEOS")


class ChosenFolder(Protocol):
    """What the command line parsed: `--data-dir DIR`, or None when not given."""

    data_dir: Path | None


def data_dir_of(args: ChosenFolder) -> Path:
    """The data folder: --data-dir, else $ORGANISER_DATA_DIR, else data_dir in the user's or
    the system config file, else the platform's data folder (~/.local/share/organiser)."""
    from organiser.config import settings
    from organiser.store.datadir import default_data_dir

    return args.data_dir.expanduser() if args.data_dir else settings().data_dir or default_data_dir()


def indexed_by_desktop_search(path: Path, home: Path, user_dirs: Mapping[str, Path]) -> bool:
    """Whether a file at `path` is in a folder GNOME's desktop search indexes by default
    (`user_dirs`: the XDG folders by name, "DOCUMENTS" and so on). It never enters a hidden folder
    nor reads a hidden file; a person's own settings may say otherwise, which this cannot know."""
    if any(part.startswith(".") for part in (path.relative_to(home) if path.is_relative_to(home) else path).parts):
        return False
    folder = path.parent
    if folder == home or any(folder == user_dirs.get(name) for name in SEARCHED_TOP_LEVEL):
        return True
    return any(d is not None and folder.is_relative_to(d) for d in map(user_dirs.get, SEARCHED_THROUGHOUT))
