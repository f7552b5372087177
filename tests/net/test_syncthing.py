"""The real-Syncthing harness itself (tests/net/syncthing.py), before Organiser rides on it.

Two Debian `syncthing` processes in network namespaces on a private bridge: a plain file
written on one side arrives whole on the other (seen through Syncthing's own event stream),
both ways; neither instance holds a socket beyond the bridge or loopback, and the running
instances report discovery, relays, NAT traversal, usage and crash reporting and upgrades off.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.net.syncthing import QUIET_OPTIONS, SyncthingPair, syncthing_unavailable

REASON = syncthing_unavailable()
pytestmark = [pytest.mark.netns, pytest.mark.skipif(REASON is not None, reason=REASON or "")]


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> Iterator[SyncthingPair]:
    with SyncthingPair(tmp_path_factory.mktemp("syncthing")) as started:
        started.start()
        yield started


def test_a_plain_file_written_on_a_arrives_whole_on_b_and_one_from_b_on_a(pair):
    letter = os.urandom(64 * 1024)
    took = pair.deliver("a", "b", "letter.bin", letter)
    assert (pair.folder("b") / "letter.bin").read_bytes() == letter
    answer = b"written on B\n" * 100
    took_back = pair.deliver("b", "a", "answer.txt", answer)
    assert (pair.folder("a") / "answer.txt").read_text() == answer.decode()
    assert 0 < took < 60 and 0 < took_back < 60


def test_a_file_changed_on_b_replaces_the_copy_on_a(pair):
    pair.deliver("a", "b", "notes.txt", b"first version\n")
    pair.deliver("b", "a", "notes.txt", b"second version, longer than the first\n")
    assert (pair.folder("a") / "notes.txt").read_bytes() == b"second version, longer than the first\n"
    assert not list(pair.folder("a").glob("*sync-conflict*"))


def test_syncthing_holds_no_socket_beyond_the_bridge_and_reports_everything_else_off(pair):
    assert pair.outside_sockets() == {"a": [], "b": []}
    for host in "ab":
        options = pair[host].get("/rest/config/options")
        for name, value in QUIET_OPTIONS.items():
            if name in options:
                assert str(options[name]).lower() == value, f"{host}: {name} is {options[name]!r}"
        assert options["listenAddresses"] == [f"tcp://{pair[host].address}:22000"]
        other = pair["b" if host == "a" else "a"]
        device = pair[host].get(f"/rest/config/devices/{other.device_id}")
        assert device["addresses"] == [f"tcp://{other.address}:22000"]
        status = pair[host].get("/rest/system/status")
        assert not status.get("discoveryEnabled", False)
