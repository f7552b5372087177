"""A seized or lost laptop reveals nothing: what lies on disk for a group with a passphrase,
a wrong passphrase, changing it, encrypting a plain group in place, and the panic wipe."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlcipher3
from cryptography.hazmat.primitives import serialization

from organiser.core.errors import LockedError, PassphraseError
from organiser.net import peerbook
from organiser.services.atrest import change_passphrase, encrypt_group, passphrase_strength, wipe_group
from organiser.services.group import Group, create_group, open_group
from organiser.store.cipher import key_for, key_pragma
from organiser.store.database import connect
from organiser.store.datadir import DB_NAME, WRAPPED_KEY_NAME
from organiser.store.keyfile import read_key_file
from tests.conftest import add_device, sync_pair

PASSPHRASE = "correct horse battery staple"
SECRETS_TO_HIDE = ["Tenants Union", "door laptop", "minutes laptop", "Ana López", "ana@example.org",
                   "+44 7700 900123", "Bruno Díaz", "General meeting at the church hall", "Print the flyers",
                   "10.77.0.2:47800"]


def fill(group: Group) -> None:
    ana = group.members.add("Ana López", emails=["ana@example.org"], phones=["+44 7700 900123"], roles=["Outreach"])
    group.members.add("Bruno Díaz", notes="deleted later")
    event = group.events.add("General meeting at the church hall", "2026-12-03T19:00", end="2026-12-03T21:00")
    group.tasks.add("Print the flyers", assignee=ana.id, event=event.id)
    bruno = next(m for m in group.members.list() if m.name == "Bruno Díaz")
    group.members.delete(bruno.id)  # deleted people must not be readable either
    peerbook.remember_address(group.db, "f" * 32, "10.77.0.2:47800")


def key_material(group: Group) -> list[bytes]:
    private = group.private_key().private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                serialization.NoEncryption())
    database_key = key_for(group.path / DB_NAME)
    assert database_key is not None
    return [private, private.hex().encode(), database_key, database_key.hex().encode()]


def every_file(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_nothing_on_disk_names_the_group_its_members_or_its_keys(tmp_path):
    data_dir = tmp_path / "data"
    founder = create_group(data_dir, "Tenants Union", "door laptop", passphrase=PASSPHRASE)
    other = add_device(founder, tmp_path / "other", "minutes laptop")
    try:
        sync_pair(founder, other)
        fill(founder)
        hidden = [s.encode() for s in SECRETS_TO_HIDE] + [founder.id.encode(), other.device_id.encode()]
        hidden += key_material(founder)
        files = every_file(data_dir)  # while it is open: the WAL and its index are there too
        assert {p.name for p in files} >= {DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", WRAPPED_KEY_NAME, "current"}
        for path, data in files.items():
            for secret in hidden:
                assert secret not in data, f"{path.name} holds {secret[:20]!r}"
                assert secret.decode("latin-1").encode("utf-16-le") not in data
    finally:
        founder.close()
        other.close()
    for path, data in every_file(data_dir).items():  # and after closing
        for secret in hidden:
            assert secret not in data, f"{path.name} holds {secret[:20]!r}"


def test_an_encrypted_group_opens_only_with_its_passphrase_and_a_wrong_one_changes_nothing(data_dir):
    group = create_group(data_dir, "Tenants Union", "door laptop", passphrase=PASSPHRASE)
    fill(group)
    state = group.replica.state_hash()
    group.close()
    before = {p: (d, p.stat().st_mtime_ns) for p, d in every_file(data_dir).items()}
    with pytest.raises(LockedError):
        open_group(data_dir)
    with pytest.raises(PassphraseError, match="does not unlock"):
        open_group(data_dir, passphrase="correct horse battery stapler")
    assert {p: (d, p.stat().st_mtime_ns) for p, d in every_file(data_dir).items()} == before
    db_path = next(data_dir.rglob(DB_NAME))
    for module in (sqlcipher3,):
        with pytest.raises(module.DatabaseError):
            module.connect(str(db_path)).execute("SELECT * FROM meta").fetchall()
    again = open_group(data_dir, passphrase=PASSPHRASE)
    try:
        assert again.replica.state_hash() == state
        assert [m.name for m in again.members.list()] == ["Ana López"]
    finally:
        again.close()
    assert key_for(db_path) is None  # closing forgets the key


def test_a_group_is_found_by_its_id_with_its_passphrase(data_dir):
    group = create_group(data_dir, "Tenants Union", "door laptop", passphrase=PASSPHRASE)
    group_id = group.id
    group.close()
    assert group_id not in str(group.path)
    found = open_group(data_dir, group_id[:8], passphrase=PASSPHRASE)
    try:
        assert found.id == group_id
    finally:
        found.close()


def test_changing_the_passphrase_gives_the_database_a_new_key(data_dir):
    group = create_group(data_dir, "Tenants Union", "door laptop", passphrase=PASSPHRASE)
    path, database = group.path, (group.path / DB_NAME)
    group.members.add("Ana López")
    old_key = group.database_key()
    group.close()
    before = database.read_bytes(), (path / WRAPPED_KEY_NAME).read_bytes()
    with pytest.raises(PassphraseError):
        change_passphrase(path, "not the passphrase", "a brand new passphrase")
    with pytest.raises(PassphraseError, match="too short"):
        change_passphrase(path, PASSPHRASE, "short")
    assert (database.read_bytes(), (path / WRAPPED_KEY_NAME).read_bytes()) == before  # refused: nothing changed
    new_key = change_passphrase(path, PASSPHRASE, "a brand new passphrase")
    assert new_key != old_key and sorted(p.name for p in path.iterdir()) == [WRAPPED_KEY_NAME, DB_NAME]
    with pytest.raises(PassphraseError):
        connect(database, key=old_key)  # the old key (and so the old key file) opens nothing now
    with pytest.raises(PassphraseError):
        open_group(data_dir, passphrase=PASSPHRASE)
    again = open_group(data_dir, passphrase="a brand new passphrase")
    try:
        assert [m.name for m in again.members.list()] == ["Ana López"]
    finally:
        again.close()


def test_a_plain_group_is_encrypted_in_place_with_everything_kept(data_dir):
    group = create_group(data_dir, "Tenants Union", "door laptop")
    fill(group)
    state, vector, device = group.replica.state_hash(), group.replica.version_vector(), group.device_id
    hidden = [s.encode() for s in SECRETS_TO_HIDE] + key_material_plain(group)
    group.close()
    path = encrypt_group(data_dir, None, PASSPHRASE)
    with pytest.raises(LockedError):
        open_group(data_dir)
    again = open_group(data_dir, passphrase=PASSPHRASE)
    try:
        assert (again.replica.state_hash(), again.replica.version_vector(), again.device_id) == (state, vector, device)
        assert again.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        again.members.add("Chidi")  # and it goes on working, encrypted
    finally:
        again.close()
    for file, data in every_file(data_dir).items():
        for secret in hidden:
            assert secret not in data, f"{file.name} holds {secret[:20]!r}"
    assert path.parent == data_dir / "groups"


def test_a_read_still_running_as_the_group_closes_does_not_stop_its_encryption(data_dir):
    """The window's background load (its own connection) may still be reading when the person
    encrypts right after opening: encryption waits for it to close instead of saying "in use"."""
    import threading
    import time

    group = create_group(data_dir, "Tenants Union", "door laptop")
    fill(group)
    path = group.path
    group.close()
    reading = threading.Event()

    def background_load() -> None:  # its connection ends half a second into the encryption
        reader = connect(path / DB_NAME, readonly=True)
        reader.execute("SELECT count(*) FROM records").fetchone()
        reading.set()
        time.sleep(0.5)
        reader.close()

    load = threading.Thread(target=background_load)
    load.start()
    reading.wait(10)
    try:
        encrypt_group(data_dir, None, PASSPHRASE)
    finally:
        load.join()
    again = open_group(data_dir, passphrase=PASSPHRASE)
    assert [m.name for m in again.members.list()] == ["Ana López"]
    again.close()


def key_material_plain(group: Group) -> list[bytes]:
    private = group.private_key().private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                serialization.NoEncryption())
    return [private.hex().encode()]


def test_wipe_destroys_one_group_and_leaves_the_others(tmp_path):
    data_dir = tmp_path / "data"
    choir = create_group(data_dir, "Street Choir", "laptop", passphrase=PASSPHRASE)
    choir.members.add("Dee")
    choir.close()
    union = create_group(data_dir, "Tenants Union", "door laptop", passphrase=PASSPHRASE)
    fill(union)
    path = union.path
    union.close()
    copy = tmp_path / "seized-copy"
    shutil.copytree(path, copy)  # what an adversary imaged just before the wipe
    assert wipe_group(data_dir, path) is True
    assert not path.exists()
    assert not (data_dir / "current").exists()  # it pointed at the wiped group
    left = open_group(data_dir, passphrase=PASSPHRASE)
    try:
        assert left.name == "Street Choir" and [m.name for m in left.members.list()] == ["Dee"]
        other_key = key_for(left.path / DB_NAME)
    finally:
        left.close()
    # Nothing left on this machine opens the copy: no key held by the process, the other group's key
    # (same passphrase) does not, and without its sealed key file the copy is noise.
    assert key_for(copy / DB_NAME) is None and key_for(path / DB_NAME) is None
    conn = sqlcipher3.connect(str(copy / DB_NAME))
    conn.execute(key_pragma(other_key))
    with pytest.raises(sqlcipher3.DatabaseError):
        conn.execute("SELECT * FROM meta").fetchall()
    conn.close()
    with pytest.raises(PassphraseError):
        read_key_file(next((data_dir / "groups").iterdir()) / WRAPPED_KEY_NAME, "a guess at it")


def test_passphrase_strength_steers_to_longer_passphrases():
    assert not passphrase_strength("short").acceptable
    assert passphrase_strength("password").word == "weak"
    assert passphrase_strength("correct horse battery staple").word == "strong"


def make_legacy(group: Group) -> Path:
    """Turn a plain group into what the code before encryption left: the device key and group secret
    in files, a folder named by the group id, a 0644 database in 0755 folders."""
    from organiser.core.keys import write_private_key

    path, data_dir = group.path, group.path.parent.parent
    key = group.private_key()
    group.db.execute("DELETE FROM meta WHERE key = 'device_private_key'")
    group_id = group.id
    group.close()
    write_private_key(path / "device.key", key)
    (path / "group.secret").write_text("0" * 64 + "\n")  # the old shared secret, shredded on opening
    legacy = path.rename(path.parent / group_id)
    (data_dir / "current").write_text(group_id + "\n")
    for folder in (data_dir, data_dir / "groups", legacy):
        folder.chmod(0o755)
    (legacy / DB_NAME).chmod(0o644)
    return legacy


def test_a_group_made_before_encryption_takes_its_keys_inside_and_encrypts(data_dir):
    group = create_group(data_dir, "Tenants Union", "door laptop")
    fill(group)
    state, device, private_hex = group.replica.state_hash(), group.device_id, key_material_plain(group)[0]
    legacy = make_legacy(group)
    opened = open_group(data_dir, legacy.name[:8])  # by the old folder name, i.e. the group id
    try:
        assert (opened.device_id, opened.replica.state_hash()) == (device, state)
        assert not (legacy / "device.key").exists() and not (legacy / "group.secret").exists()
        assert (legacy.stat().st_mode & 0o777, (legacy / DB_NAME).stat().st_mode & 0o777) == (0o700, 0o600)
    finally:
        opened.close()
    path = encrypt_group(data_dir, None, PASSPHRASE)
    assert path != legacy and not legacy.exists()  # renamed: the folder no longer names the group
    assert (data_dir / "current").read_text().strip() == path.name
    again = open_group(data_dir, passphrase=PASSPHRASE)
    try:
        assert (again.device_id, again.replica.state_hash()) == (device, state)
    finally:
        again.close()
    for file, data in every_file(data_dir).items():
        assert private_hex not in data and b"Tenants Union" not in data, file


def test_closing_one_of_two_opened_copies_keeps_the_key_for_the_other(data_dir):
    from organiser.services.group import lock
    from organiser.store.database import connect

    made = create_group(data_dir, "Tenants Union", "door laptop", passphrase=PASSPHRASE)
    first = open_group(data_dir, passphrase=PASSPHRASE)
    made.close()
    second = open_group(data_dir)  # already unlocked in this process: no passphrase needed
    first.close()
    db_path = second.path / DB_NAME
    worker = connect(db_path)  # e.g. the sync worker's own connection
    worker.close()
    lock(second.path)  # the app locks: forgotten at once
    assert key_for(db_path) is None
    with pytest.raises(LockedError):
        connect(db_path)
    second.close()
