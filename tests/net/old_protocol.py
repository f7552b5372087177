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
import struct
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
        self.secret = secret or secrets.token_bytes(32)
        self.log: list[str] = []  # what its node logged about conversations (session.run, as it was)
        ca_key = derive_ca_key(self.secret)
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
        """What the previous `organiser sync HOST:PORT` printed (after "organiser: ") when it
        did not sync (net/link.sync_with and sync/session.exchange_hello, as they were)."""
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(
                host, port, ssl=self.client_context(), server_hostname="organiser", ssl_handshake_timeout=5), 5)
        except ssl.SSLError as exc:  # transport.open_tls, as it was
            return (f"{host}:{port} is not a device of this group (the secure connection was refused: "
                    f"{exc.reason or exc}).")
        try:
            device = device_of_certificate(writer.get_extra_info("ssl_object").getpeercert(binary_form=True))
            if device == self.device_id:
                return f"{host}:{port} is this device itself."
            reason = await self._exchange_hello(reader, writer, device)
            return f"sync with {host}:{port} did not complete: {reason}."
        finally:
            writer.close()

    async def _exchange_hello(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, device: str) -> str:
        """Session.exchange_hello, as it was: HELLO out, then the peer's first frame; why it ended
        (its close_reason), or "in step" if the peer answered with HELLO."""
        writer.write(encode_old_frame(HELLO, {"device": self.device_id, "vector": {}}))
        await writer.drain()
        try:
            frame_type, doc = await asyncio.wait_for(read_old_frame(reader), 5)
        except asyncio.IncompleteReadError:
            return "the peer closed the connection"
        if frame_type == ERROR:
            reason = f"the peer refused us: {doc['message']}"
        elif frame_type != HELLO or doc.get("device") != device:
            reason = "refused input: the peer did not start with HELLO naming its certificate's device"
        else:
            reason = "in step"
        self.log.append(f"conversation with {device[:12]} ended: {reason}")
        return reason

    async def serve(self) -> asyncio.Server:
        """Its node's listening side (node._serve_inbound, as it was): a connection without a
        certificate gets PAIR_HELLO with the group CA (pairing.serve_redeem); one with a
        certificate of the group starts a sync conversation (HELLO first)."""
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await writer.start_tls(self.server_context(), ssl_handshake_timeout=5)
                der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
                if der:
                    await self._exchange_hello(reader, writer, device_of_certificate(der))
                    return
                payload = json.dumps({"ca": self.ca_pem.decode()}).encode()
                writer.write(bytes([1, 8]) + len(payload).to_bytes(4, "big") + payload)
                await writer.drain()
                await asyncio.wait_for(reader.read(1), 5)
            except (OSError, TimeoutError, ssl.SSLError, ValueError):
                pass
            finally:
                writer.close()

        return await asyncio.start_server(answer, "127.0.0.1", 0)


HEADER = struct.Struct(">BBI")  # sync/protocol.py, as it was: version 1, frame type, payload length
HELLO, ERROR = 1, 7


def encode_old_frame(frame_type: int, doc: dict) -> bytes:
    payload = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    return HEADER.pack(1, frame_type, len(payload)) + payload


async def read_old_frame(reader: asyncio.StreamReader) -> tuple[int, dict]:
    version, frame_type, length = HEADER.unpack(await reader.readexactly(HEADER.size))
    if version != 1 or length > 1 << 20:
        raise ValueError("not a frame of the previous protocol")
    return frame_type, json.loads(await reader.readexactly(length))


def device_of_certificate(der: bytes) -> str:
    """credentials.device_of_certificate, as it was: the device id, which must be its key's hash."""
    cert = x509.load_der_x509_certificate(der)
    public = cert.public_key()
    if not isinstance(public, Ed25519PublicKey):
        raise ValueError("the peer's certificate does not carry a device key.")
    device_id = device_id_for(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex())
    try:
        uris = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.UniformResourceIdentifier)
    except x509.ExtensionNotFound:
        uris = []
    if DEVICE_URI_PREFIX + device_id not in uris:
        raise ValueError("the peer's certificate names a device that is not the holder of its key.")
    return device_id


def old_txt_record(device_id: str, tag: str) -> dict[str, str]:
    """discovery.txt_record, as it was: a permanent device id beside the group's fixed tag."""
    return {"v": "1", "d": device_id, "t": tag}
