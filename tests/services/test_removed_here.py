"""What a removed laptop says of its removal: which member's laptop told it and when, and how many
changes made here since reach no laptop of the group, counted from the first time it was told."""

from __future__ import annotations

import time
from pathlib import Path

from organiser.services.group import Group, create_group
from organiser.services.removed_here import REMOVED_NOTICE, forget_told, removed_here
from tests.conftest import add_device, sync_all


def _room(tmp_path: Path) -> tuple[Group, Group, Group]:
    office = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    door = add_device(office, tmp_path / "door", "door laptop")
    minutes = add_device(office, tmp_path / "minutes", "minutes laptop")
    sync_all([office, door, minutes], rounds=2)
    return office, door, minutes


def test_told_by_a_member_it_counts_from_when_it_was_told_and_says_so(tmp_path: Path) -> None:
    office, door, minutes = _room(tmp_path)
    try:
        office.membership.remove("door laptop")
        assert removed_here(door) is None  # nobody told it yet
        door.replica.set_meta(REMOVED_NOTICE, f"{int(time.time()) - 60} {minutes.device_id}")  # a member said so
        here = removed_here(door)
        assert here is not None
        assert here.who_and_when().startswith("minutes laptop said so on ")
        assert here.not_reached_sentence() == (
            "Nothing entered here since this laptop was told is missing from the group. Anything entered before "
            "that but after the removal may be: this laptop cannot tell.")
        door.members.add("Walk-in Person")
        here = removed_here(door)
        assert here is not None and here.not_reached_sentence() == (
            "At least 1 change made here since this laptop was told did not reach the group (1 member): it is kept "
            "on this laptop only.")
    finally:
        for g in (office, door, minutes):
            g.close()


def test_let_in_by_a_member_that_had_not_heard_then_told_again_it_counts_from_the_first_telling(
        tmp_path: Path) -> None:
    """The minutes laptop said so; a laptop back from home, not synced since, let the door laptop in (the
    claim is forgotten, net/admission.py); the check-ins between reach the group no more than those after."""
    office, door, minutes = _room(tmp_path)
    try:
        office.membership.remove("door laptop")
        first = int(time.time()) - 120
        door.replica.set_meta(REMOVED_NOTICE, f"{first} {minutes.device_id}")
        forget_told(door)
        assert removed_here(door) is None
        door.members.add("Checked in while let in")
        door.replica.set_meta(REMOVED_NOTICE, f"{int(time.time()) + 60} {office.device_id}")  # told again, later
        here = removed_here(door)
        assert here is not None and here.not_reached == 1
        assert here.who_and_when().startswith("office laptop (Rosa) said so on ")
    finally:
        for g in (office, door, minutes):
            g.close()


def test_the_door_laptop_restarted_after_its_removal_says_the_same(tmp_path: Path) -> None:
    from organiser.services.group import open_group

    office, door, minutes = _room(tmp_path)
    try:
        office.membership.remove("door laptop")
        door.replica.set_meta(REMOVED_NOTICE, f"{int(time.time()) - 5} {office.device_id}")
        door.members.add("Ana López")
        before = removed_here(door)
        door.close()
        door = open_group(tmp_path / "door")  # the laptop shut down and started again
        after = removed_here(door)
        assert after is not None and after == before
        assert door.membership_status()["removed"]
    finally:
        for g in (office, door, minutes):
            g.close()
