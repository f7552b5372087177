"""This device's TLS certificate: its own Ed25519 device key, and nothing that names it.

No secret is shared between devices for transport: a shared secret cannot be taken back
from a removed member. Each device presents a certificate for its own key; TLS 1.3 proves
that the peer holds the key, and the node then accepts the connection only when the
membership log admits that key and has not removed it (node.py), before any group data
flows. A device's id is the hash of its key, so the key is the identity.

The certificate names no group, no device and no id (its subject is empty). Python's `ssl`
insists on building a chain to a trusted issuer before it accepts a certificate, and offers
no hook to accept self-signed ones, so every device's certificate is issued by one fixed
*handshake issuer* whose key is derived from a public constant. That issuer vouches for
nothing (anyone can make such a certificate); it only lets OpenSSL finish the handshake,
after which the peer's key is checked against the membership log, as Syncthing checks its
device ids.

None of it is written to the group folder: the device key lives in the encrypted database, and
what `ssl` must read from a file is handed to it from memory (memfiles.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID

from organiser.core.errors import OrganiserError
from organiser.core.keys import device_id_for
from organiser.net.memfiles import memory_file, release

_FOREVER = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)  # RFC 5280: no expiry
_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
_ISSUER_SEED = hashlib.sha256(b"organiser handshake issuer v2 (public, vouches for nothing)").digest()


class CertificateError(OrganiserError):
    """A certificate that does not prove what it claims."""


@dataclass(frozen=True)
class TlsFiles:
    """Where `ssl` reads this device's TLS material from (memory files, see memfiles.py)."""

    issuer_cert: Path
    device_cert: Path
    device_key: Path


def _issuer() -> tuple[Ed25519PrivateKey, x509.Certificate]:
    key = Ed25519PrivateKey.from_private_bytes(_ISSUER_SEED)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "organiser")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(_START).not_valid_after(_FOREVER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, None)
    )
    return key, cert


def issuer_pem() -> bytes:
    """The same bytes on every device (Ed25519 signatures are deterministic)."""
    return _issuer()[1].public_bytes(serialization.Encoding.PEM)


def device_certificate(device_key: Ed25519PrivateKey) -> bytes:
    """A certificate for this device's key that names nothing; returns PEM."""
    issuer_key, issuer_cert = _issuer()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(issuer_cert.subject)
        .public_key(device_key.public_key())
        .serial_number(secrets.randbits(120))
        .not_valid_before(_START).not_valid_after(_FOREVER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(issuer_key, None)
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def key_fingerprint(public_hex: str) -> str:
    """What an invite code carries to recognise the device that made it: SHA-256 of its key."""
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()


def device_of_certificate(der: bytes) -> tuple[str, str]:
    """(device id, public key hex) of the key a peer's certificate carries (TLS has proved
    the peer holds it)."""
    try:
        public = x509.load_der_x509_certificate(der).public_key()
    except ValueError as exc:
        raise CertificateError(f"the peer's certificate cannot be read ({exc}).") from None
    if not isinstance(public, Ed25519PublicKey):
        raise CertificateError("the peer's certificate does not carry a device key.")
    public_hex = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    return device_id_for(public_hex), public_hex


def tls_files_for(device_key: Ed25519PrivateKey) -> TlsFiles:
    """This device's TLS material, readable by `ssl` from memory only."""
    key_pem = device_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    return TlsFiles(memory_file("issuer.crt", issuer_pem()), memory_file("device.crt", device_certificate(device_key)),
                    memory_file("device.key", key_pem))


_made: dict[tuple[str, str], TlsFiles] = {}


def group_tls_files(group: object) -> TlsFiles:
    """TLS material of an open Group (made once per process and device)."""
    from organiser.services.group import Group

    assert isinstance(group, Group)
    made = _made.get((group.id, group.device_id))
    if made is None:
        made = _made[(group.id, group.device_id)] = tls_files_for(group.private_key())
    return made


def forget_tls_files(group_id: str, device_id: str) -> None:
    """Drop a group's TLS material from memory (the app locks, or the group is wiped)."""
    made = _made.pop((group_id, device_id), None)
    if made is not None:
        for path in (made.issuer_cert, made.device_cert, made.device_key):
            release(path)
