"""Two groups meet in one hall, and some laptops are in both: the tenant union's laptop is offered the
food bank's changesets and the food bank's invite code, as the attacker (or a muddled relay) would.
Each is refused with a sentence that says so, and the tenant union holds what it held. On 127.0.0.1.
"""

from __future__ import annotations

import asyncio

import pytest

from organiser.core.errors import OrganiserError
from organiser.net.pairing import make_invite, redeem_invite
from organiser.net.transport import close_quietly
from organiser.services.group import Group, create_group
from organiser.services.group_folders import existing_groups, held_groups
from organiser.sync import protocol as p
from tests.net.member_link import member_streams
from tests.net.test_node import joined, node, until

pytestmark = pytest.mark.asyncio


def _food_bank(tmp_path) -> Group:  # type: ignore[no-untyped-def]
    food = create_group(tmp_path / "bea", "Eastside Food Bank", "bea laptop")
    food.members.add("Bea Okafor", emails=["bea@example.org"])
    food.members.add("Samira Haddad", emails=["samira@foodbank.example"])
    food.events.add("Food bank volunteers", "2026-12-02T20:15", end="2026-12-02T21:30", tz="Europe/London")
    return food


def _held(group: Group) -> tuple[str, int, int]:
    counts = group.status()["counts"]
    return group.replica.state_hash(), counts["member"], counts["device"]


async def test_a_member_of_both_groups_passing_the_food_banks_changes_to_the_tenant_union_is_refused(
        tmp_path, group):  # type: ignore[no-untyped-def]
    group.members.add("Samira Haddad", emails=["samira@tenants.example"])
    tenants = node(group)
    await tenants.start()
    food = _food_bank(tmp_path)
    try:
        kofi = await joined(tenants, tmp_path / "kofi", "kofi laptop")  # a tenant-union member in good standing
        await until(lambda: kofi.replica.state_hash() == group.replica.state_hash(), what="kofi's first sync")
        before = _held(group)
        reader, writer = await member_streams(kofi, "127.0.0.1", tenants.port)
        writer.write(p.encode_hello(kofi.device_id, kofi.replica.version_vector()))
        writer.write(p.encode_changes([(cs.body, cs.signature) for cs in food.replica.changes_since({})]))
        await writer.drain()
        await until(lambda: any(i["reason"] == "group" for i in group.incidents()), what="the incident")
        await close_quietly(writer)
        del reader

        assert _held(group) == before  # no food bank member, event or device reached the tenant union
        assert not group.members.list("Bea")
        (incident,) = [i for i in group.incidents() if i["reason"] == "group"]
        assert incident["device"]["id"] == kofi.device_id
        assert incident["message"] == "'kofi laptop' passed on changes of another group."
        assert "Eastside" not in str(group.incidents())
        kofi.close()
    finally:
        await tenants.stop()
        food.close()


async def test_the_food_banks_invite_code_at_a_tenant_union_laptop_is_refused_and_admits_nobody(
        tmp_path, group):  # type: ignore[no-untyped-def]
    tenants = node(group)
    await tenants.start()
    food = _food_bank(tmp_path)
    try:
        before = _held(group)
        # the code names the address where the tenant union's laptop listens now (a laptop of both groups
        # that served the food bank there last week, or a code read out in the wrong meeting)
        code = make_invite(food, [f"127.0.0.1:{tenants.port}"], 3600)
        joiner = tmp_path / "ana"
        with pytest.raises(OrganiserError, match="is not the device that made this invite code"):
            await asyncio.wait_for(redeem_invite(joiner, code, "ana laptop"), 30)
        assert _held(group) == before
        assert [d.name for d in group.membership.list()] == [group.device_name]
        assert existing_groups(joiner) == [] and held_groups(joiner) == []  # no group to open on Ana's laptop
    finally:
        await tenants.stop()
        food.close()
