"""Started where there is no screen (over SSH, say), the app says so in one sentence."""

from __future__ import annotations

import os
import subprocess
import sys

from organiser.display_check import display_problem


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


def test_a_display_that_does_not_answer_is_one_clear_sentence_not_a_qt_abort(tmp_path):
    """DISPLAY set to an X server that is not there (an SSH session's stale DISPLAY, a display that
    has gone): Qt aborted with a message about libxcb-cursor0 and reinstalling, which sends a
    newcomer installing packages they already have."""
    gone = ":4242"
    if os.path.exists("/tmp/.X11-unix/X4242"):
        import pytest
        pytest.skip("an X server answers on :4242 here")
    for platform in (None, "xcb"):
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
        env["DISPLAY"] = gone
        if platform:
            env["QT_QPA_PLATFORM"] = platform
        run = subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(tmp_path)],
                             env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 1, run.stderr
        assert run.stderr.strip().startswith(f"organiser: the display {gone} (DISPLAY) does not answer"), run.stderr
        assert "platform plugin" not in run.stderr and "xcb-cursor0" not in run.stderr
