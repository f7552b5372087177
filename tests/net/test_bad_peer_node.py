"""A member device acting in bad faith against a real node over TLS on 127.0.0.1: refused
changesets counted, the peer disconnected and kept away, deep JSON refused without a
RecursionError, clocks a day apart reported on both laptops."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from organiser.core.hlc import HybridClock
from organiser.net.handshake import HandshakeRefused
from organiser.net.transport import close_quietly
from organiser.sync import protocol as p
from organiser.sync.guard import REFUSALS_BEFORE_DISCONNECT
from tests.bad_peer import BadPeer, new_member
from tests.net.member_link import member_streams
from tests.net.test_node import joined, node, until

pytestmark = pytest.mark.asyncio


async def _connect(group, port):  # type: ignore[no-untyped-def]
    reader, writer = await member_streams(group, "127.0.0.1", port)
    writer.write(p.encode_hello(group.device_id, group.replica.version_vector()))
    await writer.drain()
    return reader, writer


async def _answer(reader, wait: float = 10) -> bytes | None:  # type: ignore[no-untyped-def]
    try:
        return await asyncio.wait_for(reader.read(), wait)
    except TimeoutError:
        return None


async def test_a_peer_flooding_refused_changesets_is_disconnected_kept_away_and_leaves_one_incident_row(
        tmp_path, group, caplog):
    caplog.set_level(logging.INFO)
    a = node(group)
    await a.start()
    try:
        b_group = await joined(a, tmp_path / "b", "rogue laptop")
        modified = BadPeer(b_group)
        good = modified.sign(new_member("Good one"))
        flood = [modified.sign(new_member({"not": "a name"})) for _ in range(2 * REFUSALS_BEFORE_DISCONNECT)]
        reader, writer = await _connect(b_group, a.port)
        writer.write(p.encode_changes([(good.body, good.signature)]))
        for part in p.batches([(cs.body, cs.signature) for cs in flood]):
            writer.write(p.encode_changes(part))
        await writer.drain()
        answer = await _answer(reader)
        await close_quietly(writer)
        assert answer is not None and b"were refused" in answer  # told why, then closed
        await until(lambda: a.kept_away.active(b_group.device_id), what="the back-off")
        assert "Good one" in {m.name for m in group.members.list()}
        assert "not a name" not in str([m.name for m in group.members.list()])
        reasons = {i["reason"]: i["count"] for i in group.incidents()}
        assert set(reasons) == {"value", "disconnected"}
        assert reasons["value"] <= len(flood)
        assert group.db.execute("SELECT count(*) FROM incidents").fetchone()[0] == 2
        # while kept away, it is closed at once, and that is not logged again
        lines = caplog.text.count("keeping it away")
        with pytest.raises(HandshakeRefused, match="will not talk to you for a while"):  # said in the handshake
            await _connect(b_group, a.port)
        assert caplog.text.count("keeping it away") == lines == 1
        b_group.close()
    finally:
        await a.stop()


async def test_deeply_nested_json_in_a_control_message_is_refused_without_a_recursion_error(tmp_path, group, caplog):
    caplog.set_level(logging.INFO)
    a = node(group)
    await a.start()
    try:
        b_group = await joined(a, tmp_path / "b", "B")
        reader, writer = await member_streams(b_group, "127.0.0.1", a.port)
        writer.write(p.encode_frame(p.FrameType.HELLO, b"[" * 200_000 + b"]" * 200_000))
        await writer.drain()
        assert await _answer(reader) is not None
        await close_quietly(writer)
        await until(lambda: "nested too deeply" in caplog.text, what="the refusal")
        assert "RecursionError" not in caplog.text and "Traceback" not in caplog.text
        b_group.close()
    finally:
        await a.stop()


async def test_clocks_more_than_a_day_apart_are_reported_on_both_laptops(tmp_path, group):
    a = node(group)
    await a.start()
    try:
        b_group = await joined(a, tmp_path / "b", "door laptop")
        three_days = 3 * 24 * 3600 * 1000
        b_group.replica.clock = HybridClock(wall_ms=lambda: time.time_ns() // 1_000_000 + three_days)
        b = node(b_group, a)
        await b.start()
        try:
            def reported() -> bool:
                return any(i["reason"] == "clock" for i in group.incidents()) and \
                    any(i["reason"] == "own-clock" for i in b_group.incidents())
            await until(reported, what="both reports")
            (on_a,) = [i for i in group.incidents() if i["reason"] == "clock"]
            assert on_a["message"] == "'door laptop' sends changes from 3 days in the future: check its clock."
            (on_b,) = [i for i in b_group.incidents() if i["reason"] == "own-clock"]
            assert on_b["message"] == ("The clock of this laptop ('door laptop') is 3 days ahead of the clock of "
                                       "'door laptop': one of the two is wrong; compare this laptop's clock with "
                                       "a phone's before changing it.")
            # its edits are refused while its clock is wrong; the founder's still reach it
            b_group.members.add("From the future")
            group.members.add("From today")
            await until(lambda: "From today" in {m.name for m in b_group.members.list()}, what="the sync")
            assert "From the future" not in {m.name for m in group.members.list()}
        finally:
            await b.stop()
            b_group.close()
    finally:
        await a.stop()


async def test_two_versions_of_one_number_meet_over_the_network_and_both_devices_set_the_author_aside(
        tmp_path, group):
    from tests.conftest import add_device, sync_pair

    liar = add_device(group, tmp_path / "liar", "liar laptop")
    c_group = add_device(group, tmp_path / "c", "spare laptop")
    sync_pair(group, liar)
    sync_pair(group, c_group)
    sync_pair(liar, c_group)
    modified = BadPeer(liar)
    seq, prev = modified.seq + 1, modified.prev
    left = modified.sign(new_member("Left"), seq=seq, prev=prev)
    right = modified.sign(new_member("Right"), seq=seq, prev=prev)
    group.replica.apply([left])
    c_group.replica.apply([right])  # both hold number `seq`: their vectors agree, their versions do not
    a, c = node(group), node(c_group)
    await a.start()
    c.static_peers = [("127.0.0.1", a.port)]
    await c.start()
    try:
        def both_know() -> bool:
            return all(any(i["reason"] == "fork" for i in g.incidents()) for g in (group, c_group))
        await until(both_know, what="the fork on both devices")
        await until(lambda: group.replica.state_hash() == c_group.replica.state_hash(), what="equal state")
        names = {m.name for m in group.members.list()}
        assert "Left" not in names and "Right" not in names
    finally:
        await c.stop()
        await a.stop()
        liar.close()
        c_group.close()
