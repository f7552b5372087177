"""A device's Ed25519 key pair, kept in a file only its owner can read."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def public_key_hex(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


PUBLIC_KEY_DIGITS = 64  # an Ed25519 public key is 32 bytes


def is_public_key_hex(text: object) -> bool:
    """Whether `text` is 64 hex digits and nothing else: what `load_public_key` takes. A peer's
    admission must name such a key (`bytes.fromhex` skips spaces, so 62 digits and 2 spaces
    also make an id, and a key no laptop could load)."""
    return type(text) is str and len(text) == PUBLIC_KEY_DIGITS and all(c in _HEX_DIGITS for c in text)


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def load_public_key(hex_text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(hex_text))


def short_id(device_id: str) -> str:
    """How logs and messages name a device: the first 12 hex characters of its id, enough to
    tell a group's laptops apart and to find the device in `organiser device list`."""
    return device_id[:12]


def device_id_for(public_hex: str) -> str:
    """A device id is derived from its public key, so it cannot be claimed by another key."""
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:32]


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def read_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 laptop key")
    return key
