"""The wrapped database key: 32 random bytes, sealed with a key derived from the passphrase.

The key file holds only the derivation's parameters, its salt and the sealed key (AES-256-GCM
from `cryptography`, the parameters as associated data so none can be changed unnoticed). It
names no group, member or device. Changing the passphrase gives the database a new key
(services/atrest.py), so an old copy of this file opens nothing written since; destroying
this file makes the database unreadable for good (crypto-shredding), which is what a panic
wipe does first.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2.exceptions import HashingError
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from organiser.core.errors import OrganiserError, PassphraseError
from organiser.store.cipher import KEY_BYTES

FORMAT = "organiser-key/1"
# RFC 9106, section 4, second recommended option: Argon2id, t=3, p=4, 64 MiB (its time on this
# machine: `python -m tests.perf.store --only-at-rest`, the unlock figures).
TIME_COST = 3
MEMORY_KIB = 64 * 1024
PARALLELISM = 4
# What a key file or sealed backup may ask for: a range around what seal() writes, so a crafted
# file can neither exhaust memory or time nor make argon2 or AES-GCM fail with a traceback.
MEMORY_KIB_RANGE = (8 * 1024, 1024 * 1024)  # 8 MiB .. 1 GiB
TIME_COST_RANGE = (1, 10)
PARALLELISM_RANGE = (1, 16)
SALT_BYTES_RANGE = (16, 64)
NONCE_BYTES = 12


class KeyFileError(OrganiserError):
    """A key file that cannot be read (damaged, or not an Organiser key file)."""


@dataclass(frozen=True)
class KdfParams:
    time_cost: int = TIME_COST
    memory_kib: int = MEMORY_KIB
    parallelism: int = PARALLELISM
    salt: bytes = b""

    def derive(self, passphrase: str) -> bytes:
        return hash_secret_raw(passphrase.encode("utf-8"), self.salt, time_cost=self.time_cost,
                               memory_cost=self.memory_kib, parallelism=self.parallelism,
                               hash_len=32, type=Type.ID)

    @classmethod
    def from_json(cls, kdf: Any) -> KdfParams:
        """The parameters a file asks for; ValueError (one sentence) for any this app would never write."""
        if kdf.get("name", "argon2id") != "argon2id":
            raise ValueError(f"its key derivation {kdf.get('name')!r} is not argon2id")
        params = cls(int(kdf["time_cost"]), int(kdf["memory_kib"]), int(kdf["parallelism"]),
                     base64.b64decode(kdf["salt"], validate=True))
        for what, value, (low, high) in (("memory", params.memory_kib, MEMORY_KIB_RANGE),
                                         ("time cost", params.time_cost, TIME_COST_RANGE),
                                         ("parallelism", params.parallelism, PARALLELISM_RANGE),
                                         ("salt length", len(params.salt), SALT_BYTES_RANGE)):
            if not low <= value <= high:
                raise ValueError(f"its key derivation's {what} {value} is outside {low}..{high}")
        return params

    def to_json(self) -> dict[str, object]:
        return {"name": "argon2id", "time_cost": self.time_cost, "memory_kib": self.memory_kib,
                "parallelism": self.parallelism, "salt": _b64(self.salt)}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def checked_nonce(nonce: bytes) -> bytes:
    if len(nonce) != NONCE_BYTES:
        raise ValueError(f"its nonce is {len(nonce)} bytes, not {NONCE_BYTES}")
    return nonce


def new_database_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def seal(database_key: bytes, passphrase: str) -> bytes:
    """The key file's bytes for this database key under this passphrase."""
    if not passphrase:
        raise PassphraseError("the passphrase is empty.")
    params = KdfParams(salt=secrets.token_bytes(16))
    header = json.dumps({"format": FORMAT, "kdf": params.to_json()}, sort_keys=True).encode()
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(params.derive(passphrase)).encrypt(nonce, database_key, header)
    return json.dumps({"header": header.decode(), "nonce": _b64(nonce), "sealed": _b64(sealed)}).encode() + b"\n"


def unseal(data: bytes, passphrase: str, where: Path | str = "the key file") -> bytes:
    """The database key, or PassphraseError when the passphrase is not the right one."""
    try:
        doc = json.loads(data)
        header_text = doc["header"]
        header = json.loads(header_text)
        kdf = header["kdf"]
        if header.get("format") != FORMAT or kdf.get("name") != "argon2id":
            raise ValueError("not an Organiser key file")
        params = KdfParams.from_json(kdf)
        nonce = checked_nonce(base64.b64decode(doc["nonce"], validate=True))
        sealed = base64.b64decode(doc["sealed"], validate=True)
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
        # OverflowError: a number such as 1e999; RecursionError: JSON nested too deep for the parser
        raise KeyFileError(f"{where} cannot be read ({exc}).") from None
    try:
        key = AESGCM(params.derive(passphrase)).decrypt(nonce, sealed, header_text.encode())
    except InvalidTag:
        raise PassphraseError("that passphrase does not unlock this group.") from None
    except (HashingError, ValueError) as exc:  # what the checks above should already have refused
        raise KeyFileError(f"{where} cannot be read ({exc}).") from None
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"{where} does not hold a 32-byte database key.")
    return key


def write_key_file(path: Path, database_key: bytes, passphrase: str) -> None:
    """Write (or replace) the key file atomically: the old one or the new one, whole, at any moment."""
    write_private_atomically(path, seal(database_key, passphrase))


def read_key_file(path: Path, passphrase: str) -> bytes:
    """The database key sealed in the file at `path`; KeyFileError when it is missing (a wipe cut short
    after shredding it), not a file, or damaged; PassphraseError for a wrong passphrase."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"{path.name} cannot be read ({exc.strerror or exc}).") from None
    return unseal(data, passphrase, path.name)


CRASH_POINT_ENV = "ORGANISER_CRASH_POINT"


def crash_point(name: str) -> None:
    """Where the crash tests kill -9 this process: with $ORGANISER_CRASH_POINT set to this step's
    name, say so on stderr and wait to be killed. Does nothing otherwise."""
    if os.environ.get(CRASH_POINT_ENV) == name:
        os.write(2, f"crash point {name}\n".encode())
        time.sleep(120)


def write_private_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    crash_point("key-file-written")
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def shred(path: Path) -> None:
    """Overwrite a small file with random bytes, fsync, then delete it.

    On a journalling or copy-on-write file system (or an SSD) old blocks may survive the
    overwrite; what makes a wiped database unreadable is that its key existed only here,
    sealed, and that every copy the app made of it is gone."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except (FileNotFoundError, IsADirectoryError):  # nothing to shred (a folder is removed with the rest)
        return
    try:
        size = os.fstat(fd).st_size
        os.write(fd, secrets.token_bytes(max(size, 1)))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.unlink(path)
    fsync_dir(path.parent)
