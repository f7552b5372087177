"""A removed device: the folder key rotates, it cannot read what follows, its new segments are refused."""

from __future__ import annotations

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
    assert any("key this device does not hold" in p["why"] for p in report.problems)
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
