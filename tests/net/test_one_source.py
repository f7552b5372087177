"""A first sync is taken from one link per author (sync/skipping.py, the "source" feature): ten
laptops joining at once over one Wi-Fi each linked to several others, and each link streamed the
whole group. With "source" each side's first frame after HELLO is a RELAY naming what it takes
from other links, and each waits for the other's before streaming. Real node, TLS on 127.0.0.1;
the other side is spoken by hand, so which HELLO comes first is decided by the test."""

from __future__ import annotations

import asyncio
import collections

import pytest

from organiser.core.changeset import decode_changeset
from organiser.net.transport import close_quietly
from organiser.sync import packing
from organiser.sync import protocol as p
from organiser.sync.sending import STREAM_SLICE
from tests.conftest import add_device
from tests.net.member_link import member_streams
from tests.net.test_node import node, until
from tests.net.test_relay_skip import Peer

pytestmark = pytest.mark.asyncio
FEATURES = (p.SKIP_FEATURE, p.SOURCE_FEATURE)
MEMBERS = 3 * STREAM_SLICE


def _seqs(frames: list[p.Frame], author: str) -> list[int]:
    """The seqs of `author`'s changesets in these frames, in the order they came."""
    seqs = []
    for frame in frames:
        if frame.type in (p.FrameType.CHANGES, p.FrameType.PACKED):
            payload = packing.unpack(frame.payload, packing.available()) if frame.type == p.FrameType.PACKED \
                else frame.payload
            for body, signature in p.decode_changes(payload)[0]:
                cs = decode_changeset(body, signature)
                if cs.author == author:
                    seqs.append(cs.seq)
    return seqs


def _first_after_hello(frames: list[p.Frame]) -> p.Frame:
    return frames[[f.type for f in frames].index(p.FrameType.HELLO) + 1]


async def _joiner_of_a_big_group(tmp_path, group, *holders: str):  # type: ignore[no-untyped-def]
    """A laptop admitted to the group holding only the membership log (as an invite leaves it);
    the founder then adds MEMBERS people, which the joiner lacks. `holders`: more laptops,
    admitted before, that hold all of it."""
    others = [add_device(group, tmp_path / name, name) for name in holders]
    joiner = add_device(group, tmp_path / "j", "joiner")
    joiner.replica.apply(group.replica.changes_since({}))
    group.replica.commit_batch([group.members.build_add({"name": f"Member {i}"})[1] for i in range(MEMBERS)])
    for other in others:
        other.replica.apply(group.replica.changes_since(other.replica.version_vector()))
    return joiner, *others


async def test_a_holder_waits_for_the_joiners_word_and_streams_nothing_it_takes_elsewhere(tmp_path, group):
    (joiner,) = await _joiner_of_a_big_group(tmp_path, group)
    holder = node(group)
    await holder.start()
    try:
        peer = await Peer.hello(joiner, holder.port, FEATURES)
        frames = await peer.read_until(lambda f: f.type == p.FrameType.RELAY)  # the holder's own word
        assert frames[-1] is _first_after_hello(frames)
        assert p.decode_relay(frames[-1].payload) == (frozenset(), {})  # it takes nothing from elsewhere
        with pytest.raises(TimeoutError):  # time enough to stream, had it not waited for our word
            await asyncio.wait_for(peer.reader.read(65536), 0.3)
        await peer.send(p.encode_relay(skip={group.device_id}))  # another link brings the founder's
        frames = await peer.read_until(lambda f: f.type == p.FrameType.SYNCED)
        assert _seqs(frames, group.device_id) == []
        await close_quietly(peer.writer)
    finally:
        await holder.stop()
        joiner.close()


async def test_an_author_skipped_and_taken_back_during_the_first_stream_comes_once_each(tmp_path, group):
    (joiner,) = await _joiner_of_a_big_group(tmp_path, group)
    held = joiner.replica.version_vector()[group.device_id]
    holder = node(group)
    await holder.start()
    try:
        peer = await Peer.hello(joiner, holder.port, FEATURES)
        await peer.read_until(lambda f: f.type == p.FrameType.RELAY)
        # Skipped, then taken back at once (the other link closed): whether the take lands before
        # the stream, during it or after SYNCED, each changeset comes once and none is missing.
        await peer.send(p.encode_relay(skip={group.device_id}) + p.encode_relay(take={group.device_id: held}))
        top = group.replica.version_vector()[group.device_id]
        seen: list[int] = []

        def all_came(frame: p.Frame) -> bool:
            seen.extend(_seqs([frame], group.device_id))
            return len(set(seen)) == top - held

        await peer.read_until(all_came)
        await asyncio.sleep(0.3)  # a second copy, if one were sent, would follow now
        await peer.send(p.encode_frame(p.FrameType.PING))
        frames = await peer.read_until(lambda f: f.type == p.FrameType.PONG)
        seen += _seqs(frames, group.device_id)
        duplicates = [s for s, n in collections.Counter(seen).items() if n > 1]
        assert sorted(set(seen)) == list(range(held + 1, top + 1)) and duplicates == []
        await close_quietly(peer.writer)
    finally:
        await holder.stop()
        joiner.close()


async def test_a_joiner_takes_the_group_from_one_link_when_two_offer_it(tmp_path, group):
    joiner, second = await _joiner_of_a_big_group(tmp_path, group, "second")  # a full copy
    founder = group.device_id
    j = node(joiner)
    await j.start()
    try:
        first = await Peer.hello(group, j.port, FEATURES)  # the founder: its own changesets
        frames = await first.read_until(lambda f: f.type == p.FrameType.RELAY)
        assert p.decode_relay(_first_after_hello(frames).payload) == (frozenset(), {})
        other = await Peer.hello(second, j.port, FEATURES)  # the same group, by a second link
        frames = await other.read_until(lambda f: f.type == p.FrameType.RELAY)
        assert p.decode_relay(_first_after_hello(frames).payload) == (frozenset({founder}), {})
        # The founder streams it all; the second holder, told to skip, sends none of it.
        missing = group.replica.changes_since(joiner.replica.version_vector())
        for part in p.batches([(cs.body, cs.signature) for cs in missing]):
            await first.send(p.encode_changes(part))
        await first.send(p.encode_frame(p.FrameType.SYNCED))
        await other.send(p.encode_frame(p.FrameType.SYNCED))
        await until(lambda: joiner.replica.version_vector().get(founder) == group.replica.version_vector()[founder],
                    what="the joiner holds the group")
        await close_quietly(first.writer)
        await close_quietly(other.writer)
    finally:
        await j.stop()
        joiner.close()
        second.close()


async def test_a_fuller_peer_heard_later_makes_the_earlier_link_skip_its_authors(tmp_path, group):
    joiner, relay = await _joiner_of_a_big_group(tmp_path, group, "relay")
    founder = group.device_id
    part_held = dict(relay.replica.version_vector())
    part_held[founder] -= MEMBERS // 2  # it claims half of the members: a laptop still in its own first sync
    j = node(joiner)
    await j.start()
    try:
        first = Peer(*await member_streams(relay, "127.0.0.1", j.port))
        await first.send(p.encode_hello(relay.device_id, part_held, features=FEATURES))
        frames = await first.read_until(lambda f: f.type == p.FrameType.RELAY)
        assert p.decode_relay(_first_after_hello(frames).payload) == (frozenset(), {})  # the only source yet
        fuller = await Peer.hello(group, j.port, FEATURES)
        frames = await fuller.read_until(lambda f: f.type == p.FrameType.RELAY)
        assert p.decode_relay(_first_after_hello(frames).payload) == (frozenset(), {})  # it keeps the founder's
        frames = await first.read_until(lambda f: f.type == p.FrameType.RELAY)
        assert p.decode_relay(frames[-1].payload) == (frozenset({founder}), {})  # the relay skips them now
        await close_quietly(first.writer)
        await close_quietly(fuller.writer)
    finally:
        await j.stop()
        joiner.close()
        relay.close()
