"""Playing the attacker against the membership model, with real devices in network
namespaces and real TLS: a member acting in bad faith, a removed device that keeps its
folder, one invite code tried twice, and a stranger on the LAN."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.net.netns import Lan, netns_unavailable, wait_for
from tests.net.test_lan import ENV, ROOT, Laptops

REASON = netns_unavailable()
pytestmark = [pytest.mark.netns, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
A = "10.77.0.1:7000"  # the founder, an admin


class Group3(Laptops):
    def __init__(self, lan: Lan, base: Path) -> None:
        super().__init__(lan, base)
        self.dirs = {h: base / h for h in "abcdex"}

    def attacker(self, host: str, *args: str) -> dict:
        done = self.lan.run(host, [sys.executable, "-m", "tests.net.trust_attacker", *args], timeout=60,
                            env=ENV, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def peers(self, host: str) -> dict[str, str]:
        return {p["name"]: p["state"] for p in self.status(host)["peers"]}

    def device_names(self, host: str) -> set[str]:
        return {d["name"] for d in json.loads(self.ok(host, "device", "list", "--json")) if not d["removed"]}


@pytest.fixture(scope="module")
def group3(tmp_path_factory) -> Iterator[Group3]:
    lan = Lan("orgk")
    base = tmp_path_factory.mktemp("attacks")
    laptops = Group3(lan, base)
    try:
        for host in "abcdex":
            lan.add_host(host)
        laptops.ok("a", "init", "--group", "Tenants Union", "--device-name", "door laptop")
        laptops.serve("a", "--listen", "0.0.0.0:7000")
        wait_for(lambda: "on port 7000" in laptops.log("a"), 15, what="A serving")
        for host, name in (("b", "minutes laptop"), ("c", "infiltrator laptop")):
            laptops.ok(host, "join", laptops.ok("a", "invite").strip(), "--device-name", name)
            laptops.serve(host, "--listen", "0.0.0.0:7000")
        wait_for(lambda: all(set(laptops.peers(h).values()) == {"connected"} and len(laptops.peers(h)) == 2
                             for h in "abc"), 40, 0.5, "a, b and c connected")
        yield laptops
    finally:
        for proc in laptops.procs.values():
            lan.stop(proc)
        lan.close()


def set_policy(group3: Group3, members_may_invite: str) -> None:
    group3.ok("a", "group", "policy", "--members-may-invite", members_may_invite)
    wanted = {"members_may_invite": members_may_invite == "yes"}
    wait_for(lambda: all(json.loads(group3.ok(h, "group", "policy", "--json")) == wanted for h in "bc"), 20, 0.5,
             "the policy everywhere")


def test_a_member_cannot_impersonate_the_founder_or_admit_a_device_of_its_own(group3):
    result = group3.attacker("b", "impersonate", str(group3.dirs["b"]), A)
    assert result["forged"] != "synced" and "not a member of the group" in result["forged"]
    for host in "ab":
        assert group3.device_names(host) == {"door laptop", "minutes laptop", "infiltrator laptop"}
        assert all(d["id"] != result["forged_id"] for d in json.loads(group3.ok(host, "device", "list", "--json")))
    # the founder's key was not swapped: the founder still syncs with everyone as itself
    group3.ok("a", "member", "add", "--name", "After the forgery")
    wait_for(lambda: group3.status("b")["state_hash"] == group3.status("a")["state_hash"], 20, 0.5, "b in step")


def test_a_removed_device_is_refused_everywhere_even_through_a_device_that_had_not_heard(group3):
    set_policy(group3, "yes")
    c_code = group3.ok("c", "invite").strip()  # made while it was a member (the policy lets members invite)
    group3.lan.cut("a")  # the founder removes c while b cannot hear of it yet
    group3.ok("a", "device", "remove", "infiltrator laptop")
    group3.ok("c", "member", "add", "--name", "Written after removal")
    wait_for(lambda: "Written after removal" in group3.ok("b", "member", "list"), 20, 0.5, "the relay to b")
    group3.lan.plug("a")
    wait_for(lambda: group3.status("b")["state_hash"] == group3.status("a")["state_hash"], 40, 0.5,
             "a and b in step")
    for host in "ab":
        assert "Written after removal" not in group3.ok(host, "member", "list")
        assert "infiltrator laptop" not in group3.device_names(host)
    wait_for(lambda: group3.status("c")["membership"]["removed"], 20, 0.5, "c told it was removed")
    wait_for(lambda: not any(s == "connected" for s in group3.peers("c").values()), 10, 0.5, "c cut off")
    # it keeps its folder and tries again, with a certificate made anew (every start makes one, in memory)
    group3.lan.stop(group3.procs.pop("c"))
    refused = group3.run("c", "sync", A, "--timeout", "10")
    assert refused.returncode != 0 and "removed from the group" in refused.stderr
    # the code it made before its removal admits nobody the group accepts
    group3.serve("c", "--listen", "0.0.0.0:7000")
    wait_for(lambda: "listening on port 7000" in group3.log("c"), 15, what="c serving again")
    joined = group3.run("d", "join", c_code, "--device-name", "accomplice laptop")
    if joined.returncode == 0:  # c, not knowing of its removal, may have admitted it locally
        assert group3.run("d", "sync", A, "--timeout", "10").returncode != 0
    assert "accomplice laptop" not in group3.device_names("a")


def test_one_code_admits_one_device_and_only_where_it_was_made(group3):
    code = group3.ok("a", "invite").strip()
    group3.ok("x", "join", code, "--device-name", "new laptop")
    again = group3.run("e", "join", code, "--device-name", "second try")
    assert again.returncode != 0 and "already been used" in again.stderr
    assert "second try" not in group3.device_names("a")


def test_a_stranger_learns_no_group_id_name_or_device_id_from_the_handshake(group3):
    status = group3.status("a")
    secrets = [status["group"]["id"], status["device_id"], "Tenants", "door laptop"]
    shown = group3.attacker("d", "stranger", A)
    blob = bytes.fromhex(shown["certificate"]) + bytes.fromhex(shown["first_bytes"])
    for text in secrets:
        assert text.encode() not in blob and text[:12].encode() not in blob
    assert bytes.fromhex(status["group"]["id"]) not in blob
    # and what a member sends when it dials: no SNI, nothing that names it or its group
    listener = group3.lan.start("d", [sys.executable, "-m", "tests.net.trust_attacker", "capture", "7100", "20"],
                                env=ENV, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    wait_for(lambda: group3.lan.run("d", ["ss", "-ltn"], timeout=5).stdout.count(":7100") > 0, 10,
             what="the fake device listening")
    group3.run("a", "sync", "10.77.0.4:7100", "--timeout", "5")
    out, _ = listener.communicate(timeout=30)
    hello = bytes.fromhex(json.loads(out)["client_hello"])
    assert hello[:1] == b"\x16"  # a TLS handshake record
    for text in [*secrets, "organiser"]:
        assert text.encode() not in hello
    assert 0 not in extension_types(hello)  # no server_name (SNI) extension


def extension_types(record: bytes) -> list[int]:
    """The extension types of a TLS ClientHello record (RFC 8446 4.1.2)."""
    pos = 5 + 4 + 2 + 32  # record header, handshake header, legacy version, random
    pos += 1 + record[pos]  # session id
    pos += 2 + int.from_bytes(record[pos:pos + 2], "big")  # cipher suites
    pos += 1 + record[pos]  # compression methods
    end = pos + 2 + int.from_bytes(record[pos:pos + 2], "big")
    pos += 2
    types = []
    while pos + 4 <= end:
        types.append(int.from_bytes(record[pos:pos + 2], "big"))
        pos += 4 + int.from_bytes(record[pos + 2:pos + 4], "big")
    return types
