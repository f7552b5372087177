"""A removed device: the folder key rotates, it cannot read what follows, its new segments are refused."""

from __future__ import annotations

import shutil

from organiser.store import folders as store
from tests.folder.conftest import folders, hashes, make_group


def test_a_removed_device_cannot_read_later_segments_and_its_new_ones_are_refused(tmp_path):
    admin, member, leaver = make_group(tmp_path, 3)
    shared = tmp_path / "shared"
    shared.mkdir()
    for device in (admin, member, leaver):
        folders(device).add(str(shared))
    admin.members.add("Ana")
    for _ in range(2):
        for device in (admin, member, leaver):
            folders(device).sync()
    assert len(hashes([admin, member, leaver])) == 1

    admin.membership.remove("laptop 2")
    secret = admin.members.add("Said after the removal")
    folders(admin).sync()  # the removal and the new member, under the new key; the key sealed to 'laptop 1'
    assert len(store.epoch_secrets(admin.db)) == 2

    # The member learns of the removal through the folder only: from the key sealed to it.
    folders(member).sync()
    assert member.members.get(secret.id).name == "Said after the removal"
    assert member.membership.find("laptop 2", include_removed=True).removed

    # The removed device cannot read them, and does not learn of its own removal.
    report = folders(leaver).sync()[0]
    assert report.applied == 0
    assert any("key this laptop does not hold" in p["why"] for p in report.problems)
    assert not [m for m in leaver.members.list() if m.name == "Said after the removal"]
    late = leaver.members.add("Written after being removed")
    folders(leaver).sync()

    # Its new segments are refused by both members, and said so.
    for device in (admin, member):
        report = folders(device).sync()[0]
        assert report.applied == 0 and report.refused >= 1
        assert not [m for m in device.members.list() if m.id == late.id]
        assert any("removed" in p["why"] for p in folders(device).status(str(shared))["problems"])
    assert admin.replica.state_hash() == member.replica.state_hash()

    # What members write later stays unreadable to it.
    member.tasks.add("Plan the next assembly")
    folders(member).sync()
    folders(leaver).sync()
    assert not leaver.tasks.list()


def test_a_member_whose_copy_gets_the_new_segments_before_the_key_reads_them_once_it_arrives(tmp_path):
    admin, member, leaver = make_group(tmp_path, 3)
    side_admin, side_member = tmp_path / "admin-side", tmp_path / "member-side"
    side_admin.mkdir()
    side_member.mkdir()
    folders(admin).add(str(side_admin))
    folders(member).add(str(side_member))
    folders(member).sync()  # its card, with its exchange key
    shutil.copytree(side_member, side_admin, dirs_exist_ok=True)
    folders(admin).sync()
    admin.membership.remove("laptop 2")
    after = admin.members.add("After the removal")
    folders(admin).sync()
    own = next(p for p in side_admin.iterdir() if p.is_dir() and (p / "keys").exists())
    # The folder tool delivers the segments first, the key file later.
    for segment in own.glob("*.seg"):
        (side_member / own.name).mkdir(exist_ok=True)
        shutil.copy2(segment, side_member / own.name / segment.name)
    report = folders(member).sync()[0]
    assert report.applied == 0 and any("does not hold" in p["why"] for p in report.problems)
    shutil.copy2(own / "keys", side_member / own.name / "keys")
    folders(member).sync()
    assert member.members.get(after.id).name == "After the removal"
    assert member.replica.state_hash() == admin.replica.state_hash()


def test_a_removal_made_while_the_app_runs_seals_no_new_key_to_the_removed_laptop(tmp_path):
    """Attack, from the folder walk: the admin removes a laptop while the app runs (its window, or
    the command line beside it: another connection than the folder watcher's). The watcher's
    connection kept the roster it had read before, so it sealed the new folder key to the removed
    laptop's card, and that laptop, still holding the stick, read its own removal and everything
    written after it; what it wrote after its removal was read as a member's."""
    import asyncio

    from organiser.services.folders import FolderWatcher

    admin, member, leaver = make_group(tmp_path, 3)
    shared = tmp_path / "shared"
    shared.mkdir()
    for device in (admin, member, leaver):
        folders(device).add(str(shared))
    for _ in range(2):
        for device in (admin, member, leaver):
            folders(device).sync()
    late = leaver.members.add("Written after being removed")  # not yet in the folder

    async def the_app_runs() -> None:
        watcher = FolderWatcher(admin.replica)
        try:
            await watcher.pass_now()  # the watcher's connection reads the roster
            admin.membership.remove("laptop 2")  # the window's Remove laptop…, its own connection
            said.append(admin.members.add("Said after the removal"))
            await watcher.pass_now()
            folders(leaver).sync()  # the removed laptop writes what it wrote meanwhile, under the old key
            await watcher.pass_now()
        finally:
            await watcher.stop()

    said: list = []
    asyncio.run(the_app_runs())
    secret = said[0]
    assert store.received_keys(leaver.db) == []
    folders(leaver).sync()
    assert not [m for m in leaver.members.list() if m.name == "Said after the removal"]
    assert not leaver.membership.find("laptop 2", include_removed=True).removed  # never told
    assert not [m for m in admin.members.list() if m.id == late.id]
    folders(member).sync()
    assert member.members.get(secret.id).name == "Said after the removal"
    assert not [m for m in member.members.list() if m.id == late.id]
    assert admin.replica.state_hash() == member.replica.state_hash()
