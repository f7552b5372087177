"""`init`, `status --json`, `conflicts --json`, data folders and several groups side by side.
Through the program's entry point in the test process (`organiser_in_process`), except what
depends on the environment or happens before any group (real processes)."""

from __future__ import annotations

import stat
from pathlib import Path

from organiser.services.group import open_group
from tests.conftest import add_device, sync_pair


def test_init_then_status_shows_device_group_counts_vector_and_state_hash(organiser_in_process):
    organiser = organiser_in_process
    made = organiser("init", "--group", "Tenants Union", "--device-name", "door laptop")
    assert made.code == 0 and "Tenants Union" in made.out
    organiser("member", "add", "--name", "Ana")
    status = organiser("status", "--json").json()
    assert status["group"]["name"] == "Tenants Union"
    assert len(status["group"]["id"]) == 32
    assert len(status["device_id"]) == 32
    assert status["counts"]["member"] == 1 and status["counts"]["event"] == 0 and status["counts"]["task"] == 0
    assert status["version_vector"] == {status["device_id"]: 2}  # joining the roster, then Ana
    group = open_group(organiser.data_dir)
    try:  # the hash printed is the hash of what the group holds
        assert status["state_hash"] == group.replica.state_hash()
        assert stat.S_IMODE((group.path / "organiser.db").stat().st_mode) == 0o600
    finally:
        group.close()


def test_conflicts_json_lists_the_losing_value_and_resolve_restores_it(organiser_in_process, organiser, tmp_path):
    as_a_process, organiser = organiser, organiser_in_process
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door laptop").code == 0
    a = open_group(organiser.data_dir)
    b = add_device(a, tmp_path / "b", "minutes laptop")
    try:
        ana = a.members.add("Ana")
        sync_pair(a, b)
        a.members.edit(ana.id, name="Ana López")
        b.members.edit(ana.id, name="Ana Lopes")
        sync_pair(a, b)
        winner = a.members.get(ana.id).name
    finally:
        a.close()
        b.close()
    found = as_a_process("conflicts", "--json").json()
    assert len(found) == 1
    conflict = found[0]
    assert (conflict["kind"], conflict["record"], conflict["field"]) == ("member", ana.id, "name")
    assert conflict["current"] == winner
    assert conflict["value"] == ({"Ana López", "Ana Lopes"} - {winner}).pop()
    assert organiser("status", "--json").json()["conflicts"] == 1
    assert organiser("resolve", str(conflict["id"]), "--use-losing").code == 0
    assert organiser("member", "show", ana.id, "--json").json()["name"] == conflict["value"]
    assert organiser("conflicts", "--json").json() == []


def test_two_groups_side_by_side_and_group_chooses(organiser_in_process):
    organiser = organiser_in_process
    tenants = organiser("init", "--group", "Tenants Union", "--device-name", "laptop", "--json").json()
    choir = organiser("init", "--group", "Street Choir", "--device-name", "laptop", "--json").json()
    assert tenants["group"]["id"] != choir["group"]["id"]
    assert organiser("--group", tenants["group"]["id"][:6], "member", "add", "--name", "Ana").code == 0
    assert organiser("member", "add", "--name", "Bruno").code == 0  # the newest group is current
    in_tenants = organiser("--group", tenants["group"]["id"], "member", "list", "--json").json()
    in_choir = organiser("--group", choir["group"]["id"], "member", "list", "--json").json()
    assert [m["name"] for m in in_tenants] == ["Ana"]
    assert [m["name"] for m in in_choir] == ["Bruno"]
    wrong = organiser("--group", "zzzz", "status")
    assert wrong.code != 0 and "does not name exactly one group" in wrong.err


def test_data_dir_flag_beats_the_environment_which_beats_xdg(organiser, tmp_path, home):
    env_dir, xdg, flag_dir = tmp_path / "from-env", tmp_path / "xdg", tmp_path / "from-flag"
    assert organiser("init", "--group", "Via XDG", "--device-name", "x", data_dir=None,
                     env={"XDG_DATA_HOME": str(xdg)}).code == 0
    assert (xdg / "organiser" / "groups").is_dir()
    both = {"XDG_DATA_HOME": str(xdg), "ORGANISER_DATA_DIR": str(env_dir)}
    assert organiser("init", "--group", "Via env", "--device-name", "x", data_dir=None, env=both).code == 0
    assert (env_dir / "groups").is_dir()
    assert organiser("init", "--group", "Via flag", "--device-name", "x", data_dir=flag_dir, env=both).code == 0
    assert organiser("status", "--json", data_dir=None, env=both).json()["group"]["name"] == "Via env"
    assert organiser("status", "--json", data_dir=flag_dir, env=both).json()["group"]["name"] == "Via flag"
    assert organiser("status", "--json", data_dir=None,
                     env={"XDG_DATA_HOME": str(xdg)}).json()["group"]["name"] == "Via XDG"


def test_a_command_before_init_says_how_to_create_or_join_a_group(organiser):
    for command in (["status", "--json"], ["member", "list"]):
        result = organiser(*command)
        assert result.code != 0
        assert "organiser init --group NAME --device-name NAME" in result.err
        assert "join" in result.err
        assert result.out == ""
        assert not (organiser.data_dir / "groups").exists() or not any((organiser.data_dir / "groups").iterdir())


def test_device_commands_list_promote_demote_remove_and_policy(organiser_in_process):
    organiser = organiser_in_process
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door laptop").code == 0
    devices = organiser("device", "list", "--json").json()
    assert [(d["name"], d["admin"], d["removed"], d["this_device"]) for d in devices] == [
        ("door laptop", True, False, True)]
    refused = organiser("device", "demote", "door laptop")
    assert refused.code == 2 and "without an admin" in refused.err
    assert organiser("device", "remove", "no such laptop").code == 2  # bad input, as in every command
    assert organiser("device", "remove", "x", "--undo-since", "yesterday").code == 2
    assert organiser("group", "policy", "--members-may-invite", "yes", "--json").json() == {"members_may_invite": True}
    assert organiser("group", "policy", "--json").json() == {"members_may_invite": True}


def test_status_says_how_big_the_group_has_grown_on_this_device(organiser_in_process):
    """A year on, the secretary asks how big the group is: the changes it has kept since it
    began, and the room its database takes on this laptop."""
    run = organiser_in_process
    assert run("init", "--group", "Tenants Union", "--device-name", "door laptop").code == 0
    for name in ("Ana", "Bo", "Cy"):
        run("member", "add", "--name", name)
    status = run("status", "--json").json()
    database = Path(status["data_dir"]) / "organiser.db"
    assert status["size"]["changes"] == 4  # joining the roster, then three members
    assert status["size"]["bytes"] >= database.stat().st_size > 0  # with its journal, while open
    assert status["size"]["since"][:4].isdigit()
    shown = run("status").out
    assert "4 changes kept since " in shown
    assert " kB on this laptop" in shown
