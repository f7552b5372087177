"""Files in a shared folder that are not what they seem, from a stranger with write access to
the folder (no keys) or a member who links a device's folder elsewhere. Pinned here:

- a device numbers its segments from what it wrote (its database, its own segments that open),
  skips names something else holds, and never writes a name no reader lists;
- no file larger than any Organiser writes is read, and nothing is read through a link, a
  named pipe or a device file; an answer to an invite that was refused is not read again
  until it changes;
- a device writes nothing through a device folder that is not a real folder.

Each test failed on the code of branch attack-folder. Members in bad faith and removed devices
against the reading of segments and cards: test_folder_attacker.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from organiser.folder import crypto, layout
from organiser.folder.segments import encode_segment
from organiser.services import folder_pass
from organiser.services.folder_invites import make_folder_invite
from organiser.services.folder_pass import Keyring
from organiser.store.checks import MAX_CHANGESET_BYTES
from tests.folder.conftest import folders, make_group
from tests.folder.test_folder_attacker import JUNK_DIR, dir_of, in_one_folder, put_segment, reads

# ---- a device's segment numbers --------------------------------------------------------------

def segment_names(shared: Path, device_dir: str) -> list[str]:
    return sorted(p.name for p in (shared / device_dir).glob("*.seg"))


def test_a_strangers_file_numbered_99999999_does_not_stop_a_device_writing(tmp_path):
    """Attack: four bytes named 99999999.seg in every device folder. A device that numbered after
    the highest file there wrote 100000000.seg, a name no reader lists (and counted it as in the
    folder), and kept numbering high once the junk was deleted. Now only its own segments count."""
    (a, b), shared = in_one_folder(tmp_path, 2)
    for device_dir in [p for p in shared.iterdir() if p.is_dir()]:
        (device_dir / "99999999.seg").write_bytes(b"junk")
    made = a.members.add("Written after the junk")
    folders(a).sync()
    folders(b).sync()
    assert made.id in {m.id for m in b.members.list()}
    (shared / dir_of(a) / "99999999.seg").unlink()
    later = a.members.add("Written after the junk was deleted")
    folders(a).sync()
    folders(b).sync()
    assert later.id in {m.id for m in b.members.list()}
    assert all(layout.SEGMENT.match(name) for name in segment_names(shared, dir_of(a)))



def test_a_members_segment_numbered_99999999_naming_another_device_does_not_use_up_its_numbers(tmp_path):
    """A member holds the folder key: it seals a segment named 99999999.seg in a's folder naming a as
    its writer (unsigned, or signed with its own key). Counted as a's own, a had no number left."""
    (a, b, bad), shared = in_one_folder(tmp_path, 3)
    key = Keyring(bad.replica).newest
    unsigned, _info = encode_segment(a.device_id, a.id, [])
    put_segment(shared, dir_of(bad, a), 99_999_999, unsigned, key)
    signed_by_bad, _info = encode_segment(a.device_id, a.id, [], bad.replica.key().sign)
    put_segment(shared, dir_of(bad, a), 99_999_998, signed_by_bad, key)
    made = a.members.add("Written after the member's segments")
    report = folders(a).sync()[0]
    assert report.segments_written == 1 and not [p for p in report.problems if "number" in p["why"]]
    folders(b).sync()
    assert made.id in {m.id for m in b.members.list()}

def test_a_strangers_empty_folders_at_a_devices_next_numbers_do_not_stop_it_writing(tmp_path):
    """Attack: folders named like a device's next segments. Renaming onto one failed, so every pass
    ended in FolderUnavailable ('Is a directory'). Now the names are skipped and left alone."""
    (a, b), shared = in_one_folder(tmp_path, 2)
    for device_dir in [p for p in shared.iterdir() if p.is_dir()]:
        top = max([int(p.name[:8]) for p in device_dir.glob("*.seg")] or [0])
        for number in range(top + 1, top + 6):
            (device_dir / layout.segment_name(number)).mkdir()
    made = a.members.add("Written after the folders")
    folders(a).sync()
    folders(b).sync()
    assert made.id in {m.id for m in b.members.list()}
    assert all((shared / dir_of(a) / name).is_dir() for name in segment_names(shared, dir_of(a))[-6:-1])


def test_a_device_whose_segment_numbers_ran_out_says_so_and_writes_no_longer_name(tmp_path):
    """A device's own segment (signed with its key) is numbered 99999999, as an older version could
    leave it: the device has no number left. It says so in the pass report and writes no name past
    8 digits. (Another member's segment there, naming it, does not count: the test above.)"""
    (a, _b), shared = in_one_folder(tmp_path, 2)
    rel = f"{dir_of(a)}/99999999.seg"  # the last name with the 8 digits readers list
    plain, _info = encode_segment(a.device_id, a.replica.group_id, [], a.replica.key().sign)
    layout.write_whole(shared / rel, crypto.seal(Keyring(a.replica).newest, plain, rel))
    folders(a).sync()  # read as its own (it is), before anything is to be written
    a.members.add("Nowhere to go")
    report = folders(a).sync()[0]
    assert any("no segment number is left" in p["why"] for p in report.problems)
    assert segment_names(shared, dir_of(a))[-1] == "99999999.seg"


def test_compaction_writes_no_segment_larger_than_readers_accept(tmp_path):
    """Segments written again by compaction (write_rows) were split by count only: 5,000
    changesets of up to 1 MiB each in one file. Now they are split by bytes as a pass splits them,
    and the largest segment a device can make is under the size readers accept."""
    (a, _b), shared = in_one_folder(tmp_path, 2)
    body = MAX_CHANGESET_BYTES - 65  # just under, so a segment closes one changeset past SEGMENT_BYTES
    rows = [("f" * 32, seq, os.urandom(body), bytes(64)) for seq in range(1, 28)]
    written = folder_pass.FolderPass(a.replica, str(shared)).write_rows(rows)
    listing = layout.list_folder(shared)
    assert written == 3 and len(listing.segments[dir_of(a)]) == written + 1  # and its first, from the setup
    assert max(entry.size for _n, entry in listing.segments[dir_of(a)]) <= layout.MAX_FILE_BYTES
    assert listing.ignored == []


# ---- files larger than any Organiser writes ------------------------------------------------

def test_a_file_larger_than_any_organiser_writes_is_not_read_whole(tmp_path, monkeypatch):
    """Attack: sparse 100 MiB files in a device folder. Every file was read whole before any check
    (100 MiB of memory each, at every pass). Now the listing's size refuses them, and says so."""
    (a, _b), shared = in_one_folder(tmp_path, 2)
    (shared / JUNK_DIR).mkdir()
    for name in ("card", "keys", "00000001.seg"):
        with open(shared / JUNK_DIR / name, "wb") as out:
            out.write(crypto.MAGIC)
            out.truncate(100 << 20)
    seen = reads(monkeypatch)
    report = folders(a).sync()[0]
    biggest = max((size for rel, size in seen if rel.startswith(JUNK_DIR)), default=0)
    assert biggest <= 32 << 20, f"read {biggest >> 20} MiB of one file"
    assert {p["path"] for p in report.problems if "larger than any" in p["why"]} == {
        f"{JUNK_DIR}/card", f"{JUNK_DIR}/keys", f"{JUNK_DIR}/00000001.seg"}


# ---- answers to invites ------------------------------------------------------------------------

def _invite(tmp_path: Path):
    (admin,) = make_group(tmp_path, 1)
    shared = tmp_path / "shared"
    shared.mkdir()
    make_folder_invite(admin, str(shared), 3600)
    stem = next(shared.glob("*.invite")).name.split(".")[0]
    return admin, shared, f"{stem}.request"


def test_an_answer_to_an_invite_is_not_read_through_a_symlink(tmp_path, monkeypatch):
    """Attack: invite names are in clear; a link at the answer's name (to a file outside the folder,
    to /dev/zero, or a FIFO) was followed and read whole (or blocked the pass for good). Now it is
    refused unread, and status says why."""
    admin, shared, request = _invite(tmp_path)
    outside = tmp_path / "outside.bin"
    outside.write_bytes(os.urandom(4 << 20))
    os.symlink(outside, shared / request)
    seen = reads(monkeypatch)
    folders(admin).sync()
    assert [size for rel, size in seen if rel == request and size] == []
    status = folders(admin).status(str(shared))
    assert any(p["path"] == request and "symbolic link" in p["why"] for p in status["problems"])
    admin.close()


def test_a_strangers_large_answer_to_an_invite_is_not_read_again_at_every_pass(tmp_path, monkeypatch):
    """Attack: a large answer that does not open was read again, whole, at every pass until the
    invite expired (up to 7 days): 300 MB a second for a 300 MB file. Now one larger than any
    answer is refused by its size, unread."""
    admin, shared, request = _invite(tmp_path)
    (shared / request).write_bytes(crypto.MAGIC + os.urandom(4 << 20))
    folders(admin).sync()
    seen = reads(monkeypatch)
    for _pass in range(3):
        folders(admin).sync()
    assert sum(size for rel, size in seen if rel == request) == 0
    admin.close()


def test_an_answer_that_was_refused_is_read_again_only_once_it_changed(tmp_path, monkeypatch):
    """An answer of an answer's size that does not open is read once, then not again until it
    changes (as a joiner's own answer replacing it would)."""
    admin, shared, request = _invite(tmp_path)
    (shared / request).write_bytes(crypto.MAGIC + os.urandom(2000))
    seen = reads(monkeypatch)
    for _pass in range(3):
        folders(admin).sync()
    assert [rel for rel, _size in seen if rel == request] == [request]
    (shared / request).write_bytes(crypto.MAGIC + os.urandom(3000))
    folders(admin).sync()
    assert [rel for rel, _size in seen if rel == request] == [request, request]
    admin.close()


# ---- where a device writes ------------------------------------------------------------------------

def test_a_device_folder_replaced_by_a_symlink_is_not_written_through(tmp_path):
    """Attack: a member (or a removed device, which keeps the name key) replaces the victim's device
    folder with a link to one of the victim's own directories; the victim wrote its segments and
    card there (over a file named 'card'). Now it writes nothing there and says why."""
    (a, bad), shared = in_one_folder(tmp_path, 2)
    outside = tmp_path / "victims-documents"
    outside.mkdir()
    (outside / "card").write_text("the victim's own notes")
    own = shared / dir_of(bad, a)
    shutil.rmtree(own)
    os.symlink(outside, own)
    a.members.add("Written after the link")
    report = folders(a).sync()[0]
    assert sorted(p.name for p in outside.iterdir()) == ["card"]
    assert (outside / "card").read_text() == "the victim's own notes"
    assert {"path": f"{own.name}/", "why": "this device's folder is a symbolic link, not a folder; "
            "nothing is written through it"} in report.problems
