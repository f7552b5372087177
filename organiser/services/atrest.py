"""A group's data at rest: encrypting a plain group in place, changing the passphrase, and the
panic wipe. Crash-safe: at every moment the folder holds the old database or the new one, whole.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import string
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from organiser.core.errors import OrganiserError, PassphraseError
from organiser.services.group import _device_key, find_group_dir
from organiser.store.cipher import dbapi, forget_key, is_encrypted, key_for, key_pragma, remember_key
from organiser.store.database import connect
from organiser.store.datadir import (
    DB_NAME,
    LEGACY_SECRET_FILES,
    NEXT_KEY_NAME,
    REKEYING_NAME,
    WRAPPED_KEY_NAME,
    current_name,
    finish_key_change,
    group_dirs,
    groups_dir,
    make_owner_only,
    new_local_name,
    set_current,
)
from organiser.store.keyfile import (
    crash_point,
    fsync_dir,
    new_database_key,
    read_key_file,
    seal,
    shred,
    write_private_atomically,
)

log = logging.getLogger(__name__)
ENCRYPTING_NAME = DB_NAME + ".encrypting"  # the encrypted copy while it is being written
MIN_PASSPHRASE = 8


@dataclass(frozen=True)
class Strength:
    """How hard a passphrase is to guess, in words for the person choosing it."""

    bits: float
    word: str  # "too short", "weak", "fair", "strong"
    hint: str  # what to do about it, "" when nothing

    @property
    def sentence(self) -> str:
        """The strength and its hint as shown under the field, e.g. "Fair: one or two more words make it
        strong."."""
        return f"{self.word.capitalize()}: {self.hint}" if self.hint else f"{self.word.capitalize()}."

    @property
    def acceptable(self) -> bool:
        """Whether a passphrase of this strength may be used (anything but "too short")."""
        return self.word != "too short"


def passphrase_strength(passphrase: str) -> Strength:
    """A rough estimate (character classes and length, repeats discounted, and halved because people
    choose words, not random letters), enough to steer people to a few random words; not a promise.
    Under MIN_PASSPHRASE (8) characters it is "too short"; then "weak" under 40 bits, "fair" under 60,
    else "strong". Never raises."""
    if len(passphrase) < MIN_PASSPHRASE:
        return Strength(0.0, "too short", f"use at least {MIN_PASSPHRASE} characters; four random words are best.")
    pools = [(string.ascii_lowercase, 26), (string.ascii_uppercase, 26), (string.digits, 10),
             (string.punctuation, 32)]
    pool = sum(size for chars, size in pools if any(c in chars for c in passphrase))
    pool += 100 if any(ord(c) > 127 for c in passphrase) else 0
    distinct = len(set(passphrase))
    bits = min(len(passphrase), distinct * 2) * math.log2(max(pool, 2)) / 2
    if bits < 40:
        return Strength(bits, "weak", "easy to guess for someone who takes the laptop; add words.")
    if bits < 60:
        return Strength(bits, "fair", "one or two more words make it strong.")
    return Strength(bits, "strong", "")


def check_new_passphrase(passphrase: str) -> None:
    """Refuse a new passphrase that is too short (`PassphraseError` with the hint); a weak one passes."""
    strength = passphrase_strength(passphrase)
    if not strength.acceptable:
        raise PassphraseError(f"the new passphrase is too short: {strength.hint}")


# ---- passphrase -------------------------------------------------------------------------------


def change_passphrase(path: Path, old: str, new: str) -> bytes:
    """Give the group in folder `path` a new random database key, sealed under the passphrase `new`,
    and return it: the database is copied under that key (as `encrypt` does), so a copy of the old
    key file with the old passphrase (someone saw it; a member who left knew it) opens nothing
    written from then on. Nothing else may have the database open.

    Crash-safe: the copy and the new key file (`db.key.next`) are written first; renaming the copy
    over the database is the switch; the new key file is renamed into place after it, or, after a
    crash there, when the group is next opened (datadir.finish_key_change). Before the switch the
    old passphrase opens the group as before. Refused, with nothing changed: `OrganiserError` when
    the group is not encrypted or is in use; `PassphraseError` when `new` is too short or `old` is
    wrong; `KeyFileError` when the key file is damaged."""
    db_path = path / DB_NAME
    if not is_encrypted(db_path):
        raise OrganiserError("this group is not encrypted yet: encrypt it with 'organiser encrypt'.")
    check_new_passphrase(new)
    finish_key_change(path)
    old_key = read_key_file(path / WRAPPED_KEY_NAME, old)
    new_key = new_database_key()
    sealed = seal(new_key, new)  # the slow part (Argon2id) before anything is locked
    conn = _exclusive(db_path, old_key)
    try:
        for stale in (NEXT_KEY_NAME, REKEYING_NAME):  # left by a change killed before its switch
            (path / stale).unlink(missing_ok=True)
        _export(conn, path / REKEYING_NAME, new_key)
        crash_point("rekeyed-copy-written")
        _check_copy(path / REKEYING_NAME, new_key)
        write_private_atomically(path / NEXT_KEY_NAME, sealed)
        crash_point("new-key-file-in-place")
        for leftover in (DB_NAME + "-wal", DB_NAME + "-shm"):  # the old database's, none in use while it is
            (path / leftover).unlink(missing_ok=True)  # ours: frames under the old key must not meet the new
        os.replace(path / REKEYING_NAME, db_path)  # the moment the new key, and only it, opens the group
        fsync_dir(path)
        crash_point("rekeyed-database-in-place")
    finally:
        conn.close()
    finish_key_change(path)
    _rekeyed(path, new_key)
    return new_key


def _rekeyed(path: Path, new_key: bytes) -> None:
    """The new key replaces the old one where this process or the OS keyring kept it."""
    from organiser.services import keyring_store

    db_path = path / DB_NAME
    if key_for(db_path) is not None:
        forget_key(db_path, everywhere=True)
        remember_key(db_path, new_key)
    if keyring_store.recall(path) is not None:
        try:
            keyring_store.remember(path, new_key)
        except Exception:  # noqa: BLE001 - the old key left there opens nothing now; the passphrase does
            log.warning("could not put the new key in the OS keyring", exc_info=True)


# ---- encrypt in place ---------------------------------------------------------------------------


def encrypt_group(data_dir: Path, group: str | None, passphrase: str) -> Path:
    """Encrypt a plain group's database in place; return its folder (renamed to a random local
    name when it was named by the group id). `group`: the folder's local name, the group id, or
    their start; None: the current group. Nothing else may have the database open.

    Refused, with the plain database left as it was: `PassphraseError` for a `passphrase` that is
    too short; `NoGroupError` when `group` names no group (or several); `OrganiserError` when the
    database is already encrypted, is in use (the app or `organiser serve` has it open), or its
    encrypted copy fails its integrity check. A group whose encryption was interrupted after the
    switch is finished instead, and `passphrase` must then be the one it was encrypted with
    (`PassphraseError` otherwise, `KeyFileError` for a damaged key file)."""
    check_new_passphrase(passphrase)
    path = find_group_dir(data_dir, group)
    db_path = path / DB_NAME
    if is_encrypted(db_path) and named_by_group_id(path):  # killed after the switch, before the rename
        path = finish_interrupted_encryption(data_dir, path)
        read_key_file(path / WRAPPED_KEY_NAME, passphrase)  # PassphraseError: it was encrypted with another
        return path
    if is_encrypted(db_path):
        raise OrganiserError("this group's database is already encrypted; change its passphrase with "
                             "'organiser passphrase change'.")
    (path / ENCRYPTING_NAME).unlink(missing_ok=True)  # left by an encryption that was interrupted
    _take_in_secrets(path)
    database_key = new_database_key()
    sealed = seal(database_key, passphrase)  # the slow part (Argon2id) before anything is locked
    conn = _exclusive(db_path)
    try:
        _export(conn, path / ENCRYPTING_NAME, database_key)
        crash_point("encrypted-copy-written")
        _check_copy(path / ENCRYPTING_NAME, database_key)
        write_private_atomically(path / WRAPPED_KEY_NAME, sealed)
        crash_point("key-file-in-place")
        os.replace(path / ENCRYPTING_NAME, db_path)  # the moment the group becomes encrypted
        fsync_dir(path)
        crash_point("encrypted-database-in-place")
    finally:
        conn.close()
    for name in LEGACY_SECRET_FILES:
        shred(path / name)
    for leftover in (DB_NAME + "-wal", DB_NAME + "-shm", DB_NAME + "-journal"):
        (path / leftover).unlink(missing_ok=True)  # the plain database's; SQLite makes new ones
    make_owner_only(path)
    crash_point("secrets-shredded")
    return _rename_to_local_name(data_dir, path)  # a crash before this: finish_interrupted_encryption


def _take_in_secrets(path: Path) -> None:
    """Move a legacy device key and group secret from files into the database before it is copied."""
    db = connect(path / DB_NAME)
    try:
        _device_key(db, path)
    finally:
        db.close()


IN_USE_WAIT = 5.0  # seconds for another connection to close


def _exclusive(db_path: Path, key: bytes | None = None) -> Any:
    """A connection that alone has the database (opened with `key` when it is encrypted): out of WAL
    (so no -wal file belongs to it) and locked until closed. Refused while the app or
    `organiser serve` has it open."""
    conn = dbapi().connect(str(db_path), isolation_level=None, timeout=2.0)
    if key is not None:
        conn.execute(key_pragma(key))
    try:
        # Leaving WAL needs every other connection closed, and it does not wait for them as a
        # lock does: a read begun just before (the window's background load as the group closes,
        # an `organiser status`) ends within moments, so it is tried again for a few seconds.
        given_up_at = time.monotonic() + IN_USE_WAIT
        while True:
            try:
                mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            except dbapi().OperationalError:
                mode = "locked"
            if str(mode).lower() == "delete":
                break
            if time.monotonic() > given_up_at:
                raise dbapi().OperationalError("database is locked")
            time.sleep(0.1)
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")
    except dbapi().OperationalError:
        conn.close()
        raise OrganiserError("the group's database is in use: close the app and stop 'organiser serve' "
                             "on this laptop, then try again.") from None
    except dbapi().DatabaseError:
        conn.close()
        raise PassphraseError("the key does not open this group's database.") from None
    return conn


def _export(conn: Any, target: Path, database_key: bytes) -> None:
    target.unlink(missing_ok=True)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{database_key.hex()}'\"", [str(target)])
    try:
        conn.execute("SELECT sqlcipher_export('encrypted')")
        conn.execute(f"PRAGMA encrypted.user_version = {int(version)}")
    finally:
        conn.execute("DETACH DATABASE encrypted")


def _check_copy(target: Path, database_key: bytes) -> None:
    conn = dbapi().connect(str(target), isolation_level=None)
    try:
        conn.execute(key_pragma(database_key))
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise OrganiserError(f"the encrypted copy failed its integrity check ({result}); "
                                 "the group was left as it was.")
    finally:
        conn.close()
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def named_by_group_id(path: Path) -> bool:
    """Whether the group folder `path` is named by its group id (32 hex digits), as before encryption
    existed; local names are 16 random hex digits."""
    return len(path.name) == 32 and all(c in string.hexdigits for c in path.name)


def finish_interrupted_encryption(data_dir: Path, path: Path) -> Path:
    """The last step of an encryption that was killed after the encrypted database took the plain
    one's place (its secrets were taken inside before): an encrypted folder still named by its
    group id gets its local name. Safe to repeat; returns the folder as it is named now.
    Call it only while no process has the group open (it renames the folder). Raises no
    OrganiserError; an `OSError` (from the rename, say) passes through."""
    if not named_by_group_id(path) or not is_encrypted(path / DB_NAME):
        return path
    for name in LEGACY_SECRET_FILES:  # taken inside before the switch; a crash may have left them
        shred(path / name)
    make_owner_only(path)
    return _rename_to_local_name(data_dir, path)


def finish_interrupted_encryptions(data_dir: Path) -> None:
    """finish_interrupted_encryption for every group of a data folder (the app does this on start)."""
    for path in group_dirs(data_dir):
        finish_interrupted_encryption(data_dir, path)


def _rename_to_local_name(data_dir: Path, path: Path) -> Path:
    """A folder named by its group id (groups made before encryption) gets a name that means nothing.
    The rename is atomic; a crash right after it leaves "current" naming no folder, which means
    "the last group" (datadir.current_group_dir), so nothing is lost."""
    if not named_by_group_id(path):
        return path
    renamed = groups_dir(data_dir) / new_local_name()
    os.rename(path, renamed)
    fsync_dir(renamed.parent)
    if current_name(data_dir) == path.name:
        set_current(data_dir, renamed.name)
    return renamed


# ---- panic wipe ---------------------------------------------------------------------------------


def wipe_group(data_dir: Path, path: Path) -> bool:
    """Destroy this laptop's copy of a group: the sealed key first (overwritten, synced, deleted),
    then every file and the folder. Returns whether the group was encrypted, i.e. whether a copy
    of the disk taken before is unreadable (crypto-shredding); a plain group's files are only deleted.
    `path` is the group's folder in `data_dir` (which stops naming it as current). The key is also
    forgotten in this process and in the OS keyring. Raises no OrganiserError; an `OSError` (say,
    a file that cannot be removed) passes through."""
    db_path = path / DB_NAME
    encrypted = is_encrypted(db_path)
    shred(path / WRAPPED_KEY_NAME)
    shred(path / NEXT_KEY_NAME)  # left by a passphrase change that was interrupted
    forget_key(db_path, everywhere=True)
    forget_remembered_key(path)
    for entry in sorted(path.iterdir()):
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name in LEGACY_SECRET_FILES:
            shred(entry)
        else:
            entry.unlink(missing_ok=True)
    path.rmdir()
    fsync_dir(path.parent)
    if current_name(data_dir) == path.name:
        (data_dir / "current").unlink()
    return encrypted


def forget_remembered_key(path: Path) -> None:
    """Drop the key kept in the OS keyring for the group folder `path`, if "Remember on this computer"
    was on. Never raises: a keyring that fails is logged and the wipe goes on."""
    from organiser.services.keyring_store import forget

    forget(path)
