"""The admin's settings reach the commands: device names for init/join, port and discovery for serve."""

from __future__ import annotations

import getpass
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from organiser.cli.main import run
from organiser.services.group import open_group
from tests.net.netns import netns_unavailable

ROOT = Path(__file__).resolve().parents[2]


def settings_env(tmp_path: Path, system_text: str) -> dict[str, str]:
    system = tmp_path / "etc" / "config.toml"
    system.parent.mkdir(parents=True, exist_ok=True)
    system.write_text(system_text)
    return {"ORGANISER_SYSTEM_CONFIG": str(system), "ORGANISER_CONFIG": str(tmp_path / "no-user-config.toml"),
            "ORGANISER_DATA_DIR": str(tmp_path / "data")}


def test_init_without_device_name_uses_the_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    for key, value in settings_env(tmp_path, 'device_name = "{user} at the door"\n').items():
        monkeypatch.setenv(key, value)
    assert run(["init", "--group", "Tenants Union"]) == 0
    assert f"with this laptop '{getpass.getuser()} at the door'" in capsys.readouterr().out
    group = open_group(tmp_path / "data")
    try:
        assert group.device_name == f"{getpass.getuser()} at the door"
    finally:
        group.close()


def test_init_device_name_flag_wins_over_the_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    for key, value in settings_env(tmp_path, 'device_name = "{user} at the door"\n').items():
        monkeypatch.setenv(key, value)
    assert run(["init", "--group", "Tenants Union", "--device-name", "minutes laptop"]) == 0
    assert "with this laptop 'minutes laptop'" in capsys.readouterr().out


def test_first_run_screen_offers_the_template_as_device_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from organiser.ui.first_run import default_device_name

    for key, value in settings_env(tmp_path, 'device_name = "{user} door laptop"\n').items():
        monkeypatch.setenv(key, value)
    assert default_device_name() == f"{getpass.getuser()} door laptop"


def test_an_invite_made_before_serve_names_the_configured_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import json

    for key, value in settings_env(tmp_path, "listen_port = 47800\n").items():
        monkeypatch.setenv(key, value)
    assert run(["init", "--group", "Tenants Union", "--device-name", "laptop1"]) == 0
    capsys.readouterr()
    assert run(["invite", "--json"]) == 0
    addresses = json.loads(capsys.readouterr().out)["addresses"]
    assert addresses and all(a.endswith(":47800") for a in addresses), addresses  # where `serve` will listen


REASON = netns_unavailable()


def serve_line(env: dict[str, str], *flags: str) -> str:
    """Run `organiser serve` in a private network namespace until it says where it listens."""
    script = f'ip link set lo up; exec "{sys.executable}" -m organiser serve {" ".join(flags)}'
    proc = subprocess.Popen(["unshare", "-n", "sh", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **env}, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                return proc.stdout.readline()  # type: ignore[union-attr]
            if proc.poll() is not None:
                break
        return ""
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.mark.netns
@pytest.mark.skipif(REASON is not None, reason=REASON or "")
def test_serve_listens_on_the_configured_port_unless_told_otherwise(tmp_path: Path) -> None:
    env = settings_env(tmp_path, "listen_port = 47811\ndiscovery = false\n")
    made = subprocess.run([sys.executable, "-m", "organiser", "init", "--group", "Tenants Union"],
                          env={**os.environ, **env}, capture_output=True, text=True, cwd=ROOT)
    assert made.returncode == 0, made.stderr
    assert "on port 47811." in serve_line(env)
    assert "on port 47812." in serve_line(env, "--listen", "0.0.0.0:47812")


@pytest.mark.netns
@pytest.mark.skipif(REASON is not None, reason=REASON or "")
def test_serve_on_a_taken_configured_port_says_which_file_set_it_and_what_to_do(tmp_path: Path) -> None:
    env = settings_env(tmp_path, "listen_port = 47811\ndiscovery = false\n")
    made = subprocess.run([sys.executable, "-m", "organiser", "init", "--group", "Tenants Union"],
                          env={**os.environ, **env}, capture_output=True, text=True, cwd=ROOT)
    assert made.returncode == 0, made.stderr
    blocker = ("import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 47811)); s.listen(); "
               "print('taken', flush=True); time.sleep(30)")
    fifo = tmp_path / "taken"  # serve starts once the blocker says the port is taken, not after a guessed wait
    script = (f'ip link set lo up; mkfifo {fifo}; "{sys.executable}" -c "{blocker}" > {fifo} & read line < {fifo}; '
              f'"{sys.executable}" -m organiser serve; code=$?; kill $!; exit $code')
    served = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True, text=True,
                            env={**os.environ, **env}, cwd=ROOT, timeout=60)
    assert served.returncode == 1
    assert served.stderr.strip().splitlines()[-1] == (
        "organiser: cannot listen on 0.0.0.0:47811 (error while attempting to bind on address ('0.0.0.0', 47811): "
        f"address already in use). listen_port 47811 is set in {env['ORGANISER_SYSTEM_CONFIG']}: stop what uses "
        "that port, or set another listen_port there (0 picks a free port).")


def test_no_group_in_the_configured_data_folder_names_the_file_that_set_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    env = settings_env(tmp_path, f'data_dir = "{tmp_path / "moved"}"\n')
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ORGANISER_DATA_DIR")  # an admin changed data_dir after the group was made elsewhere
    assert run(["status"]) == 4
    err = capsys.readouterr().err
    assert f"organiser: there is no group in {tmp_path / 'moved'} yet" in err
    assert err.endswith(f"organiser: that folder is data_dir in {env['ORGANISER_SYSTEM_CONFIG']}; a group made "
                        "before it was set is still in the old folder (see 'organiser --data-dir FOLDER status').\n")


def test_a_passphrase_required_by_the_admin_says_which_file_requires_it(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    env = settings_env(tmp_path, "require_passphrase = true\n")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ORGANISER_PASSPHRASE", raising=False)
    assert run(["init", "--group", "Tenants Union", "--device-name", "laptop1"]) == 2
    assert capsys.readouterr().err == (
        f"organiser: a passphrase is required here (require_passphrase in {env['ORGANISER_SYSTEM_CONFIG']}): "
        "give one with --passphrase-file FILE or $ORGANISER_PASSPHRASE.\n")
