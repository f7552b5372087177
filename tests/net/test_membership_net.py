"""Membership over real TLS sockets on 127.0.0.1 (no mDNS, nothing leaves the machine):
removal closes connections at once, invites work only at the device that made them."""

from __future__ import annotations

import asyncio
import time

import pytest

from organiser.core.errors import OrganiserError
from organiser.net.node import SyncNode
from organiser.net.pairing import make_invite, redeem_invite
from organiser.services.group import Group
from tests.net.test_node import joined, node, until

pytestmark = pytest.mark.asyncio


async def test_a_removed_device_is_disconnected_within_a_second_and_told_once(tmp_path, group):
    a = node(group)
    await a.start()
    b_group = await joined(a, tmp_path / "b", "lost laptop")
    b = node(b_group, a)
    await b.start()
    try:
        await until(lambda: [x.state for x in a.peers()] == ["connected"], what="B connected")
        began = time.monotonic()
        group.membership.remove("lost laptop")
        await until(lambda: not any(x.connected for x in b.peers()), timeout=1.0, what="B disconnected")
        assert time.monotonic() - began < 1.0
        await until(lambda: b_group.membership_status()["removed"], what="B told it was removed")
        # it keeps its folder and tries again: refused at once, and its edits never arrive
        b_group.replica.forget_roster()
        b_group.members.add("Written after removal")
        await asyncio.sleep(1.5)
        assert a.peers() == [] or not any(x.connected for x in a.peers())
        assert group.members.list() == []
    finally:
        await b.stop()
        b_group.close()
        await a.stop()


async def test_a_code_is_redeemed_only_at_the_device_that_made_it(tmp_path, group):
    a = node(group)
    await a.start()
    b_group = await joined(a, tmp_path / "b", "B")
    group.membership.promote("B")
    b = node(b_group, a)
    await b.start()
    try:
        await until(lambda: b_group.membership.is_admin(), what="B an admin")
        code = make_invite(group, [f"127.0.0.1:{b.port}", f"127.0.0.1:{a.port}"], 3600)
        # B is a member but did not make the code: it is never asked (its key is not the code's),
        # so the code is redeemed at A, once.
        joiner = await redeem_invite(tmp_path / "c", code, "C")
        joiner.close()
        with pytest.raises(OrganiserError, match="already been used"):
            await redeem_invite(tmp_path / "d", code, "D")
        only_b = make_invite(group, [f"127.0.0.1:{b.port}"], 3600)
        with pytest.raises(OrganiserError, match="not the device that made this invite code"):
            await redeem_invite(tmp_path / "e", only_b, "E")
        await until(lambda: sorted(d["name"] for d in b_group.devices()) == ["B", "C", "door laptop"],
                    what="the roster on B")
    finally:
        await b.stop()
        b_group.close()
        await a.stop()


async def test_a_code_made_while_no_node_ran_works_once_one_starts(tmp_path, group):
    from organiser.net import peerbook

    port = peerbook.choose_listen_port(group.db, ["127.0.0.1"])  # where node() listens
    code = make_invite(group, [f"127.0.0.1:{port}"], 3600)
    a = node(group)
    await a.start()
    try:
        assert a.port == port
        (await redeem_invite(tmp_path / "b", code, "B")).close()
    finally:
        await a.stop()


async def test_both_sides_see_the_same_verification_code_and_the_admitting_person_confirms(tmp_path, group):
    a = node(group)
    asked: list[tuple[str, str]] = []

    async def confirm(name: str, code: str) -> bool:
        asked.append((name, code))
        return name != "intruder"

    a.confirm_admission = confirm
    await a.start()
    try:
        shown: list[str] = []
        joiner: Group = await redeem_invite(tmp_path / "b", await a.create_invite(3600), "minutes laptop",
                                            on_verification=shown.append)
        assert asked[0][0] == "minutes laptop" and len(asked[0][1]) == 6
        assert shown == [asked[0][1]] == [joiner.replica.meta("verification_code")]
        joiner.close()
        with pytest.raises(OrganiserError, match="did not confirm"):
            await redeem_invite(tmp_path / "c", await a.create_invite(3600), "intruder")
        assert sorted(d["name"] for d in group.devices()) == ["door laptop", "minutes laptop"]
    finally:
        await a.stop()


async def test_a_static_peer_of_another_group_is_refused_before_any_group_data(tmp_path, group):
    from organiser.services.group import create_group

    a = node(group)
    await a.start()
    other = create_group(tmp_path / "o", "Other", "their laptop")
    try:
        o = SyncNode(other, listen_host="127.0.0.1", discovery=False)
        with pytest.raises(OrganiserError, match="not a device of this group"):
            await o.connect("127.0.0.1", a.port)
        assert other.members.list() == [] and other.replica.version_vector().keys() == {other.device_id}
    finally:
        other.close()
        await a.stop()


async def test_a_member_who_lies_that_a_laptop_was_removed_does_not_cut_it_off_from_the_group(tmp_path, group):
    """A member in bad faith (or a removed laptop, while laptops still take its old keys) answers
    'this device was removed from the group'. Nothing in the group's log says so: the first member
    that admits the laptop again proves the claim wrong, and the laptop goes on syncing."""
    from organiser.net.outbound import REMOVED_MESSAGE

    a = node(group)
    await a.start()
    liar_group = await joined(a, tmp_path / "liar", "liar")
    b_group = await joined(a, tmp_path / "b", "B")
    liar = node(liar_group, a)
    liar._admission = lambda peer: REMOVED_MESSAGE  # type: ignore[method-assign]
    await liar.start()  # it refuses every laptop, A too, so it is never seen connected for long
    b = node(b_group, liar)
    await b.start()
    try:
        await until(lambda: b_group.replica.meta("removed_notice"), what="B told the lie")
        assert b_group.membership.list()  # B's own log still admits it
        await b.connect("127.0.0.1", a.port)  # the person at B clicks Connect to address…
        await until(lambda: not b_group.membership_status()["removed"], what="the lie forgotten")
        b_group.members.add("Written by B after the lie")
        await until(lambda: "Written by B after the lie" in {m.name for m in group.members.list()},
                    what="B's edit at A")
    finally:
        await b.stop()
        await liar.stop()
        b_group.close()
        liar_group.close()
        await a.stop()


async def test_an_admin_who_takes_longer_than_a_network_pause_to_compare_codes_still_admits_the_laptop(
        tmp_path, group, monkeypatch):
    """The admin reads the question and compares the six digits: that takes longer than the pause
    allowed between two messages of an invite, but far less than the time given to answer it."""
    from organiser.net import pairing

    monkeypatch.setattr(pairing, "PAIR_TIMEOUT", 0.3)  # the pause allowed between two messages
    a = node(group)

    async def confirm_after_reading(_name: str, _code: str) -> bool:
        await asyncio.sleep(1.0)  # a careful admin; the answer may take up to CONFIRM_TIMEOUT
        return True

    a.confirm_admission = confirm_after_reading
    await a.start()
    try:
        joiner: Group = await redeem_invite(tmp_path / "b", await a.create_invite(3600), "careful laptop")
        assert "careful laptop" in {d["name"] for d in group.devices()}
        assert joiner.id == group.id
        joiner.close()
    finally:
        await a.stop()


async def test_the_admin_is_not_asked_about_a_code_that_was_used_or_withdrawn(tmp_path, group):
    """A removed member comes back with an old code, used or withdrawn: refused with the reason,
    and the admin's screen is not interrupted with a question whose answer could not count."""
    from organiser.net.pairing import withdraw_invite

    a = node(group)
    asked: list[str] = []

    async def confirm(name: str, _code: str) -> bool:
        asked.append(name)
        return True

    a.confirm_admission = confirm
    await a.start()
    try:
        used = await a.create_invite(3600)
        (await redeem_invite(tmp_path / "sam", used, "Sam laptop")).close()
        withdrawn = await a.create_invite(3600)
        withdraw_invite(group, withdrawn)
        with pytest.raises(OrganiserError, match="already been used"):
            await redeem_invite(tmp_path / "again", used, "C laptop 2")
        with pytest.raises(OrganiserError, match="withdrawn"):
            await redeem_invite(tmp_path / "again2", withdrawn, "C laptop 3")
        assert asked == ["Sam laptop"]
    finally:
        await a.stop()
