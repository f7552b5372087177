"""The command line of an encrypted group: passphrase from a file, the environment or a prompt;
wrong passphrase exits 2 with one sentence; encrypt, passphrase change and wipe; kill -9 during
encrypt and during a passphrase change leaves a whole database. The commands of the first tests
run through the program's entry point in the test process (`organiser_in_process`), the
refusal of a command without a passphrase, the config file's rule and the kills in real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from organiser.core.errors import PassphraseError
from organiser.services.group import open_group
from tests.cli.conftest import ROOT, clean_env
from tests.services.test_atrest import make_legacy

PASSPHRASE = "correct horse battery staple"
NEW = "a brand new passphrase here"


def test_init_with_a_passphrase_then_every_command_needs_it(organiser_in_process, organiser, tmp_path):
    """In the test process, but the refusal without a passphrase in a real one: it asks at a
    terminal, and a process's standard input is what says there is none."""
    as_a_process, organiser = organiser, organiser_in_process
    env = {"ORGANISER_PASSPHRASE": PASSPHRASE}
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door", env=env).code == 0
    assert organiser("member", "add", "--name", "Ana López", env=env).code == 0
    locked = as_a_process("member", "list")
    assert locked.code == 2
    assert locked.err.strip() == ("organiser: this group is encrypted: give its passphrase with "
                                  "--passphrase-file FILE or $ORGANISER_PASSPHRASE.")
    wrong = organiser("member", "list", env={"ORGANISER_PASSPHRASE": "correct horse battery"})
    assert (wrong.code, wrong.err.strip()) == (2, "organiser: that passphrase does not unlock this group.")
    assert "Traceback" not in wrong.err
    file = tmp_path / "pass.txt"
    file.write_text(PASSPHRASE + "\n")
    listed = organiser("--passphrase-file", str(file), "member", "list", "--json").json()
    assert [m["name"] for m in listed] == ["Ana López"]


def test_a_too_short_passphrase_is_refused_and_nothing_is_made(organiser_in_process, tmp_path):
    organiser = organiser_in_process
    made = organiser("init", "--group", "Tenants Union", env={"ORGANISER_PASSPHRASE": "short"})
    assert made.code == 2 and "too short" in made.err
    groups = tmp_path / "data" / "groups"
    assert not groups.exists() or not any(groups.iterdir())


def test_require_passphrase_refuses_a_group_without_one(organiser, home):
    config = home / ".config" / "organiser"
    config.mkdir(parents=True)
    (config / "config.toml").write_text("require_passphrase = true\n")
    refused = organiser("init", "--group", "Tenants Union", "--device-name", "door")
    assert refused.code == 2 and "a passphrase is required" in refused.err
    made = organiser("init", "--group", "Tenants Union", "--device-name", "door",
                     env={"ORGANISER_PASSPHRASE": PASSPHRASE})
    assert made.code == 0, made.err


def test_encrypt_then_change_the_passphrase_then_wipe(organiser_in_process, tmp_path):
    organiser = organiser_in_process
    data_dir = tmp_path / "data"
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door").code == 0
    assert organiser("member", "add", "--name", "Ana López").code == 0
    encrypted = organiser("encrypt", env={"ORGANISER_PASSPHRASE": PASSPHRASE})
    assert encrypted.code == 0, encrypted.err
    assert organiser("member", "list").code == 2
    again = organiser("encrypt", env={"ORGANISER_PASSPHRASE": PASSPHRASE})
    assert again.code == 1 and "already encrypted" in again.err
    wrong = organiser("passphrase", "change", env={"ORGANISER_PASSPHRASE": "not it at all",
                                                   "ORGANISER_NEW_PASSPHRASE": NEW})
    assert wrong.code == 2 and "does not unlock" in wrong.err
    changed = organiser("passphrase", "change", env={"ORGANISER_PASSPHRASE": PASSPHRASE,
                                                     "ORGANISER_NEW_PASSPHRASE": NEW})
    assert changed.code == 0, changed.err
    assert organiser("member", "list", env={"ORGANISER_PASSPHRASE": PASSPHRASE}).code == 2
    names = organiser("member", "list", "--json", env={"ORGANISER_PASSPHRASE": NEW}).json()
    assert [m["name"] for m in names] == ["Ana López"]
    assert organiser("wipe").code == 2  # --yes is required
    wiped = organiser("wipe", "--yes")
    assert wiped.code == 0 and "cannot be read" in wiped.out
    assert list((data_dir / "groups").iterdir()) == []


def _make_plain_group(data_dir: Path, members: int) -> None:
    from organiser.services.group import create_group

    group = create_group(data_dir, "Tenants Union", "door laptop")
    batch = [group.members.build_add({"name": f"Member {n}", "emails": [f"m{n}@example.org"], "notes": "x" * 200})[1]
             for n in range(members)]
    group.replica.commit_batch(batch)  # one transaction: quick to make, big enough to take a while to copy
    make_legacy(group)  # as the code before encryption left it: keys in files, folder named by the group id


def _opens_whole(data_dir: Path, passphrases: list[str | None], members: int) -> str | None:
    """Which passphrase opens the group now (None: it is plain), after checking it is whole."""
    for passphrase in passphrases:
        try:
            group = open_group(data_dir, passphrase=passphrase)
        except PassphraseError:
            continue
        try:
            assert group.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert group.status()["counts"]["member"] == members
        finally:
            group.close()
        return passphrase
    raise AssertionError(f"the group opens with none of {passphrases}")


ENCRYPT_STEPS = ("encrypted-copy-written", "key-file-written", "key-file-in-place",
                 "encrypted-database-in-place", "secrets-shredded")


CHANGE_STEPS = ("rekeyed-copy-written", "key-file-written", "new-key-file-in-place", "rekeyed-database-in-place")


def _kill_at(args: list[str], data_dir: Path, home: Path, env: dict[str, str], step: str | None,
             delay: float = 0.0) -> None:
    """Run a command and kill -9 it at a named step (organiser.store.keyfile.crash_point), or after `delay`."""
    extra = {"ORGANISER_CRASH_POINT": step} if step else {}
    proc = subprocess.Popen([sys.executable, "-m", "organiser", "--data-dir", str(data_dir), *args],
                            cwd=ROOT, env={**clean_env(home), **env, **extra}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        if step:
            assert proc.stderr.readline().strip() == f"crash point {step}"
        else:
            time.sleep(delay)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stderr.close()


@pytest.mark.slow
def test_kill_9_during_encrypt_leaves_the_plain_or_the_encrypted_database_whole(tmp_path, home):
    members = 2000
    template = tmp_path / "template"
    _make_plain_group(template, members)
    env = {"ORGANISER_PASSPHRASE": PASSPHRASE}
    outcomes = {}
    kills: list[tuple[str | None, float]] = [(step, 0.0) for step in ENCRYPT_STEPS]
    kills += [(None, delay) for delay in (0.3, 0.8, 1.5)]  # and at moments no step names
    for number, (step, delay) in enumerate(kills):
        data_dir = tmp_path / f"run-{number}"
        subprocess.run(["cp", "-a", str(template), str(data_dir)], check=True)
        _kill_at(["encrypt"], data_dir, home, env, step, delay)
        outcomes[step or delay] = _opens_whole(data_dir, [None, PASSPHRASE], members)
        if outcomes[step or delay] is None:  # still plain: encrypting again finishes the job
            finish = subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(data_dir), "encrypt"],
                                    cwd=ROOT, env={**clean_env(home), **env}, capture_output=True, timeout=120)
            assert finish.returncode == 0, finish.stderr
            assert _opens_whole(data_dir, [PASSPHRASE], members) == PASSPHRASE
        assert not list(data_dir.rglob("device.key")) and not list(data_dir.rglob("group.secret"))
    assert [outcomes[s] for s in ENCRYPT_STEPS] == [None, None, None, PASSPHRASE, PASSPHRASE]


@pytest.mark.slow
def test_kill_9_during_a_passphrase_change_leaves_the_old_or_the_new_one_working(tmp_path, home):
    from organiser.services.group import create_group

    data_dir = tmp_path / "data"
    group = create_group(data_dir, "Tenants Union", "door laptop", passphrase=PASSPHRASE)
    group.members.add("Ana López")
    group.close()
    env = {"ORGANISER_PASSPHRASE": PASSPHRASE, "ORGANISER_NEW_PASSPHRASE": NEW}
    outcomes = {}
    for step in CHANGE_STEPS:
        copy = tmp_path / f"at-{step}"
        subprocess.run(["cp", "-a", str(data_dir), str(copy)], check=True)
        _kill_at(["passphrase", "change"], copy, home, env, step)
        outcomes[step] = _opens_whole(copy, [PASSPHRASE, NEW], 1)
    # Before the switch the old passphrase opens the old database; after it, the new one the new.
    assert [outcomes[s] for s in CHANGE_STEPS] == [PASSPHRASE, PASSPHRASE, PASSPHRASE, NEW]
    current = PASSPHRASE
    for delay in (0.1, 0.3, 0.5, 0.7, 0.9, 1.2):  # and at moments no step names
        target = NEW if current == PASSPHRASE else PASSPHRASE
        _kill_at(["passphrase", "change"], data_dir, home,
                 {"ORGANISER_PASSPHRASE": current, "ORGANISER_NEW_PASSPHRASE": target}, None, delay)
        current = _opens_whole(data_dir, [current, target], 1) or ""
