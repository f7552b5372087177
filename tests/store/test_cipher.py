"""SQLCipher under sqlite-utils: the paths that catch DB-API exceptions work on an encrypted
database, a wrong key is refused, and the sealed key file behaves."""

from __future__ import annotations

import sqlite3

import pytest
import sqlcipher3
import sqlite_utils.db

from organiser.core.errors import LockedError, PassphraseError
from organiser.store.cipher import forget_key, is_encrypted, remember_key
from organiser.store.database import connect
from organiser.store.keyfile import KeyFileError, new_database_key, read_key_file, seal, unseal, write_key_file


@pytest.fixture
def key() -> bytes:
    return new_database_key()


@pytest.fixture
def encrypted_db(tmp_path, key):
    db = connect(tmp_path / "e.db", key=key)
    yield db
    db.close()


def test_sqlite_utils_catches_sqlcipher3_errors(encrypted_db):
    assert sqlite_utils.db.sqlite3.OperationalError is sqlcipher3.dbapi2.OperationalError


def test_insert_with_alter_adds_a_column_on_an_encrypted_database(encrypted_db):
    table = encrypted_db["people"]
    table.insert({"name": "Ana"})
    table.insert({"name": "Bruno", "phone": "555"}, alter=True)
    assert [r["phone"] for r in table.rows] == [None, "555"]


def test_drop_ignore_on_a_missing_table_is_quiet(encrypted_db):
    encrypted_db["never_made"].drop(ignore=True)
    with pytest.raises(sqlcipher3.dbapi2.OperationalError):
        encrypted_db["never_made"].drop()


def test_too_many_variables_falls_back_to_smaller_batches(encrypted_db, monkeypatch):
    # sqlite-utils sizes batches for 999 variables; told there is room for a million, it sends a
    # statement over this SQLCipher's limit (250,000) and must halve it when SQLite refuses; had it
    # caught sqlite3's exception class instead of sqlcipher3's, the refusal would escape here.
    monkeypatch.setattr(sqlite_utils.db, "SQLITE_MAX_VARS", 1_000_000)
    rows = [{f"c{i}": n for i in range(900)} for n in range(300)]  # 270,000 variables in one statement
    encrypted_db["wide"].insert_all(rows, batch_size=300)
    assert encrypted_db["wide"].count == 300


def test_an_encrypted_database_does_not_open_without_its_key(tmp_path, key, encrypted_db):
    encrypted_db["people"].insert({"name": "Ana López"})
    encrypted_db.close()
    path = tmp_path / "e.db"
    assert is_encrypted(path)
    # The whole name, not "Ana": three given bytes turn up by chance in the 204 KB of ciphertext
    # about once in a hundred databases (3 of 300 made so; a run of the suite failed on it).
    assert "Ana López".encode() not in path.read_bytes()
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        sqlite3.connect(path).execute("SELECT * FROM people").fetchall()
    with pytest.raises(sqlcipher3.dbapi2.DatabaseError, match="file is not a database"):
        sqlcipher3.connect(str(path)).execute("SELECT * FROM people").fetchall()
    with pytest.raises(LockedError):
        connect(path)
    with pytest.raises(PassphraseError):
        connect(path, key=new_database_key())
    remember_key(path, key)  # what unlocking does: every connection of this process finds it
    try:
        again = connect(path)
        assert [r["name"] for r in again["people"].rows] == ["Ana López"]
        again.close()
    finally:
        forget_key(path)
    with pytest.raises(LockedError):
        connect(path)


def test_the_key_file_opens_with_its_passphrase_only(tmp_path, key):
    path = tmp_path / "db.key"
    write_key_file(path, key, "correct horse battery")
    assert read_key_file(path, "correct horse battery") == key
    before = path.read_bytes()
    with pytest.raises(PassphraseError, match="does not unlock"):
        read_key_file(path, "correct horse batterY")
    assert path.read_bytes() == before
    assert key not in before and key.hex().encode() not in before
    assert path.stat().st_mode & 0o777 == 0o600


def test_sealing_twice_gives_different_files_with_the_same_key(key):
    first, second = seal(key, "passphrase one"), seal(key, "passphrase one")
    assert first != second  # fresh salt and nonce
    assert unseal(first, "passphrase one") == unseal(second, "passphrase one") == key


def test_a_tampered_key_file_is_refused_in_one_sentence(key):
    sealed = seal(key, "passphrase one")
    stronger = sealed.replace(b'\\"time_cost\\": 3', b'\\"time_cost\\": 2')
    assert stronger != sealed
    with pytest.raises(PassphraseError):  # the parameters are authenticated with the key
        unseal(stronger, "passphrase one")
    with pytest.raises(KeyFileError, match="cannot be read"):
        unseal(b"not json", "passphrase one")
