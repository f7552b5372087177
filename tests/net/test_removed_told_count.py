"""Told without the admin's signed removal, a removed laptop counts the changes made here since it was
told, "at least": a check-in typed the moment the notice appeared must be among them. The time it was
told was kept rounded to the nearest second, so up to half a second after it counted as before it, and
the notice said nothing was missing. Real TLS on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import pytest

from organiser.core.errors import OrganiserError
from organiser.net.link import sync_with
from organiser.services.group import create_group
from organiser.services.removed_here import removed_here
from tests.conftest import add_device, sync_all
from tests.net.removal_liar import lying

pytestmark = pytest.mark.asyncio


async def test_a_check_in_typed_right_after_the_laptop_was_told_counts_as_not_reaching_the_group(tmp_path) -> None:
    office = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    door = add_device(office, tmp_path / "door", "door laptop")
    minutes = add_device(office, tmp_path / "minutes", "minutes laptop")
    try:
        sync_all([office, door, minutes], rounds=2)
        office.membership.remove("door laptop")
        sync_all([office, minutes], rounds=1)
        # Told in the second half of a second (the time it keeps is of whole seconds), then a walk-in
        # checked in at once, within the same second.
        await asyncio.sleep((0.6 - time.time() % 1) % 1)
        async with lying(minutes) as port:  # a member that says so
            with pytest.raises(OrganiserError, match="removed from the group"):
                await sync_with(door, "127.0.0.1", port, timeout=10)
        door.members.add("Walk-in Person")
        here = removed_here(door)
        assert here is not None
        assert here.not_reached == 1, here.not_reached_sentence()
    finally:
        for g in (office, door, minutes):
            g.close()
