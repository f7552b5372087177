"""`organiser selftest`: what an admin runs after installing, and what it says when something is broken."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest

from organiser import __version__
from organiser.cli.main import run

APP_PRESENT = importlib.util.find_spec("organiser.app") is not None


def test_store_tls_zeroconf_and_modules_pass_with_a_one_line_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["selftest", "--only", "modules", "--only", "store", "--only", "tls", "--only", "zeroconf"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert len(out.splitlines()) == 1
    assert out.startswith(f"organiser {__version__} selftest passed in ")
    for part in ("modules ok", "store ok (member written and read back)", "tls ok (TLSv1.3, OpenSSL",
                 "zeroconf ok (zeroconf "):
        assert part in out


def test_the_encryption_check_writes_an_encrypted_group_and_names_sqlcipher(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["selftest", "--only", "encryption"]) == 0
    out = capsys.readouterr().out
    assert "encryption ok (SQLCipher 4." in out and "Argon2id unlock" in out


def test_json_gives_each_check_and_its_time(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["selftest", "--only", "tls", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert [c["name"] for c in report["checks"]] == ["tls"]
    assert report["checks"][0]["seconds"] > 0


def test_a_missing_main_window_fails_naming_the_window_check(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "organiser.app", None)  # what a build that lost the app would see
    code = run(["selftest", "--only", "store", "--only", "window"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith(f"organiser {__version__} selftest FAILED: window: the app has no main window to open")
    assert out.rstrip().endswith("(passed: store)")


@pytest.mark.skipif(not APP_PRESENT, reason="organiser/app.py (the desktop app) is not in this checkout")
def test_every_check_passes_and_the_main_window_is_painted_offscreen(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["selftest", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    window = next(c for c in report["checks"] if c["name"] == "window")
    assert window["ok"] and " on offscreen" in window["detail"]
    assert report["window_painted_at"] is not None


def run_in_fresh_python(code: str, *wrapper: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
    return subprocess.run([*wrapper, sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)


def test_importing_every_module_leaves_the_display_choice_alone() -> None:
    result = run_in_fresh_python("import os; from organiser.cli.main import run; "
                                 "run(['selftest', '--only', 'modules']); print(os.environ.get('QT_QPA_PLATFORM'))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "None"


@pytest.mark.skipif(shutil.which("xvfb-run") is None or not APP_PRESENT, reason="needs xvfb-run and organiser/app.py")
def test_display_opens_the_window_on_a_real_x_server() -> None:
    result = run_in_fresh_python("import sys; from organiser.cli.main import run; "
                                 "sys.exit(run(['selftest', '--only', 'window', '--display']))", "xvfb-run", "-a")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith(" on xcb)")


def test_a_mistake_in_the_admins_config_file_fails_the_config_check(tmp_path, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    system = tmp_path / "config.toml"
    system.write_text('data_dir = "~/Union"\nlisten_port = 478000\n')
    monkeypatch.setenv("ORGANISER_SYSTEM_CONFIG", str(system))
    monkeypatch.setenv("ORGANISER_CONFIG", str(tmp_path / "no-user-config.toml"))
    assert run(["selftest", "--only", "config"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"organiser {__version__} selftest FAILED: config: {system}, line 2: listen_port must be")

    system.write_text('data_dir = "~/Union"\nlisten_port = 47800\n')
    monkeypatch.setenv("ORGANISER_CONFIG", str(tmp_path / "still-no-user-config.toml"))  # read afresh
    assert run(["selftest", "--only", "config"]) == 0
    assert f"config ok (2 settings from {system})" in capsys.readouterr().out
