"""A full backup sealed with a passphrase: the JSON backup packed with zlib, then encrypted
with AES-256-GCM (`cryptography`) under a key derived from the passphrase by Argon2id. Pure:
bytes in, bytes out.

The envelope says only what is needed to open it (format, key derivation parameters, salt,
nonce, packing); the group's name, ids and everything else are inside the ciphertext. Version 1
(until 2026-12) sealed the JSON unpacked: base64 made the file a third bigger than the plain
backup (173 MB against 130 MB a year on); version 2 packs first (45 MB). Both are read.
"""

from __future__ import annotations

import base64
import json
import secrets
import zlib

from argon2.exceptions import HashingError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from organiser.core.errors import PassphraseError
from organiser.formats.common import FormatError
from organiser.store.keyfile import KdfParams, checked_nonce

SEALED_FORMAT = "organiser-sealed-backup"
SEALED_VERSION = 2
PACKING = "zlib"
PACK_LEVEL = 1  # a year's backup: 130 MB to 34 MB in 2.4 s here; level 6 saves 9 % more in 2.5x the time
# A JSON backup packs to about a quarter; what would unpack to far more than any backup is refused
# before it fills the memory (a file and its passphrase can come from someone hostile).
MAX_UNPACKED_RATIO = 40
MIN_UNPACKED_LIMIT = 64 * 1024 * 1024


def is_sealed(data: bytes) -> bool:
    head = data[:200].lstrip()
    return head.startswith(b"{") and SEALED_FORMAT.encode() in head


def seal_backup(data: bytes, passphrase: str) -> bytes:
    if not passphrase:
        raise PassphraseError("the backup's passphrase is empty.")
    packed = zlib.compress(data, PACK_LEVEL)
    # Opening refuses what unpacks to far more than its size (a bomb); a backup that packs that
    # well (the same long text in every task) is sealed unpacked instead, so every file this app
    # writes opens again.
    version, inside = (SEALED_VERSION, packed) if len(data) <= _unpack_limit(len(packed)) else (1, data)
    params = KdfParams(salt=secrets.token_bytes(16))
    fields = {"format": SEALED_FORMAT, "version": version, "kdf": params.to_json()}
    header = json.dumps(fields | ({"packing": PACKING} if version == SEALED_VERSION else {}), sort_keys=True)
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(params.derive(passphrase)).encrypt(nonce, inside, header.encode())
    return json.dumps({"format": SEALED_FORMAT, "header": header, "nonce": base64.b64encode(nonce).decode(),
                       "ciphertext": base64.b64encode(sealed).decode()}).encode() + b"\n"


def open_sealed(data: bytes, passphrase: str, source: str) -> bytes:
    """The backup inside; PassphraseError for a wrong passphrase, FormatError for a damaged file."""
    try:
        doc = json.loads(data)
        header = json.loads(doc["header"])
        kdf = header["kdf"]
        version = int(header.get("version", 0))
        if header.get("format") != SEALED_FORMAT or version not in (1, SEALED_VERSION):
            raise ValueError("not a sealed Organiser backup of a version this app reads")
        if header.get("packing") != (None if version == 1 else PACKING):  # version 1 was not packed
            raise ValueError("its packing is not one this app reads")
        params = KdfParams.from_json(kdf)
        nonce = checked_nonce(base64.b64decode(doc["nonce"], validate=True))
        ciphertext = base64.b64decode(doc["ciphertext"], validate=True)
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
        # OverflowError: a number such as 1e999; RecursionError: JSON nested too deep for the parser
        raise FormatError(f"{source}: the encrypted backup cannot be read ({exc}).") from None
    try:
        opened = AESGCM(params.derive(passphrase)).decrypt(nonce, ciphertext, doc["header"].encode())
    except InvalidTag:
        raise PassphraseError(f"{source}: that passphrase does not open this backup.") from None
    except (HashingError, ValueError) as exc:  # what the checks above should already have refused
        raise FormatError(f"{source}: the encrypted backup cannot be read ({exc}).") from None
    return opened if version == 1 else _unpacked(opened, source)


def _unpack_limit(packed_size: int) -> int:
    return max(MIN_UNPACKED_LIMIT, MAX_UNPACKED_RATIO * packed_size)


def _unpacked(packed: bytes, source: str) -> bytes:
    limit = _unpack_limit(len(packed))
    unpacker = zlib.decompressobj()
    try:
        data = unpacker.decompress(packed, limit)
    except zlib.error as exc:
        raise FormatError(f"{source}: the encrypted backup cannot be read (its packing is damaged: {exc}).") from None
    if unpacker.unconsumed_tail:
        raise FormatError(f"{source}: the encrypted backup unpacks to more than {limit // 1_000_000:,} MB, far more "
                          "than a backup of its size: it was not written by this app, and is not read.")
    if not unpacker.eof:
        raise FormatError(f"{source}: the encrypted backup cannot be read (its packing ends early).")
    return data
