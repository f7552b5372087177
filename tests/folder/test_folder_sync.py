"""Devices syncing through a plain shared folder: each writes its own segments, reads the others'."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from organiser.folder import crypto, layout
from organiser.folder.segments import encode_segment
from organiser.services.folder_pass import Keyring
from tests.folder.conftest import folders, hashes, make_group


def test_two_devices_converge_through_one_folder(tmp_path):
    a, b = make_group(tmp_path, 2)
    shared = tmp_path / "shared"
    shared.mkdir()
    folders(a).add(str(shared))
    folders(b).add(str(shared))
    for i in range(30):
        a.members.add(f"Ana {i}")
    bruno = b.members.add("Bruno")
    folders(a).sync()
    report = folders(b).sync()[0]
    assert report.applied == 30 and report.written == 1
    folders(a).sync()
    assert a.members.get(bruno.id).name == "Bruno"
    assert len(hashes([a, b])) == 1
    status = folders(a).status(str(shared))
    assert {d["name"]: (d["in_folder"], d["caught_up"]) for d in status["devices"]} == {
        "door laptop": (a.replica.version_vector()[a.device_id], True), "laptop 1": (b.replica.version_vector()[
            b.device_id], True)}
    assert status["problems"] == []


def test_nothing_in_the_folder_names_the_group_or_its_people(tmp_path):
    a, b = make_group(tmp_path, 2)
    shared = tmp_path / "shared"
    shared.mkdir()
    folders(a).add(str(shared))
    a.members.add("Conchita Verysecretname", emails=["conchita@example.org"])
    folders(a).sync()
    everything = b"".join(p.read_bytes() + p.name.encode() + p.parent.name.encode()
                          for p in shared.rglob("*") if p.is_file())
    for secret in (b"Conchita", b"conchita@example.org", b"Tenants", a.id.encode(), a.device_id.encode(),
                   b.device_id.encode()):
        assert secret not in everything


def own_folder(device) -> str:
    return crypto.device_folder_name(Keyring(device.replica).names, device.device_id)


def carry(origins: dict[str, Path], target: Path, rng: random.Random, share: float = 0.5) -> None:
    """A folder tool's delivery: some files reach `target` now from the copy of the device that
    wrote them (`origins`: device folder -> its copy), in random order, some cut short on the
    way (whole on a later round); never into target's own device folder."""
    files = [(src, p.relative_to(src)) for name, src in origins.items() if src != target
             for p in (src / name).glob("*") if p.is_file() and not p.name.startswith(layout.TEMP_PREFIX)]
    rng.shuffle(files)
    for src, rel in files:
        if rng.random() > share:
            continue
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        data = (src / rel).read_bytes()
        if share < 1 and rng.random() < 0.2:
            data = data[: rng.randint(0, len(data))]  # still arriving
        if not dest.exists() or dest.read_bytes() != data:
            dest.write_bytes(data)


def test_three_devices_with_their_own_copies_delivered_in_random_order(tmp_path):
    devices = make_group(tmp_path, 3)
    copies = [tmp_path / f"copy{i}" for i in range(3)]
    for device, copy in zip(devices, copies, strict=True):
        copy.mkdir()
        folders(device).add(str(copy))
    origins = {own_folder(device): copy for device, copy in zip(devices, copies, strict=True)}
    rng = random.Random(16)
    for round_ in range(12):
        for i, device in enumerate(devices):
            for _ in range(rng.randint(0, 3)):
                device.tasks.add(f"Task {round_}.{i}.{rng.randint(0, 999)}")
            if rng.random() < 0.7:
                folders(device).sync()
        for copy in copies:
            carry(origins, copy, rng)
    # Then the tool catches up: every file whole in every copy, and a pass on each device.
    for _ in range(2):
        for copy in copies:
            carry(origins, copy, rng, share=1)
        for device in devices:
            folders(device).sync()
    for copy in copies:
        carry(origins, copy, rng, share=1)
    assert len(hashes(devices)) == 1
    assert len(devices[0].tasks.list()) == sum(1 for _ in devices[1].tasks.list())
    for device, copy in zip(devices, copies, strict=True):
        status = folders(device).status(str(copy))
        assert all(d["caught_up"] for d in status["devices"])


def test_conflict_copies_cut_short_files_and_a_strangers_files_are_reported_and_never_applied(tmp_path):
    a, b = make_group(tmp_path, 2)
    side_a, side_b = tmp_path / "a-side", tmp_path / "b-side"
    side_a.mkdir()
    side_b.mkdir()
    folders(a).add(str(side_a))
    folders(b).add(str(side_b))
    for i in range(20):
        a.members.add(f"Member {i}")
    folders(a).sync()
    own = next(p for p in side_a.iterdir() if p.is_dir())
    segment = own / "00000001.seg"
    (side_b / own.name).mkdir()
    # cut short: the tool is still copying it
    (side_b / own.name / segment.name).write_bytes(segment.read_bytes()[:-100])
    # the tool's conflict copy of it, and a duplicate under another name
    (side_b / own.name / "00000001.sync-conflict-20261126-120000-ABCDEFG.seg").write_bytes(segment.read_bytes())
    (side_b / own.name / "00000001 (conflicted copy 2026-11-26).seg").write_bytes(segment.read_bytes())
    # Syncthing's partial copies: of a segment (still arriving), and of a writer's temporary file
    # renamed away meanwhile (never completes; Syncthing deletes it a day later: not said)
    (side_b / own.name / ".syncthing.00000002.seg.tmp").write_bytes(b"part")
    (side_b / own.name / f".syncthing.{layout.TEMP_PREFIX}66973af3f3e0.tmp").write_bytes(b"part")
    # a stranger's device folder and a file of nobody's
    (side_b / "0123456789abcdef01234567").mkdir()
    (side_b / "0123456789abcdef01234567" / "00000001.seg").write_bytes(crypto.MAGIC + bytes(200))
    (side_b / "notes.txt").write_text("hello")
    report = folders(b).sync()[0]
    assert report.applied == 0
    assert not b.members.list()
    why = {p["path"]: p["why"] for p in folders(b).status(str(side_b))["problems"]}
    assert "cut short" in why[f"{own.name}/00000001.seg"] or "authenticate" in why[f"{own.name}/00000001.seg"]
    assert "conflict copy" in why[f"{own.name}/00000001.sync-conflict-20261126-120000-ABCDEFG.seg"]
    assert "conflict copy" in why[f"{own.name}/00000001 (conflicted copy 2026-11-26).seg"]
    assert "still arriving" in why[f"{own.name}/.syncthing.00000002.seg.tmp"]
    assert not [p for p in why if layout.TEMP_PREFIX in p]
    assert "key this laptop does not hold" in why["0123456789abcdef01234567/"]  # once per device folder
    assert "1 file or folder beside the laptops' folders that are not Organiser's" in why["./"]  # notes.txt
    # the whole file arrives: applied, and the conflict copies are still only reported
    shutil.copy2(segment, side_b / own.name / segment.name)
    assert folders(b).sync()[0].applied == 20
    assert len(hashes([a, b])) == 1
    # a duplicate of a segment under the next number is authenticated to its own name only
    shutil.copy2(segment, side_b / own.name / "00000002.seg")
    assert folders(b).sync()[0].applied == 0
    assert "authenticate" in {p["path"]: p["why"] for p in folders(b).status(str(side_b))["problems"]}[
        f"{own.name}/00000002.seg"]


def test_a_sealed_segment_with_one_bad_changeset_is_refused_whole(tmp_path):
    a, b = make_group(tmp_path, 2)
    shared = tmp_path / "shared"
    shared.mkdir()
    folders(b).add(str(shared))
    good = [a.replica.commit_batch([a.members.build_add({"name": f"M{i}"})[1]])[0] for i in range(3)]
    rows = [(cs.author, cs.seq, cs.body, cs.signature) for cs in good]
    rows.insert(1, (a.device_id, 99, b'{"not": "a changeset"}', bytes(64)))
    plain, _info = encode_segment(a.device_id, a.id, rows)
    keys = Keyring(a.replica)
    own = crypto.device_folder_name(keys.names, a.device_id)
    rel = f"{own}/00000001.seg"
    layout.write_whole(shared / rel, crypto.seal(keys.newest, plain, rel))
    report = folders(b).sync()[0]
    assert report.applied == 0 and not b.members.list()
    assert "malformed" in {p["path"]: p["why"] for p in report.problems}[rel]


def test_a_deleted_segment_is_reported_and_written_again_by_its_device(tmp_path):
    a, b = make_group(tmp_path, 2)
    shared = tmp_path / "shared"
    shared.mkdir()
    folders(a).add(str(shared))
    a.members.add("Ana")
    folders(a).sync()
    segment = next(shared.rglob("00000001.seg"))
    segment.unlink()
    assert "deleted from the folder" in [p["why"] for p in folders(a).status(str(shared))["problems"]]
    report = folders(a).sync()[0]
    assert report.written > 0 and (segment.parent / "00000002.seg").exists()
    folders(b).add(str(shared))
    folders(b).sync()
    assert len(hashes([a, b])) == 1


def test_entries_a_removal_took_back_reach_a_device_that_syncs_only_through_the_folder(tmp_path):
    """Two admins remove each other before hearing of it, and d2's removal of d1 ends up kept
    aside on d0 (d1, the senior, removed d2). d3 syncs only through the folder: it must hold and
    evaluate that entry too, or it could show another roster once the race is reopened."""
    from tests.conftest import admins_removing_each_other

    d = make_group(tmp_path, 4)
    admins_removing_each_other(d)
    kept = d[0].replica.kept_aside_entries({})
    assert kept and not d[3].replica.kept_aside_entries({})
    shared = tmp_path / "shared"
    shared.mkdir()
    folders(d[0]).add(str(shared))
    folders(d[3]).add(str(shared))
    for _round in range(2):  # the first round shares the folder keys (d3's card, then d0's keys for it)
        folders(d[0]).sync()
        folders(d[3]).sync()
    assert ([(m.id, m.admin, m.removed, m.kept) for m in d[3].membership.list()]
            == [(m.id, m.admin, m.removed, m.kept) for m in d[0].membership.list()])
    assert [cs.hash for cs in d[3].replica.kept_aside_entries({})] == [cs.hash for cs in kept]
    assert len(hashes([d[0], d[3]])) == 1
