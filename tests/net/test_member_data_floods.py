"""A member in bad faith against one honest node, on the data path: versions of one number (a
fork), copies of changesets the node holds, and a packed frame of one copy repeated. Each test
failed on the code before its defence. Real node, TLS on 127.0.0.1 only, no discovery; every loop
bounded in count and time (the other floods: tests/net/test_member_floods.py)."""

from __future__ import annotations

import asyncio

import pytest

from organiser.core.changeset import GENESIS, Op, sign_changeset
from organiser.core.membership import MEMBERSHIP_KIND, POLICY
from organiser.core.records import new_id
from organiser.net.transport import close_quietly
from organiser.store import forks
from organiser.store.replica import LocalOp
from organiser.sync import packing, receiving
from organiser.sync import protocol as p
from organiser.sync.receiving import Receiving
from tests.net.member_link import member_streams
from tests.net.test_member_floods import _drain
from tests.net.test_node import joined, node, until
from tests.net.test_relay_skip import Peer

pytestmark = pytest.mark.asyncio


async def _claiming_everything(a, group, flooder, synced: bool):  # type: ignore[no-untyped-def]
    """The member linked to node `a`, saying at HELLO it holds all the node holds (so the node's
    first stream sends nothing), then SYNCED if `synced`: (the hand-driven peer, the node's
    session, the frames the node sent up to its SYNCED)."""
    peer = Peer(*await member_streams(flooder, "127.0.0.1", a.port))
    await peer.send(p.encode_hello(flooder.device_id, group.replica.version_vector(), features=(p.SKIP_FEATURE,)))
    frames = await peer.read_until(lambda f: f.type == p.FrameType.SYNCED)
    session = a._links[flooder.device_id].session
    if synced:
        await peer.send(p.encode_frame(p.FrameType.SYNCED))
        await until(session.received_all.is_set, 5.0, "its SYNCED read")
    return peer, session, frames


def _held_copy(group) -> tuple[bytes, bytes]:  # type: ignore[no-untyped-def]
    """(body, signature) of a changeset the node holds: the founder's first."""
    body, signature = group.db.execute("SELECT body, signature FROM changes WHERE author = ? AND seq = 1",
                                       [group.device_id]).fetchone()
    return bytes(body), bytes(signature)


def _versions(flooder, count: int, size: int) -> list[tuple[bytes, bytes]]:  # type: ignore[no-untyped-def]
    """`count` versions of the member's changeset 1, each validly signed, each `size` bytes or so."""
    key, clock = flooder.private_key(), flooder.replica.clock
    out = []
    for i in range(count):
        ops = [Op("member", f"{i:032x}", "notes", f"version {i} " + "x" * size)]
        cs = sign_changeset(key, flooder.id, flooder.device_id, 1, GENESIS, clock.now(), ops)
        out.append((cs.body, cs.signature))
    return out


async def test_versions_of_one_number_are_kept_a_few_and_not_sent_again_without_bound(tmp_path, group) -> None:
    """A second validly signed version of a number held is a fork, kept as proof and sent to every
    peer. A member signing hundreds of versions of its changeset 1 (30 KB each) had the node keep
    them all (each decoding all before it), and every conversation began with all of them again
    (a reconnect with a 200-byte HELLO got 6.7 MB back). Two versions prove a fork: at most
    PROOFS_PER_NUMBER are kept besides the one held."""
    a = node(group)
    await a.start()
    try:
        flooder = await joined(a, tmp_path / "m", "flooder")
        flooder.members.add("Written by the member")
        group.replica.apply(flooder.replica.changes_since(group.replica.version_vector()))
        peer, session, _frames = await _claiming_everything(a, group, flooder, synced=True)
        stop = asyncio.Event()
        reading = asyncio.create_task(_drain(peer, stop))
        versions = _versions(flooder, 40, 30_000)
        for n, version in enumerate(versions, 1):
            await peer.send(p.encode_changes([version]))
            await until(lambda n=n: session.stats.received >= n or session.closed.is_set(), 5.0, "a version read")
        stop.set()
        await reading
        kept = group.db.execute("SELECT count(*) FROM forks").fetchone()[0]
        assert kept == forks.PROOFS_PER_NUMBER
        await close_quietly(peer.writer)
        await until(session.closed.is_set, 5.0, "the conversation closed")
        # Dialling again, claiming to hold everything: the proofs come again, the few kept.
        again, _session, frames = await _claiming_everything(a, group, flooder, synced=False)
        back = sum(len(f.payload) + p.HEADER.size for f in frames)
        assert back <= (forks.PROOFS_PER_NUMBER + 1) * 40_000, back
        await close_quietly(again.writer)
        flooder.close()
    finally:
        await a.stop()


@pytest.mark.parametrize("synced", [False, True], ids=["before-SYNCED", "after-SYNCED"])
async def test_copies_of_held_changesets_in_tiny_frames_cost_no_write_transaction_each(
        tmp_path, group, monkeypatch, synced) -> None:
    """Copies of changesets the node holds are dropped unparsed (sync/copies.py) when a link is
    live or has company; on a first sync from one link they were not looked for, so a member that
    never says SYNCED, the node's only link, sending one held copy per frame had each decoded and
    stored in a write transaction of its own (3,000 frames: 3,000 transactions), and a copy is
    no refusal: nothing ended it. Once a peer sent a copy, every later chunk is checked."""
    transactions: list[int] = []
    plain_apply = Receiving._apply_chunk

    async def counted(self, good):  # type: ignore[no-untyped-def]
        transactions.append(len(good))
        await plain_apply(self, good)

    monkeypatch.setattr(Receiving, "_apply_chunk", counted)
    a = node(group)
    await a.start()
    try:
        flooder = await joined(a, tmp_path / "m", "flooder")
        peer, session, _frames = await _claiming_everything(a, group, flooder, synced)
        before = len(transactions)
        stop = asyncio.Event()
        reading = asyncio.create_task(_drain(peer, stop))
        frame = p.encode_changes([_held_copy(group)])
        for _ in range(30):
            await peer.send(frame * 100)  # 100 frames to one write
        await until(lambda: session.stats.received >= 3000 or session.closed.is_set(), 10.0, "the copies read")
        stop.set()
        await reading
        assert not session.closed.is_set()
        assert len(transactions) - before <= 10, len(transactions) - before
        await close_quietly(peer.writer)
        flooder.close()
    finally:
        await a.stop()


@pytest.mark.parametrize("synced", [False, True], ids=["before-SYNCED", "after-SYNCED"])
async def test_a_small_packed_frame_of_one_copy_repeated_is_read_once(tmp_path, group, monkeypatch, synced) -> None:
    """A PACKED frame may expand to 8 MB (sync/packing.py): one changeset the node holds, repeated
    ~24,000 times, packs to about 1 KB. Each copy was sliced out, parsed, hashed and looked up (or,
    before SYNCED on a first sync from one link, decoded and applied): ~260 ms of CPU per KB on the
    wire. The same changeset twice in one frame is now read once."""
    looked_up: list[int] = []
    applied: list[int] = []
    plain_lookup, plain_apply = receiving.without_held, Receiving._apply_chunk

    def counted_lookup(db, chunk):  # type: ignore[no-untyped-def]
        looked_up.append(len(chunk))
        return plain_lookup(db, chunk)

    async def counted_apply(self, good):  # type: ignore[no-untyped-def]
        applied.append(len(good))
        await plain_apply(self, good)

    monkeypatch.setattr(receiving, "without_held", counted_lookup)
    monkeypatch.setattr(Receiving, "_apply_chunk", counted_apply)
    a = node(group)
    await a.start()
    try:
        flooder = await joined(a, tmp_path / "m", "flooder")
        peer, session, frames = await _claiming_everything(a, group, flooder, synced)
        (hello,) = [f for f in frames if f.type == p.FrameType.HELLO]
        codec = packing.choose(packing.available(), p.parse_hello(hello.payload).codecs)
        assert codec is not None
        item = _held_copy(group)
        copies = (p.MAX_FRAME // 2) // (len(item[0]) + p.SIGNATURE_SIZE + 4)
        packed = packing.pack(codec, p.changes_payload([item] * copies))
        assert packed is not None and len(packed) < copies  # under a byte a copy on the wire
        del looked_up[:], applied[:]  # what the link-up itself read
        stop = asyncio.Event()
        reading = asyncio.create_task(_drain(peer, stop))
        await peer.send(p.encode_frame(p.FrameType.PACKED, packed))
        await until(lambda: session.stats.received >= copies or session.closed.is_set(), 10.0, "the frame read")
        stop.set()
        await reading
        assert not session.closed.is_set()
        assert sum(looked_up) + sum(applied) <= 2, (looked_up, applied)
        await close_quietly(peer.writer)
        flooder.close()
    finally:
        await a.stop()


def _proof_count(frames) -> int:  # type: ignore[no-untyped-def]
    """How many changesets the node's first stream held (the peer claimed to hold everything,
    so all of them are proofs of forks and the versions held beside them)."""
    return sum(len(p.decode_changes(f.payload)[0]) for f in frames if f.type == p.FrameType.CHANGES)


async def _sent_in_three_conversations(a, group, honest) -> list[int]:  # type: ignore[no-untyped-def]
    """How many changesets node `a` sends `honest` (which claims to hold all `a` holds) in three
    conversations; in the second only, `honest` answers our SYNCED, so it read all sent before it."""
    counts = []
    for answer in (False, True, False):
        peer, session, frames = await _claiming_everything(a, group, honest, synced=True)
        counts.append(_proof_count(frames))
        # What an honest node sends while it reads our first stream; then, if `answer`, on reading
        # our SYNCED (so it read all before it): it settles what it read and says what it holds
        # (its own numbers too, left out before, so we can tell when that answer was read).
        held_now = group.replica.version_vector()
        await peer.send(p.encode_vector({d: s for d, s in held_now.items() if d != honest.device_id}))
        if answer:
            await peer.send(p.encode_json(p.FrameType.VECTOR, {"vector": held_now, "synced": True}))
        said = honest.device_id if answer else group.device_id
        await until(lambda s=session, said=said: said in s.peer_acked, 5.0, "the vector read")
        await close_quietly(peer.writer)
        await until(session.closed.is_set, 5.0, "the conversation closed")
    return counts


async def test_proofs_of_forks_an_honest_peer_read_are_not_sent_again_at_each_conversation(tmp_path, group) -> None:
    """A member that forks many of its numbers had every honest laptop resend every proof, with the
    version held beside it, at the start of every conversation on every link (1,000 forked numbers:
    4,000 changesets, 1.3 MB, ~0.4 s of CPU to read again each time). Once a peer answered our
    SYNCED (so it read them), they are not sent to that device again; a peer that only said what it
    holds while reading (it may not have read them) or never answered gets them again."""
    a = node(group)
    await a.start()
    try:
        forker = await joined(a, tmp_path / "m", "forker")
        honest = await joined(a, tmp_path / "h", "honest laptop")  # before the forks
        honest.members.add("Ana")  # so its vector names it (see _sent_in_three_conversations)
        group.replica.apply(honest.replica.changes_since(group.replica.version_vector()))
        forker.replica.commit_batch([[LocalOp("member", f"{i:032x}", "name", f"Member {i}")] for i in range(30)])
        held = forker.replica.changes_since(group.replica.version_vector())
        others = [sign_changeset(forker.private_key(), forker.id, forker.device_id, cs.seq, cs.prev,
                                 forker.replica.clock.now(), [Op("member", f"{cs.seq:032x}", "name", "Other")])
                  for cs in held]
        group.replica.apply(held)
        group.replica.apply(others)
        assert group.db.execute("SELECT count(*) FROM forks").fetchone()[0] == 30
        assert await _sent_in_three_conversations(a, group, honest) == [60, 60, 0]
        forker.close()
        honest.close()
    finally:
        await a.stop()


async def test_entries_a_removal_took_back_are_not_sent_again_to_a_peer_that_read_them(tmp_path, group) -> None:
    """An admin's membership entries written after the last of its changesets its removal keeps
    are kept aside and still count (a more senior admin may undo the removal), so every device
    hands them on. The peer's vector never covers them (they are not in its change log either), so
    they went again at the start of every conversation on every link. Once a peer answered our
    SYNCED, they are not sent to that device again; one that never answered gets them again."""
    a = node(group)
    await a.start()
    try:
        admin = await joined(a, tmp_path / "m", "admin laptop")
        honest = await joined(a, tmp_path / "h", "honest laptop")
        honest.members.add("Ana")  # so its vector names it (see _sent_in_three_conversations)
        group.replica.apply(honest.replica.changes_since(group.replica.version_vector()))
        group.membership.promote(admin.device_id)
        admin.replica.apply(group.replica.changes_since(admin.replica.version_vector()))
        admin.replica.commit_batch([[LocalOp(MEMBERSHIP_KIND, new_id(), POLICY, {"members_may_invite": False})]
                                    for _ in range(30)])
        group.membership.remove(admin.device_id)  # before the admin's entries reached the founder
        group.replica.apply(admin.replica.changes_since(group.replica.version_vector()))
        assert len(group.replica.kept_aside_entries(group.replica.version_vector())) == 30
        assert await _sent_in_three_conversations(a, group, honest) == [30, 30, 0]
        admin.close()
        honest.close()
    finally:
        await a.stop()
