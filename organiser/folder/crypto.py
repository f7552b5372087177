"""The folder's keys and the sealing of every file in it.

Every file is AES-GCM under a group folder key only current members hold. The keys come
from the membership log (store/folders.py `epoch_secrets`): epoch 0 from the hash of the
founder's first changeset, each later epoch also from the hash of an effective removal,
so a removal starts a new key that the removed device never learns (it never receives its
own removal). Members who learn of a removal only through the folder read the new key
from a key file: the key sealed to each current member's X25519 key (ephemeral X25519,
HKDF, AES-GCM), the X25519 keys being published in signed device cards.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"OGF1"  # organiser folder file, version 1
KEY_ID_BYTES = 8
NONCE_BYTES = 12
HEADER_BYTES = len(MAGIC) + KEY_ID_BYTES + NONCE_BYTES
NO_KEY = "it is sealed with a folder key this device does not hold"


class Unreadable(ValueError):
    """A file this device cannot open: not ours, cut short, changed, or under a key it lacks."""


def _hkdf(secret: bytes, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


@dataclass(frozen=True)
class FolderKey:
    """One epoch's key. `key_id` names it in each file's clear header (which epoch, nothing else)."""

    epoch: int
    key: bytes

    @property
    def key_id(self) -> bytes:
        return hmac.new(self.key, b"organiser folder key id", hashlib.sha256).digest()[:KEY_ID_BYTES]


def folder_keys(secrets: list[bytes]) -> list[FolderKey]:
    """One key per membership epoch, oldest first."""
    return [FolderKey(i, _hkdf(s, b"organiser folder key v1")) for i, s in enumerate(secrets)]


def name_key(first_secret: bytes) -> bytes:
    """The key that hides device ids in folder names. From epoch 0, so names stay put across
    rotations (a removed device can still tell folders apart; the host sees that much anyway)."""
    return _hkdf(first_secret, b"organiser folder names v1")


def device_folder_name(names: bytes, device: str) -> str:
    return hmac.new(names, device.encode(), hashlib.sha256).hexdigest()[:24]


def seal(key: FolderKey, plaintext: bytes, where: str) -> bytes:
    """Encrypt and authenticate; `where` (the file's place in the folder) is bound in, so a
    file moved or renamed by the host no longer opens."""
    nonce = os.urandom(NONCE_BYTES)
    head = MAGIC + key.key_id + nonce
    return head + AESGCM(key.key).encrypt(nonce, plaintext, head + where.encode())


def key_id_of(data: bytes) -> bytes:
    """Which key a sealed file names in its clear header."""
    return data[len(MAGIC):len(MAGIC) + KEY_ID_BYTES]


def open_sealed(keys: dict[bytes, FolderKey], data: bytes, where: str) -> tuple[FolderKey, bytes]:
    if len(data) < HEADER_BYTES + 16 or not data.startswith(MAGIC):
        raise Unreadable("it is not an Organiser folder file, or it is cut short")
    key = keys.get(key_id_of(data))
    if key is None:
        raise Unreadable(NO_KEY)
    nonce = data[len(MAGIC) + KEY_ID_BYTES:HEADER_BYTES]
    try:
        return key, AESGCM(key.key).decrypt(nonce, data[HEADER_BYTES:], data[:HEADER_BYTES] + where.encode())
    except InvalidTag:
        raise Unreadable("it does not authenticate (cut short, changed, or moved)") from None


# ---- sealing a key to one device ---------------------------------------------------------

def exchange_key(device_key: Ed25519PrivateKey) -> X25519PrivateKey:
    """This device's X25519 key, derived from its Ed25519 key (nothing more to store)."""
    seed = device_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    return X25519PrivateKey.from_private_bytes(_hkdf(seed, b"organiser folder exchange key v1"))


def public_bytes(key: X25519PrivateKey | X25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, X25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def seal_to(recipient: bytes, secret: bytes) -> bytes:
    """`secret` readable only by the holder of the X25519 key whose public half is `recipient`."""
    ephemeral = X25519PrivateKey.generate()
    eph_public = public_bytes(ephemeral)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    wrap = _hkdf(shared + eph_public + recipient, b"organiser folder key wrap v1")
    nonce = os.urandom(NONCE_BYTES)
    return eph_public + nonce + AESGCM(wrap).encrypt(nonce, secret, eph_public)


def usable_exchange_key(text: str) -> bytes | None:
    """The 32 bytes of the exchange key a card names, if keys can be sealed to it: its signature
    covers whatever its writer chose, and a point of small order makes every exchange fail."""
    try:
        raw = bytes.fromhex(text)
        if len(raw) != 32:
            return None
        X25519PrivateKey.generate().exchange(X25519PublicKey.from_public_bytes(raw))
    except ValueError:
        return None
    return raw


def open_sealed_to(own: X25519PrivateKey, sealed: bytes) -> bytes | None:
    """The secret, or None when it was sealed to another device (or is damaged)."""
    if len(sealed) < 32 + NONCE_BYTES + 16:
        return None
    eph_public, nonce, body = sealed[:32], sealed[32:32 + NONCE_BYTES], sealed[32 + NONCE_BYTES:]
    try:
        shared = own.exchange(X25519PublicKey.from_public_bytes(eph_public))
        wrap = _hkdf(shared + eph_public + public_bytes(own), b"organiser folder key wrap v1")
        return AESGCM(wrap).decrypt(nonce, body, eph_public)
    except (InvalidTag, ValueError):
        return None


# ---- one-time admissions (invites through the folder) ------------------------------------

def invite_key(token: bytes) -> tuple[str, bytes]:
    """From an invite's secret token: the file stem it is left under, and the key sealing it."""
    stem = hmac.new(token, b"organiser folder invite name", hashlib.sha256).hexdigest()[:24]
    return stem, _hkdf(token, b"organiser folder invite key v1")


def invite_folder_key(token: bytes) -> FolderKey:
    return FolderKey(-1, invite_key(token)[1])
