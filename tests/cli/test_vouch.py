"""`organiser device vouch`: an admin admits again a laptop a member let in at the door, so that it
may invite in turn (invitations by members reach one step, core/membership.py); before that, the
laptop's own `organiser invite` is refused with a sentence saying why and what to ask for."""

from __future__ import annotations

from tests.conftest import add_device, create_group, sync_all


def test_a_laptop_a_member_let_in_may_invite_once_an_admin_vouches_for_it(organiser_in_process, tmp_path):
    admin = create_group(tmp_path / "admin", "Tenants Union", "admin laptop")
    admin.membership.set_policy(members_may_invite=True)
    member = add_device(admin, tmp_path / "member", "Ana's laptop")
    sync_all([admin, member])
    newcomer = add_device(member, tmp_path / "newcomer", "Bo's laptop")
    sync_all([admin, member, newcomer], rounds=2)
    for g in (admin, member, newcomer):
        g.close()

    refused = organiser_in_process("invite", data_dir=tmp_path / "newcomer")
    assert refused.code == 2
    assert "admitted by a member, not by an admin" in refused.err and "organiser device vouch" in refused.err
    not_admin = organiser_in_process("device", "vouch", "Bo's laptop", data_dir=tmp_path / "member")
    assert not_admin.code == 2 and "only an admin" in not_admin.err
    vouched = organiser_in_process("device", "vouch", "Bo's laptop", data_dir=tmp_path / "admin")
    assert vouched.code == 0, vouched.err
    assert "'Bo's laptop' is now admitted by this admin" in vouched.out
    again = organiser_in_process("device", "vouch", "Bo's laptop", data_dir=tmp_path / "admin")
    assert again.code == 2 and "admitted by an admin already" in again.err
    listed = organiser_in_process("device", "list", "--json", data_dir=tmp_path / "admin").json()
    assert {d["name"]: d["admitted_by_name"] for d in listed}["Bo's laptop"] == "admin laptop"


def test_the_window_says_what_an_admin_clicks_where_the_command_line_names_commands():
    from organiser.services.devices import ADMITTED_BY_A_MEMBER
    from organiser.ui.wording import in_the_window

    shown = in_the_window(ADMITTED_BY_A_MEMBER)
    assert "Make admin in Peers & group" in shown and "organiser device list" not in shown
