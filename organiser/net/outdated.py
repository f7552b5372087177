"""Recognising a laptop that still runs the previous protocol, to say it must be updated.

The previous protocol (before per-connection certificates) is easy to tell: its clients
send the fixed server name "organiser" (SNI); its nodes show a certificate issued by a
group CA whose subject names the group id, with the device id in a URI; its mDNS TXT record
carries a permanent device id ("d"). It cannot talk to this one (it trusts only its group's
CA, which upgraded devices deleted), so the most useful thing is to say so, on this side:
in the log, in `organiser status` and in the app's Peers & group view.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlite_utils import Database

from organiser.core.bus import PeersChanged
from organiser.core.errors import OrganiserError
from organiser.net.transport import OLD_SERVER_NAME, close_quietly, open_tls, pairing_context, peer_certificate
from organiser.services.group import Group

log = logging.getLogger(__name__)

OLD_DEVICE_URI = "urn:organiser:device:"
OUTDATED_KEY = "outdated_peers"  # meta: {host: {"seen": epoch, "device": id or ""}}
KEEP = 20
SHOWN_FOR = 24 * 3600


class OldClientFlag:
    """Set during a TLS handshake when the client sent the previous protocol's server name."""

    def __init__(self) -> None:
        self.seen = False

    def __bool__(self) -> bool:
        return self.seen


def watch_for_old_clients(ctx: ssl.SSLContext) -> OldClientFlag:
    flag = OldClientFlag()

    def on_server_name(_sock: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext) -> None:
        if server_name == OLD_SERVER_NAME:
            flag.seen = True

    ctx.sni_callback = on_server_name  # type: ignore[assignment]
    return flag


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
        log.warning("%s.", update_message(host, names(group).get(device, "")))
    return news


def refuse_if_old(group: Group, writer: asyncio.StreamWriter, host: str) -> None:
    """Raise the sentence to show if the node we dialled runs the previous protocol."""
    old = old_server(peer_certificate(writer))
    if old is None:
        return
    if old.group_id != group.id:
        raise OrganiserError(f"{host} is not a device of this group (it runs an older Organiser).")
    seen_old_laptop(group, host, old.device)
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
