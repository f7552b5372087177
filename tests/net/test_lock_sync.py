"""Locking stops syncing and unlocking resumes it: the app (offscreen, driven by key presses) on
laptop A with an encrypted group, `organiser serve` on laptop B, on a private LAN of network
namespaces. While A is locked, B sees it gone; what B writes meanwhile reaches A once unlocked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from organiser.services.group import create_group
from tests.conftest import add_device, sync_pair
from tests.net.netns import Lan, netns_unavailable, wait_for

REASON = netns_unavailable()
pytestmark = [pytest.mark.netns, pytest.mark.slow, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def lan() -> Iterator[Lan]:
    made = Lan("orglk")
    try:
        made.add_host("a")
        made.add_host("b")
        yield made
    finally:
        made.close()


class App:
    """The app on laptop A, driven line by line."""

    def __init__(self, lan: Lan, data_dir: Path, log: Path) -> None:
        self.proc = lan.start("a", [sys.executable, "-m", "tests.net.locking_app", str(data_dir)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(log, "ab"),  # noqa: SIM115
                              env=ENV, cwd=ROOT, text=True)

    def answer(self) -> str:
        line = self.proc.stdout.readline().strip()
        assert line, "the app stopped"
        return line

    def ask(self, command: str) -> str:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.answer()


def b_sees_a(lan: Lan, b_dir: Path) -> str:
    done = lan.run("b", lan.organiser(b_dir, "status", "--json"), env=ENV, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return [p["state"] for p in json.loads(done.stdout)["peers"]][0]


def test_locking_stops_sync_and_unlocking_resumes_it(lan: Lan, tmp_path: Path) -> None:
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    a = create_group(a_dir, "Tenants Union", "door laptop", passphrase=PASSPHRASE)
    b = add_device(a, b_dir, "minutes laptop")
    sync_pair(a, b)
    a.close()
    b.close()
    lan.start("b", lan.organiser(b_dir, "-v", "serve"), log=tmp_path / "b.log", env=ENV, cwd=ROOT)
    app = App(lan, a_dir, tmp_path / "a.log")
    try:
        assert app.answer() == "started locked"
        assert b_sees_a(lan, b_dir) == "offline"  # locked from the start: not on the network
        assert app.ask(f"unlock {PASSPHRASE}") == "unlocked"
        wait_for(lambda: b_sees_a(lan, b_dir) in ("connected", "syncing"), 30, 0.5, "A connected on B")

        assert app.ask("lock") == "locked"
        wait_for(lambda: b_sees_a(lan, b_dir) == "offline", 20, 0.5, "A gone on B")
        added = lan.run("b", lan.organiser(b_dir, "member", "add", "--name", "Added while A was locked"),
                        env=ENV, cwd=ROOT)
        assert added.returncode == 0, added.stderr
        assert app.ask("has Added while A was locked") == "locked"
        assert b_sees_a(lan, b_dir) == "offline"  # still gone: a locked laptop does not sync

        assert app.ask(f"unlock {PASSPHRASE}") == "unlocked"
        wait_for(lambda: b_sees_a(lan, b_dir) in ("connected", "syncing"), 30, 0.5, "A back on B")
        assert app.ask("has Added while A was locked") == "yes"
        app.proc.stdin.write("quit\n")
        app.proc.stdin.flush()
        assert app.proc.wait(timeout=20) == 0
    finally:
        if app.proc.poll() is None:
            app.proc.kill()
