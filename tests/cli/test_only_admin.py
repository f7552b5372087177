"""The only admin's laptop lost: the command line says, while there is time, that the group has
one admin and how to make a second; a member refused a removal hears why nobody else can do it."""

from __future__ import annotations

from tests.conftest import add_device, create_group, sync_pair


def test_device_list_warns_of_a_single_admin_and_a_member_hears_why_it_cannot_remove_it(
        organiser_in_process, tmp_path):
    admin = create_group(tmp_path / "admin", "Tenants Union", "admin laptop")
    member = add_device(admin, tmp_path / "member", "Ana's laptop")
    sync_pair(admin, member)
    admin.close()
    member.close()
    listed = organiser_in_process("device", "list", data_dir=tmp_path / "admin")
    assert listed.code == 0
    assert "this laptop is the group's only admin" in listed.out
    assert "organiser device promote" in listed.out
    told = organiser_in_process("device", "list", data_dir=tmp_path / "member")
    assert "'admin laptop' is the group's only admin" in told.out
    refused = organiser_in_process("device", "remove", "admin laptop", data_dir=tmp_path / "member")
    assert refused.code == 2
    assert "'admin laptop' is the group's only admin" in refused.err and "new group" in refused.err
    assert organiser_in_process("device", "promote", "Ana's laptop", data_dir=tmp_path / "admin").code == 0
    assert "only admin" not in organiser_in_process("device", "list", data_dir=tmp_path / "admin").out
