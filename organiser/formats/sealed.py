"""A full backup sealed with a passphrase: the JSON backup encrypted with AES-256-GCM
(`cryptography`) under a key derived from the passphrase by Argon2id. Pure: bytes in, bytes out.

The envelope says only what is needed to open it (format, key derivation parameters, salt,
nonce); the group's name, ids and everything else are inside the ciphertext.
"""

from __future__ import annotations

import base64
import json
import secrets

from argon2.exceptions import HashingError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from organiser.core.errors import PassphraseError
from organiser.formats.common import FormatError
from organiser.store.keyfile import KdfParams, checked_nonce

SEALED_FORMAT = "organiser-sealed-backup"
SEALED_VERSION = 1


def is_sealed(data: bytes) -> bool:
    head = data[:200].lstrip()
    return head.startswith(b"{") and SEALED_FORMAT.encode() in head


def seal_backup(data: bytes, passphrase: str) -> bytes:
    if not passphrase:
        raise PassphraseError("the backup's passphrase is empty.")
    params = KdfParams(salt=secrets.token_bytes(16))
    header = json.dumps({"format": SEALED_FORMAT, "version": SEALED_VERSION, "kdf": params.to_json()},
                        sort_keys=True)
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(params.derive(passphrase)).encrypt(nonce, data, header.encode())
    return json.dumps({"format": SEALED_FORMAT, "header": header, "nonce": base64.b64encode(nonce).decode(),
                       "ciphertext": base64.b64encode(sealed).decode()}).encode() + b"\n"


def open_sealed(data: bytes, passphrase: str, source: str) -> bytes:
    """The backup inside; PassphraseError for a wrong passphrase, FormatError for a damaged file."""
    try:
        doc = json.loads(data)
        header = json.loads(doc["header"])
        kdf = header["kdf"]
        if header.get("format") != SEALED_FORMAT or int(header.get("version", 0)) != SEALED_VERSION:
            raise ValueError("not a sealed Organiser backup of a version this app reads")
        params = KdfParams.from_json(kdf)
        nonce = checked_nonce(base64.b64decode(doc["nonce"], validate=True))
        ciphertext = base64.b64decode(doc["ciphertext"], validate=True)
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
        # OverflowError: a number such as 1e999; RecursionError: JSON nested too deep for the parser
        raise FormatError(f"{source}: the encrypted backup cannot be read ({exc}).") from None
    try:
        return AESGCM(params.derive(passphrase)).decrypt(nonce, ciphertext, doc["header"].encode())
    except InvalidTag:
        raise PassphraseError(f"{source}: that passphrase does not open this backup.") from None
    except (HashingError, ValueError) as exc:  # what the checks above should already have refused
        raise FormatError(f"{source}: the encrypted backup cannot be read ({exc}).") from None
