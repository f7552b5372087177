"""The door laptop an admin removed, at the command line: `status` says which laptop told it so, when, what
did not reach the group and what to do; a command that writes says its change stays here; the
admin's `status` says the removed laptop is still nearby."""

from __future__ import annotations

import time
from pathlib import Path

from organiser.services.group import create_group
from organiser.services.removed_here import REMOVED_NOTICE
from tests.cli_in_process import cli_in_process
from tests.conftest import add_device, sync_pair


def _removed_door(tmp_path: Path) -> tuple[Path, Path]:
    """An office laptop (the admin's) and a door laptop it removed; the door was told, as its node
    keeps it when refused (net/admission.py), and tried to connect once (the office noted it)."""
    from organiser.services.removed_nearby import note_removed_knock

    office = create_group(tmp_path / "office", "Tenants Union", "office laptop (Rosa)")
    door = add_device(office, tmp_path / "door", "door laptop")
    try:
        office.members.add("Ana López")
        sync_pair(office, door)
        office.membership.remove("door laptop")
        door.replica.set_meta(REMOVED_NOTICE, f"{int(time.time()) - 1} {office.device_id}")
        assert note_removed_knock(office, door.device_id)
    finally:
        office.close()
        door.close()
    return tmp_path / "office", tmp_path / "door"


def test_a_removed_laptop_says_so_in_status_and_after_each_command_that_writes(tmp_path: Path) -> None:
    _office, door = _removed_door(tmp_path)
    code, out, err = cli_in_process(door, "member", "add", "--name", "Walk-in Person")
    assert code == 0 and out.strip()  # the new id, as ever: a script reading it still works
    assert err.startswith("Note: this laptop was removed from the group. office laptop (Rosa) said so on ")
    assert ("At least 1 change made here since this laptop was told did not reach the group (1 member): it is kept "
            "on this laptop ") in err
    code, out, err = cli_in_process(door, "member", "list")
    assert code == 0 and err == ""  # reading writes nothing: no note

    code, out, _err = cli_in_process(door, "device", "list")
    assert code == 0 and "This laptop was told on " in out and "that it was removed from the group" in out
    code, out, _err = cli_in_process(door, "status")
    assert code == 0
    assert "this laptop is  removed from the group" in out
    removed = next(line for line in out.splitlines() if line.startswith("removed: "))
    assert removed.startswith("removed: office laptop (Rosa) said so on ")
    assert "At least 1 change made here since this laptop was told did not reach the group" in removed
    to_do = next(line for line in out.splitlines() if line.startswith("to do: "))
    assert "'organiser history --device \"door laptop\" --since " in to_do and "'organiser wipe --yes'" in to_do


def test_the_admins_status_says_the_removed_laptop_is_still_nearby(tmp_path: Path) -> None:
    office, _door = _removed_door(tmp_path)
    code, out, _err = cli_in_process(office, "status")
    assert code == 0
    nearby = [line for line in out.splitlines() if line.startswith("removed laptop nearby: ")]
    assert len(nearby) == 1 and nearby[0].startswith("removed laptop nearby: 'door laptop', which an admin removed "
                                                     "from the group, was here at ")
