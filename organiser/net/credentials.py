"""The group's certificate authority and this device's certificate (X.509 via `cryptography`).

The group CA key is derived from the group secret, so every member device holds the
same CA, a group made by `organiser init` gets its CA the first time it is needed, and
the CA certificate is byte-identical everywhere (Ed25519 signatures are deterministic).
Each device's certificate carries its own Ed25519 device key and names its device id,
which is the hash of that key, so a certificate cannot claim another device's id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID

from organiser.core.errors import OrganiserError
from organiser.core.keys import device_id_for
from organiser.store.datadir import KEY_NAME

CA_CERT_NAME = "ca.crt"
CA_KEY_NAME = "ca.key"
DEVICE_CERT_NAME = "device.crt"
DEVICE_URI_PREFIX = "urn:organiser:device:"
_FOREVER = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)  # RFC 5280: no expiry
_CA_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


class CertificateError(OrganiserError):
    """A certificate that does not prove what it claims."""


@dataclass(frozen=True)
class TlsFiles:
    """Where this device's TLS material lives (all files 0600 in the group folder)."""

    ca_cert: Path
    device_cert: Path
    device_key: Path
    fingerprint: str  # sha256 of the CA certificate (DER), hex


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def derive_ca_key(secret: bytes) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"organiser group ca key v1").derive(secret)
    return Ed25519PrivateKey.from_private_bytes(seed)


def build_ca_certificate(ca_key: Ed25519PrivateKey, group_id: str) -> x509.Certificate:
    # The subject names the group id, never the group's name.
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Organiser group CA"),
                      x509.NameAttribute(NameOID.SERIAL_NUMBER, group_id)])
    serial = int.from_bytes(hashlib.sha256(b"ca serial" + group_id.encode()).digest()[:16], "big") >> 1
    return (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(ca_key.public_key())
        .serial_number(serial)
        .not_valid_before(_CA_START).not_valid_after(_FOREVER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, None)
    )


def issue_device_certificate(ca_key: Ed25519PrivateKey, ca_cert: x509.Certificate, public_hex: str) -> bytes:
    """A certificate for a device key, signed by the group CA; returns PEM."""
    device_id = device_id_for(public_hex)
    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)  # tolerate a slow clock on the peer
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, device_id)]))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(secrets.randbits(120))
        .not_valid_before(now).not_valid_after(_FOREVER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(DEVICE_URI_PREFIX + device_id)]),
                       critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH,
                                              x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, None)
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def fingerprint_of(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def device_of_certificate(der: bytes) -> tuple[str, str]:
    """(device id, public key hex) named by a peer's certificate, after checking that the
    id in the certificate is the hash of the key it carries."""
    try:
        cert = x509.load_der_x509_certificate(der)
        public = cert.public_key()
    except ValueError as exc:
        raise CertificateError(f"the peer's certificate cannot be read ({exc}).") from None
    if not isinstance(public, Ed25519PublicKey):
        raise CertificateError("the peer's certificate does not carry a device key.")
    public_hex = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    device_id = device_id_for(public_hex)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    except x509.ExtensionNotFound:
        uris = []
    if DEVICE_URI_PREFIX + device_id not in uris:
        raise CertificateError("the peer's certificate names a device that is not the holder of its key.")
    return device_id, public_hex


def check_issued_by(leaf_der: bytes, ca_pem: bytes) -> None:
    """Raise CertificateError unless the leaf certificate was signed by this CA."""
    try:
        leaf = x509.load_der_x509_certificate(leaf_der)
        ca = x509.load_pem_x509_certificate(ca_pem)
        leaf.verify_directly_issued_by(ca)
    except (ValueError, TypeError, Exception) as exc:  # InvalidSignature is not a ValueError
        raise CertificateError(f"the member device's certificate is not from this group ({exc}).") from None


def ca_material(secret: bytes, group_id: str) -> tuple[Ed25519PrivateKey, x509.Certificate]:
    key = derive_ca_key(secret)
    return key, build_ca_certificate(key, group_id)


def ensure_credentials(path: Path, secret: bytes, group_id: str, public_hex: str) -> TlsFiles:
    """Make sure the group folder holds the CA and this device's certificate; return where.

    Written 0600, next to the device key. Safe to call on every start."""
    ca_key, ca_cert = ca_material(secret, group_id)
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    ca_path, key_path, cert_path = path / CA_CERT_NAME, path / CA_KEY_NAME, path / DEVICE_CERT_NAME
    if not ca_path.exists() or ca_path.read_bytes() != ca_pem:
        _write_private(ca_path, ca_pem)
    if not key_path.exists():
        _write_private(key_path, ca_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    if not _device_cert_ok(cert_path, ca_cert, public_hex):
        _write_private(cert_path, issue_device_certificate(ca_key, ca_cert, public_hex))
    return TlsFiles(ca_path, cert_path, path / KEY_NAME, fingerprint_of(ca_cert))


def _device_cert_ok(cert_path: Path, ca_cert: x509.Certificate, public_hex: str) -> bool:
    if not cert_path.exists():
        return False
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        cert.verify_directly_issued_by(ca_cert)
        return device_of_certificate(cert.public_bytes(serialization.Encoding.DER))[1] == public_hex
    except Exception:
        return False


def group_tls_files(group: object) -> TlsFiles:
    """TLS material of an open Group (created on first use)."""
    from organiser.core.keys import public_key_hex
    from organiser.services.group import Group

    assert isinstance(group, Group)
    return ensure_credentials(group.path, group.secret, group.id, public_key_hex(group.private_key()))
