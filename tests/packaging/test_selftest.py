"""`organiser selftest`: what an admin runs after installing, and what it says when something is broken."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from organiser.cli.main import run

APP_PRESENT = importlib.util.find_spec("organiser.app") is not None


def test_store_tls_zeroconf_and_modules_pass_with_a_one_line_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["selftest", "--only", "modules", "--only", "store", "--only", "tls", "--only", "zeroconf"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert len(out.splitlines()) == 1
    assert out.startswith("organiser 0.1.0 selftest passed in ")
    for part in ("modules ok", "store ok (member written and read back)", "tls ok (TLSv1.3, OpenSSL",
                 "zeroconf ok (zeroconf "):
        assert part in out


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
    assert out.startswith("organiser 0.1.0 selftest FAILED: window: the app has no main window to open")
    assert out.rstrip().endswith("(passed: store)")


@pytest.mark.skipif(not APP_PRESENT, reason="organiser/app.py (the desktop app) is not in this checkout")
def test_every_check_passes_and_the_main_window_is_painted_offscreen(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["selftest", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    window = next(c for c in report["checks"] if c["name"] == "window")
    assert window["ok"] and " on offscreen" in window["detail"]
    assert report["window_painted_at"] is not None
