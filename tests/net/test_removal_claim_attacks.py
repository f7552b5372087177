"""Who may tell a laptop that it was removed. A stranger on the Wi-Fi with no key, dialled at an address
it took over (or answering a replayed announcement), answers at once with "this device was removed from
the group", before proving anything: it must not be believed at all (before, the door laptop showed
"This laptop was removed from the group" above every view and stopped dialling the group's laptops). A
member's word is kept as a word: forgotten when another member lets the laptop in. Real TLS on
127.0.0.1 only."""

from __future__ import annotations

from pathlib import Path

import pytest

from organiser.core.errors import OrganiserError
from organiser.net.link import sync_with
from organiser.services.group import Group, create_group
from organiser.services.removed_here import removed_here
from organiser.sync import protocol as p
from tests.conftest import add_device, sync_all
from tests.net.removal_liar import lying
from tests.net.test_node import node

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
