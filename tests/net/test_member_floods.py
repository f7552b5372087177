"""A member in bad faith (a device admitted to the group, valid credentials, a modified client)
against one honest node: cheap frames that would make it spend CPU, memory or bandwidth without
bound (most found by a review played as that member; each test failed on the code before its
defence). Asks (REQUEST, RELAY take) are paid from an allowance (sync/asking.py), shrunk here so a
small group shows it. Real node, TLS on 127.0.0.1 only, no discovery; every loop bounded in count and time."""

from __future__ import annotations

import asyncio
import time

import pytest

from organiser.net.transport import close_quietly
from organiser.sync import asking
from organiser.sync import protocol as p
from tests.net.member_link import member_streams
from tests.net.test_node import joined, node, until
from tests.net.test_relay_skip import Peer, _carried

pytestmark = pytest.mark.asyncio

BURST, RATE = 100, 50  # the ask allowance, shrunk: a whole group of these tests is ~60 changesets
WINDOW = 3.0  # seconds a flooder of asks reads for
ASK_EVERY = 0.02  # ... and asks again every this long, until a little before


def _shrink_allowance(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(asking, "ASK_BURST", BURST)
    monkeypatch.setattr(asking, "ASK_RATE", RATE)


async def _read_for(peer: Peer, seconds: float) -> list[p.Frame]:
    """Every frame the node sends for `seconds` (it must not close)."""
    frames: list[p.Frame] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            chunk = await asyncio.wait_for(peer.reader.read(65536), left)
        except TimeoutError:
            break
        if not chunk:
            break
        frames += peer.decoder.feed(chunk)
    return frames


# ---- asks: REQUEST and RELAY take, again and again ------------------------------------------

async def _ask_again_and_again(peer: Peer, frame: bytes) -> int:
    """Send `frame` every ASK_EVERY for most of the window; how many were sent."""
    sent = 0
    deadline = time.monotonic() + WINDOW - 0.5
    while time.monotonic() < deadline:
        await peer.send(frame)
        sent += 1
        await asyncio.sleep(ASK_EVERY)
    return sent


@pytest.mark.parametrize("ask", ["request", "relay-take"])
async def test_a_member_asking_for_everything_again_and_again_gets_it_at_its_allowance(
        tmp_path, group, monkeypatch, ask) -> None:
    _shrink_allowance(monkeypatch)
    for i in range(60):
        group.members.add(f"Member {i}")
    a = node(group)
    await a.start()
    try:
        flooder = await joined(a, tmp_path / "b", "flooder")
        held = group.replica.version_vector()
        whole = sum(held.values())
        # It claims at HELLO to hold everything, so the first stream sends nothing and each low ask
        # reads as one for another version of each author (a fork to prove): everything is sent.
        peer = Peer(*await member_streams(flooder, "127.0.0.1", a.port))
        await peer.send(p.encode_hello(flooder.device_id, held, features=(p.SKIP_FEATURE,)))
        await peer.read_until(lambda f: f.type == p.FrameType.SYNCED)
        await peer.send(p.encode_relay() + p.encode_frame(p.FrameType.SYNCED))
        frame = p.encode_request({}) if ask == "request" else p.encode_relay(take=dict.fromkeys(held, 0))
        started = time.monotonic()
        asking_task = asyncio.create_task(_ask_again_and_again(peer, frame))
        frames = await _read_for(peer, WINDOW)
        elapsed = time.monotonic() - started
        asks = await asking_task
        sent = len(_carried(frames))
        # Everything it asked for came, once at least (the asks merged), but no more than the
        # allowance: without it, one whole group per ask.
        assert sent >= whole
        assert sent <= BURST + RATE * elapsed + whole, (sent, whole, elapsed)
        session = a._links[flooder.device_id].session
        assert session.stats.asks_waited >= asking.ASKS_NOTED
        assert session.stats.asks_served < asks / 4
        (incident,) = [i for i in group.incidents() if i["reason"] == "asks"]
        assert incident["device"]["id"] == flooder.device_id
        # The link still works: a new edit reaches it.
        group.members.add("After the flood")
        frames = await peer.read_until(lambda f: held[group.device_id] + 1 in _carried([f]))
        assert not session.closed.is_set()
        await close_quietly(peer.writer)
        flooder.close()
    finally:
        await a.stop()


# ---- 1. reconnecting: every new connection streams the whole group again ------------------------

async def test_reconnecting_with_an_empty_hello_again_and_again_is_not_a_way_around_the_ask_allowance(
        tmp_path, group, monkeypatch) -> None:
    """A member that closes and dials again, saying at HELLO it holds nothing, was sent the whole
    group at every connection (125 connections in 3 s: 7,750 changesets of a 62-changeset group).
    The node keeps each device's allowances across its conversations (sync/asking.py): first
    streams get the whole group twice at once, then RATE a second (plus one stream overdrawn)."""
    _shrink_allowance(monkeypatch)
    for i in range(60):
        group.members.add(f"Member {i}")
    a = node(group)
    await a.start()
    try:
        flooder = await joined(a, tmp_path / "b", "flooder")
        whole = sum(group.replica.version_vector().values())
        sent = connections = 0
        started = time.monotonic()
        while time.monotonic() - started < 3.0 and connections < 200:
            peer = Peer(*await member_streams(flooder, "127.0.0.1", a.port))
            await peer.send(p.encode_hello(flooder.device_id, {}, features=(p.SKIP_FEATURE, p.SOURCE_FEATURE)))
            await peer.send(p.encode_relay())  # takes everything from this link
            frames = await peer.read_until(lambda f: f.type == p.FrameType.SYNCED)
            sent += len(_carried(frames))
            connections += 1
            await close_quietly(peer.writer)
        elapsed = time.monotonic() - started
        print(f"{connections} connections in {elapsed:.1f} s: {sent} changesets sent "
              f"(group of {whole}; allowance {BURST} + {RATE}/s)")
        assert sent <= 3 * whole + BURST + RATE * elapsed, (connections, sent, whole, elapsed)
        flooder.close()
    finally:
        await a.stop()


# ---- 2. RELAY take during the node's first stream: the stream starts over, unpaced --------------

async def test_taking_every_author_back_during_the_first_stream_again_and_again_is_paced_too(
        tmp_path, group, monkeypatch) -> None:
    """While the node's first stream to it runs (not yet live), a RELAY take is not an ask paid
    from the allowance: `_on_relay` puts it in `_stream_from` (sync/skipping.py, `if not self.live`)
    and `_stream_missing` (sync/sending.py) starts over from the first changeset at its next step.
    A member that keeps taking every author back from 0 keeps the node streaming the whole group
    again and again, for as long as it likes, and the node never goes live. A take must land while
    a slice of the stream is being sent: on loopback a 600-changeset stream is over in a few ms, so
    STREAM_SLICE is shrunk to 5 here to stand for a Wi-Fi where each slice's drain takes a while
    (any real group's first stream there takes seconds). The bound the node keeps: the first
    stream, then what is sent again paid from the allowance (one whole group + BURST + RATE a
    second + one whole group overdrawn)."""
    _shrink_allowance(monkeypatch)
    monkeypatch.setattr("organiser.sync.sending.STREAM_SLICE", 5)
    for i in range(600):
        group.members.add(f"Member {i}")
    a = node(group)
    await a.start()
    try:
        flooder = await joined(a, tmp_path / "b", "flooder")
        held = group.replica.version_vector()
        whole = sum(held.values())
        peer = Peer(*await member_streams(flooder, "127.0.0.1", a.port))
        await peer.send(p.encode_hello(flooder.device_id, {}, features=(p.SKIP_FEATURE, p.SOURCE_FEATURE)))
        take = p.encode_relay(take=dict.fromkeys(held, 0))
        await peer.send(take)

        async def take_again_and_again() -> int:
            n, deadline = 0, time.monotonic() + 2.5
            while time.monotonic() < deadline and n < 5000:
                await peer.send(take)
                n += 1
                await asyncio.sleep(0.002)
            return n

        started = time.monotonic()
        taking = asyncio.create_task(take_again_and_again())
        frames = await _read_for(peer, 3.0)
        elapsed = time.monotonic() - started
        takes = await taking
        sent = len(_carried(frames))
        synced = any(f.type == p.FrameType.SYNCED for f in frames)
        at = next((i for i, f in enumerate(frames) if f.type == p.FrameType.SYNCED), len(frames))
        print("before SYNCED:", len(_carried(frames[:at])))
        print(f"{takes} RELAY takes in {elapsed:.1f} s: {sent} changesets sent (group of {whole}); "
              f"SYNCED {'came' if synced else 'never came'}")
        assert sent <= 2 * whole + BURST + RATE * elapsed, (takes, sent, whole, elapsed, synced)
        await close_quietly(peer.writer)
        flooder.close()
    finally:
        await a.stop()


# ---- 3. a HELLO naming made-up authors far ahead: the honest node passes them on to its honest links

async def test_a_hello_naming_made_up_authors_far_ahead_does_not_reach_the_honest_links(tmp_path, group) -> None:
    """A member's HELLO claims 12,000 made-up authors (not members), each 1,000 ahead. `_say_sources`
    (sync/skipping.py) takes every author the peer is BULK_GAP ahead of as one the other links should
    skip, with no check that it is a member or even held here, and each other link's
    `_choose_sources` asks its honest peer to skip them all in one RELAY. The made-up names then sit
    in every honest link's `skipping` (and its Suspects, watched every NOTE_EVERY), and a RELAY
    naming more than 10,000 devices is refused by the honest peer (protocol._devices), which closes
    its link with the honest node: one HELLO cuts every link of the laptop it reaches, and the
    member can dial again at once. The bound the node keeps: what a peer says of non-members
    never goes to other links; the honest link stays up, its RELAYs name members only."""
    a = node(group)
    await a.start()
    b_group = await joined(a, tmp_path / "b", "honest laptop")
    flooder = await joined(a, tmp_path / "m", "flooder")
    b = node(b_group, a)
    await b.start()
    try:
        await until(lambda: b_group.device_id in a._links and a._links[b_group.device_id].session.in_step,
                    10.0, "the honest link up and in step")
        honest = a._links[b_group.device_id].session
        relays_before = honest.stats.control_sent.get("RELAY", 0)
        bytes_before = honest.stats.bytes_sent
        made_up = {f"{i:064x}": 1000 for i in range(12_000)}
        peer = Peer(*await member_streams(flooder, "127.0.0.1", a.port))
        await peer.send(p.encode_hello(flooder.device_id, {**flooder.replica.version_vector(), **made_up},
                                       features=(p.SKIP_FEATURE, p.SOURCE_FEATURE)))
        await _read_for(peer, 2.0)
        try:  # the honest laptop reads the RELAY the honest node sent it
            await until(honest.closed.is_set, 2.0)
        except AssertionError:
            pass
        members = set(group.replica.roster().keys)
        named = honest.skipping - members
        relays = honest.stats.control_sent.get("RELAY", 0) - relays_before
        print(f"honest link: {relays} RELAY(s), {honest.stats.bytes_sent - bytes_before} bytes sent, "
              f"{len(named)} non-members skipped, closed: {honest.closed.is_set()} ({honest.close_reason!r})")
        assert not named, f"{len(named)} made-up authors skipped on the honest link"
        assert not honest.closed.is_set(), honest.close_reason
        await close_quietly(peer.writer)
    finally:
        await b.stop()
        await a.stop()
        b_group.close()
        flooder.close()


# ---- 4-6. a live link: VECTOR and RELAY naming made-up authors; PINGs ---------------------------

async def _live_flooder(a, tmp_path, group):  # type: ignore[no-untyped-def]
    """A member linked to `a`, past both first streams: (its group, the hand-driven peer, a's session)."""
    flooder = await joined(a, tmp_path / "m", "flooder")
    peer = Peer(*await member_streams(flooder, "127.0.0.1", a.port))
    await peer.send(p.encode_hello(flooder.device_id, group.replica.version_vector(),
                                   features=(p.SKIP_FEATURE, p.SOURCE_FEATURE)))
    await peer.send(p.encode_relay())
    await peer.read_until(lambda f: f.type == p.FrameType.SYNCED)
    await peer.send(p.encode_frame(p.FrameType.SYNCED))
    await until(lambda: flooder.device_id in a._links and a._links[flooder.device_id].session.live, 5.0)
    return flooder, peer, a._links[flooder.device_id].session


async def _drain(peer: Peer, stop: asyncio.Event) -> int:
    """Read what the node sends until `stop`; how many PONGs were among it."""
    pongs = 0
    while not stop.is_set():
        try:
            chunk = await asyncio.wait_for(peer.reader.read(1 << 16), 0.1)
        except TimeoutError:
            continue
        if not chunk:
            break
        pongs += sum(f.type == p.FrameType.PONG for f in peer.decoder.feed(chunk))
    return pongs


FRAMES = 40  # of 10,000 new made-up authors each


async def _read_all_of(peer: Peer, session, member: str) -> None:  # type: ignore[no-untyped-def]
    """Until the node has read the flood: a last VECTOR, naming a member, is read after it."""
    mark = 10**6
    await peer.send(p.encode_vector({member: mark}))
    await until(lambda: session.peer_acked.get(member) == mark or session.closed.is_set(), 15.0, "the flood read")
    assert not session.closed.is_set(), session.close_reason


def _made_up(n: int) -> set[str]:
    """10,000 device ids no group has, the `n`th lot."""
    return {f"{n:08x}{i:056x}" for i in range(10_000)}


@pytest.mark.parametrize("frame", ["VECTOR", "RELAY"])
async def test_frames_naming_made_up_devices_do_not_grow_the_nodes_memory_without_bound(
        tmp_path, group, frame) -> None:
    """`_on_vector` (sync/receiving.py) put every author a VECTOR names into `peer_acked` and
    `peer_known`, and `_on_relay` (sync/skipping.py) every author a RELAY skips into
    `skipped_by_peer`, members or not, and nothing removed them; a frame may name 100,000, and
    RELAY has no rate. 40 frames of 10,000 new names each left 400,000 entries, growing for as long
    as the link lasted (and every REQUEST served later read them all into its query vector,
    `_what_it_lacks`). The bound the node keeps: one entry per member of the group."""
    a = node(group)
    await a.start()
    try:
        flooder, peer, session = await _live_flooder(a, tmp_path, group)
        stop = asyncio.Event()
        reading = asyncio.create_task(_drain(peer, stop))
        for n in range(FRAMES):
            await peer.send(p.encode_vector(dict.fromkeys(_made_up(n), 1)) if frame == "VECTOR"
                            else p.encode_relay(skip=_made_up(n)))
        await _read_all_of(peer, session, group.device_id)
        stop.set()
        await reading
        members = len(group.replica.roster().keys)
        kept = {"peer_known": len(session.peer_known), "peer_acked": len(session.peer_acked),
                "skipped_by_peer": len(session.skipped_by_peer)}
        print(f"{FRAMES} {frame}s: {kept} entries ({members} members)")
        assert max(kept.values()) <= members, kept
        await close_quietly(peer.writer)
        flooder.close()
    finally:
        await a.stop()


async def test_a_ping_flood_is_not_answered_pong_for_ping(tmp_path, group) -> None:
    """`_on_ping` (sync/receiving.py) answers every PING with a PONG at once, with no pace: PINGs
    are 6 bytes and a member packs thousands into one TLS record, while each PONG is its own
    write (a TLS record of ~28 bytes and, with TCP_NODELAY, often its own packet on the air).
    An honest laptop pings once per PING_EVERY (2 s) at most, and only when it said nothing.
    The bound the node keeps: a few PONGs a second (say 10 in the second of the flood)."""
    a = node(group)
    await a.start()
    try:
        flooder, peer, session = await _live_flooder(a, tmp_path, group)
        stop = asyncio.Event()
        reading = asyncio.create_task(_drain(peer, stop))
        pings = 0
        cpu = time.thread_time()  # this thread runs the node's loop (and the flooder's few writes)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and pings < 200_000:
            await peer.send(p.encode_frame(p.FrameType.PING) * 2000)
            pings += 2000
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.5)
        cpu = time.thread_time() - cpu
        stop.set()
        pongs = await reading
        print(f"{pings} PINGs ({pings * 6} bytes) in 1 s: {pongs} PONGs back, "
              f"{cpu * 1000:.0f} ms of CPU on the shared thread (the node and the flooder)")
        assert pongs <= 10, (pings, pongs)
        await close_quietly(peer.writer)
        flooder.close()
    finally:
        await a.stop()


async def test_a_second_synced_ends_the_conversation(tmp_path, group) -> None:
    """SYNCED says the peer's first stream is all sent: the node then reads its store and
    answers with a VECTOR. An honest laptop says it once a conversation; a member repeating it
    (thousands to one TLS record) had the node do that for each. A second one is refused."""
    a = node(group)
    await a.start()
    try:
        flooder, peer, session = await _live_flooder(a, tmp_path, group)
        await until(lambda: session.received_all.is_set(), 5.0, "its first SYNCED read")
        await peer.send(p.encode_frame(p.FrameType.SYNCED) * 1000)
        frames = await peer.read_until(lambda f: f.type == p.FrameType.ERROR)
        assert "SYNCED" in p.decode_error(frames[-1].payload)
        assert sum(f.type == p.FrameType.VECTOR for f in frames) <= 1  # at most a note of its own
        await until(session.closed.is_set, 5.0, "the conversation closed")
        flooder.close()
    finally:
        await a.stop()
