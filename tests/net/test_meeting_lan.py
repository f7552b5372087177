"""A meeting on a private LAN of network namespaces: laptops A and B type the minutes at the
same time, C runs the projector. Real processes, TLS and mDNS; every wait is bounded and the
namespaces and processes are always removed."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.net.netns import Lan, netns_unavailable, wait_for

REASON = netns_unavailable()
pytestmark = [pytest.mark.netns, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
ANA = "Ana: the boiler is fixed, café on Thursday ✊ "
BO = "Bo: señor Núñez pays 😀 rent from March "

PROJECTOR = """
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from organiser.services.group import open_group
from organiser.ui.projector import ProjectorView
app = QApplication(sys.argv)
group = open_group(Path(sys.argv[1]))
view = ProjectorView(group, None, sys.argv[2])
view.resize(1280, 720)
view.show()
app.processEvents()
view.grab().save(sys.argv[3])
print(view.tally.text().replace(chr(10), " | "))
print(view.minutes.text().replace(chr(10), " | "))
"""


@pytest.fixture
def meeting(tmp_path: Path) -> Iterator[tuple[Lan, list, list[Path], str, list[str]]]:
    from tests.perf.lan import Host
    from tests.perf.meeting import prepare

    dirs, event, proposal, members = prepare(tmp_path / "hosts", 3)
    lan = Lan("orgmt")
    hosts: list = []
    try:
        for name in ("a", "b", "c"):
            lan.add_host(name)
        hosts = [Host(lan, name, folder, "--port", "7000", "--event", event, "--proposal", proposal,
                      module="tests.perf.meeting") for name, folder in zip("abc", dirs, strict=True)]
        yield lan, hosts, dirs, event, members
    finally:
        for host in hosts:
            host.quit()
        lan.close()


def minutes_on(lan: Lan, host: str, folder: Path, event: str) -> str:
    done = lan.run(host, lan.organiser(folder, "minutes", "show", event), env=ENV, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.rstrip("\n")  # `minutes show` ends what it prints with a line break


def test_two_laptops_type_at_once_and_the_projector_shows_both(meeting, tmp_path: Path) -> None:
    lan, (a, b, c), dirs, event, members = meeting
    wait_for(lambda: all(h.peers == 2 for h in (a, b, c)), 60, 0.2, "three laptops connected")
    for char_a, char_b in zip(ANA, BO.ljust(len(ANA)), strict=True):  # both typing, keystroke by keystroke
        a.send(f"type {ord(char_a)}")
        b.send(f"type {ord(char_b)}")
        time.sleep(0.03)
    a.send(f"vote {members[0]} yes 1")
    expected = sorted(ANA + BO.ljust(len(ANA)))

    def agreed() -> str | None:
        texts = {minutes_on(lan, h, d, event) for h, d in zip("abc", dirs, strict=True)}
        return texts.pop() if len(texts) == 1 and sorted(next(iter(texts or {""}))) == expected else None

    text = wait_for(agreed, 60, 0.5, "the same minutes on all three with every keystroke")
    assert sorted(text) == expected  # nobody's characters lost, none doubled
    shot = tmp_path / "projector.png"
    shown = lan.run("c", [sys.executable, "-c", PROJECTOR, str(dirs[2]), event, str(shot)],
                    env=ENV, cwd=ROOT, timeout=120)
    assert shown.returncode == 0, shown.stderr
    tally, minutes = shown.stdout.splitlines()[:2]
    assert "yes: 1" in tally  # A's vote, on the wall
    assert minutes == text.replace("\n", " | ")
    assert shot.exists() and shot.stat().st_size > 10_000
