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


def year_of_changes(count: int) -> bytes:
    """A backup's shape a year on: the signed change log, hex and JSON repeated many times."""
    changes = [{"author": f"{n % 8:032x}", "seq": n, "hash": f"{n * 7919:064x}",
                "body": json.dumps({"a": f"{n % 8:032x}", "o": [["member", f"{n % 800:032x}", "notes",
                                                                 f"Week {n % 52}: called"]], "s": n}),
                "signature": f"{n * 104729:0128x}"} for n in range(count)]
    return json.dumps({"format": "organiser-backup", "version": 1, "changes": changes}).encode()


def test_a_sealed_backup_of_a_year_takes_less_room_than_the_plain_one():
    """The sealed file was base64 of the whole JSON: a third bigger than the plain backup
    (173 MB against 130 MB for a year of 8 laptops). Packed before sealing, it is smaller."""
    data = year_of_changes(5000)
    sealed = seal_backup(data, PASSPHRASE)
    assert len(sealed) < len(data) / 2
    assert open_sealed(sealed, PASSPHRASE, "backup.json") == data


def test_a_sealed_backup_made_before_packing_still_opens():
    """Version 1 files (sealed without packing) were written until now: they open as before."""
    import base64
    import secrets

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from organiser.store.keyfile import KdfParams

    data = year_of_changes(10)
    params = KdfParams(salt=secrets.token_bytes(16))
    header = json.dumps({"format": "organiser-sealed-backup", "version": 1, "kdf": params.to_json()}, sort_keys=True)
    nonce = secrets.token_bytes(12)
    box = AESGCM(params.derive(PASSPHRASE)).encrypt(nonce, data, header.encode())
    old = json.dumps({"format": "organiser-sealed-backup", "header": header, "nonce": base64.b64encode(nonce).decode(),
                      "ciphertext": base64.b64encode(box).decode()}).encode()
    assert open_sealed(old, PASSPHRASE, "old.json") == data


def _sealed_v2(packed: bytes, passphrase: str) -> bytes:
    """A version 2 envelope around `packed` as is: what an attacker writes with the app's own format."""
    import base64
    import secrets

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from organiser.store.keyfile import KdfParams

    params = KdfParams(salt=secrets.token_bytes(16))
    header = json.dumps({"format": "organiser-sealed-backup", "version": 2, "kdf": params.to_json(),
                         "packing": "zlib"}, sort_keys=True)
    nonce = secrets.token_bytes(12)
    box = AESGCM(params.derive(passphrase)).encrypt(nonce, packed, header.encode())
    return json.dumps({"format": "organiser-sealed-backup", "header": header, "nonce": base64.b64encode(nonce).decode(),
                       "ciphertext": base64.b64encode(box).decode()}).encode()


def test_a_sealed_file_that_unpacks_to_far_more_than_any_backup_is_refused():
    """Written as the attacker who hands over a file and its passphrase: a few hundred kB that
    would unpack to gigabytes. It is refused in a sentence before it fills the laptop's memory."""
    import zlib

    bomb = _sealed_v2(zlib.compress(b"\0" * 80_000_000, 9), PASSPHRASE)
    assert len(bomb) < 1_000_000
    with pytest.raises(FormatError, match="bomb.json: .*unpacks to more than"):
        open_sealed(bomb, PASSPHRASE, "bomb.json")


def test_every_backup_this_app_seals_opens_again_however_well_it_packs():
    """A group whose every task carries the same long text packs better than the limit that
    refuses bombs: the app must not write a backup it then refuses to restore (sealed unpacked)."""
    data = b'{"format": "organiser-backup", "notes": "' + b"the same agenda template " * 3_000_000 + b'"}'
    assert len(data) > 64_000_000
    sealed = seal_backup(data, PASSPHRASE)
    assert open_sealed(sealed, PASSPHRASE, "backup.json") == data


@pytest.mark.parametrize("damage", ["cut short", "not zlib", "trailing nothing"])
def test_a_crafted_packing_is_refused_in_a_sentence(damage):
    """Written as the stranger who hands over a file and its passphrase: packing cut short, or not
    zlib at all, is refused in one sentence, never a traceback."""
    import zlib

    packed = zlib.compress(year_of_changes(50), 1)
    crafted = {"cut short": packed[: len(packed) // 2], "not zlib": b"PK\x03\x04" + packed,
               "trailing nothing": b""}[damage]
    with pytest.raises(FormatError, match="crafted.json: the encrypted backup cannot be read"):
        open_sealed(_sealed_v2(crafted, PASSPHRASE), PASSPHRASE, "crafted.json")
