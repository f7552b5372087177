"""What a member device acting in bad faith, or a stranger, tries against the membership
model, for the namespace tests (tests/net/test_attacks.py). Run inside a test namespace:

    python -m tests.net.trust_attacker impersonate DATA_DIR HOST:PORT
    python -m tests.net.trust_attacker stranger HOST:PORT
    python -m tests.net.trust_attacker capture PORT SECONDS

Prints what happened as JSON.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from organiser.core.errors import OrganiserError
from organiser.core.keys import device_id_for, public_key_hex
from organiser.core.membership import MEMBERSHIP_KIND
from organiser.core.records import new_id
from organiser.net.invite_code import split_address
from organiser.net.link import sync_with
from organiser.net.transport import close_quietly, open_tls, pairing_context, peer_certificate
from organiser.services.group import DEVICE_KEY_META, open_group
from organiser.store.database import connect
from organiser.store.datadir import DB_NAME
from organiser.store.replica import LocalOp


async def impersonate(data_dir: Path, address: str) -> dict:
    """A member overwrites the founder's key in the old last-writer-wins roster, adds a device
    nobody admitted, writes an admission it has no right to, then connects as that device."""
    member = open_group(data_dir)
    founder = member.replica.meta("founder") or ""
    forged = Ed25519PrivateKey.generate()
    forged_hex = public_key_hex(forged)
    forged_id = device_id_for(forged_hex)
    member.replica.commit([
        LocalOp("device", founder, "public_key", forged_hex),
        LocalOp("device", forged_id, "name", "forged laptop"),
        LocalOp("device", forged_id, "public_key", forged_hex),
        LocalOp(MEMBERSHIP_KIND, new_id(), "admit", {"device": forged_id, "public_key": forged_hex,
                                                     "name": "forged laptop", "invite": ""}),
    ])
    host, port = split_address(address)
    try:
        await sync_with(member, host, port, timeout=15)
        member_synced = True
    except OrganiserError:
        member_synced = False
    # Now act as the forged device: a copy of the member's folder with the forged key.
    copy = data_dir.parent / "forged"
    group_dir = next((copy / "groups").iterdir()) if copy.exists() else None
    if group_dir is None:
        import shutil

        shutil.copytree(data_dir, copy)
        group_dir = next((copy / "groups").iterdir())
        # The device key lives inside the group's database: swap in the forged one there.
        raw = forged.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                   serialization.NoEncryption())
        db = connect(group_dir / DB_NAME)
        with db.atomic():
            db.execute("UPDATE meta SET value = ? WHERE key = ?", [raw.hex(), DEVICE_KEY_META])
        db.close()
    forged_group = open_group(copy)
    forged_group.replica.device_id = forged_id
    try:
        await sync_with(forged_group, host, port, timeout=10)
        outcome = "synced"
    except OrganiserError as exc:
        outcome = str(exc)
    forged_group.close()
    member.close()
    return {"forged_id": forged_id, "founder": founder, "member_synced": member_synced, "forged": outcome}


async def stranger(address: str) -> dict:
    """Connect as a stranger would (no certificate) and keep what the device shows."""
    host, port = split_address(address)
    reader, writer = await open_tls(host, port, pairing_context())
    certificate = peer_certificate(writer) or b""
    try:
        shown = await asyncio.wait_for(reader.read(4096), 3)
    except TimeoutError:
        shown = b""
    await close_quietly(writer)
    return {"certificate": certificate.hex(), "first_bytes": shown.hex()}


def capture(port: int, seconds: float) -> dict:
    """Listen like a stranger's fake device and keep the first bytes a member sends (its ClientHello)."""
    with socket.create_server(("0.0.0.0", port)) as server:
        server.settimeout(seconds)
        conn, _ = server.accept()
        conn.settimeout(3)
        data = b""
        try:
            while len(data) < 4096:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        conn.close()
    return {"client_hello": data.hex()}


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "impersonate":
        result = asyncio.run(impersonate(Path(sys.argv[2]), sys.argv[3]))
    elif mode == "stranger":
        result = asyncio.run(stranger(sys.argv[2]))
    else:
        result = capture(int(sys.argv[2]), float(sys.argv[3]))
    print(json.dumps(result))
