"""mDNS discovery on a private network namespace: same-group nodes find each other, other
groups are ignored, and the announcement names no device; tags rotate daily and after a removal."""

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
    found, txt = {}, {}
    def node(name, key, port):
        return Discovery(lambda: key, port, ["10.77.0.1"],
                         lambda s: found.setdefault(name, set()).add((s.port, s.service_name)),
                         lambda d: None)
    one = node("one", b"our discovery key", 7001)
    two = node("two", b"our discovery key", 7002)
    other = node("other", b"their discovery key", 7003)
    for d in (one, two, other):
        await d.start()
    for _ in range(60):
        if len(found.get("one", ())) and len(found.get("two", ())):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    txt = {k.decode(): v.decode() for k, v in one._info.properties.items()}
    for d in (one, two, other):
        await d.stop()
    print(json.dumps({"found": {k: sorted(v) for k, v in found.items()}, "txt": txt, "name": one._info.name}))

asyncio.run(main())
"""


def test_same_group_nodes_find_each_other_other_groups_are_ignored_and_nothing_names_a_device():
    lan = Lan("orgd")
    try:
        lan.add_host("a")
        done = lan.run("a", [sys.executable, "-c", SCRIPT], timeout=60,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    finally:
        lan.close()
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    found = result["found"]
    assert [port for port, _name in found["one"]] == [7002]
    assert [port for port, _name in found["two"]] == [7001]
    assert "other" not in found
    assert set(result["txt"]) == {"v", "t"}  # a protocol version and today's tag: no device id


def test_the_tag_changes_every_day_and_with_the_key_and_yesterdays_is_still_recognised():
    from organiser.net.discovery import DAY, current_tags

    today, recognised = current_tags(b"key", 100 * DAY + 5)
    tomorrow, _ = current_tags(b"key", 101 * DAY + 5)
    assert today != tomorrow and tomorrow in recognised
    assert current_tags(b"key", 99 * DAY)[0] in recognised
    assert current_tags(b"new key after a removal", 100 * DAY + 5)[0] not in recognised


def test_the_discovery_key_changes_after_a_removal_and_is_the_same_on_every_member(tmp_path):
    from organiser.services.group import create_group
    from tests.conftest import add_device, sync_pair

    a = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    b = add_device(a, tmp_path / "b", "minutes laptop")
    c = add_device(a, tmp_path / "c", "lost laptop")
    for x, y in ((a, b), (a, c)):
        sync_pair(x, y)
    before = a.discovery_key()
    assert b.discovery_key() == before == c.discovery_key()
    a.membership.remove("lost laptop")
    sync_pair(a, b)
    assert a.discovery_key() == b.discovery_key() != before
    assert c.discovery_key() == before  # the removed device never learns the new one
    for g in (a, b, c):
        g.close()
