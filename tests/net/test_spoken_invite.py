"""Spoken invite codes over real TLS sockets on 127.0.0.1 (no mDNS here: the lookup of the
nameplate is given the inviter's real address; the mDNS path runs in tests/net/test_spoken_lan.py)."""

from __future__ import annotations

import asyncio
import logging
import ssl

import pytest

from organiser.core.errors import OrganiserError
from organiser.net.credentials import connection_certificate
from organiser.net.pairing import InviteRefused
from organiser.net.spoken_code import EVEN, Exchange, SpokenCode, parse_spoken_code
from organiser.net.spoken_host import ADMITTED, BURNED, EXPIRED, SpokenInvite
from organiser.net.spoken_join import redeem_spoken_invite
from organiser.net.transport import close_quietly, dial, pairing_context, peer_certificate, server_context
from organiser.services.group import Group
from organiser.sync import protocol as p
from tests.net.test_node import node

pytestmark = pytest.mark.asyncio


def at(spoken: SpokenInvite):  # type: ignore[no-untyped-def]
    """Where the nameplate is offered: the inviter's real port on 127.0.0.1."""
    async def find(nameplate: int) -> list[str]:
        return [f"127.0.0.1:{spoken.port}"] if nameplate == spoken.code.nameplate else []
    return find


def wrong_words(code: SpokenCode) -> str:
    first = EVEN[(EVEN.index(code.words[0]) + 1) % 256]
    return f"{code.nameplate}-{first}-{code.words[1]}"


async def test_a_newcomer_joins_with_the_spoken_code_and_receives_the_group(tmp_path, group: Group, caplog):
    caplog.set_level(logging.INFO, logger="organiser")
    group.members.add("Already Here")
    a = node(group)
    asked: list[tuple[str, str]] = []

    async def confirm(name: str, code: str) -> bool:
        asked.append((name, code))
        return True

    a.confirm_admission = confirm
    await a.start()
    try:
        spoken = await a.offer_spoken_invite()
        shown: list[str] = []
        joiner = await redeem_spoken_invite(tmp_path / "b", spoken.text.replace("-", " ").upper(), "minutes laptop",
                                            on_verification=shown.append, find=at(spoken))
        outcome = await spoken.outcome()
        assert outcome.state == ADMITTED and "'minutes laptop' joined" in outcome.message
        assert asked == [("minutes laptop", shown[0])] and shown[0] == joiner.replica.meta("verification_code")
        admitted = {d["name"]: d for d in group.devices()}
        assert admitted["minutes laptop"]["id"] == joiner.device_id  # a signed admit entry in the log
        assert joiner.id == group.id
        # a normal admission is news, not a warning on the terminal of whoever started the host
        said = [r for r in caplog.records if f"admitted device {joiner.device_id[:12]} by spoken" in r.getMessage()]
        assert [r.levelname for r in said] == ["INFO"]
        assert "Already Here" in {m.name for m in joiner.members.list()}  # the first sync ran
        joiner.close()
        with pytest.raises(OrganiserError, match="no longer answers|no laptop"):  # once only
            await redeem_spoken_invite(tmp_path / "c", spoken.text, "second try", find=at(spoken))
    finally:
        await a.stop()


async def test_a_wrong_guess_burns_the_code_and_the_inviter_is_told(tmp_path, group: Group):
    a = node(group)
    await a.start()
    try:
        spoken = await a.offer_spoken_invite()
        with pytest.raises(InviteRefused, match="did not match"):
            await redeem_spoken_invite(tmp_path / "b", wrong_words(spoken.code), "guesser", find=at(spoken))
        outcome = await spoken.outcome()
        assert outcome.state == BURNED and "make a new one" in outcome.message
        with pytest.raises(OrganiserError):  # the right words, too late
            await redeem_spoken_invite(tmp_path / "c", spoken.text, "honest laptop", find=at(spoken))
        assert [d["name"] for d in group.devices()] == ["door laptop"]
    finally:
        await a.stop()


async def test_an_expired_code_is_refused_with_a_sentence(tmp_path, group: Group):
    a = node(group)
    await a.start()
    try:
        spoken = await a.offer_spoken_invite(expires_seconds=1)
        outcome = await asyncio.wait_for(spoken.outcome(), 10)
        assert outcome.state == EXPIRED and "expired unused" in outcome.message
        with pytest.raises(OrganiserError, match="may have expired"):
            await redeem_spoken_invite(tmp_path / "b", spoken.text, "late laptop", find=at(spoken))
    finally:
        await a.stop()


async def test_bad_frames_are_refused_and_only_a_begun_exchange_burns_the_code(group: Group):
    a = node(group)
    await a.start()
    try:
        spoken = await a.offer_spoken_invite()

        async def send(frame: bytes) -> str:
            reader, writer = await asyncio.open_connection("127.0.0.1", spoken.port, ssl=pairing_context(),
                                                           server_hostname="")
            try:
                await reader.readexactly(p.HEADER.size)  # PAIR_HELLO
                await reader.readexactly(len(p.encode_json(p.FrameType.PAIR_HELLO, {"spoken": 1})) - p.HEADER.size)
                writer.write(frame)
                await writer.drain()
                kind, length = p.parse_header(await reader.readexactly(p.HEADER.size))
                body = await reader.readexactly(length)
                return p.decode_error(body) if kind == p.FrameType.ERROR else kind.name
            finally:
                writer.close()

        assert "begins with a key exchange" in await send(p.encode_json(p.FrameType.HELLO, {"device": "x"}))
        assert "begins with a key exchange" in await send(p.encode_json(p.FrameType.REDEEM, {"pake": "zz"}))
        assert "begins with a key exchange" in await send(p.encode_frame(p.FrameType.REDEEM, b"\xff not json"))
        assert spoken.state == "waiting"  # nothing was tried against the code yet
        refused = await send(p.encode_json(p.FrameType.REDEEM, {"pake": "41" + "00" * 32}))  # not a curve point
        assert "did not match" in refused
        assert (await spoken.outcome()).state == BURNED
    finally:
        await a.stop()


async def test_a_member_may_not_offer_a_spoken_code_unless_the_policy_allows(tmp_path, group: Group):
    from organiser.services.devices import MembershipRefused

    a = node(group)
    await a.start()
    try:
        spoken = await a.offer_spoken_invite()
        member = await redeem_spoken_invite(tmp_path / "b", spoken.text, "member laptop", find=at(spoken))
        with pytest.raises(MembershipRefused, match="only an admin"):
            await SpokenInvite(member, announce=False, listen_host="127.0.0.1").start()
        member.close()
    finally:
        await a.stop()


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def test_a_man_in_the_middle_relaying_the_exchange_fails_and_admits_nobody(tmp_path, group: Group):
    """The attacker on the Wi-Fi ends the joiner's TLS with a certificate of its own (made just
    like the inviter's: they name nothing), opens its own TLS to the inviter, and relays every
    byte of the exchange between them untouched. The SPAKE2 key matches on both ends, but the
    proofs are bound to each TLS session and its certificates: neither side accepts the other."""
    a = node(group)
    await a.start()
    try:
        spoken = await a.offer_spoken_invite()

        async def intercept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", spoken.port, ssl=pairing_context(),
                                                                 server_hostname="")
            await asyncio.gather(_relay(reader, up_writer), _relay(up_reader, writer))

        mitm = await asyncio.start_server(intercept, "127.0.0.1", 0, ssl=server_context(connection_certificate()))
        port = mitm.sockets[0].getsockname()[1]

        async def find(_nameplate: int) -> list[str]:  # the attacker answers the lookup first
            return [f"127.0.0.1:{port}"]

        with pytest.raises(InviteRefused, match="did not match"):
            await redeem_spoken_invite(tmp_path / "b", spoken.text, "victim laptop", find=find)
        assert (await asyncio.wait_for(spoken.outcome(), 15)).state == BURNED
        assert [d["name"] for d in group.devices()] == ["door laptop"]
        mitm.close()
    finally:
        await a.stop()


async def test_a_wrong_guess_learns_nothing_about_the_inviter_or_its_group(group: Group):
    """Up to the joiner's proof, the inviter shows a certificate made for that connection and its
    SPAKE2 message: nothing names its device, its key or the group; a second connection gets
    another certificate."""
    from tests.net.test_stranger_learns_nothing import _read_all, assert_names_nothing

    a = node(group)
    await a.start()
    try:
        spoken = await a.offer_spoken_invite()
        certificates = []
        for guess in (False, True):
            link = await dial("127.0.0.1", spoken.port, with_certificate=False)
            certificates.append(peer_certificate(link.writer) or b"")
            if guess:  # a full attempt with wrong words: the inviter answers with its message and proof
                exchange = Exchange(parse_spoken_code(wrong_words(spoken.code)), inviter=False)
                link.writer.write(p.encode_json(p.FrameType.REDEEM, {"pake": exchange.message.hex()}))
                await link.writer.drain()
            received = await _read_all(link.reader, wait=1.0 if not guess else 3.0)
            if guess:
                link.writer.write(p.encode_json(p.FrameType.REDEEM, {"proof": "00" * 32}))
                await link.writer.drain()
                received += await _read_all(link.reader)
                kinds = [frame.type for frame in p.FrameDecoder().feed(received)]
                assert kinds == [p.FrameType.PAIR_HELLO, p.FrameType.PAIR_HELLO, p.FrameType.ERROR]
            await close_quietly(link.writer)
            assert_names_nothing(certificates[-1] + received, group)
        assert all(certificates) and certificates[0] != certificates[1]
        assert (await spoken.outcome()).state == BURNED
    finally:
        await a.stop()
