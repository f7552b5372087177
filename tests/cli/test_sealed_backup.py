"""A full backup encrypted with a passphrase: nothing readable inside, restorable with the
passphrase only, refused in one sentence otherwise (the command line, through the program's entry
point in the test process; the refusal without a passphrase, which would ask at a terminal, in a
real process)."""

from __future__ import annotations

import json

import pytest

from organiser.core.errors import PassphraseError
from organiser.formats.common import FormatError
from organiser.formats.sealed import is_sealed, open_sealed, seal_backup

PASSPHRASE = "correct horse battery staple"


def test_a_sealed_backup_opens_with_its_passphrase_only():
    data = json.dumps({"format": "organiser-backup", "group": {"name": "Tenants Union"}}).encode()
    sealed = seal_backup(data, PASSPHRASE)
    assert is_sealed(sealed) and not is_sealed(data)
    assert b"Tenants Union" not in sealed
    assert open_sealed(sealed, PASSPHRASE, "backup.json") == data
    with pytest.raises(PassphraseError, match="backup.json: that passphrase does not open this backup"):
        open_sealed(sealed, "not the passphrase", "backup.json")
    damaged = sealed.replace(b'"nonce": "', b'"nonce": "AAAA', 1)
    with pytest.raises((FormatError, PassphraseError)):
        open_sealed(damaged, PASSPHRASE, "backup.json")
    with pytest.raises(FormatError, match="cannot be read"):
        open_sealed(b'{"format": "organiser-sealed-backup"}', PASSPHRASE, "backup.json")


def test_export_encrypted_then_restore_from_the_command_line(organiser_in_process, organiser, tmp_path):
    as_a_process, organiser = organiser, organiser_in_process
    from tests.cli.test_atrest import PASSPHRASE as GROUP_PASSPHRASE

    assert organiser("init", "--group", "Tenants Union", "--device-name", "door").code == 0
    assert organiser("member", "add", "--name", "Ana López", "--email", "ana@example.org").code == 0
    plain = organiser("export", "--format", "json", "--out", str(tmp_path / "plain.json"))
    assert plain.code == 0 and "plain file: anyone who gets it can read it" in plain.err
    out = tmp_path / "backup.json"
    written = organiser("export", "--format", "json", "--encrypt", "--out", str(out),
                        env={"ORGANISER_BACKUP_PASSPHRASE": PASSPHRASE})
    assert written.code == 0, written.err
    raw = out.read_bytes()
    # Text with a space or an @: base64 ciphertext cannot hold it by chance, as it can hold "Ana".
    assert "Ana López".encode() not in raw and b"Tenants Union" not in raw and b"ana@example.org" not in raw
    elsewhere = tmp_path / "elsewhere"
    refused = as_a_process("import", str(out), data_dir=elsewhere)
    assert refused.code == 2 and "encrypted backup" in refused.err and "Traceback" not in refused.err
    wrong = organiser("import", str(out), data_dir=elsewhere, env={"ORGANISER_BACKUP_PASSPHRASE": "nope nope nope"})
    assert wrong.code == 2 and "does not open this backup" in wrong.err
    assert not (elsewhere / "groups").exists() or not any((elsewhere / "groups").iterdir())
    restored = organiser("import", str(out), data_dir=elsewhere,
                         env={"ORGANISER_BACKUP_PASSPHRASE": PASSPHRASE, "ORGANISER_PASSPHRASE": GROUP_PASSPHRASE})
    assert restored.code == 0, restored.err
    listed = organiser("member", "list", "--json", data_dir=elsewhere,
                       env={"ORGANISER_PASSPHRASE": GROUP_PASSPHRASE}).json()
    assert [m["name"] for m in listed] == ["Ana López"]
    assert organiser("member", "list", data_dir=elsewhere).code == 2  # restored encrypted, with its own passphrase
