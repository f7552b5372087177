"""Where this laptop keeps its groups, decided the same way for the app and the command line
(both import this; neither imports the other for it)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class ChosenFolder(Protocol):
    """What the command line parsed: `--data-dir DIR`, or None when not given."""

    data_dir: Path | None


def data_dir_of(args: ChosenFolder) -> Path:
    """The data folder: --data-dir, else $ORGANISER_DATA_DIR, else data_dir in the user's or
    the system config file, else the platform's data folder (~/.local/share/organiser)."""
    from organiser.config import settings
    from organiser.store.datadir import default_data_dir

    return args.data_dir.expanduser() if args.data_dir else settings().data_dir or default_data_dir()
