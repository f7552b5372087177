"""A group carried between two sites by two real Syncthing instances, and nothing else.

Laptop A (the office) and laptop B (a far site) each run `organiser serve` in a namespace of
their own with only loopback: their sync nodes can never reach each other. The two Debian
`syncthing` instances run in namespaces on a private bridge (tests/net/syncthing.py), sharing
one folder. B joins through that folder too: A leaves a one-time invite in its copy
(`invite --folder`), B redeems it from its own copy with the code (`join --folder`), A admits
B at its next pass. Edits on each side arrive on the other; edits made while Syncthing has the
folder paused do not cross, and once it carries it again they converge with the losing value kept on both;
the state hashes become equal; the folder holds no conflict copy and no plain text.
Slow: 2-3 min on this loaded machine (load 15-20, where one CLI process takes ~3.5 s), most of
it Organiser CLI processes and setting up two laptops and two Syncthing instances; every wait
is bounded.
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
        wait_for(lambda: far.held("a")["counts"]["device"] == 2 and far.same_state(), 60, 0.2,
                 "B admitted at A's pass, and A's history on B")
        yield far


# Each test stands on the fixture alone.

def counts(far: FarLaptops, host: str) -> dict[str, int]:
    return far.held(host)["counts"]


def names(far: FarLaptops, host: str, kind: str, field: str = "name") -> list[str]:
    return sorted(r[field] for r in json.loads(far.ok(host, kind, "list", "--json")))


def in_folder(far: FarLaptops, host: str) -> int:
    """How many of `host`'s own changesets its copy of the folder holds."""
    return next(d["in_folder"] for d in far.held_folder(host)["devices"] if d["this_device"])


def test_the_far_laptop_joined_through_the_folder_and_edits_cross_both_ways(laptops):
    assert names(laptops, "a", "device") == names(laptops, "b", "device") == ["far laptop", "office laptop"]
    assert not list(laptops.pair.folder("a").glob("*.invite"))  # the one-time admission is used up
    laptops.ok("a", "member", "add", "--name", "Ana Office")
    wait_for(lambda: laptops.same_state(), 60, 0.2, "A's member on B")
    assert "Ana Office" in names(laptops, "b", "member")
    laptops.ok("b", "task", "add", "--title", "Flyers for the far site")
    wait_for(lambda: laptops.same_state(), 60, 0.2, "B's task on A")
    assert "Flyers for the far site" in names(laptops, "a", "task", "title")
    hashes = {laptops.status(h)["state_hash"] for h in "ab"}  # as the CLI shows them
    assert len(hashes) == 1


def test_while_syncthing_is_down_nothing_crosses_then_both_sides_edits_converge_with_the_loser_kept(laptops):
    member_id = laptops.ok("a", "member", "add", "--name", "Ben Both Sides").strip()
    wait_for(lambda: laptops.same_state(), 60, 0.2, "the member on both")
    before = {h: counts(laptops, h) for h in "ab"}
    written = {h: in_folder(laptops, h) for h in "ab"}
    laptops.pair.pause()
    laptops.ok("a", "member", "edit", member_id, "--notes", "keys to the office")
    laptops.ok("b", "member", "edit", member_id, "--notes", "keys at the far site")
    laptops.ok("b", "event", "add", "--title", "Assembly at the far site", "--start", "2026-12-03T18:00")
    laptops.ok("a", "task", "add", "--title", "Book the office room")
    for host in "ab":  # each side's serve has put its two edits in its own copy of the folder
        wait_for(lambda host=host: in_folder(laptops, host) >= written[host] + 2, 30, 0.2, f"{host}'s edits")
    assert counts(laptops, "a").get("event", 0) == before["a"].get("event", 0)  # nothing crossed
    assert counts(laptops, "b").get("task", 0) == before["b"].get("task", 0)
    assert not laptops.same_state()
    laptops.pair.resume()
    wait_for(lambda: laptops.same_state() and counts(laptops, "a").get("event", 0) == before["a"].get("event", 0) + 1
             and counts(laptops, "b").get("task", 0) == before["b"].get("task", 0) + 1, 60, 0.2,
             "both sides' edits on both")
    shown = {h: json.loads(laptops.ok(h, "member", "show", member_id, "--json"))["notes"] for h in "ab"}
    assert shown["a"] == shown["b"] and shown["a"] in ("keys to the office", "keys at the far site")
    loser = ({"keys to the office", "keys at the far site"} - {shown["a"]}).pop()
    lost = {h: [{k: v for k, v in c.items() if k != "id"} for c in json.loads(laptops.ok(h, "conflicts", "--json"))
                if c["record"] == member_id] for h in "ab"}
    assert lost["a"] == lost["b"] and [c["value"] for c in lost["a"]] == [loser], lost


def test_only_syncthing_carried_it_and_the_folder_holds_nothing_readable(laptops):
    laptops.ok("b", "member", "add", "--name", "Carla Farsite", "--email", "carla@example.org")
    wait_for(lambda: laptops.same_state(), 60, 0.2, "B's member on A")
    assert "Carla Farsite" in names(laptops, "a", "member")
    seen: dict[str, dict] = {}

    def settled() -> bool:  # each side's card, saying what it has applied, has crossed too
        for host in "ab":
            seen[host] = laptops.held_folder(host)
        return all(st["problems"] == [] and all(d["caught_up"] for d in st["devices"]) for st in seen.values())

    try:
        wait_for(settled, 60, 0.3, "both devices caught up in both copies, no problem listed")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; folder status: {seen}") from None
    for host in "ab":
        peers = laptops.status(host)["peers"]
        assert not any(p["connected"] or p["last_sync"] for p in peers), peers  # never met
        status = laptops.folder_status(host)  # as the CLI shows it
        assert [d["caught_up"] for d in status["devices"]] == [True, True], status
    assert laptops.pair.outside_sockets() == {"a": [], "b": []}
    files = [p for p in laptops.pair.folder("b").rglob("*") if p.is_file()]
    assert not [p for p in files if "sync-conflict" in p.name]
    everything = b"".join(p.read_bytes() for p in files)
    for plain in (b"Carla", b"carla@example.org", b"Tenants Union", b"office laptop", b"far laptop"):
        assert plain not in everything
