"""Recognising a laptop that still runs the previous protocol, to say it must be updated.

The previous protocol (before per-connection certificates) is easy to tell: its clients
send the fixed server name "organiser" (SNI); its nodes show a certificate issued by a
group CA whose subject names the group id, with the device id in a URI; its mDNS TXT record
carries a permanent device id ("d"). It cannot talk to this one (it trusts only its group's
CA, which upgraded devices deleted), so the most useful thing is to say so, on this side:
in the log, in `organiser status` and in the app's Laptops view.

And on its side: for a few weeks after the upgrade this device holds a certificate the old CA
signed for a throwaway key (services/old_laptops.py). With it, and only for a connection that
sent the old server name from an address where an old laptop of the group was recognised by its
certificate, it completes the old handshake and sends the old protocol's ERROR
frame saying to update the app, then closes: nothing of the group is ever sent there. When it
dials an old laptop of the group, it does the same as a client.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlite_utils import Database

from organiser.core.bus import PeersChanged
from organiser.core.errors import OrganiserError
from organiser.net.memfiles import memory_file, release
from organiser.net.transport import OLD_SERVER_NAME, close_quietly, open_tls, pairing_context, peer_certificate
from organiser.services.group import Group
from organiser.services.old_laptops import OldLaptopsAnswer, stored_answer

log = logging.getLogger(__name__)

OLD_DEVICE_URI = "urn:organiser:device:"
OUTDATED_KEY = "outdated_peers"  # meta: {host: {"seen": epoch, "device": id or ""}}
KEEP = 20
SHOWN_FOR = 24 * 3600
# What an old laptop reads. No final period: the old code prints it after "the peer refused us: "
# and ends the sentence itself.
OLD_LAPTOP_MESSAGE = "This laptop runs an older Organiser than the group: update the app to keep syncing"
_OLD_HEADER = struct.Struct(">BBI")  # the previous protocol's frame header: version 1, type, length
_OLD_VERSION, _OLD_ERROR = 1, 7
ANSWER_TIMEOUT = 5.0


def old_error_frame(message: str) -> bytes:
    """The previous protocol's ERROR frame ({"message"}, compact JSON), as its code wrote it."""
    payload = json.dumps({"message": message[:1000]}, separators=(",", ":"), sort_keys=True).encode()
    return _OLD_HEADER.pack(_OLD_VERSION, _OLD_ERROR, len(payload)) + payload


def _answer_context(answer: OldLaptopsAnswer, purpose: int) -> ssl.SSLContext:
    """TLS as the previous protocol spoke it, showing the certificate minted for old laptops and
    trusting only the old CA (so the other side is an old laptop of this group)."""
    ctx = ssl.SSLContext(purpose)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    cert_path, key_path = memory_file("old-laptops.crt", answer.cert_pem), memory_file("old-laptops.key",
                                                                                        answer.key_pem)
    try:
        ctx.load_cert_chain(cert_path, key_path)
    finally:
        release(cert_path)
        release(key_path)
    ctx.load_verify_locations(cadata=answer.ca_pem.decode())
    if purpose == ssl.PROTOCOL_TLS_CLIENT:
        ctx.check_hostname = False  # old nodes are named by the device id in their certificate
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def old_laptops_context(group: Group, host: str) -> ssl.SSLContext | None:
    """The server side for an old laptop at `host`, while the minted certificate is valid; else None.

    Only for an address where an old laptop of this group was recognised by its certificate (its
    announcement probed, or dialled) in the last day: the minted certificate names the group's id
    (in its old CA's name) and is the same every time, so shown to whoever sends the old server
    name it would tell a stranger which group this laptop belongs to and let it follow the laptop
    from venue to venue. (A laptop still on the old protocol shows its group id to anyone anyway.)"""
    if not outdated_peers(group.db).get(host, {}).get("device"):
        return None
    answer = stored_answer(group.db)
    return _answer_context(answer, ssl.PROTOCOL_TLS_SERVER) if answer else None


class OldClientFlag:
    """Set during a TLS handshake when the client sent the previous protocol's server name;
    `answering` when the handshake then switched to the old laptops' context."""

    def __init__(self) -> None:
        self.seen = False
        self.answering = False

    def __bool__(self) -> bool:
        return self.seen


def watch_for_old_clients(ctx: ssl.SSLContext,
                          answer: Callable[[], ssl.SSLContext | None] | None = None) -> OldClientFlag:
    """Watch the server name; for the old one, switch to `answer()`'s context if it gives one
    (made only then: other connections never read the minted certificate)."""
    flag = OldClientFlag()

    def on_server_name(sock: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext) -> None:
        if server_name != OLD_SERVER_NAME:
            return
        flag.seen = True
        try:
            old_side = answer() if answer is not None else None
        except Exception:  # the answer is a courtesy: never the reason a handshake breaks
            log.exception("could not prepare the answer for an old laptop")
            old_side = None
        if old_side is not None:
            sock.context = old_side
            flag.answering = True

    ctx.sni_callback = on_server_name  # type: ignore[assignment]
    return flag


async def _read_until_closed(reader: asyncio.StreamReader) -> None:
    for _ in range(64):  # an old HELLO is small; bounded all the same
        if not await reader.read(65536):
            return


async def tell_to_update(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """On a connection with an old laptop: its protocol's ERROR frame, and nothing else. What it
    sends (its HELLO) is read and dropped until it closes, so our close cannot reset the
    connection before it has read the sentence."""
    writer.write(old_error_frame(OLD_LAPTOP_MESSAGE))
    await writer.drain()
    try:
        await asyncio.wait_for(_read_until_closed(reader), ANSWER_TIMEOUT)
    except (TimeoutError, OSError, ConnectionError):
        pass


def old_device(writer: asyncio.StreamWriter, group: Group) -> str:
    """The device id an old laptop of this group named in its certificate, else ""."""
    old = old_server(peer_certificate(writer))
    return old.device if old is not None and old.group_id == group.id else ""


async def tell_old_server(group: Group, host: str, port: int) -> bool:
    """Dial an old node of this group with the minted certificate and tell it to update;
    True when it was told (False when there is no valid certificate or it did not take it)."""
    answer = stored_answer(group.db)
    if answer is None:
        return False
    try:
        reader, writer = await open_tls(host, port, _answer_context(answer, ssl.PROTOCOL_TLS_CLIENT))
    except OrganiserError as exc:
        log.info("could not tell the older Organiser at %s:%d to update: %s", host, port, exc)
        return False
    try:
        await tell_to_update(reader, writer)
        return True
    except (OSError, ConnectionError) as exc:
        log.info("could not tell the older Organiser at %s:%d to update: %s", host, port, exc)
        return False
    finally:
        await close_quietly(writer)


@dataclass(frozen=True)
class OldServer:
    """A node of the previous protocol, as its certificate describes it."""

    device: str
    group_id: str


def old_server(der: bytes | None) -> OldServer | None:
    """What a previous-protocol node's certificate names, or None if it is not one."""
    if not der:
        return None
    try:
        cert = x509.load_der_x509_certificate(der)
        uris = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.UniformResourceIdentifier)
        group = cert.issuer.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    except (ValueError, x509.ExtensionNotFound):
        return None
    device = next((u[len(OLD_DEVICE_URI):] for u in uris if u.startswith(OLD_DEVICE_URI)), "")
    if not device or not group:
        return None
    return OldServer(device, str(group[0].value))


async def probe(host: str, port: int, timeout: float = 3.0) -> OldServer | None:
    """Connect without a certificate and read the node's: a previous-protocol node answers
    such a connection as an invite redemption, and we say nothing and close."""
    try:
        reader, writer = await open_tls(host, port, pairing_context(), timeout)
    except Exception:  # not reachable, not TLS: not something to report
        log.debug("could not probe %s:%d", host, port, exc_info=True)
        return None
    try:
        return old_server(peer_certificate(writer))
    finally:
        await close_quietly(writer)


def update_message(host: str, name: str = "") -> str:
    who = f"'{name}'" if name else "a laptop"
    return (f"{who} at {host} runs an older Organiser and cannot sync with this device: "
            "update the app on that laptop")


def note(db: Database, host: str, device: str = "") -> None:
    """Remember (local, not replicated) that an older Organiser tried to sync from `host`."""
    found = outdated_peers(db, everything=True)
    found[host] = {"seen": time.time(), "device": device or found.get(host, {}).get("device", "")}
    kept = dict(sorted(found.items(), key=lambda kv: -kv[1]["seen"])[:KEEP])
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
               [OUTDATED_KEY, json.dumps(kept)])


def outdated_peers(db: Database, *, everything: bool = False) -> dict[str, dict]:
    """{host: {"seen", "device"}} of older Organisers that tried to sync in the last day."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [OUTDATED_KEY]).fetchone()
    try:
        found = json.loads(row[0]) if row else {}
    except ValueError:
        found = {}
    cutoff = 0 if everything else time.time() - SHOWN_FOR
    return {h: v for h, v in found.items() if isinstance(v, dict) and v.get("seen", 0) > cutoff}


def messages(db: Database, names: dict[str, str]) -> list[str]:
    """One sentence per older laptop seen lately (`names`: device id -> name, from the roster)."""
    return [update_message(host, names.get(v.get("device", ""), "")) + "."
            for host, v in outdated_peers(db).items()]


def names(group: Group) -> dict[str, str]:
    return {str(d["id"]): str(d.get("name", "")) for d in group.devices()}


def messages_for(group: Group) -> list[str]:
    return messages(group.db, names(group))


def seen_old_laptop(group: Group, host: str, device: str = "") -> bool:
    """Note and log (once a day per address) an older Organiser of this group at `host`;
    True when it was news."""
    news = host not in outdated_peers(group.db)
    note(group.db, host, device)
    if news:
        # the laptop's name stays out of the log (the journal outlives the encrypted store): its address says which
        log.warning("%s.", update_message(host))
    return news


async def refuse_if_old(group: Group, writer: asyncio.StreamWriter, host: str) -> None:
    """Raise the sentence to show if the node we dialled runs the previous protocol; the first
    time that day, tell it to update (on a second connection, with the minted certificate)."""
    old = old_server(peer_certificate(writer))
    if old is None:
        return
    if old.group_id != group.id:
        raise OrganiserError(f"{host} is not a device of this group (it runs an older Organiser).")
    peer = writer.get_extra_info("peername")
    await close_quietly(writer)
    if seen_old_laptop(group, host, old.device) and peer:
        await tell_old_server(group, host, int(peer[1]))
    raise OrganiserError(update_message(host, names(group).get(old.device, "")) + ".")


async def note_if_old(group: Group, host: str, port: int) -> None:
    """Probe the node behind an announcement in the previous format; note it if it is of this group."""
    try:
        found = await asyncio.wait_for(probe(host, port), 5.0)
    except TimeoutError:
        return
    if found is not None and found.group_id == group.id:
        seen_old_laptop(group, host, found.device)
        group.bus.publish(PeersChanged())
