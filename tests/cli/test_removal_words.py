"""Removing a stolen laptop says what is lost and how its member gets back in: the edits that never
left it are lost to the group (taken back is only what the admin chooses with --undo-since), the
member rejoins from a new laptop as a new device, and an admin's role is given again by hand."""

from __future__ import annotations

from tests.conftest import add_device, create_group, sync_pair


def test_removing_a_stolen_admin_laptop_says_what_is_lost_and_how_its_member_gets_back_in(
        organiser_in_process, tmp_path):
    admin = create_group(tmp_path / "admin", "Tenants Union", "admin laptop")
    member = add_device(admin, tmp_path / "member", "Ana's laptop")
    admin.membership.promote("Ana's laptop")
    sync_pair(admin, member)
    member.members.add("Written on Ana's laptop")
    sync_pair(admin, member)
    admin.close()
    member.close()
    removed = organiser_in_process("device", "remove", "Ana's laptop", data_dir=tmp_path / "admin")
    assert removed.code == 0, removed.err
    assert "taken back" not in removed.out  # nothing is: the admin holds all it has of it, and keeps it
    assert "never reached a laptop of the group is lost" in removed.out
    assert "new invite" in removed.out and "organiser device promote" in removed.out
    undone = organiser_in_process("device", "remove", "Ana's laptop", "--undo-since", "2000-01-01T00:00",
                                  data_dir=tmp_path / "admin")
    assert undone.code == 0 and "taken back" in undone.out


def test_the_remove_dialog_says_the_lost_laptops_unsynced_edits_are_lost_and_how_to_rejoin():
    from organiser.ui.devices_dialog import LOST

    assert "never reached another laptop is lost to the group" in LOST and "new invite" in LOST


def test_the_device_commands_speak_of_laptops_while_their_names_stay(organiser_in_process, tmp_path):
    """`organiser device …` keeps its name; what it prints to people says laptop, as the app does."""
    admin = create_group(tmp_path / "admin", "Tenants Union", "admin laptop")
    member = add_device(admin, tmp_path / "member", "Ana's laptop")
    admin.close()
    member.close()
    listed = organiser_in_process("device", "list", data_dir=tmp_path / "admin")
    assert listed.code == 0, listed.err
    assert listed.out.splitlines()[0].split() == ["id", "name", "let", "in", "by", "admin", "removed", "last",
                                                  "seen", "state"]
    assert "admin laptop (this laptop)" in listed.out
    removed = organiser_in_process("device", "remove", "Ana's laptop", data_dir=tmp_path / "admin")
    assert removed.code == 0, removed.err
    assert "it can no longer connect to the group's laptops" in removed.out
    assert "as a new laptop" in removed.out and "device" not in removed.out.replace("organiser device", "")
    helped = organiser_in_process("device", "remove", "--help", data_dir=tmp_path / "admin")
    assert "Remove a laptop from the group for good" in helped.out
