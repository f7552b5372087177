"""A laptop still running the previous protocol, rebuilt from its code (commit 22bf0c2^:
organiser/net/credentials.py, transport.py, pairing.py): a group CA derived from the group
secret, device certificates naming the device id, TLS with the fixed server name
"organiser", and the sentences that code printed. Only what the handshake needs is here,
copied as it was, so tests can check what each side says to the other."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import secrets
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID

from organiser.core.keys import device_id_for, public_key_hex

DEVICE_URI_PREFIX = "urn:organiser:device:"
_FOREVER = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
_CA_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def derive_ca_key(secret: bytes) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"organiser group ca key v1").derive(secret)
    return Ed25519PrivateKey.from_private_bytes(seed)


def build_ca_certificate(ca_key: Ed25519PrivateKey, group_id: str) -> x509.Certificate:
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
    device_id = device_id_for(public_hex)
    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
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


class OldLaptop:
    """A device of `group_id` as the previous code kept it: CA, certificate and key in files."""

    def __init__(self, folder: Path, group_id: str, secret: bytes | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.key = Ed25519PrivateKey.generate()
        self.public_hex = public_key_hex(self.key)
        self.device_id = device_id_for(self.public_hex)
        ca_key = derive_ca_key(secret or secrets.token_bytes(32))
        ca = build_ca_certificate(ca_key, group_id)
        self.ca_pem = ca.public_bytes(serialization.Encoding.PEM)
        self.ca_cert, self.device_cert = folder / "ca.crt", folder / "device.crt"
        self.device_key = folder / "device.key"
        self.ca_cert.write_bytes(self.ca_pem)
        self.device_cert.write_bytes(issue_device_certificate(ca_key, ca, self.public_hex))
        self.device_key.write_bytes(self.key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))

    def client_context(self) -> ssl.SSLContext:  # transport.client_context, as it was
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=str(self.ca_cert))
        ctx.load_cert_chain(self.device_cert, self.device_key)
        return ctx

    def server_context(self) -> ssl.SSLContext:  # transport.server_context, as it was
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(self.device_cert, self.device_key)
        ctx.load_verify_locations(cafile=str(self.ca_cert))
        ctx.verify_mode = ssl.CERT_OPTIONAL
        return ctx

    async def sync(self, host: str, port: int) -> str:
        """What the previous `organiser sync HOST:PORT` printed when the handshake failed."""
        try:
            _reader, writer = await asyncio.wait_for(asyncio.open_connection(
                host, port, ssl=self.client_context(), server_hostname="organiser", ssl_handshake_timeout=5), 5)
        except ssl.SSLError as exc:  # transport.open_tls, as it was
            return (f"{host}:{port} is not a device of this group (the secure connection was refused: "
                    f"{exc.reason or exc}).")
        writer.close()
        return "connected"

    async def serve(self) -> asyncio.Server:
        """Its node's listening side: a connection without a certificate gets PAIR_HELLO with
        the group CA (pairing.serve_redeem, as it was); anything else is dropped here."""
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await writer.start_tls(self.server_context(), ssl_handshake_timeout=5)
                payload = json.dumps({"ca": self.ca_pem.decode()}).encode()
                writer.write(bytes([1, 8]) + len(payload).to_bytes(4, "big") + payload)
                await writer.drain()
                await asyncio.wait_for(reader.read(1), 5)
            except (OSError, TimeoutError, ssl.SSLError):
                pass
            finally:
                writer.close()

        return await asyncio.start_server(answer, "127.0.0.1", 0)


def old_txt_record(device_id: str, tag: str) -> dict[str, str]:
    """discovery.txt_record, as it was: a permanent device id beside the group's fixed tag."""
    return {"v": "1", "d": device_id, "t": tag}
