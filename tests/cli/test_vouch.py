"""`organiser device vouch`: an admin admits again a laptop a member let in at the door, so that it
may invite in turn (invitations by members reach one step, core/membership.py); before that, the
laptop's own `organiser invite` is refused with a sentence saying why and what to ask for."""

from __future__ import annotations

from tests.conftest import add_device, create_group, sync_all, waiting_scene


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
    assert "clicks it in Laptops, then Vouch… (or Make admin)" in shown and "organiser device list" not in shown


def test_device_list_shows_the_laptops_waiting_for_an_admin_and_vouch_says_what_it_brought_back(
        organiser_in_process, tmp_path):
    """Members invited before invitations by members reached one step: the door laptop let in the
    middle laptop, which let in the minutes laptop, now out of the group."""
    for g in waiting_scene(tmp_path):
        g.close()

    listed = organiser_in_process("device", "list", data_dir=tmp_path / "office")
    assert listed.code == 0, listed.err
    rows = {line.split()[1]: line for line in listed.out.splitlines()[1:] if line.split()[1:2]}
    assert rows["minutes"].rstrip().endswith("waiting for an admin") and "middle laptop" in rows["minutes"]
    assert rows["middle"].rstrip().endswith("member, let in by a member")
    assert "1 laptop waits for an admin" in listed.out and "organiser device vouch NAME" in listed.out
    as_json = {d["name"]: d for d in organiser_in_process("device", "list", "--json",
                                                          data_dir=tmp_path / "office").json()}
    assert as_json["minutes laptop"]["state"] == "waiting for an admin"
    assert as_json["minutes laptop"]["admitted_by_name"] == "middle laptop"
    assert as_json["door laptop"]["state"] == "member" and as_json["office laptop"]["state"] == "admin"

    vouched = organiser_in_process("device", "vouch", "middle laptop", "--yes", data_dir=tmp_path / "office")
    assert vouched.code == 0, vouched.err
    assert "'middle laptop' is now admitted by this admin" in vouched.out
    assert "comes in with it" in vouched.out and "'minutes laptop'" in vouched.out
    after = {d["name"]: d for d in organiser_in_process("device", "list", "--json",
                                                        data_dir=tmp_path / "office").json()}
    assert after["minutes laptop"]["state"] == after["middle laptop"]["state"] == "member"
    assert after["minutes laptop"]["admitted_by_name"] == "office laptop"
    assert "waits for an admin" not in organiser_in_process("device", "list", data_dir=tmp_path / "office").out


def test_an_admin_removes_a_laptop_waiting_for_an_admin_and_no_vouch_brings_it_back(organiser_in_process, tmp_path):
    for g in waiting_scene(tmp_path, "stranger's laptop"):
        g.close()

    removed = organiser_in_process("device", "remove", "stranger's laptop", data_dir=tmp_path / "office")
    assert removed.code == 0, removed.err
    assert "which waited for an admin: no admission of it counts from now on" in removed.out
    listed = organiser_in_process("device", "list", "--json", data_dir=tmp_path / "office").json()
    assert "stranger's laptop" not in {d["name"] for d in listed}
    vouched = organiser_in_process("device", "vouch", "middle laptop", "--yes", data_dir=tmp_path / "office")
    assert vouched.code == 0, vouched.err
    assert "stranger" not in vouched.out  # it brought nothing with it
    listed = organiser_in_process("device", "list", "--json", data_dir=tmp_path / "office").json()
    assert "stranger's laptop" not in {d["name"] for d in listed}


def test_device_list_json_says_on_stderr_how_many_waiting_laptops_it_left_out(organiser_in_process, tmp_path,
                                                                             monkeypatch):
    """A puppets' flood: the list stops at MAX_LISTED; with --json the output stays one JSON list a
    script reads, and the sentence saying how many more wait goes to stderr for the person."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from organiser.core.changeset import GENESIS, sign_changeset
    from organiser.core.keys import device_id_for, public_key_hex
    from organiser.store import waiting_devices
    from tests.bad_peer import BadPeer, admission

    office = create_group(tmp_path / "office", "Tenants Union", "office laptop")
    office.membership.set_policy(members_may_invite=True)
    door = add_device(office, tmp_path / "door", "door laptop")
    sync_all([office, door])
    puppets = [Ed25519PrivateKey.generate() for _ in range(2)]
    office.replica.apply([BadPeer(door).sign([admission(public_key_hex(k), f"puppet {i}")
                                              for i, k in enumerate(puppets)])])
    for i, key in enumerate(puppets):
        office.replica.apply([sign_changeset(key, office.id, device_id_for(public_key_hex(key)), 1, GENESIS,
                                             office.replica.clock.now(),
                                             [admission(public_key_hex(Ed25519PrivateKey.generate()), f"guest {i}")])])
    for g in (office, door):
        g.close()
    monkeypatch.setattr(waiting_devices, "MAX_LISTED", 1)

    listed = organiser_in_process("device", "list", "--json", data_dir=tmp_path / "office")
    assert listed.code == 0, listed.err
    assert {d["name"] for d in listed.json()} >= {"office laptop", "door laptop", "puppet 0", "puppet 1"}
    assert "More laptops wait than listed" in listed.err
