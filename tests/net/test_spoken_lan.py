"""Spoken invite codes between real processes on a private LAN of network namespaces: the new
laptop finds the inviting one by the code's nameplate over mDNS, with `organiser invite --short`
and `organiser join CODE`; a wrong guess burns the code; the announcement names no group.
Every wait is bounded; namespaces and processes are always removed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from organiser.net.spoken_code import EVEN, parse_spoken_code
from organiser.net.spoken_mdns import SERVICE_TYPE
from tests.net.netns import Lan, netns_unavailable, wait_for

REASON = netns_unavailable()
pytestmark = [pytest.mark.netns, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


class Inviting:
    """`organiser invite --short` running on a laptop: its first line is the code."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def code(self) -> str:
        return wait_for(lambda: self.lines[0] if self.lines else "", 20, what="the spoken code")

    def finish(self) -> tuple[int, str, str]:
        code = self.proc.wait(90)
        self._reader.join(5)
        assert self.proc.stderr is not None
        return code, "\n".join(self.lines), self.proc.stderr.read()


@pytest.fixture
def lan(tmp_path: Path) -> Iterator[tuple[Lan, Path]]:
    lan = Lan("orgsp")
    try:
        for host in ("a", "b", "c", "s"):
            lan.add_host(host)
        yield lan, tmp_path
    finally:
        lan.close()


def organiser(lan: Lan, base: Path, host: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return lan.run(host, lan.organiser(base / host, *args), timeout=timeout, env=ENV, cwd=ROOT)


def invite_short(lan: Lan, base: Path, host: str) -> Inviting:
    return Inviting(lan.start(host, lan.organiser(base / host, "invite", "--short"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT))


def test_a_laptop_joins_by_the_spoken_code_found_on_mdns_and_receives_the_group(lan):
    lan, base = lan
    assert organiser(lan, base, "a", "init", "--group", "Tenants Union", "--device-name", "door laptop").returncode == 0
    assert organiser(lan, base, "a", "member", "add", "--name", "Ana Lima").returncode == 0
    inviting = invite_short(lan, base, "a")  # no node runs on A: the command runs one meanwhile
    code = inviting.code()
    parse_spoken_code(code)  # a number and two words
    probe = lan.run("s", [sys.executable, "-m", "tests.net.mdns_probe", "3", SERVICE_TYPE], env=ENV, cwd=ROOT)
    heard = json.loads(probe.stdout)
    assert len(heard) == 1, probe.stderr
    group_id = json.loads(organiser(lan, base, "a", "status", "--json").stdout)["group"]["id"]
    assert group_id not in json.dumps(heard) and "Tenants" not in json.dumps(heard)
    assert set(heard[0]["txt"]) == {"v", "n"}  # the version and the nameplate's tag: nothing else
    joined = organiser(lan, base, "b", "join", code.replace("-", " "), "--device-name", "minutes laptop")
    assert joined.returncode == 0, joined.stderr
    assert "Joined group 'Tenants Union'" in joined.stdout
    exit_code, out, err = inviting.finish()
    assert exit_code == 0 and "'minutes laptop' joined the group" in out, err
    members = json.loads(organiser(lan, base, "b", "member", "list", "--json").stdout)
    assert [m["name"] for m in members] == ["Ana Lima"]  # the first sync ran before A's command ended


def test_a_wrong_guess_burns_the_code_beside_a_running_node_and_a_new_code_works(lan):
    lan, base = lan
    assert organiser(lan, base, "a", "init", "--group", "Tenants Union", "--device-name", "door laptop").returncode == 0
    serve = lan.start("a", lan.organiser(base / "a", "-v", "serve"), log=base / "a.log", env=ENV, cwd=ROOT)
    wait_for(lambda: "on port" in (base / "a.log").read_text() if (base / "a.log").exists() else False, 20,
             what="A serving")
    inviting = invite_short(lan, base, "a")
    parsed = parse_spoken_code(inviting.code())
    wrong = f"{parsed.nameplate}-{EVEN[(EVEN.index(parsed.words[0]) + 7) % 256]}-{parsed.words[1]}"
    guess = organiser(lan, base, "c", "join", wrong, "--device-name", "guesser")
    assert guess.returncode == 1 and "did not match" in guess.stderr
    exit_code, _out, err = inviting.finish()
    assert exit_code == 1 and "no longer works: make a new one" in err
    late = organiser(lan, base, "b", "join", inviting.lines[0], "--device-name", "minutes laptop", timeout=60)
    assert late.returncode == 1 and "no laptop on this network offers" in late.stderr
    again = invite_short(lan, base, "a")
    joined = organiser(lan, base, "b", "join", again.code(), "--device-name", "minutes laptop")
    assert joined.returncode == 0, joined.stderr
    assert again.finish()[0] == 0
    roster = {d["name"] for d in json.loads(organiser(lan, base, "a", "device", "list", "--json").stdout)}
    assert roster == {"door laptop", "minutes laptop"}
    # B's first sync was with the running `serve` (another process), by the join key from the WELCOME's token.
    synced = {d["name"] for d in json.loads(organiser(lan, base, "b", "device", "list", "--json").stdout)}
    assert synced == roster
    assert lan.stop(serve) == 0
