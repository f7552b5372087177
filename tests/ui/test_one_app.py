"""The app started a second time on the same data folder brings the open window forward and ends,
instead of opening a second window writing to the same groups."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from organiser.ui.one_app import OneApp, already_open_sentence
from tests.cli_in_process import clean_env


@pytest.fixture
def first_app(tmp_path: Path) -> Iterator[OneApp]:
    first = OneApp(tmp_path / "data")
    assert first.claim()
    yield first
    first.release()


def test_a_second_start_asks_the_first_window_to_come_forward_and_does_not_open(
        qtbot: Any, first_app: OneApp, tmp_path: Path) -> None:
    second = OneApp(tmp_path / "data")
    with qtbot.waitSignal(first_app.comeForward, timeout=3000):
        assert not second.claim()
    assert second.answered


def test_the_organiser_command_started_again_says_the_app_is_open_and_ends(
        qtbot: Any, first_app: OneApp, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {**clean_env(data_dir), "QT_QPA_PLATFORM": "offscreen"}
    second = subprocess.Popen([sys.executable, "-m", "organiser", "--data-dir", str(data_dir)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with qtbot.waitSignal(first_app.comeForward, timeout=30000):
            pass
        _out, err = second.communicate(timeout=30)
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()
    assert second.returncode == 0
    assert err.strip() == f"organiser: {already_open_sentence(data_dir, True)}"


def test_another_data_folder_is_another_app(first_app: OneApp, tmp_path: Path) -> None:
    other = OneApp(tmp_path / "other data")
    assert other.claim()
    other.release()


def test_the_lock_of_an_app_that_ended_is_taken_by_the_next(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert _crashed_app_lock(data_dir).exists()
    again = OneApp(data_dir)
    assert again.claim()
    again.release()


def test_the_data_folder_the_first_start_makes_is_the_owners_alone(tmp_path: Path) -> None:
    """Another account on a shared laptop could list the folder's files (app.lock) while the
    first group was not yet made: the first start made it with the umask's 0755."""
    old = os.umask(0o022)
    try:
        first = OneApp(tmp_path / "fresh" / "data")
        assert first.claim()
        first.release()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "fresh" / "data").stat().st_mode) == 0o700


def _crashed_app_lock(data_dir: Path) -> Path:
    """The lock of an app that crashed (nothing released), as it left it."""
    ended = subprocess.run([sys.executable, "-c", (
        "import os, sys; from pathlib import Path; from PySide6.QtCore import QCoreApplication; "
        "from organiser.ui.one_app import OneApp; app = QCoreApplication([]); "
        f"one = OneApp(Path({str(data_dir)!r})); assert one.claim(); os._exit(0)")],
        env={**clean_env(data_dir), "QT_QPA_PLATFORM": "offscreen"}, capture_output=True, text=True, timeout=60)
    assert ended.returncode == 0, ended.stderr
    return data_dir / "app.lock"


def test_a_crashed_apps_lock_whose_process_number_went_to_another_python_is_taken_by_the_next(
        tmp_path: Path) -> None:
    """Linux hands process numbers out again (after 32,768 on this machine and many laptops). When
    the crashed app's number goes to another process of the same program (python3.11 here, the
    packaged `organiser` command in a .deb), QLockFile takes that process for the lock's owner and
    the app would never start again, saying it is already open."""
    data_dir = tmp_path / "data"
    lock_file = _crashed_app_lock(data_dir)
    later = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # the number's new process
    try:
        _crashed_pid, rest = lock_file.read_text().split("\n", 1)
        lock_file.write_text(f"{later.pid}\n{rest}")  # the same lock, its number now the later process's
        again = OneApp(data_dir)
        assert again.claim()
        again.release()
    finally:
        later.kill()
        later.wait()


def test_an_app_still_starting_keeps_its_lock_though_it_does_not_answer_yet(tmp_path: Path) -> None:
    """Holding the lock, not yet listening: the next start does not take the lock from it."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    starting = subprocess.Popen([sys.executable, "-c", (
        "import time; from PySide6.QtCore import QCoreApplication, QLockFile; app = QCoreApplication([]); "
        f"lock = QLockFile({str(data_dir / 'app.lock')!r}); lock.setStaleLockTime(0); "
        "print(lock.tryLock(0), flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True,
        env={**clean_env(data_dir), "QT_QPA_PLATFORM": "offscreen"})
    try:
        assert starting.stdout is not None and starting.stdout.readline().strip() == "True"
        second = OneApp(data_dir)
        assert not second.claim() and not second.answered
    finally:
        starting.kill()
        starting.wait()
