"""A USB stick's life, as an organiser carries one between laptops (from the folder walk):
pulled out (its mount point left behind as an empty folder), full, mounted read-only, and
shared with another group. Each time the folder's state says what happened and what to do,
and nothing is lost or half-applied."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from organiser.folder import layout
from organiser.services.folders import FolderUnavailable
from tests.folder.conftest import folders, hashes, make_group


def _refusing(code: int):
    def write_whole(path: Path, data: bytes) -> None:
        raise OSError(code, __import__("os").strerror(code), str(path))
    return write_whole


def stick_of(tmp_path: Path, *devices, sync: bool = True) -> Path:
    """A stick every one of `devices` has added (and, with `sync`, been through once)."""
    stick = tmp_path / "stick"
    stick.mkdir()
    for device in devices:
        folders(device).add(str(stick))
        if sync:
            folders(device).sync()
    return stick


def test_a_stick_pulled_out_leaves_its_empty_mount_point_where_nothing_is_written(tmp_path):
    """Unmounting leaves the mount point, an empty folder of the laptop's own disk. A pass there
    wrote the group's files onto the laptop and said every device had read everything; the
    stick's files were forgotten as 'deleted from the folder'."""
    a, b = make_group(tmp_path, 2)
    stick = tmp_path / "media" / "STICK"
    stick.mkdir(parents=True)
    folders(a).add(str(stick))
    folders(a).sync()
    pulled_out = tmp_path / "the stick, in a pocket"
    stick.rename(pulled_out)
    stick.mkdir()  # the mount point, left behind
    a.members.add("Written while the stick was out")
    with pytest.raises(FolderUnavailable) as refused:
        folders(a).sync()
    assert "plug the stick in" in str(refused.value).lower() and "remove it here and add it again" in str(refused.value)
    assert list(stick.iterdir()) == []  # nothing written on the laptop's own disk
    status = folders(a).status(str(stick))
    assert "plug the stick in" in status["last_error"].lower()
    assert not [p for p in status["problems"] if p["why"] == "deleted from the folder"]
    # Plugged in again: the stick's files are as they were, and the new change goes there.
    stick.rmdir()
    pulled_out.rename(stick)
    report = folders(a).sync()[0]
    assert report.written == 1 and not report.problems
    folders(b).add(str(stick))
    folders(b).sync()
    assert len(hashes([a, b])) == 1
    assert folders(a).status(str(stick))["last_error"] == ""


def test_a_folder_emptied_and_added_again_is_used(tmp_path):
    """The way out the refusal names: a folder emptied on purpose is removed and added again."""
    a, _b = make_group(tmp_path, 2)
    shared = tmp_path / "shared"
    shared.mkdir()
    folders(a).add(str(shared))
    folders(a).sync()
    for device_dir in shared.iterdir():
        for file in device_dir.iterdir():
            file.unlink()
        device_dir.rmdir()
    with pytest.raises(FolderUnavailable):
        folders(a).sync()
    folders(a).remove(str(shared))
    folders(a).add(str(shared))
    assert folders(a).sync()[0].written > 0


def test_a_full_stick_says_to_make_room_and_the_change_goes_once_there_is_room(tmp_path, monkeypatch):
    a, b = make_group(tmp_path, 2)
    stick = stick_of(tmp_path, a, b)
    a.members.add("Waiting for room")
    with monkeypatch.context() as m:
        m.setattr(layout, "write_whole", _refusing(errno.ENOSPC))
        with pytest.raises(FolderUnavailable) as refused:
            folders(a).sync()
    said = str(refused.value)
    assert "full" in said and "make room" in said and "No space left" not in said
    assert folders(a).status(str(stick))["last_error"] == said
    assert not list(stick.rglob(layout.TEMP_PREFIX + "*"))
    folders(a).sync()
    folders(b).sync()
    assert len(hashes([a, b])) == 1


def test_a_read_only_stick_is_still_read_and_says_this_laptops_changes_were_not_written(tmp_path, monkeypatch):
    a, b = make_group(tmp_path, 2)
    stick_of(tmp_path, a, b)
    b.members.add("From the other laptop")
    folders(b).sync()
    a.members.add("Not written yet")
    with monkeypatch.context() as m:
        m.setattr(layout, "write_whole", _refusing(errno.EROFS))
        with pytest.raises(FolderUnavailable) as refused:
            folders(a).sync()
    said = str(refused.value)
    assert "read-only" in said and "1 new change" in said and "not written" in said
    assert "From the other laptop" in [m.name for m in a.members.list()]
    folders(a).sync()
    folders(b).sync()
    assert len(hashes([a, b])) == 1


@pytest.mark.parametrize("left", [0, 200], ids=["empty", "cut short"])
def test_a_segment_cut_short_when_the_stick_was_pulled_out_is_written_again_and_deleted_by_its_device(
        tmp_path, left):
    """From the folder walk: a segment cut short (the stick pulled out while it was written)
    was written again by its device, but stayed, said 'unreadable' on every laptop for good."""
    a, b = make_group(tmp_path, 2)
    stick = stick_of(tmp_path, a, b, sync=False)
    a.members.add("Ana")
    folders(a).sync()
    b.members.add("Bruno")
    folders(b).sync()
    own = [p for p in stick.iterdir() if (p / "card").exists()]
    a_segment = [s for d in own for s in d.glob("*.seg")
                 if folders(a).status(str(stick))["writes_in"] == str(d)][0]
    b_segment = [s for d in own for s in d.glob("*.seg")
                 if folders(b).status(str(stick))["writes_in"] == str(d)][0]
    with a_segment.open("r+b") as file:
        file.truncate(left)
    with b_segment.open("r+b") as file:
        file.truncate(left)
    folders(a).sync()
    assert not a_segment.exists()  # its own: written again, and the cut-short copy deleted
    assert b_segment.exists()  # another device's file: only its writer deletes it
    assert [p["path"] for p in folders(a).status(str(stick))["problems"]] == [
        b_segment.relative_to(stick).as_posix()]
    folders(b).sync()
    assert not b_segment.exists()
    folders(a).sync()
    assert len(hashes([a, b])) == 1
    for device in (a, b):
        assert folders(device).status(str(stick))["problems"] == []


def test_a_stick_two_groups_use_says_the_other_groups_files_once_per_device_and_mixes_nothing(tmp_path):
    """From the folder walk: every file of the other group was listed, one line each ('unreadable:
    it is sealed with a folder key this device does not hold'), a list growing with each of
    their segments and saying nothing of what it is or what to do."""
    from organiser.services.group import create_group

    a, b = make_group(tmp_path, 2)
    food_bank = create_group(tmp_path / "food", "Food Bank", "van laptop")
    try:
        stick = tmp_path / "stick"
        stick.mkdir()
        for device in (a, b, food_bank):
            folders(device).add(str(stick))
        for n in range(3):  # three passes, three segments each
            a.members.add(f"Tenant {n}")
            food_bank.members.add(f"Volunteer {n}")
            for device in (a, food_bank, b):
                folders(device).sync()
        assert len(hashes([a, b])) == 1
        assert not [m for m in a.members.list() if m.name.startswith("Volunteer")]
        assert not [m for m in food_bank.members.list() if m.name.startswith("Tenant")]
        theirs = Path(folders(food_bank).status(str(stick))["writes_in"]).name
        for device in (a, b):
            said = folders(device).status(str(stick))["problems"]
            assert len(said) == 1 and said[0]["path"] == theirs + "/"
            assert "another group" in said[0]["why"] and "left alone" in said[0]["why"]
        report = folders(a).sync()[0]
        assert [p["path"] for p in report.problems] in ([], [theirs + "/"])
    finally:
        food_bank.close()


def test_an_invite_used_while_the_stick_was_out_is_deleted_from_it_once_it_is_back(tmp_path):
    """From the folder walk: the pass after an admission deletes the invite's files (they hold the
    group's credentials for whoever has the code). Made while the stick was out, it deleted nothing,
    forgot the invite, and its files stayed on the stick for good."""
    from organiser.services.folder_invites import make_folder_invite, redeem_folder_invite

    a, _b = make_group(tmp_path, 2)
    stick = tmp_path / "media" / "STICK"
    stick.mkdir(parents=True)
    folders(a).add(str(stick))
    folders(a).sync()
    code = make_folder_invite(a, str(stick), 3600)
    far = redeem_folder_invite(tmp_path / "far", str(stick), code, "far laptop")
    try:
        folders(a).sync()  # admits it
        assert "far laptop" in {d.get("name") for d in a.devices()}
        pocket = tmp_path / "pocket"
        stick.rename(pocket)
        stick.mkdir()  # the mount point left behind
        with pytest.raises(FolderUnavailable):
            folders(a).sync()
        stick.rmdir()
        pocket.rename(stick)
        folders(a).sync()
        assert not list(stick.glob("*.invite")) and not list(stick.glob("*.request"))
    finally:
        far.close()


def test_the_card_of_a_laptop_admitted_in_the_same_pass_is_taken_not_said_unsigned(tmp_path):
    """From the folder walk: a laptop that read the far laptop's card and its admission from the
    stick in one pass said 'a device card not signed by a device of this group' (the card was read
    before the admission), as if someone had forged it, until its next pass."""
    from organiser.services.folder_invites import make_folder_invite, redeem_folder_invite

    a, b = make_group(tmp_path, 2)
    stick = stick_of(tmp_path, a, b)
    code = make_folder_invite(a, str(stick), 3600)
    far = redeem_folder_invite(tmp_path / "far", str(stick), code, "far laptop")
    try:
        folders(a).sync()  # admits it
        folders(far).sync()  # learns of it, leaves its card
        report = folders(b).sync()[0]  # the admission and the card, in one pass
        assert report.problems == []
        rows = {d["name"]: d for d in folders(b).status(str(stick))["devices"]}
        assert rows["far laptop"]["reads_folder"] and folders(b).status(str(stick))["problems"] == []
    finally:
        far.close()


def test_the_sticks_own_documents_are_said_once_not_one_line_each(tmp_path):
    """From the folder walk: a stick that also carries the union's documents listed each of them
    as 'not a file Organiser writes' (the dialog's state: '30 files ignored', as if something were
    wrong)."""
    a, b = make_group(tmp_path, 2)
    stick = tmp_path / "STICK"
    stick.mkdir()
    for n in range(28):
        (stick / f"minutes-{n}.pdf").write_bytes(b"%PDF")
    (stick / "Photos").mkdir()
    (stick / "flyer.odt.part").write_bytes(b"")  # still arriving: said on its own
    for device in (a, b):
        folders(device).add(str(stick))
        folders(device).sync()
    said = folders(a).status(str(stick))["problems"]
    others = [p for p in said if "not Organiser's" in p["why"]]
    assert len(others) == 1 and "29" in others[0]["why"] and "folder of its own" in others[0]["why"]
    assert any(p["path"] == "flyer.odt.part" for p in said)
    assert len(said) == 2
    assert len(hashes([a, b])) == 1


def test_a_half_written_file_left_by_a_write_cut_off_goes_at_its_devices_next_pass(tmp_path):
    """A write cut off (the program killed, the stick pulled out) leaves its temporary file; it
    stayed on the stick for good. Its device deletes it once it is too old to be a write going
    on; one of another device, or a fresh one, is left."""
    import os
    import time

    a, b = make_group(tmp_path, 2)
    stick = stick_of(tmp_path, a, b, sync=False)
    for device in (a, b):
        device.members.add(f"written by {device.device_name}")
        folders(device).sync()
    a_dir = Path(folders(a).status(str(stick))["writes_in"])
    b_dir = Path(folders(b).status(str(stick))["writes_in"])
    two_hours_ago = time.time() - 7200
    left = {}
    for name, folder, old in (("a-old", a_dir, True), ("a-new", a_dir, False), ("b-old", b_dir, True)):
        left[name] = folder / f"{layout.TEMP_PREFIX}{name}"
        left[name].write_bytes(b"half a segment")
        if old:
            os.utime(left[name], (two_hours_ago, two_hours_ago))
    folders(a).sync()
    assert not left["a-old"].exists()
    assert left["a-new"].exists() and left["b-old"].exists()  # still being written; another device's
    folders(b).sync()
    assert not left["b-old"].exists()
    assert len(hashes([a, b])) == 1
