"""Real processes, sockets, TLS and mDNS on a private LAN of network namespaces.

Three laptops A, B and C on a bridge: A creates the group, B and C join by invite,
they find each other with no --peer, concurrent edits converge, an edit made while C
is unplugged arrives after it is plugged back in. A stranger (own group, raw TCP) gets
nothing. Every wait is bounded; namespaces and processes are always removed.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.net.netns import Lan, netns_unavailable, wait_for

REASON = netns_unavailable()
# The tests share three laptops and build on each other in file order: one worker runs them all.
pytestmark = [pytest.mark.netns, pytest.mark.skipif(REASON is not None, reason=REASON or ""),
              pytest.mark.xdist_group("three-laptops")]
ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
HOSTS = "abc"


class Laptops:
    def __init__(self, lan: Lan, base: Path) -> None:
        self.lan = lan
        self.base = base
        self.dirs = {h: base / h for h in (*HOSTS, "s")}
        self.procs: dict[str, subprocess.Popen] = {}

    def run(self, host: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return self.lan.run(host, self.lan.organiser(self.dirs[host], *args), timeout=timeout, env=ENV, cwd=ROOT)

    def ok(self, host: str, *args: str) -> str:
        done = self.run(host, *args)
        assert done.returncode == 0, f"{host}: organiser {' '.join(args)} failed: {done.stderr}"
        return done.stdout

    def serve(self, host: str, *args: str) -> subprocess.Popen:
        proc = self.lan.start(host, self.lan.organiser(self.dirs[host], "-v", "serve", *args),
                              log=self.base / f"{host}.log", env=ENV, cwd=ROOT)
        self.procs[host] = proc
        return proc

    def status(self, host: str) -> dict:
        return json.loads(self.ok(host, "status", "--json"))

    def log(self, host: str) -> str:
        path = self.base / f"{host}.log"
        return path.read_text() if path.exists() else ""


@pytest.fixture(scope="module")
def laptops(tmp_path_factory) -> Iterator[Laptops]:
    lan = Lan("orgt")
    base = tmp_path_factory.mktemp("lan")
    try:
        for host in (*HOSTS, "s"):
            lan.add_host(host)
        yield Laptops(lan, base)
    finally:
        lan.close()


def all_connected(laptops: Laptops) -> bool:
    for host in HOSTS:
        states = [p["state"] for p in laptops.status(host)["peers"]]
        if states != ["connected", "connected"]:
            return False
    return True


def test_a_creates_b_and_c_join_by_invite_and_used_or_expired_codes_are_refused(laptops):
    laptops.ok("a", "init", "--group", "Tenants Union", "--device-name", "door laptop")
    laptops.serve("a", "--listen", "0.0.0.0:7000")
    wait_for(lambda: "on port 7000" in laptops.log("a"), 15, what="A serving")
    code_b = laptops.ok("a", "invite").strip()
    assert "Joined group 'Tenants Union'" in laptops.ok("b", "join", code_b, "--device-name", "minutes laptop")
    refused = laptops.run("c", "join", code_b, "--device-name", "third laptop")
    assert refused.returncode != 0 and "already been used" in refused.stderr
    short = laptops.ok("a", "invite", "--expires", "1s").strip()
    time.sleep(1.2)
    refused = laptops.run("c", "join", short, "--device-name", "third laptop")
    assert refused.returncode != 0 and "expired at" in refused.stderr
    code_c = laptops.ok("a", "invite").strip()
    laptops.ok("c", "join", code_c, "--device-name", "third laptop")
    devices = laptops.status("a")["peers"]
    assert sorted(p["name"] for p in devices) == ["minutes laptop", "third laptop"]
    roster = {d["name"]: d for d in json.loads(laptops.ok("a", "device", "list", "--json"))}
    assert roster["third laptop"]["admitted_by"] == laptops.status("a")["device_id"]


def query(data_dir: Path, sql: str) -> list[tuple]:
    (db_path,) = data_dir.glob("groups/*/organiser.db")
    with sqlite3.connect(db_path, timeout=30) as conn:
        return conn.execute(sql).fetchall()


def test_all_three_find_each_other_with_no_peer_addresses(laptops):
    laptops.serve("b")
    laptops.serve("c")
    wait_for(lambda: all_connected(laptops), 30, 0.5, "all three connected")
    peers = laptops.status("c")["peers"]
    assert all(p["connected"] and p["address"].startswith("10.77.0.") for p in peers)
    assert all(p["last_sync"] for p in peers)


def same_state(laptops: Laptops, hosts: str = HOSTS) -> bool:
    return len({laptops.status(h)["state_hash"] for h in hosts}) == 1


def test_concurrent_edits_on_all_three_converge(laptops):
    writers = [laptops.lan.start(h, laptops.lan.organiser(laptops.dirs[h], "member", "add", "--name", f"{h} {i}"),
                                 env=ENV, cwd=ROOT) for i in range(3) for h in HOSTS]
    for proc in writers:
        assert proc.wait(60) == 0
    wait_for(lambda: same_state(laptops), 20, 0.3, "equal state hashes")
    assert laptops.status("b")["counts"]["member"] == 9


def test_an_edit_made_while_c_is_unplugged_arrives_after_it_is_plugged_back(laptops):
    wait_for(lambda: all_connected(laptops), 30, 0.5, "all three connected")
    laptops.lan.cut("c")
    laptops.ok("a", "member", "add", "--name", "Written while C was away")
    laptops.ok("c", "task", "add", "--title", "Written on C while away")
    wait_for(lambda: laptops.status("b")["counts"]["member"] == 10, 20, 0.2, "A's edit on B")
    assert laptops.status("c")["counts"]["member"] == 9  # really cut off
    laptops.lan.plug("c")
    wait_for(lambda: same_state(laptops), 45, 0.5, "C back in step")
    assert laptops.status("a")["counts"]["task"] == 1


def test_when_only_a_and_c_lose_each_other_b_relays_what_a_writes(laptops):
    wait_for(lambda: all_connected(laptops), 30, 0.5, "all three connected")
    members = laptops.status("c")["counts"]["member"]
    lan = laptops.lan
    blocks = [("a", laptops.lan.hosts["c"]), ("c", laptops.lan.hosts["a"])]
    for host, other in blocks:
        subprocess.run(["ip", "-n", lan.ns(host), "route", "add", "blackhole", f"{other}/32"], check=True)
    try:
        laptops.ok("a", "member", "add", "--name", "Relayed through B")
        wait_for(lambda: laptops.status("c")["counts"]["member"] == members + 1, 40, 0.5, "the edit on C via B")
    finally:
        for host, other in blocks:
            subprocess.run(["ip", "-n", lan.ns(host), "route", "del", "blackhole", f"{other}/32"])
    try:
        wait_for(lambda: all_connected(laptops), 40, 0.5, "A and C connected again")
    except AssertionError as missed:  # once in a CI run (2026-12-02 15:47 UTC), then 4 of 4 passed: say what each saw
        seen = {h: [(p["name"], p["state"]) for p in laptops.status(h)["peers"]] for h in HOSTS}
        raise AssertionError(f"{missed}; peers {seen}; logs: " + "".join(
            f"\n--- {h} ---\n{laptops.log(h)[-4000:]}" for h in HOSTS)) from None
    assert same_state(laptops)


def test_a_stranger_can_neither_connect_nor_learn_the_group_name(laptops):
    laptops.ok("s", "init", "--group", "Strangers", "--device-name", "their laptop")
    laptops.serve("s")
    refused = laptops.run("s", "sync", "10.77.0.1:7000", "--timeout", "10")
    assert refused.returncode != 0 and "not a device of this group" in refused.stderr
    raw = laptops.lan.run("s", ["python3", "-c", (
        "import socket; s = socket.create_connection(('10.77.0.1', 7000), 5); s.settimeout(10); "
        "s.sendall(b'\\x01\\x02\\x00\\x00\\x00\\x05hello' * 100); data = b''\n"
        "try:\n    while chunk := s.recv(4096): data += chunk\n"
        "except OSError: pass\nprint(len(data), b'Tenants' in data)")], timeout=30)
    assert raw.returncode == 0 and raw.stdout.split()[1] == "False"
    probe = laptops.lan.run("s", [sys.executable, "-m", "tests.net.mdns_probe", "3"],
                            timeout=30, env=ENV, cwd=ROOT)
    seen = json.loads(probe.stdout)
    tags = [s["txt"].get("t") for s in seen]
    assert len(seen) >= 4 and max(tags.count(t) for t in tags) >= 3, f"the probe should hear A, B and C: {seen}"
    assert all(set(s["txt"]) == {"v", "t"} for s in seen)  # no device id, no group id: a tag of the day
    text = json.dumps(seen)
    assert "Tenants" not in text and "laptop" not in text
    for host in "abc":
        status = laptops.status(host)
        assert status["device_id"] not in text and status["device_id"][:12] not in text
        assert status["group"]["id"] not in text
    assert [p["name"] for p in laptops.status("s")["peers"]] == []
    wait_for(lambda: "refused a connection from 10.77.0.4" in laptops.log("a"), 10, what="the refusal logged")
    # The group kept serving: every laptop shows both others connected (read from each one's heartbeat,
    # which may show a link that a duplicate dial replaced as syncing for a beat).
    wait_for(lambda: all_connected(laptops), 10, what="A, B and C still connected")


def test_serve_stops_cleanly_on_sigterm_and_peers_then_show_it_offline(laptops):
    proc = laptops.procs["c"]
    assert laptops.lan.stop(proc, signal.SIGTERM) == 0
    assert "Stopped." in laptops.log("c")
    wait_for(lambda: [p["state"] for p in laptops.status("a")["peers"]
                      if p["name"] == "third laptop"] == ["offline"], 20, 0.5, "C offline on A")
    assert all(p["state"] == "offline" for p in laptops.status("c")["peers"])
