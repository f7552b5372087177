"""The one thing kept from a group's old certificate authority: a certificate to answer old laptops.

A laptop still running the previous protocol trusts only its group's CA, and the upgrade deletes
that CA's key with the group secret. Before they go, the CA signs a certificate for a throwaway
key, valid for a few weeks, whose only use is to complete the old handshake so that the old laptop
reads, in its own words, that it must update the app (net/outdated.py). It opens nothing: no group
data is ever served to it, and after ANSWER_DAYS it is not used any more. Kept in the database's
meta (encrypted with the database when the group is), like the device key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from organiser.core.keys import device_id_for, public_key_hex

if TYPE_CHECKING:  # x509 is loaded where a certificate is made: every command opens a group, few make one
    from cryptography import x509

ANSWER_META = "old_laptops_answer"  # meta: {"cert", "key", "ca", "until"} (PEM, PEM, PEM, ISO date)
ANSWER_DAYS = 30
OLD_DEVICE_URI = "urn:organiser:device:"  # how the previous protocol named a device in a certificate


@dataclass(frozen=True)
class OldLaptopsAnswer:
    cert_pem: bytes
    key_pem: bytes
    ca_pem: bytes  # the old CA's certificate (public): to accept old laptops' own certificates
    until: dt.datetime


def _old_ca_key(path: Path) -> Ed25519PrivateKey | None:
    """The old CA key: its file, else derived from the group secret as the previous code did."""
    key_file, secret_file = path / "ca.key", path / "group.secret"
    try:
        if key_file.exists():
            key = serialization.load_pem_private_key(key_file.read_bytes(), None)
            return key if isinstance(key, Ed25519PrivateKey) else None
        if secret_file.exists():
            secret = bytes.fromhex(secret_file.read_text().strip())
            seed = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"organiser group ca key v1").derive(secret)
            return Ed25519PrivateKey.from_private_bytes(seed)
    except (ValueError, TypeError, OSError):
        return None  # unreadable: old laptops will only see their handshake refused
    return None


def _old_ca_name(path: Path, group_id: str) -> x509.Name:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        return x509.load_pem_x509_certificate((path / "ca.crt").read_bytes()).subject
    except (ValueError, OSError):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Organiser group CA"),
                          x509.NameAttribute(NameOID.SERIAL_NUMBER, group_id)])


def _old_ca_certificate(path: Path, ca_key: Ed25519PrivateKey, group_id: str) -> bytes:
    """The old CA certificate: its file, else rebuilt (Ed25519 signatures are deterministic)."""
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate((path / "ca.crt").read_bytes())
        if cert.public_key() == ca_key.public_key():
            return cert.public_bytes(serialization.Encoding.PEM)
    except (ValueError, OSError):
        pass
    name = _old_ca_name(path, group_id)
    serial = int.from_bytes(hashlib.sha256(b"ca serial" + group_id.encode()).digest()[:16], "big") >> 1
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ca_key.public_key())
        .serial_number(serial)
        .not_valid_before(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, None))
    return cert.public_bytes(serialization.Encoding.PEM)


def mint(path: Path, group_id: str) -> OldLaptopsAnswer | None:
    """A certificate from the old CA (while its key is still in `path`) for a throwaway key, or
    None when this device never had the old CA."""
    ca_key = _old_ca_key(path)
    if ca_key is None:
        return None
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = Ed25519PrivateKey.generate()
    throwaway = device_id_for(public_key_hex(key))  # the old code wants a device id that is its key's hash
    # OpenSSL checks validity against the machine's clock, so that clock (not the app's) sets it.
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
    until = start + dt.timedelta(days=ANSWER_DAYS + 1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, throwaway)]))
        .issuer_name(_old_ca_name(path, group_id))
        .public_key(key.public_key())
        .serial_number(secrets.randbits(120))
        .not_valid_before(start).not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(OLD_DEVICE_URI + throwaway)]),
                       critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .sign(ca_key, None)
    )
    return OldLaptopsAnswer(cert.public_bytes(serialization.Encoding.PEM),
                            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()),
                            _old_ca_certificate(path, ca_key, group_id), until)


def keep_answer(db: Any, path: Path, group_id: str) -> None:
    """Mint and store the answer for old laptops, once, before the old CA's files are shredded."""
    if db.execute("SELECT 1 FROM meta WHERE key = ?", [ANSWER_META]).fetchone():
        return
    answer = mint(path, group_id)
    if answer is None:
        return
    value = json.dumps({"cert": answer.cert_pem.decode(), "key": answer.key_pem.decode(),
                        "ca": answer.ca_pem.decode(), "until": answer.until.isoformat()})
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", [ANSWER_META, value])


def stored_answer(db: Any) -> OldLaptopsAnswer | None:
    """The answer for old laptops while it is valid (None after ANSWER_DAYS, or if never minted)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [ANSWER_META]).fetchone()
    if not row:
        return None
    try:
        doc = json.loads(row[0])
        answer = OldLaptopsAnswer(doc["cert"].encode(), doc["key"].encode(), doc["ca"].encode(),
                                  dt.datetime.fromisoformat(doc["until"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return answer if answer.until > dt.datetime.now(dt.UTC) else None
