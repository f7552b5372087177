"""Who may tell a laptop that it was removed, and with what. A stranger on the Wi-Fi with no key,
dialled at an address it took over (or answering a replayed announcement), answers at once with
"this device was removed from the group", before proving anything; a member in bad faith proves
membership first and shows a removal of its choosing. The stranger must not be believed at all (before,
the door laptop showed "This laptop was removed from the group" above every view and stopped dialling
the group's laptops); the member's forged or replayed removals must not say who removed it or when.
Real TLS on 127.0.0.1 only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from organiser.core.changeset import Op
from organiser.core.errors import OrganiserError
from organiser.core.membership_entries import MEMBERSHIP_KIND, REMOVE
from organiser.net.link import sync_with
from organiser.net.outbound import REMOVED_MESSAGE
from organiser.services.group import Group, create_group
from organiser.services.removed_here import removed_here
from organiser.sync import protocol as p
from tests.bad_peer import BadPeer
from tests.conftest import add_device, sync_all
from tests.net.removal_liar import lying
from tests.net.test_node import node
from tests.removal_shown import removal_changeset

pytestmark = pytest.mark.asyncio


def _not_told(group: Group) -> bool:
    return not group.membership_status()["removed"] and removed_here(group) is None


async def test_a_stranger_answering_the_door_laptops_dial_with_removed_is_not_believed(group: Group) -> None:
    door = node(group)
    await door.start()
    try:
        async with lying(None) as port:
            with pytest.raises(OrganiserError, match="refused us"):
                await door._dial(f"127.0.0.1:{port}", None)
        assert _not_told(group)
    finally:
        await door.stop()


async def test_a_stranger_answering_organiser_sync_with_removed_is_not_believed(group: Group) -> None:
    async with lying(None) as port:
        with pytest.raises(OrganiserError, match="refused us"):
            await sync_with(group, "127.0.0.1", port, timeout=10)
    assert _not_told(group)


async def test_a_stranger_showing_a_real_removal_of_another_laptop_is_not_believed(tmp_path: Path) -> None:
    office = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    door = add_device(office, tmp_path / "door", "door laptop")
    old = add_device(office, tmp_path / "old", "old laptop")
    try:
        office.membership.remove("old laptop")
        sync_all([office, door], rounds=2)
        shown = removal_changeset(office.db, old.device_id, office.replica.roster().admins)
        assert shown is not None
        async with lying(None, removal=shown) as port:
            with pytest.raises(OrganiserError):
                await sync_with(door, "127.0.0.1", port, timeout=10)
        assert _not_told(door)
    finally:
        for g in (office, door, old):
            g.close()


async def test_a_member_in_bad_faith_cannot_say_who_removed_the_door_laptop(tmp_path: Path) -> None:
    """Its claim alone is kept as a claim ("said so; who removed it, and when, this laptop does not
    know yet", forgotten when another member lets the laptop in); no removal it shows makes it more."""
    office = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    door = add_device(office, tmp_path / "door", "door laptop")
    liar = add_device(office, tmp_path / "liar", "minutes laptop")
    old = add_device(office, tmp_path / "old", "old laptop")
    try:
        office.membership.remove("old laptop")
        sync_all([office, door, liar], rounds=2)
        another_laptops = removal_changeset(office.db, old.device_id, office.replica.roster().admins)
        other_group = create_group(tmp_path / "other", "Food Bank", "office laptop (Rosa)")
        from_another_group = BadPeer(other_group).sign(
            [Op(MEMBERSHIP_KIND, other_group.device_id, REMOVE, {"device": door.device_id, "kept": 0})])
        other_group.close()
        by_the_liar = BadPeer(liar).sign(
            [Op(MEMBERSHIP_KIND, liar.device_id, REMOVE, {"device": door.device_id, "kept": 0})])
        assert another_laptops is not None
        for shown in (another_laptops, (from_another_group.body, from_another_group.signature),
                      (by_the_liar.body, by_the_liar.signature)):
            async with lying(liar, removal=shown) as port:
                with pytest.raises(OrganiserError, match="removed from the group"):
                    await sync_with(door, "127.0.0.1", port, timeout=10)
            here = removed_here(door)
            assert here is not None and not here.exact and here.removed_by == "" and here.removed_at is None
    finally:
        for g in (office, door, liar, old):
            g.close()


def _padded_removal(admin: Group, device: str, size: int) -> tuple[bytes, bytes]:
    """The admin's real signed removal of `device`, padded (a note in the entry) to `size` bytes."""
    def signed(note: str) -> tuple[bytes, bytes]:
        cs = BadPeer(admin).sign([Op(MEMBERSHIP_KIND, admin.device_id, REMOVE,
                                     {"device": device, "kept": 0, "note": note})])
        return cs.body, cs.signature

    body, _ = signed("")
    return signed("x" * (size - len(body)))


def _frame(body: bytes) -> bytes:
    return p.HEADER.pack(p.PROTOCOL_VERSION, int(p.FrameType.ERROR), len(body)) + body


REMOVED = b'{"message":"this device was removed from the group","removal":'


@pytest.mark.parametrize(("shown", "believed"), [
    ("removal of 4096 bytes", True),
    ("removal of 4097 bytes", False),
    ("removal nested 5000 deep", False),
    ("removal nested 500 deep", False),
    ("removal as URL-safe base64", False),
    ("removal as non-ASCII text", False),
    ("removal of 60 entries", False),
    ("a frame of 20 KB", False),
])
async def test_a_removal_too_big_nested_or_oddly_encoded_is_refused_and_nothing_of_it_kept(
        tmp_path: Path, shown: str, believed: bool) -> None:
    import base64

    office = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    door = add_device(office, tmp_path / "door", "door laptop")
    liar = add_device(office, tmp_path / "liar", "minutes laptop")
    try:
        sync_all([office, door, liar], rounds=2)
        body, signature = _padded_removal(office, door.device_id, 4096 if believed else 4097)
        assert len(body) == (4096 if believed else 4097)
        b64 = [base64.b64encode(x).decode() for x in (body, signature)]
        many = BadPeer(office).sign([Op(MEMBERSHIP_KIND, office.device_id, REMOVE, {"device": liar.device_id,
                                                                                    "kept": n}) for n in range(60)])
        payloads = {
            "removal of 4096 bytes": p.encode_error(REMOVED_MESSAGE, (body, signature)),
            "removal of 4097 bytes": p.encode_error(REMOVED_MESSAGE, (body, signature)),
            "removal nested 5000 deep": _frame(REMOVED + b"[" * 5000 + b"]" * 5000 + b"}"),
            "removal nested 500 deep": _frame(REMOVED + b"[" * 500 + b"]" * 500 + b"}"),
            "removal as URL-safe base64": _frame(REMOVED + json.dumps(
                [base64.urlsafe_b64encode(body).decode().replace("=", ""), b64[1]]).encode() + b"}"),
            "removal as non-ASCII text": _frame(REMOVED + json.dumps(["é" + b64[0], b64[1]]).encode() + b"}"),
            "removal of 60 entries": p.encode_error(REMOVED_MESSAGE, (many.body, many.signature)),
            "a frame of 20 KB": _frame(REMOVED + json.dumps(["A" * 20_000, b64[1]]).encode() + b"}"),
        }
        async with lying(liar, payload=payloads[shown]) as port:
            with pytest.raises(OrganiserError, match="refused us|not valid JSON|too large"):  # one sentence
                await sync_with(door, "127.0.0.1", port, timeout=10)
            here = removed_here(door)
            assert (here is not None and here.exact) == believed
            assert door.replica.meta("removal_proof", "") == "" or believed
    finally:
        for g in (office, door, liar):
            g.close()


async def test_a_removed_laptop_knocking_fifty_times_costs_the_office_one_note_and_one_log_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import time

    from organiser.services.removed_nearby import KNOCKS, removed_nearby

    caplog.set_level(logging.INFO)
    office_group = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    door = add_device(office_group, tmp_path / "door", "door laptop")
    office = node(office_group)
    await office.start()
    try:
        sync_all([office_group, door], rounds=2)
        office_group.membership.remove("door laptop")
        started = time.monotonic()
        noted = None
        for _ in range(50):
            with pytest.raises(OrganiserError, match="removed from the group"):
                await sync_with(door, "127.0.0.1", office.port, timeout=10)
            noted = noted or office_group.replica.meta(KNOCKS)
        took = time.monotonic() - started
        assert office_group.replica.meta(KNOCKS) == noted  # the first knock's note, not written again
        assert [n.name for n in removed_nearby(office_group)] == ["door laptop"]
        assert len([r for r in caplog.records if "refused a connection" in r.getMessage()]) <= 1
        print(f"50 knocks of a removed laptop: {took:.2f} s, {took / 50 * 1000:.0f} ms each")
    finally:
        await office.stop()
        door.close()
        office_group.close()


async def test_a_removed_admins_backdated_removal_of_a_member_is_forgotten_once_the_member_hears_of_his_removal(
        tmp_path: Path) -> None:
    """Jo's laptop was an admin; the office removed it. With its key (modified client) it signs a
    removal of the door laptop, dated before its own removal, and shows it to the door laptop, which has
    not heard yet: by the door laptop's log then, an admin removed it. Let in by the office laptop, it
    hears of Jo's removal, and the notice goes: the door laptop dials the group again."""
    from tests.net.test_node import until

    office_group = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    door = add_device(office_group, tmp_path / "door", "door laptop")
    jo = add_device(office_group, tmp_path / "jo", "jo laptop")
    sync_all([office_group, door, jo], rounds=2)
    office_group.membership.promote("jo laptop")
    sync_all([office_group, door, jo], rounds=2)
    backdated = office_group.replica.clock.now()
    office_group.membership.remove("jo laptop")  # the door laptop is away: it has not heard
    sync_all([office_group, jo], rounds=1)
    forged = BadPeer(jo).sign([Op(MEMBERSHIP_KIND, jo.device_id, REMOVE,
                                  {"device": door.device_id, "kept": 0})], hlc=backdated)
    office = node(office_group)
    await office.start()
    door_node = node(door)
    try:
        async with lying(jo, removal=(forged.body, forged.signature)) as port:
            with pytest.raises(OrganiserError, match="removed from the group"):
                await sync_with(door, "127.0.0.1", port, timeout=10)
        here = removed_here(door)
        assert here is not None and here.removed_by == "jo laptop"  # all the door laptop could tell then
        await door_node.start()
        await office.connect("127.0.0.1", door_node.port)  # the office laptop links with it
        await until(lambda: _not_told(door), what="the door laptop forgot the forged removal")
        assert jo.device_id in door.replica.roster().limits
    finally:
        await door_node.stop()
        await office.stop()
        for g in (office_group, door, jo):
            g.close()


async def test_a_strangers_refusal_with_terminal_codes_and_line_breaks_is_shown_as_codes(group: Group) -> None:
    """`organiser sync HOST:PORT` prints the peer's refusal, and the node logs it: a stranger's escape
    codes retitled the terminal and cleared it, and a line break forged a log line."""
    said = "\x1b]0;pwned\x07\x1b[2J\nERROR organiser: forged log line \u202eevil"
    async with lying(None, payload=p.encode_error(said)) as port:
        with pytest.raises(OrganiserError) as refused:
            await sync_with(group, "127.0.0.1", port, timeout=10)
    sentence = str(refused.value)
    assert sentence.isprintable(), sentence
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\nERROR organiser: forged log line \\u202eevil" in sentence


@pytest.mark.parametrize("after_hello", [False, True])
async def test_a_members_refusal_in_the_conversation_with_terminal_codes_is_shown_as_codes(
        tmp_path: Path, after_hello: bool) -> None:
    office = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    door = add_device(office, tmp_path / "door", "door laptop")
    liar = add_device(office, tmp_path / "liar", "minutes laptop")
    try:
        sync_all([office, door, liar], rounds=2)
        said = "\x1b]0;pwned\x07\x1b[2J\nERROR organiser: forged log line \u202eevil"
        hello = p.encode_hello(liar.device_id, liar.replica.version_vector()) if after_hello else b""
        async with lying(liar, payload=hello + p.encode_error(said), admitted=True) as port:
            with pytest.raises(OrganiserError) as refused:
                await sync_with(door, "127.0.0.1", port, timeout=10)
        sentence = str(refused.value)
        assert "forged log line" in sentence and sentence.isprintable(), sentence
    finally:
        for g in (office, door, liar):
            g.close()
