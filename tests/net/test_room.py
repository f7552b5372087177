"""A room of six laptops, one process each in its own network namespace on one bridge,
finding each other by mDNS and all editing at once (members, RSVPs, check-ins, tasks):
every laptop ends with every edit and the same state hash. Convergence, not timing: the
timed version with 30 laptops is `python -m tests.perf.room`. The same room with each laptop
keeping two links (a ring: net/fanout.py) proves that edits travel onward through others."""

from __future__ import annotations

import json
import time

import pytest

from organiser.net import fanout
from tests.net.netns import Lan, netns_unavailable, wait_for
from tests.perf.room import converged, make_room, mesh_connected, start_room

REASON = netns_unavailable()
pytestmark = [pytest.mark.netns, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
LAPTOPS = 6


def test_six_laptops_editing_at_once_all_end_with_every_edit_and_the_same_state(tmp_path):
    _edit_in_a_room(tmp_path, LAPTOPS - 1)


def test_six_laptops_in_a_ring_of_two_links_each_get_every_edit_relayed(tmp_path, monkeypatch):
    monkeypatch.setenv(fanout.LINKS_VARIABLE, "2")  # read by every laptop's node
    _edit_in_a_room(tmp_path, 2)


def _edit_in_a_room(tmp_path, links: int) -> None:
    lan = Lan("orgroom")
    laptops = []
    try:
        laptops = start_room(lan, tmp_path, make_room(tmp_path, LAPTOPS), "t")

        def settled() -> bool:
            stats = [lp.stats() for lp in laptops]
            return mesh_connected(stats) and all(s["peers_connected"] == links for s in stats)

        wait_for(settled, 90, 1.0, f"every laptop connected to {links} others, all reaching all")
        t0 = time.time() + 1.0
        for i, lp in enumerate(laptops):
            assert lp.ask(f"go {t0} 15 5 {i}") == ["GOING"]
        time.sleep(6.0)
        wait_for(lambda: converged(laptops)[0], 60, 0.5, "the same state hash on all six")
        reports = []
        for i, lp in enumerate(laptops):
            lp.ask(f"report {tmp_path / f'r{i}.json'}")
            reports.append(json.loads((tmp_path / f"r{i}.json").read_text()))
        assert all(len(r["edits"]) >= 10 for r in reports)  # a few edits may change nothing (same RSVP)
        for author in reports:
            for other in reports:
                if other is not author:
                    arrived = other["arrivals"].get(author["device"], {})
                    assert {str(seq) for seq, _t in author["edits"]} <= set(arrived)
        stats = [lp.stats() for lp in laptops]
        assert len({s["rows"]["records"] for s in stats}) == 1
    finally:
        for lp in laptops:
            lp.quit()
        lan.close()
