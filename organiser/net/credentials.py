"""The group's certificate authority and this device's certificate (X.509 via `cryptography`).

The group CA key is derived from the group secret, so every member device holds the
same CA, a group made by `organiser init` gets its CA the first time it is needed, and
the CA certificate is byte-identical everywhere (Ed25519 signatures are deterministic).
Each device's certificate carries its own Ed25519 device key and names its device id,
which is the hash of that key, so a certificate cannot claim another device's id.

None of it is written to the group folder: the keys live in the encrypted database, and what
`ssl` must read from a file is handed to it from memory (memfiles.py).
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
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID

from organiser.core.errors import OrganiserError
from organiser.core.keys import device_id_for
from organiser.net.memfiles import memory_file

DEVICE_URI_PREFIX = "urn:organiser:device:"
_FOREVER = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)  # RFC 5280: no expiry
_CA_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


class CertificateError(OrganiserError):
    """A certificate that does not prove what it claims."""


@dataclass(frozen=True)
class TlsFiles:
    """Where `ssl` reads this device's TLS material from (memory files, see memfiles.py)."""

    ca_cert: Path
    device_cert: Path
    device_key: Path
    fingerprint: str  # sha256 of the CA certificate (DER), hex


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


def tls_files_for(private_key: Ed25519PrivateKey, secret: bytes, group_id: str) -> TlsFiles:
    """This device's CA certificate, certificate and key, readable by `ssl` from memory only."""
    ca_key, ca_cert = ca_material(secret, group_id)
    public_hex = private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                       serialization.PublicFormat.Raw).hex()
    key_pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    return TlsFiles(memory_file("ca.crt", ca_cert.public_bytes(serialization.Encoding.PEM)),
                    memory_file("device.crt", issue_device_certificate(ca_key, ca_cert, public_hex)),
                    memory_file("device.key", key_pem), fingerprint_of(ca_cert))


_made: dict[tuple[str, str], TlsFiles] = {}


def group_tls_files(group: object) -> TlsFiles:
    """TLS material of an open Group (made once per process and device)."""
    from organiser.services.group import Group

    assert isinstance(group, Group)
    made = _made.get((group.id, group.device_id))
    if made is None:
        made = _made[(group.id, group.device_id)] = tls_files_for(group.private_key(), group.secret, group.id)
    return made


def forget_tls_files(group_id: str, device_id: str) -> None:
    """Drop a group's TLS material from memory (the app locks, or the group is wiped)."""
    from organiser.net.memfiles import release

    made = _made.pop((group_id, device_id), None)
    if made is not None:
        for path in (made.ca_cert, made.device_cert, made.device_key):
            release(path)
