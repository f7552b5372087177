"""GNOME's desktop search (Tracker 3) reads the file names and text of what it indexes into its own
database under ~/.cache, outside the encrypted store. It skips a folder holding a `.trackerignore`
file (its default `ignored-directories-with-content`), and by default indexes the top level of the
home folder and of Downloads, and Desktop, Documents, Music, Pictures and Videos with what is in them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from organiser.paths import indexed_by_desktop_search
from organiser.services.group import create_group, open_group
from organiser.store.datadir import TRACKER_IGNORE


def test_the_data_folder_tells_the_desktop_search_to_keep_out(tmp_path: Path) -> None:
    data = tmp_path / "Documents" / "organiser"  # a data folder configured where Tracker looks
    create_group(data, "Marsh Lane Tenants Union", "door laptop").close()
    marker = data / TRACKER_IGNORE
    assert marker.is_file() and marker.read_bytes() == b""
    assert stat.S_IMODE(os.stat(marker).st_mode) == 0o600


def test_a_data_folder_made_before_gets_the_marker_when_the_group_opens(tmp_path: Path) -> None:
    data = tmp_path / "organiser"
    group = create_group(data, "Marsh Lane Tenants Union", "door laptop")
    path = group.path
    group.close()
    (data / TRACKER_IGNORE).unlink()
    open_group(data, path.name).close()
    assert (data / TRACKER_IGNORE).is_file()


def test_which_folders_the_desktop_search_indexes_by_default(tmp_path: Path) -> None:
    home = tmp_path / "home"
    dirs = {"DOCUMENTS": home / "Documents", "DOWNLOAD": home / "Downloads", "DESKTOP": home / "Desktop",
            "MUSIC": home / "Music", "PICTURES": home / "Pictures", "VIDEOS": home / "Videos"}
    said = {name: indexed_by_desktop_search(home / name, home, dirs) for name in (
        "Marsh Lane Tenants Union.ics", "Documents/union/members.csv", "Downloads/members.csv",
        "Downloads/union/members.csv", "Documents/.private/members.csv", "USB/members.csv", ".hidden.csv")}
    assert said == {"Marsh Lane Tenants Union.ics": True, "Documents/union/members.csv": True,
                    "Downloads/members.csv": True, "Downloads/union/members.csv": False,
                    "Documents/.private/members.csv": False, "USB/members.csv": False, ".hidden.csv": False}
