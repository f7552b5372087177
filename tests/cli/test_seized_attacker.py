"""The attacker who holds a laptop's disk (seized, stolen, or copied by a member later removed)
but not its passphrase, played through the command line:

- an old copy of the sealed key file and the passphrase it was sealed with (the one a person
  changed because someone saw it, or the one a removed member knew) open nothing written after
  the passphrase was changed;
- a key file or sealed backup planted with numbers or nesting no Organiser writes is refused in
  one sentence, never with a traceback.

The commands run through the program's entry point in the test process (`organiser_in_process`:
its parser, exit codes and output; a traceback would fail the test), the attempt with the old key
file also as a real process; the crash that must leave no core dump runs in a real process.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from organiser.store.datadir import DB_NAME, WRAPPED_KEY_NAME, group_dirs
from tests.cli.conftest import clean_env

OLD = "correct horse battery staple"  # the passphrase the attacker learnt
NEW = "a brand new passphrase nobody saw"


def _copy_of_disk(data_dir: Path, into: Path) -> Path:
    """Every file of the data folder as the attacker copies it (the laptop powered off)."""
    shutil.copytree(data_dir, into)
    return group_dirs(into)[0]


def test_an_old_key_file_with_the_old_passphrase_opens_nothing_written_after_a_change(organiser_in_process, organiser,
                                                                                     tmp_path):
    as_a_process, organiser = organiser, organiser_in_process
    env_old = {"ORGANISER_PASSPHRASE": OLD}
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door", env=env_old).code == 0
    assert organiser("member", "add", "--name", "Ana López", env=env_old).code == 0
    stolen_key = (group_dirs(organiser.data_dir)[0] / WRAPPED_KEY_NAME).read_bytes()  # the first copy

    changed = organiser("passphrase", "change", env={**env_old, "ORGANISER_NEW_PASSPHRASE": NEW})
    assert changed.code == 0, changed.err
    added = organiser("member", "add", "--name", "Written After The Change", env={"ORGANISER_PASSPHRASE": NEW})
    assert added.code == 0, added.err

    # Later, the laptop itself: its current database, with the key file from the first copy beside it.
    folder = _copy_of_disk(organiser.data_dir, tmp_path / "seized")
    (folder / WRAPPED_KEY_NAME).write_bytes(stolen_key)
    for runs in (organiser, as_a_process):
        attempt = runs("member", "list", data_dir=tmp_path / "seized", env=env_old)
        assert "Written After The Change" not in attempt.out
        assert attempt.code == 2 and "Traceback" not in attempt.err, attempt.err
    # The owner's laptop is untouched by all this and opens with the new passphrase only.
    assert organiser("member", "list", env=env_old).code == 2
    names = organiser("member", "list", "--json", env={"ORGANISER_PASSPHRASE": NEW}).json()
    assert sorted(m["name"] for m in names) == ["Ana López", "Written After The Change"]
    assert (group_dirs(organiser.data_dir)[0] / DB_NAME).exists()


def _with_kdf(raw: bytes, field: str, value: str) -> bytes:
    """The same file with one key-derivation number replaced by the raw JSON text `value`."""
    doc = json.loads(raw)
    header = json.loads(doc["header"])
    header["kdf"][field] = "@@"
    doc["header"] = json.dumps(header, sort_keys=True).replace('"@@"', value)
    return json.dumps(doc).encode()


PLANTED = [
    ("a time cost of 1e999", lambda raw: _with_kdf(raw, "time_cost", "1e999")),
    ("memory of -1e999", lambda raw: _with_kdf(raw, "memory_kib", "-1e999")),
    ("nesting 100000 deep", lambda raw: b"[" * 100_000 + b"]" * 100_000),
    ("a header nesting 100000 deep", lambda raw: json.dumps({"header": "[" * 100_000}).encode()),
]


@pytest.mark.parametrize(("what", "plant"), PLANTED, ids=[p[0] for p in PLANTED])
def test_a_planted_key_file_is_refused_in_one_sentence(organiser_in_process, what, plant):
    organiser = organiser_in_process
    env = {"ORGANISER_PASSPHRASE": OLD}
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door", env=env).code == 0
    key_file = group_dirs(organiser.data_dir)[0] / WRAPPED_KEY_NAME
    key_file.write_bytes(plant(key_file.read_bytes()))
    refused = organiser("member", "list", env=env)
    assert refused.code == 2, refused.err
    assert "Traceback" not in refused.err and refused.err.count("\n") == 1, refused.err
    assert f"{WRAPPED_KEY_NAME} cannot be read (" in refused.err


SEALED_HEADER_NESTED = json.dumps({"format": "organiser-sealed-backup", "header": "[" * 100_000}).encode()
PLANTED_BACKUPS = [
    *PLANTED[:2],
    ("a sealed backup whose header nests 100000 deep", lambda raw: SEALED_HEADER_NESTED),
    ("a backup nesting 100000 deep", lambda raw: b"[" * 100_000 + b"]" * 100_000),
]


@pytest.mark.parametrize(("what", "plant"), PLANTED_BACKUPS, ids=[p[0] for p in PLANTED_BACKUPS])
def test_a_planted_backup_is_refused_in_one_sentence(organiser_in_process, tmp_path, what, plant):
    organiser = organiser_in_process
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door").code == 0
    backup = tmp_path / "backup.json"
    env = {"ORGANISER_BACKUP_PASSPHRASE": OLD}
    assert organiser("export", "--format", "json", "--encrypt", "--out", str(backup), env=env).code == 0
    backup.write_bytes(plant(backup.read_bytes()))
    refused = organiser("import", str(backup), data_dir=tmp_path / "elsewhere", env=env)
    assert refused.code == 2, refused.err
    assert "Traceback" not in refused.err and refused.err.count("\n") == 1, refused.err
    assert f"{backup}: " in refused.err


def _gone(key_file: Path) -> None:
    key_file.unlink()  # as a wipe cut short after shredding the key leaves it, or an attacker


def _a_folder(path: Path) -> None:
    """A folder where the app keeps a file (planted, or a copy gone wrong)."""
    path.unlink()
    path.mkdir()


@pytest.mark.parametrize("replace", [_gone, _a_folder], ids=["no key file", "a folder for a key file"])
def test_a_missing_or_unreadable_key_file_is_refused_in_one_sentence(organiser_in_process, replace):
    organiser = organiser_in_process
    env = {"ORGANISER_PASSPHRASE": OLD}
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door", env=env).code == 0
    replace(group_dirs(organiser.data_dir)[0] / WRAPPED_KEY_NAME)
    refused = organiser("member", "list", env=env)
    assert refused.code == 2, refused.err
    assert "Traceback" not in refused.err and refused.err.count("\n") == 1, refused.err
    assert f"{WRAPPED_KEY_NAME} cannot be read (" in refused.err
    assert organiser("wipe", "--yes").code == 0  # and the copy can still be wiped


def _not_text(marker: Path) -> None:
    marker.write_bytes(b"\xff\xfe\x00 not UTF-8")


@pytest.mark.parametrize("plant", [_not_text, _a_folder], ids=["not text", "a folder"])
def test_a_planted_current_marker_stops_neither_opening_nor_the_panic_wipe(organiser_in_process, plant):
    organiser = organiser_in_process
    env = {"ORGANISER_PASSPHRASE": OLD}
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door", env=env).code == 0
    plant(organiser.data_dir / "current")  # the file naming the group opened last
    listed = organiser("member", "list", env=env)
    assert listed.code == 0 and "Traceback" not in listed.err, listed.err
    wiped = organiser("wipe", "--yes")
    assert wiped.code == 0 and "Traceback" not in wiped.err, wiped.err
    assert group_dirs(organiser.data_dir) == []


CORE_PATTERN = Path("/proc/sys/kernel/core_pattern")


@pytest.mark.skipif(not CORE_PATTERN.exists() or CORE_PATTERN.read_text().strip() not in ("core", "core.%p")
                    or resource.getrlimit(resource.RLIMIT_CORE)[1] == 0,
                    reason="the kernel here does not write core dumps into the crashing process's folder, or "
                    "core dumps are forbidden to these tests (a hard limit of 0)")
def test_a_crash_while_unlocked_leaves_no_core_dump_holding_the_key(tmp_path, home):
    """A crash (here SIGABRT, as a segfault in Qt or SQLCipher would) with the group unlocked: where
    the system keeps core dumps (systemd-coredump, apport, or a file as here), the key and the
    decrypted pages would stay on the disk for whoever takes it."""
    from organiser.services.group import create_group

    data_dir = tmp_path / "data"
    group = create_group(data_dir, "Tenants Union", "door laptop", passphrase=OLD)
    group.members.add("Ana López")
    key = group.database_key()
    group.close()
    assert key is not None
    where = tmp_path / "crashed-in"
    where.mkdir()

    def allow_core_dumps() -> None:  # as a person's desktop session may (ulimit -c unlimited)
        _soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
        resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))

    env = {**clean_env(home), "ORGANISER_PASSPHRASE": OLD, "ORGANISER_NEW_PASSPHRASE": NEW,
           "ORGANISER_CRASH_POINT": "rekeyed-copy-written"}
    proc = subprocess.Popen([sys.executable, "-m", "organiser", "--data-dir", str(data_dir), "passphrase", "change"],
                            cwd=where, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=allow_core_dumps)
    try:
        assert proc.stderr.readline().strip() == "crash point rekeyed-copy-written"
    finally:
        os.kill(proc.pid, signal.SIGABRT)
        proc.wait(timeout=60)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGABRT
    for dumped in where.iterdir():
        assert key not in dumped.read_bytes(), f"{dumped.name} holds the database key"
    assert list(where.iterdir()) == []
