"""On a laptop that is on no network yet, the command line says so where it would give an address,
as the app's Laptops does: never 127.0.0.1, which typed on another laptop reaches that one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import ROOT, Run, clean_env

SAID = ("this laptop is not on a network that other laptops can reach: join the room's Wi-Fi "
        "(or the hotspot the group uses)")


def on_no_network(home: Path, data_dir: Path, *args: str) -> Run:
    """The command run in a private network namespace that has only its loopback (and opens no socket)."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rn", "true"]).returncode != 0:
        pytest.skip("needs 'unshare -rn' for a network namespace of its own")
    script = f'ip link set lo up 2>/dev/null; exec "{sys.executable}" -m organiser --data-dir "{data_dir}" "$@"'
    proc = subprocess.run(["unshare", "-rn", "sh", "-c", script, "sh", *args], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env=clean_env(home))
    return Run(proc.returncode, proc.stdout, proc.stderr)


def test_status_and_invite_say_the_laptop_is_on_no_network_and_what_to_do(
        organiser: Callable[..., Run], home: Path) -> None:
    assert organiser("init", "--group", "Tenants", "--device-name", "door laptop").code == 0
    status = on_no_network(home, organiser.data_dir, "status")  # type: ignore[attr-defined]
    assert status.code == 0, status.err
    line = next(line for line in status.out.splitlines() if line.startswith("reachable at"))
    assert line.split(None, 2)[-1] == SAID
    invite = on_no_network(home, organiser.data_dir, "invite")  # type: ignore[attr-defined]
    assert invite.code == 0, invite.err
    assert (f"Note: {SAID}, then make a new invite: this code names no address another laptop can reach."
            in invite.err.splitlines())
    as_json = on_no_network(home, organiser.data_dir, "status", "--json")  # type: ignore[attr-defined]
    assert '"reachable_at": []' in as_json.out
