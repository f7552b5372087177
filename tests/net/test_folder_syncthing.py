"""A group carried between two sites by two real Syncthing instances, and nothing else.

Laptop A (the office) and laptop B (a far site) each run `organiser serve` in a namespace of
their own with only loopback: their sync nodes can never reach each other. The two Debian
`syncthing` instances run in namespaces on a private bridge (tests/net/syncthing.py), sharing
one folder. B joins through that folder too: A leaves a one-time invite in its copy
(`invite --folder`), B redeems it from its own copy with the code (`join --folder`), A admits
B at its next pass. Edits on each side arrive on the other; edits made while Syncthing's link
is down do not cross, and once it is back they converge with the losing value kept on both;
the state hashes become equal; the folder holds no conflict copy and no plain text.
Slow: 85-120 s on this loaded machine (load 8-19), most of it Organiser CLI processes and
setting up two laptops and two Syncthing instances; every wait is bounded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.net.far_laptops import FarLaptops
from tests.net.netns import wait_for
from tests.net.syncthing import SyncthingPair, syncthing_unavailable

REASON = syncthing_unavailable()
pytestmark = [pytest.mark.netns, pytest.mark.slow, pytest.mark.skipif(REASON is not None, reason=REASON or "")]


@pytest.fixture(scope="module")
def laptops(tmp_path_factory) -> Iterator[FarLaptops]:
    base = tmp_path_factory.mktemp("far")
    with SyncthingPair(base) as pair, FarLaptops(pair, base) as far:
        pair.launch()  # Syncthing boots while the first laptop is set up
        far.ok("a", "init", "--group", "Tenants Union", "--device-name", "office laptop")
        pair.wait_ready()
        far.join_through_the_folder()
        far.serve("a")
        far.serve("b")
        yield far


def test_the_far_laptop_joined_through_the_folder_is_admitted_on_both(laptops):
    def names(host: str) -> list[str]:
        return sorted(d["name"] for d in json.loads(laptops.ok(host, "device", "list", "--json")))
    wait_for(lambda: laptops.held("a")["counts"]["device"] == 2 and laptops.same_state(), 60, 0.2,
             "B admitted by A's pass and A's history on B")
    assert names("a") == names("b") == ["far laptop", "office laptop"]
    assert not list(laptops.pair.folder("a").glob("*.invite"))  # the one-time admission is used up


def counts(far: FarLaptops, host: str) -> dict[str, int]:
    return far.held(host)["counts"]


def converged(far: FarLaptops) -> bool:
    return far.same_state()


def test_a_member_added_at_the_office_arrives_at_the_far_site(laptops):
    before = counts(laptops, "b").get("member", 0)
    laptops.ok("a", "member", "add", "--name", "Ana Office", "--email", "ana@example.org")
    wait_for(lambda: counts(laptops, "b").get("member", 0) == before + 1, 60, 0.2, "A's member on B")
    wait_for(lambda: converged(laptops), 30, 0.2, "equal state hashes")
    listed = json.loads(laptops.ok("b", "member", "list", "--json"))
    assert "Ana Office" in [m["name"] for m in listed]


def test_a_task_added_at_the_far_site_arrives_at_the_office(laptops):
    laptops.ok("b", "task", "add", "--title", "Flyers for the far site")
    wait_for(lambda: counts(laptops, "a").get("task", 0) == 1, 60, 0.2, "B's task on A")
    wait_for(lambda: converged(laptops), 30, 0.2, "equal state hashes")
    tasks = json.loads(laptops.ok("a", "task", "list", "--json"))
    assert [t["title"] for t in tasks] == ["Flyers for the far site"]


def in_folder(far: FarLaptops, host: str) -> int:
    """How many of `host`'s own changesets its copy of the folder holds."""
    return next(d["in_folder"] for d in far.held_folder(host)["devices"] if d["this_device"])


def test_while_syncthing_is_down_nothing_crosses_then_both_sides_edits_converge_with_the_loser_kept(laptops):
    (member,) = [m for m in json.loads(laptops.ok("a", "member", "list", "--json")) if m["name"] == "Ana Office"]
    written = {h: in_folder(laptops, h) for h in "ab"}
    laptops.pair.pause()
    laptops.ok("a", "member", "edit", member["id"], "--notes", "keys to the office")
    laptops.ok("b", "member", "edit", member["id"], "--notes", "keys at the far site")
    laptops.ok("b", "event", "add", "--title", "Assembly at the far site", "--start", "2026-12-03T18:00")
    laptops.ok("a", "task", "add", "--title", "Book the office room")
    for host in "ab":  # each side's serve has put its edits in its own copy of the folder
        wait_for(lambda host=host: in_folder(laptops, host) >= written[host] + (2 if host == "b" else 1),
                 30, 0.2, f"{host}'s edits in its folder")
    assert counts(laptops, "a").get("event", 0) == 0 and counts(laptops, "b").get("task", 0) == 1
    assert not converged(laptops)
    laptops.pair.resume()
    wait_for(lambda: converged(laptops) and counts(laptops, "a").get("event", 0) == 1
             and counts(laptops, "b").get("task", 0) == 2, 60, 0.2, "both sides' edits on both")
    shown = {h: json.loads(laptops.ok(h, "member", "show", member["id"], "--json"))["notes"] for h in "ab"}
    assert shown["a"] == shown["b"] and shown["a"] in ("keys to the office", "keys at the far site")
    lost = {h: json.loads(laptops.ok(h, "conflicts", "--json")) for h in "ab"}
    assert lost["a"] == lost["b"] and len(lost["a"]) == 1, lost
    loser = ({"keys to the office", "keys at the far site"} - {shown["a"]}).pop()
    assert loser in json.dumps(lost["a"])


def test_only_syncthing_carried_it_and_the_folder_holds_nothing_readable(laptops):
    for host in "ab":
        peers = laptops.status(host)["peers"]
        assert not any(p["connected"] or p["last_sync"] for p in peers), peers  # never met
        status = laptops.folder_status(host)
        assert status["problems"] == []
        assert all(d["caught_up"] for d in status["devices"]), status["devices"]
    assert not laptops.pair.outside_sockets()["a"] and not laptops.pair.outside_sockets()["b"]
    files = [p for p in laptops.pair.folder("b").rglob("*") if p.is_file()]
    assert not [p for p in files if "sync-conflict" in p.name]
    everything = b"".join(p.read_bytes() for p in files)
    for plain in (b"Ana Office", b"ana@example.org", b"Tenants Union", b"Flyers", b"office laptop"):
        assert plain not in everything
