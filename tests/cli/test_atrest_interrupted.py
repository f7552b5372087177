"""kill -9 during `organiser encrypt` after the encrypted database took the plain one's place but
before the folder got its local name: the next encrypt (or the app's start) finishes the job, so
no folder stays named by its group id for good."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from organiser.store.datadir import group_dirs
from tests.cli.conftest import ROOT, clean_env
from tests.cli.test_atrest import NEW, PASSPHRASE, _kill_at, _make_plain_group, _opens_whole

MEMBERS = 200
AFTER_THE_SWITCH = ("encrypted-database-in-place", "secrets-shredded")


def crashed_after_the_switch(tmp_path: Path, home: Path, step: str) -> tuple[Path, str]:
    """A data folder whose encryption was killed at `step`, and the folder's (group id) name."""
    data_dir = tmp_path / "data"
    _make_plain_group(data_dir, MEMBERS)
    _kill_at(["encrypt"], data_dir, home, {"ORGANISER_PASSPHRASE": PASSPHRASE}, step)
    [folder] = group_dirs(data_dir)
    assert len(folder.name) == 32  # still named by the group id: what the crash leaves
    assert (data_dir / "current").read_text().strip() == folder.name
    return data_dir, folder.name


def encrypt(data_dir: Path, home: Path, passphrase: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(data_dir), "encrypt"], cwd=ROOT,
                          env={**clean_env(home), "ORGANISER_PASSPHRASE": passphrase}, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("step", AFTER_THE_SWITCH)
def test_encrypting_again_after_a_crash_gives_the_folder_its_local_name(tmp_path, home, step):
    data_dir, old_name = crashed_after_the_switch(tmp_path, home, step)
    finished = encrypt(data_dir, home, PASSPHRASE)
    assert finished.returncode == 0, finished.stderr
    [folder] = group_dirs(data_dir)
    assert len(folder.name) == 16 and folder.name != old_name
    assert (data_dir / "current").read_text().strip() == folder.name
    assert _opens_whole(data_dir, [PASSPHRASE], MEMBERS) == PASSPHRASE
    assert not list(data_dir.rglob("device.key")) and not list(data_dir.rglob("group.secret"))
    again = encrypt(data_dir, home, PASSPHRASE)  # now truly done: said so, nothing changed
    assert again.returncode != 0 and "already encrypted" in again.stderr
    assert group_dirs(data_dir) == [folder]


def test_encrypting_again_with_another_passphrase_says_the_first_one_holds(tmp_path, home):
    data_dir, _old_name = crashed_after_the_switch(tmp_path, home, "encrypted-database-in-place")
    refused = encrypt(data_dir, home, NEW)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip() == "organiser: that passphrase does not unlock this group."
    [folder] = group_dirs(data_dir)
    assert len(folder.name) == 16  # the rename is done all the same
    assert _opens_whole(data_dir, [NEW, PASSPHRASE], MEMBERS) == PASSPHRASE
