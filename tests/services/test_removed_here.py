"""A removed laptop learns who removed it and when only from the admin's own signature: the signed
removal a member shows it is checked against its log, and nothing else passes for one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from organiser.core.membership_entries import MEMBERSHIP_KIND, REMOVE
from organiser.core.removal_proof import check_removal
from organiser.services.group import Group, create_group
from organiser.services.removed_here import keep_removal_proof, removed_here
from organiser.store.overwrites import LocalOp
from tests.conftest import add_device, sync_all
from tests.removal_shown import removal_changeset


def _room(tmp_path: Path) -> tuple[Group, Group, Group]:
    office = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    door = add_device(office, tmp_path / "door", "door laptop")
    minutes = add_device(office, tmp_path / "minutes", "minutes laptop")
    sync_all([office, door, minutes], rounds=2)
    return office, door, minutes


def test_the_door_laptop_shown_the_admins_removal_says_who_removed_it_when_and_what_did_not_reach(
        tmp_path: Path) -> None:
    office, door, minutes = _room(tmp_path)
    try:
        door.members.add("Checked in before")
        sync_all([office, door], rounds=1)
        before = datetime.now().replace(microsecond=0)
        office.membership.remove("door laptop")
        after = datetime.now()
        for name in ("Ana López", "Walk-in Person"):  # the door queue goes on
            door.members.add(name)
        assert removed_here(door) is None  # nobody told it yet
        shown = removal_changeset(minutes.db, door.device_id, minutes.replica.roster().admins)
        assert shown is None  # the minutes laptop has not heard of the removal: nothing to show
        sync_all([office, minutes])
        shown = removal_changeset(minutes.db, door.device_id, minutes.replica.roster().admins)
        assert shown is not None
        assert keep_removal_proof(door, *shown)
        here = removed_here(door)
        assert here is not None
        assert here.removed_by == "office laptop (Rosa)"
        assert here.removed_at is not None
        assert before <= here.removed_at <= after
        assert here.exact and here.not_reached == 2
        assert here.who_and_when().startswith("An admin, on office laptop (Rosa), removed this laptop on ")
        assert here.not_reached_sentence() == ("2 changes made here since the removal did not reach the group "
                                               "(2 members): they are kept on this laptop only.")
    finally:
        for g in (office, door, minutes):
            g.close()


def test_a_removal_signed_by_a_member_another_device_or_another_group_proves_nothing(tmp_path: Path) -> None:
    office, door, minutes = _room(tmp_path)
    other = create_group(tmp_path / "other", "Food Bank", "office laptop (Rosa)")
    try:
        roster = door.replica.roster()

        def forged_by(group: Group, device: str) -> tuple[bytes, bytes]:
            removal = LocalOp(MEMBERSHIP_KIND, group.device_id, REMOVE, {"device": device, "kept": 0})
            cs = group.replica.commit([removal])
            return cs.body, cs.signature

        def checked(shown: tuple[bytes, bytes]) -> object:
            return check_removal(*shown, group=door.id, device=door.device_id, keys=roster.keys,
                                 admins=roster.admins)

        assert checked(forged_by(minutes, door.device_id)) is None  # a member is no admin
        assert checked(forged_by(other, door.device_id)) is None  # another group's admin
        body, signature = forged_by(office, minutes.device_id)
        assert checked((body, signature)) is None  # the minutes laptop's removal, not the door's
        body, signature = forged_by(office, door.device_id)
        assert checked((body, signature[:-1] + bytes([signature[-1] ^ 1]))) is None  # a signature tampered with
        assert checked((body, signature)) is not None
        assert not keep_removal_proof(door, *forged_by(minutes, door.device_id))
        assert removed_here(door) is None
    finally:
        for g in (office, door, minutes, other):
            g.close()


def test_told_without_the_admins_signature_it_counts_from_when_it_was_told_and_says_so(tmp_path: Path) -> None:
    import time

    from organiser.services.removed_here import REMOVED_NOTICE

    office, door, minutes = _room(tmp_path)
    try:
        office.membership.remove("door laptop")
        door.replica.set_meta(REMOVED_NOTICE, f"{time.time() - 60:.0f} {minutes.device_id}")  # an older member said so
        here = removed_here(door)
        assert here is not None and not here.exact
        assert here.who_and_when().startswith("minutes laptop said so on ")
        assert here.not_reached_sentence() == (
            "Nothing entered here since this laptop was told is missing from the group (what was entered between "
            "the removal and then, this laptop cannot tell).")
        door.members.add("Walk-in Person")
        here = removed_here(door)
        assert here is not None and here.not_reached_sentence() == (
            "At least 1 change made here since this laptop was told did not reach the group (1 member): it is kept "
            "on this laptop only.")
    finally:
        for g in (office, door, minutes):
            g.close()


def test_the_door_laptop_restarted_after_its_removal_says_the_same_who_and_when(tmp_path: Path) -> None:
    from organiser.services.group import open_group
    from organiser.services.removed_here import REMOVED_NOTICE

    office, door, minutes = _room(tmp_path)
    try:
        office.membership.remove("door laptop")
        door.members.add("Ana López")
        shown = removal_changeset(office.db, door.device_id, office.replica.roster().admins)
        assert shown is not None
        door.replica.set_meta(REMOVED_NOTICE, f"1800000000 {office.device_id}")
        assert keep_removal_proof(door, *shown)
        before = removed_here(door)
        door.close()
        door = open_group(tmp_path / "door")  # the laptop shut down and started again
        after = removed_here(door)
        assert after is not None and before is not None
        assert after.who_and_when() == before.who_and_when()
        assert after.who_and_when().startswith("An admin, on office laptop (Rosa), removed this laptop on ")
        assert after.not_reached_sentence() == before.not_reached_sentence()
        assert door.membership_status()["removed"]
    finally:
        for g in (office, door, minutes):
            g.close()
