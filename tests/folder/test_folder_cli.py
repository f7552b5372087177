"""`organiser folder ...`, `invite --folder` and `join --folder`: a laptop far away joins and syncs
through a USB stick carried back and forth (`cp -r`), never meeting. The far laptop's commands run
as real processes, the office's through the program's entry point in the test process
(`organiser_in_process`): two laptops, two processes that share nothing but the stick."""

from __future__ import annotations

import shutil
import subprocess


def test_a_laptop_joins_and_syncs_through_a_usb_stick_carried_by_hand(organiser, organiser_in_process, tmp_path):
    at_office = organiser_in_process
    office, far = tmp_path / "office", tmp_path / "far"
    stick = tmp_path / "stick"
    stick.mkdir()
    assert at_office("init", "--group", "Tenants Union", "--device-name", "office laptop", data_dir=office).code == 0
    assert at_office("member", "add", "--name", "Ana", data_dir=office).code == 0
    invited = at_office("invite", "--folder", str(stick), "--expires", "7d", data_dir=office)
    assert invited.code == 0, invited.err
    code = invited.out.strip()
    assert code.startswith("ORGF-")
    # The stick travels: the far laptop has its own copy.
    copy = tmp_path / "far-copy"
    subprocess.run(["cp", "-r", str(stick), str(copy)], check=True)
    joined = organiser("join", "--folder", str(copy), code, "--device-name", "far laptop", data_dir=far)
    assert joined.code == 0, joined.err
    assert organiser("member", "add", "--name", "Written far away", data_dir=far).code == 0
    # Back to the office: the answer is there; the office admits the laptop and writes what it has.
    shutil.rmtree(stick)
    subprocess.run(["cp", "-r", str(copy), str(stick)], check=True)
    assert at_office("folder", "sync", str(stick), data_dir=office).code == 0
    devices = at_office("device", "list", "--json", data_dir=office).json()
    assert "far laptop" in [d["name"] for d in devices]
    # To the far laptop again: it is admitted, reads everything, writes its own changes.
    shutil.rmtree(copy)
    subprocess.run(["cp", "-r", str(stick), str(copy)], check=True)
    assert organiser("folder", "sync", str(copy), data_dir=far).code == 0
    assert organiser("folder", "sync", str(copy), data_dir=far).code == 0
    names = [m["name"] for m in organiser("member", "list", "--json", data_dir=far).json()]
    assert "Ana" in names
    # And back: the office has what was written far away.
    shutil.rmtree(stick)
    subprocess.run(["cp", "-r", str(copy), str(stick)], check=True)
    assert at_office("folder", "sync", str(stick), data_dir=office).code == 0
    names = [m["name"] for m in at_office("member", "list", "--json", data_dir=office).json()]
    assert "Written far away" in names
    hashes = {at_office("status", "--json", data_dir=office).json()["state_hash"],
              organiser("status", "--json", data_dir=far).json()["state_hash"]}
    assert len(hashes) == 1
    status = at_office("folder", "status", str(stick), "--json", data_dir=office).json()[0]
    assert {d["name"]: d["caught_up"] for d in status["devices"]} == {"office laptop": True, "far laptop": True}
    # The code admitted one device: a second answer with it is not taken.
    assert not list(stick.glob("*.invite"))


def test_bad_folder_input_exits_2_with_one_sentence(organiser_in_process, tmp_path):
    organiser = organiser_in_process  # sixteen commands; the other tests here run real processes
    assert organiser("init", "--group", "Tenants Union", "--device-name", "office laptop").code == 0
    missing = organiser("folder", "add", str(tmp_path / "nowhere"))
    assert missing.code == 2 and "is not a folder" in missing.err
    (tmp_path / "f").mkdir()
    assert organiser("folder", "add", str(tmp_path / "f")).code == 0
    again = organiser("folder", "add", str(tmp_path / "f"))
    assert again.code == 2 and "already" in again.err
    unknown = organiser("folder", "status", str(tmp_path / "other"))
    assert unknown.code == 2 and "not a sync folder" in unknown.err
    assert organiser("folder", "remove", str(tmp_path / "other")).code == 2
    assert organiser("folder").code == 2
    bad_code = organiser("join", "--folder", str(tmp_path / "f"), "ORGF-1111", "--device-name", "x",
                         data_dir=tmp_path / "other-data")
    assert bad_code.code == 2 and "code" in bad_code.err
    no_invite = organiser("join", "--folder", str(tmp_path / "f"), "ORGF-" + "A" * 32, "--device-name", "x",
                          data_dir=tmp_path / "other-data")
    assert no_invite.code != 0 and "no invite for this code" in no_invite.err
    status = organiser("folder", "status", "--json").json()
    assert [s["path"] for s in status] == [str(tmp_path / "f")]
    (tmp_path / "f").rename(tmp_path / "unplugged")
    gone = organiser("folder", "sync")
    assert gone.code == 1 and "is not there: plug the stick in" in gone.err and "Traceback" not in gone.err
    status = organiser("folder", "status", "--json").json()
    assert status[0]["reachable"] is False and "is not there" in status[0]["last_error"]
    (tmp_path / "unplugged").rename(tmp_path / "f")
    assert organiser("folder", "remove", str(tmp_path / "f")).code == 0
    assert organiser("folder", "status", "--json").json() == []


def test_folder_status_on_a_laptop_not_yet_admitted_says_to_carry_the_stick_back(organiser, organiser_in_process,
                                                                                 tmp_path):
    """From the folder walk: after 'join --folder' the far laptop's status listed the devices and
    nothing said its own changes wait until the stick has been back to the laptop that invited it."""
    at_office = organiser_in_process
    office, far, stick = tmp_path / "office", tmp_path / "far", tmp_path / "stick"
    stick.mkdir()
    assert at_office("init", "--group", "Tenants Union", "--device-name", "office laptop", data_dir=office).code == 0
    code = at_office("invite", "--folder", str(stick), data_dir=office).out.strip()
    assert organiser("join", "--folder", str(stick), code, "--device-name", "far laptop", data_dir=far).code == 0
    said = organiser("folder", "status", data_dir=far).out
    assert "waits to be admitted" in said and "office laptop" in said
    assert at_office("folder", "sync", data_dir=office).code == 0  # the stick back at the office: admitted
    assert organiser("folder", "sync", data_dir=far).code == 0
    assert "waits to be admitted" not in organiser("folder", "status", data_dir=far).out
