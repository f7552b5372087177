"""A crafted encrypted backup or key file (db.key) whose key derivation parameters or nonce no
Organiser ever writes: refused in one sentence, at once, before any memory is spent on it; never
a traceback, never gigabytes of Argon2 memory (the command line: the files made by real processes,
the refusals through the program's entry point in the test process, `organiser_in_process`)."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from organiser.store.datadir import WRAPPED_KEY_NAME, group_dirs
from tests.cli.conftest import runner_made_once

PASSPHRASE = "correct horse battery staple"


def _kdf(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def change(kdf: dict[str, Any]) -> None:
        kdf.update(changes)
    return change


def _short_salt(kdf: dict[str, Any]) -> None:
    kdf["salt"] = base64.b64encode(b"salt").decode()


# (what the file asks for, how the header is changed, or the nonce it carries, what the refusal names)
HOSTILE: list[tuple[str, Callable[[dict[str, Any]], None] | None, bytes | None, str]] = [
    ("4 GiB of memory", _kdf(memory_kib=4 * 1024 * 1024), None, "memory 4194304 is outside"),
    ("1 KiB of memory", _kdf(memory_kib=1), None, "memory 1 is outside"),
    ("64 passes", _kdf(time_cost=64), None, "time cost 64 is outside"),
    ("no passes", _kdf(time_cost=0), None, "time cost 0 is outside"),
    ("64 lanes", _kdf(parallelism=64), None, "parallelism 64 is outside"),
    ("a 4-byte salt", _short_salt, None, "salt length 4 is outside"),
    ("a 4-byte nonce", None, b"abcd", "nonce is 4 bytes, not 12"),
    ("a 200-byte nonce", None, b"n" * 200, "nonce is 200 bytes, not 12"),
]


def _tamper(raw: bytes, change: Callable[[dict[str, Any]], None] | None, nonce: bytes | None) -> bytes:
    """What an attacker writes: the same file with its parameters or nonce changed."""
    doc = json.loads(raw)
    if change is not None:
        header = json.loads(doc["header"])
        change(header["kdf"])
        doc["header"] = json.dumps(header, sort_keys=True)
    if nonce is not None:
        doc["nonce"] = base64.b64encode(nonce).decode()
    return json.dumps(doc).encode()


def _one_sentence(err: str) -> None:
    assert "Traceback" not in err and err.count("\n") == 1, err


@pytest.fixture(scope="module")
def made_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An encrypted backup and an encrypted group's data folder, made through the CLI once for this file."""
    plain = runner_made_once(tmp_path_factory, "plain")
    backup = plain.data_dir.parent / "backup.json"
    assert plain("init", "--group", "Tenants Union", "--device-name", "door").code == 0
    env = {"ORGANISER_BACKUP_PASSPHRASE": PASSPHRASE}
    assert plain("export", "--format", "json", "--encrypt", "--out", str(backup), env=env).code == 0
    encrypted = runner_made_once(tmp_path_factory, "encrypted")
    env = {"ORGANISER_PASSPHRASE": PASSPHRASE}
    assert encrypted("init", "--group", "Tenants Union", "--device-name", "door", env=env).code == 0
    return backup, encrypted.data_dir


@pytest.mark.parametrize(("what", "change", "nonce", "named"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_crafted_encrypted_backup_is_refused_in_one_sentence(organiser_in_process, tmp_path, made_once, what,
                                                                change, nonce, named):
    organiser = organiser_in_process
    out = tmp_path / "backup.json"
    env = {"ORGANISER_BACKUP_PASSPHRASE": PASSPHRASE}
    out.write_bytes(_tamper(made_once[0].read_bytes(), change, nonce))
    refused = organiser("import", str(out), data_dir=tmp_path / "elsewhere", env=env)
    assert refused.code == 2
    _one_sentence(refused.err)
    assert f"{out}: the encrypted backup cannot be read (" in refused.err and named in refused.err
    assert not (tmp_path / "elsewhere" / "groups").exists() or not any((tmp_path / "elsewhere" / "groups").iterdir())


@pytest.mark.parametrize(("what", "change", "nonce", "named"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_crafted_key_file_is_refused_in_one_sentence(organiser_in_process, made_once, what, change, nonce, named):
    organiser = organiser_in_process
    env = {"ORGANISER_PASSPHRASE": PASSPHRASE}
    shutil.copytree(made_once[1], organiser.data_dir)
    key_file = group_dirs(organiser.data_dir)[0] / WRAPPED_KEY_NAME
    key_file.write_bytes(_tamper(key_file.read_bytes(), change, nonce))
    refused = organiser("member", "list", env=env)
    assert refused.code != 0
    _one_sentence(refused.err)
    assert f"{WRAPPED_KEY_NAME} cannot be read (" in refused.err and named in refused.err
