"""Where groups live: the platform's data folder, overridable; several groups side by side."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from organiser.core.errors import NoGroupError
from organiser.services.group import create_group, open_group
from organiser.store.datadir import DB_NAME, KEY_NAME, current_group_dir, default_data_dir


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("ORGANISER_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


@pytest.mark.skipif(sys.platform != "linux", reason="XDG is the Linux convention")
def test_the_default_is_the_xdg_data_folder(clean_env, tmp_path):
    assert default_data_dir() == tmp_path / "home" / ".local" / "share" / "organiser"
    clean_env.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "organiser"


def test_organiser_data_dir_beats_xdg(clean_env, tmp_path):
    clean_env.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    clean_env.setenv("ORGANISER_DATA_DIR", str(tmp_path / "chosen"))
    assert default_data_dir() == tmp_path / "chosen"


def test_the_group_folder_and_its_files_are_its_owners_only(group, data_dir):
    group.members.add("Ana")  # the WAL and its index exist now too
    assert not (group.path / KEY_NAME).exists()  # the device key lives inside the database
    for folder in (data_dir, data_dir / "groups", group.path):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    files = list(group.path.iterdir()) + [data_dir / "current"]
    assert {p.name for p in group.path.iterdir()} >= {DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_two_groups_live_side_by_side_each_in_its_own_database(data_dir):
    tenants = create_group(data_dir, "Tenants Union", "laptop")
    choir = create_group(data_dir, "Street Choir", "laptop")
    try:
        tenants.members.add("Ana")
        choir.members.add("Bruno")
        assert tenants.path != choir.path
        assert (tenants.path / DB_NAME).exists() and (choir.path / DB_NAME).exists()
        assert tenants.device_id != choir.device_id  # one key per group
    finally:
        tenants.close()
        choir.close()
    latest = open_group(data_dir)  # the last one created is the current one
    by_id = open_group(data_dir, tenants.id[:6])
    try:
        assert latest.name == "Street Choir"
        assert [m.name for m in latest.members.list()] == ["Bruno"]
        assert by_id.name == "Tenants Union"
        assert [m.name for m in by_id.members.list()] == ["Ana"]
    finally:
        latest.close()
        by_id.close()


def test_opening_an_empty_data_dir_says_how_to_create_or_join(tmp_path):
    with pytest.raises(NoGroupError) as caught:
        open_group(tmp_path / "nothing here")
    message = str(caught.value)
    assert "organiser init --group NAME --device-name NAME" in message
    assert "join" in message


def test_a_group_choice_that_matches_none_is_refused(group, data_dir):
    with pytest.raises(NoGroupError, match="does not name exactly one group"):
        current_group_dir(data_dir, "zzzz")


def test_a_half_made_group_folder_is_ignored(group, data_dir):
    (Path(data_dir) / "groups" / "junk").mkdir()
    assert current_group_dir(data_dir) == group.path
