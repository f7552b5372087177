"""mDNS discovery on a private network namespace: same-group devices find each other,
other groups are ignored, and two devices whose service names clash both stay visible."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.net.netns import Lan, netns_unavailable

REASON = netns_unavailable()
pytestmark = [pytest.mark.netns, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import asyncio, json
from organiser.net.discovery import Discovery

async def main():
    found = {}
    def node(name, device, tag, port):
        return Discovery(device, tag, port, ["10.77.0.1"],
                         lambda s: found.setdefault(name, set()).add((s.device_id, s.port, s.service_name)),
                         lambda d: None)
    # Same first 12 characters of the device id: the same service name, a clash.
    one = node("one", "a" * 12 + "1" * 20, "ourgroup", 7001)
    two = node("two", "a" * 12 + "2" * 20, "ourgroup", 7002)
    other = node("other", "b" * 32, "theirgroup", 7003)
    for d in (one, two, other):
        await d.start()
    for _ in range(60):
        if len(found.get("one", ())) and len(found.get("two", ())):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    for d in (one, two, other):
        await d.stop()
    print(json.dumps({k: sorted(v) for k, v in found.items()}))

asyncio.run(main())
"""


def test_same_group_devices_find_each_other_despite_a_name_clash_and_other_groups_are_ignored():
    lan = Lan("orgd")
    try:
        lan.add_host("a")
        done = lan.run("a", [sys.executable, "-c", SCRIPT], timeout=60,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    finally:
        lan.close()
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert [(d, port) for d, port, _name in found["one"]] == [("a" * 12 + "2" * 20, 7002)]
    assert [(d, port) for d, port, _name in found["two"]] == [("a" * 12 + "1" * 20, 7001)]
    assert found["one"][0][2] != found["two"][0][2]  # one of them took a new name
    assert "other" not in found
