"""Certificates for one connection: a fresh key each time, naming nothing.

No secret is shared between devices for transport: a shared secret cannot be taken back
from a removed member. Nor does TLS carry the device key: a certificate is shown to
whoever connects, and a device key is a stable id that would follow the laptop from venue
to venue. So each connection gets a *connection certificate*, for an Ed25519 key made for
it and forgotten after it. TLS 1.3 encrypts the channel; inside it, before anything else,
both sides prove they are current members, and only then show their device key and sign
both connection certificates with it (net/handshake.py).

Python's `ssl` insists on building a chain to a trusted issuer before it accepts a client
certificate, and offers no hook to accept self-signed ones, so every connection certificate
is issued by one fixed *handshake issuer* whose key is derived from a public constant. That
issuer vouches for nothing (anyone can make such a certificate); it only lets OpenSSL finish
the handshake. What `ssl` must read from a file is handed to it from memory (memfiles.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
import ssl
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from organiser.core.errors import OrganiserError
from organiser.net.memfiles import memory_file, release

_FOREVER = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)  # RFC 5280: no expiry
_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)  # fixed, so the certificate does not tell when it was made
_ISSUER_SEED = hashlib.sha256(b"organiser handshake issuer v2 (public, vouches for nothing)").digest()


class CertificateError(OrganiserError):
    """A certificate that does not prove what it claims."""


@functools.cache
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


def issuer_pem() -> str:
    """The same text on every device (Ed25519 signatures are deterministic)."""
    return _issuer()[1].public_bytes(serialization.Encoding.PEM).decode()


@dataclass(frozen=True)
class ConnectionCertificate:
    """A certificate for one connection, for a key made for it alone."""

    cert_pem: bytes
    key_pem: bytes
    der: bytes

    @property
    def fingerprint(self) -> bytes:
        return fingerprint(self.der)


def connection_certificate() -> ConnectionCertificate:
    """A new key and a certificate for it that names nothing (empty subject, random serial)."""
    issuer_key, issuer_cert = _issuer()
    key = Ed25519PrivateKey.generate()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(secrets.randbits(120))
        .not_valid_before(_START).not_valid_after(_FOREVER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(issuer_key, None)
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return ConnectionCertificate(cert.public_bytes(serialization.Encoding.PEM), key_pem,
                                 cert.public_bytes(serialization.Encoding.DER))


def load_into(ctx: ssl.SSLContext, certificate: ConnectionCertificate) -> None:
    """Hand a connection certificate to an SSL context; `ssl` reads files, so memory files
    that are closed again as soon as it has read them."""
    cert_path = memory_file("connection.crt", certificate.cert_pem)
    key_path = memory_file("connection.key", certificate.key_pem)
    try:
        ctx.load_cert_chain(cert_path, key_path)
    finally:
        release(cert_path)
        release(key_path)


def fingerprint(der: bytes) -> bytes:
    """SHA-256 of a certificate (DER): what the in-channel proofs name."""
    return hashlib.sha256(der).digest()


def key_fingerprint(public_hex: str) -> str:
    """What an invite code carries to recognise the device that made it: SHA-256 of its key."""
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()
