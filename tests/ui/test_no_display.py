"""Started where there is no screen (over SSH, say), the app says so in one sentence."""

from __future__ import annotations

import os
import subprocess
import sys

from organiser.app import display_problem


def test_no_display_is_one_clear_sentence_and_a_display_or_platform_is_fine():
    assert "no display" in display_problem({})
    assert display_problem({"DISPLAY": ":0"}) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None


def test_organiser_without_a_display_exits_1_with_the_sentence_and_no_qt_abort(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    run = subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(tmp_path)],
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.strip().startswith("organiser: there is no display")
    assert "platform plugin" not in run.stderr
