"""A stranger who sniffs the Wi-Fi of two venues (the church hall this week, the community
centre next week) tries to tell that the same laptop came to both: by the port it announces on
mDNS and listens on, or by where it dials when it arrives (the addresses and ports of the
laptops it met last time). Nothing of this may follow a laptop from one network to another;
on the same network (a laptop restarted during the evening) it keeps its port, so the laptops
that remember it there reach it again without mDNS.

Real `organiser serve` processes in network namespaces on a bridge; the stranger is a host
on the bridge with the mDNS probe and a TCP listener, nothing of Organiser's own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.net.netns import Lan, netns_unavailable, wait_for

REASON = netns_unavailable()
pytestmark = [pytest.mark.netns, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

# The stranger: for `seconds`, what mDNS announces (each announcement's addresses and port),
# and who connects to `address`:`port`, where a laptop of the group listened on the evening before.
STRANGER = """
import asyncio, json, sys
from tests.net.mdns_probe import probe

async def main(seconds, address, port):
    dialled = []
    async def answer(reader, writer):
        dialled.append(writer.get_extra_info("peername")[0])
        writer.close()
    server = await asyncio.start_server(answer, address, port) if address else None
    seen = await probe(seconds)
    if server is not None:
        server.close()
    print(json.dumps({"announced": seen, "dialled_from": dialled}))

asyncio.run(main(float(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
"""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class Venue:
    """Two laptops of one group and a stranger on one bridge."""

    def __init__(self, lan: Lan, tmp: Path) -> None:
        self.lan, self.tmp = lan, tmp
        self.dirs = {"door": tmp / "door", "minutes": tmp / "minutes"}
        self.procs: dict[str, subprocess.Popen] = {}
        for host in ("door", "minutes", "stranger"):
            lan.add_host(host)

    def ok(self, host: str, *args: str) -> str:
        done = self.lan.run(host, self.lan.organiser(self.dirs[host], *args), env=ENV, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def serve(self, host: str) -> None:
        log = self.tmp / f"{host}.log"
        log.write_text("")
        self.procs[host] = self.lan.start(host, self.lan.organiser(self.dirs[host], "serve"), log=log,
                                          env=ENV, cwd=ROOT)
        wait_for(lambda: "Serving group" in log.read_text(), 30, 0.2, f"the {host} laptop's node to listen")

    def stop(self, host: str, sig: int = signal.SIGTERM) -> None:
        self.lan.stop(self.procs.pop(host), sig)

    def peer_states(self, host: str) -> list[str]:
        return [p["state"] for p in json.loads(self.ok(host, "status", "--json"))["peers"]]

    def stranger(self, seconds: float, address: str = "", port: int = 0) -> subprocess.Popen:
        return self.lan.start("stranger", [sys.executable, "-c", STRANGER, str(seconds), address, str(port)],
                              stdout=subprocess.PIPE, env=ENV, cwd=ROOT)

    def port_of(self, seen: dict, address: str) -> int:
        (port,) = {a["port"] for a in seen["announced"] if address in a["addresses"]}
        return port


def heard(proc: subprocess.Popen) -> dict:
    out, _err = proc.communicate(timeout=60)
    return json.loads(out)


def test_a_laptop_at_another_venue_announces_another_port_and_dials_nobody_it_met_elsewhere(tmp_path):
    lan = Lan("orgev")
    try:
        venue = Venue(lan, tmp_path)
        door, minutes = lan.hosts["door"], lan.hosts["minutes"]
        # Evening 1, the church hall: the door laptop founds the group, the minutes laptop joins.
        venue.ok("door", "init", "--group", "Marsh Lane Tenants Union", "--device-name", "door laptop")
        venue.serve("door")
        code = venue.ok("door", "invite").strip().splitlines()[-1]
        venue.ok("minutes", "join", code, "--device-name", "minutes laptop")
        venue.serve("minutes")
        wait_for(lambda: venue.peer_states("door") == ["connected"], 60, 0.5, "the two laptops linked")
        evening_1 = heard(venue.stranger(3))
        door_port, minutes_port = venue.port_of(evening_1, door), venue.port_of(evening_1, minutes)

        # A power cut at the door during the evening: the same network, so the same port, and
        # the minutes laptop (which remembers it there) links again.
        venue.stop("door", signal.SIGKILL)
        venue.serve("door")
        wait_for(lambda: venue.peer_states("door") == ["connected"], 60, 0.5, "linked again after the power cut")
        assert venue.port_of(heard(venue.stranger(3)), door) == door_port
        venue.stop("door")
        venue.stop("minutes")

        # Evening 2, the community centre: its router hands the door laptop another address in a
        # range like the hall's; the minutes laptop stays home. The stranger sits where the minutes
        # laptop was in the hall, listening on the port it had there.
        lan.cut("minutes")
        ns = lan.ns("door")
        _ip("-n", ns, "addr", "flush", "dev", "eth0")
        elsewhere = "10.77.0.9"
        _ip("-n", ns, "addr", "add", f"{elsewhere}/24", "dev", "eth0")
        _ip("-n", lan.ns("stranger"), "addr", "add", f"{minutes}/24", "dev", "eth0")
        watching = venue.stranger(6, minutes, minutes_port)
        time.sleep(0.5)  # the stranger's listener is up before the laptop arrives
        venue.serve("door")
        evening_2 = heard(watching)
        leaks = []
        if evening_2["dialled_from"]:
            leaks.append(f"dialled {minutes}:{minutes_port}, where it met the minutes laptop at the other venue")
        if venue.port_of(evening_2, elsewhere) == door_port:
            leaks.append(f"announced port {door_port} at both venues")
        assert not leaks, "the door laptop " + " and ".join(leaks)

        # Evening 3, the community centre again (the same network as evening 2): still nothing dialled
        # that was learnt in the hall.
        venue.stop("door")
        watching = venue.stranger(5, minutes, minutes_port)
        time.sleep(0.5)
        venue.serve("door")
        assert heard(watching)["dialled_from"] == [], (
            f"back at the centre, the door laptop dialled {minutes}:{minutes_port}, learnt in the hall")
    finally:
        lan.close()
