"""What this device remembers about its peers, in SQLite (table `peers`, not replicated).

The running node writes it; `organiser status` (another process) reads it. The node
also stamps a heartbeat, so a node that was killed is not shown as still connected.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

HEARTBEAT_KEY = "node_heartbeat"
ADDRESSES_KEY = "node_addresses"
HEARTBEAT_EVERY = 2.0
HEARTBEAT_STALE = 10.0


@dataclass(frozen=True)
class PeerInfo:
    """A device of the group as the sync node sees it."""

    device_id: str
    name: str
    address: str  # "host:port" where it listens, or ""
    connected: bool
    state: str  # "connected" | "syncing" | "offline"
    last_sync: float | None  # epoch seconds: when changes last came over the link (not while in step)
    in_step: bool = False  # connected, and each holds what the other holds: nothing to exchange


def in_step(session: Any, ours: dict[str, int]) -> bool:
    """Whether a live link has nothing to exchange: past both first streams, the peer said it holds
    all we hold (its answers come once it has stored what it was sent: sent is not yet held), and we
    hold all it said it holds. Its own changesets it holds all of; those of the authors it hears
    from directly, or gets by another link, are that link's to bring, not this one's (none is sent
    here, so this link never learns how far it is with them); our own are always sent here. The
    link's last sync is then only the last time something changed, not how far behind we are."""
    if session.closed.is_set() or session.state != "connected":
        return False
    said = session.peer_said
    elsewhere = (session.peer_neighbours | session.skipped_by_peer | {session.peer_device}) - {
        session.replica.device_id}
    return (all(said.get(a, 0) >= seq for a, seq in ours.items() if a not in elsewhere)
            and all(ours.get(a, 0) >= seq for a, seq in said.items()))


def remember_address(db: Database, device: str, address: str) -> None:
    db.execute(
        "INSERT INTO peers (device, address, last_seen) VALUES (?, ?, ?) ON CONFLICT (device) DO UPDATE "
        "SET address = excluded.address, last_seen = excluded.last_seen",
        [device, address, time.time()],
    )


def record_state(db: Database, device: str, state: str, last_sync: float | None,
                 holds: dict[str, int] | None = None) -> None:
    """The peer's state now; `holds`, per author, the highest changeset it said it holds (at
    HELLO and in its vectors since; not what was sent it, which a cut link may lose), kept at
    its highest."""
    known = _holds(db, device)
    for author, seq in (holds or {}).items():
        known[author] = max(seq, known.get(author, 0))
    db.execute(
        "INSERT INTO peers (device, state, last_seen, last_sync, holds) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (device) DO UPDATE SET state = excluded.state, last_seen = excluded.last_seen, "
        "last_sync = coalesce(excluded.last_sync, peers.last_sync), holds = excluded.holds",
        [device, state, time.time(), last_sync, json.dumps(known, sort_keys=True)],
    )


def _holds(db: Database, device: str) -> dict[str, int]:
    row = db.execute("SELECT holds FROM peers WHERE device = ?", [device]).fetchone()
    return json.loads(row[0]) if row else {}


def forget_addresses(db: Database) -> None:
    """On another network: where the peers were is of no use here, and dialled here it would tell a
    stranger where this laptop was before (ListenPlan)."""
    db.execute("UPDATE peers SET address = '' WHERE address != ''")


def all_offline(db: Database) -> None:
    db.execute("UPDATE peers SET state = 'offline'")


def remembered(db: Database) -> dict[str, dict[str, Any]]:
    return {row[0]: {"address": row[1], "state": row[2], "last_seen": row[3], "last_sync": row[4]}
            for row in db.execute("SELECT device, address, state, last_seen, last_sync FROM peers")}


def stamp_node(db: Database, addresses: list[str] | None = None) -> None:
    rows = [(HEARTBEAT_KEY, str(time.time()))]
    if addresses is not None:
        rows.append((ADDRESSES_KEY, json.dumps(addresses)))
    db.conn.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", rows)


def clear_node(db: Database) -> None:
    db.execute("DELETE FROM meta WHERE key IN (?, ?)", [HEARTBEAT_KEY, ADDRESSES_KEY])


def node_running(db: Database) -> bool:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [HEARTBEAT_KEY]).fetchone()
    return bool(row) and time.time() - float(row[0]) < HEARTBEAT_STALE


def node_addresses(db: Database) -> list[str]:
    """Where a node on this device listens, if one runs (for invite codes made by the CLI)."""
    if not node_running(db):
        return []
    row = db.execute("SELECT value FROM meta WHERE key = ?", [ADDRESSES_KEY]).fetchone()
    return list(json.loads(row[0])) if row else []


LISTEN_PORT_KEY = "listen_port"


@dataclass(frozen=True)
class ListenPlan:
    """The port this device's node listened on last, and the addresses it had then: the network
    that port belongs to. On another network the node takes a new port and dials none of the
    addresses it remembers: a stranger sniffing two venues must not tell the same laptop by its port,
    nor by the addresses and ports of the laptops it met at the other one (docs/lan-sync.md)."""

    port: int
    addresses: tuple[str, ...]  # sorted; () for a port kept by an earlier release, network unknown

    def here(self, addresses: list[str]) -> bool:
        """Whether `addresses` (this machine's now) are the network this plan was made on."""
        return bool(self.addresses) and self.addresses == tuple(sorted(addresses))


def _listen_plan(db: Database) -> ListenPlan | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [LISTEN_PORT_KEY]).fetchone()
    if not row:
        return None
    value = str(row[0])
    if value.isdigit():  # an earlier release kept the port alone
        return ListenPlan(int(value), ())
    try:
        plan = json.loads(value)
        return ListenPlan(int(plan["port"]), tuple(sorted(str(a) for a in plan["addresses"])))
    except (ValueError, TypeError, KeyError):
        return None


def planned_listen_port(db: Database, addresses: list[str]) -> int | None:
    """The port this device's node listened on last, if that was on this network (`addresses`):
    where it will try first next time."""
    plan = _listen_plan(db)
    return plan.port if plan is not None and plan.here(addresses) else None


def port_to_listen_on(db: Database, addresses: list[str]) -> int | None:
    """For the node starting on the network of `addresses`: the port it listened on last if that
    was here, else None, and then the peers' addresses learnt on the other network are forgotten.
    With no plan yet (a laptop just joined) the address of the laptop that admitted it is kept."""
    plan = _listen_plan(db)
    if plan is None:
        return None
    if plan.here(addresses):
        return plan.port
    forget_addresses(db)
    return None


def remember_listen_port(db: Database, port: int, addresses: list[str]) -> None:
    value = json.dumps({"port": port, "addresses": sorted(addresses)})
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
               [LISTEN_PORT_KEY, value])


def choose_listen_port(db: Database, addresses: list[str]) -> int:
    """For an invite made while no node runs: the port the node will listen on when it starts on
    this network (`addresses`)."""
    port = port_to_listen_on(db, addresses)  # another network: the last venue's addresses go too
    if port is None:
        with socket.socket() as probe:  # a port free now, most likely free when the node starts
            probe.bind(("0.0.0.0", 0))
            port = probe.getsockname()[1]
        remember_listen_port(db, port, addresses)
    return port


def peer_status(group: Any) -> list[dict[str, Any]]:
    """`status --json` peers: every other device of the roster, with what is known of it."""
    book = remembered(group.db)
    live = node_running(group.db)
    out = []
    for device in group.devices():
        if device["id"] == group.device_id:
            continue
        seen = book.get(device["id"], {})
        state = seen.get("state", "offline") if live else "offline"
        out.append({"device_id": device["id"], "name": device.get("name", ""),
                    "address": seen.get("address", ""), "connected": state in ("connected", "syncing"),
                    "state": state, "last_sync": seen.get("last_sync")})
    return out
