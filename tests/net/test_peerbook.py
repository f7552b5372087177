"""What a device remembers about its peers (migration m003 and the `status` peers list)."""

from __future__ import annotations

import json
import subprocess
import sys

from organiser.net import peerbook
from organiser.services.group import open_group
from organiser.store.database import connect
from organiser.store.datadir import DB_NAME
from tests.conftest import add_device


def test_m003_adds_the_peers_table_to_a_database_from_before_it(group, data_dir):
    member = group.members.add("Ana López")
    path = group.path / DB_NAME
    group.close()
    old = connect(path)
    old.execute("DROP TABLE peers")
    old.execute("DELETE FROM _sqlite_migrations WHERE name = 'm003_peers'")
    old.close()
    reopened = open_group(data_dir)
    try:
        assert reopened.members.get(member.id).name == "Ana López"
        peerbook.remember_address(reopened.db, "d" * 32, "10.77.0.2:7000")
        assert peerbook.remembered(reopened.db)["d" * 32]["address"] == "10.77.0.2:7000"
    finally:
        reopened.close()


def test_status_json_lists_other_devices_with_what_the_node_recorded(tmp_path, group, data_dir):
    other = add_device(group, tmp_path / "b", "minutes laptop")
    other.close()
    device = next(d["id"] for d in group.devices() if d["name"] == "minutes laptop")
    peerbook.remember_address(group.db, device, "10.77.0.2:7000")
    peerbook.record_state(group.db, device, "connected", 1_800_000_000.0)
    peerbook.stamp_node(group.db, ["10.77.0.1:7000"])
    out = subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(data_dir), "status", "--json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["peers"] == [{
        "device_id": device, "name": "minutes laptop", "address": "10.77.0.2:7000", "connected": True,
        "state": "connected", "last_sync": 1_800_000_000.0}]
    # A node that stopped stamping (killed) is not taken for a live connection.
    peerbook.clear_node(group.db)
    out = subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(data_dir), "status", "--json"],
                         capture_output=True, text=True, timeout=60)
    assert json.loads(out.stdout)["peers"][0]["state"] == "offline"
    assert peerbook.node_addresses(group.db) == []


def test_a_port_kept_by_an_earlier_release_names_no_network_and_is_not_taken_again(group):
    """Before 5b50309 the port was kept alone, whatever the network: at the next start it is left
    for a new one, kept then with the network it belongs to."""
    group.db.execute("INSERT INTO meta (key, value) VALUES ('listen_port', '41723') "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    assert peerbook.planned_listen_port(group.db, ["10.77.0.1"]) is None
    port = peerbook.choose_listen_port(group.db, ["10.77.0.1"])
    assert peerbook.planned_listen_port(group.db, ["10.77.0.1"]) == port
    assert peerbook.planned_listen_port(group.db, ["10.77.0.9"]) is None  # another network


def test_an_invite_made_at_another_venue_forgets_where_the_last_venues_laptops_were(group):
    """`organiser invite` with no node running, at venue B, chooses the port the node will take
    there: the addresses of the laptops met at venue A must go then, or the node started later at B
    (its plan now says "this network") dials them, and a stranger at B reads where it was."""
    peerbook.remember_listen_port(group.db, 40111, ["192.168.1.5"])  # venue A
    peerbook.remember_address(group.db, "b" * 64, "192.168.1.20:40111")
    assert peerbook.remembered(group.db)["b" * 64]["address"] == "192.168.1.20:40111"
    port = peerbook.choose_listen_port(group.db, ["10.77.0.1"])  # venue B: an invite, no node
    assert peerbook.port_to_listen_on(group.db, ["10.77.0.1"]) == port  # the node takes that port at B...
    assert not peerbook.remembered(group.db).get("b" * 64, {}).get("address")  # ...and dials nothing of A
