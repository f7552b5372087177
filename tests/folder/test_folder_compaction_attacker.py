"""Compaction against a member in bad faith: what an admin's compaction writes is what its own
store holds as signed, never a version someone else left in the folder; a segment holding a
validly signed version it does not hold as written (a fork's proof) stays where devices can
read it. Helpers from test_folder_attacker.py."""

from __future__ import annotations

from organiser.folder import crypto, layout, segments
from organiser.folder.segments import encode_segment
from organiser.services.folder_pass import Keyring
from organiser.store import incidents
from tests.bad_peer import BadPeer, new_member
from tests.cli_in_process import cli_in_process
from tests.folder.conftest import folders, hashes
from tests.folder.test_folder_attacker import dir_of, in_one_folder, put_segment
from tests.folder.test_folder_compact import make_group_member


def _admin_wrote_three(tmp_path):  # type: ignore[no-untyped-def]
    """An admin and a member sharing a folder, the admin's three new members in it, read by both."""
    (admin, bad), shared = in_one_folder(tmp_path, 2)
    for i in range(3):
        admin.members.add(f"Admin's {i}")
    for _round in range(2):
        folders(admin).sync()
        folders(bad).sync()
    return admin, bad, shared


def test_compaction_carries_the_changesets_this_device_holds_not_a_forged_version(tmp_path):
    """A member leaves, in the admin's own folder, a segment holding a forged version of one of the
    admin's changesets (refused on reading) beside a genuine one (so the file counts as applied).
    Compaction keeps whichever version of each (author, seq) it read last, deletes the genuine
    segment, and notes the folder as holding it: a device that reads only the folder never gets it."""
    admin, bad, shared = _admin_wrote_three(tmp_path)
    held = {(cs.author, cs.seq): cs for cs in bad.replica.changes_since({})}
    genuine = next(cs for cs in held.values() if b"Admin's 1" in cs.body)
    after = held[(admin.device_id, genuine.seq + 1)]
    rows = [(admin.device_id, genuine.seq, genuine.body.replace(b"Admin's", b"Forged!"), bytes(64)),
            (after.author, after.seq, after.body, after.signature)]
    plain, _info = encode_segment(admin.device_id, admin.id, rows)
    put_segment(shared, dir_of(bad, admin), 40, plain, Keyring(bad.replica).newest)  # sorts after 00000001
    folders(bad).sync()
    code, out, err = cli_in_process(admin.path.parents[1], "folder", "compact", str(shared))  # as an admin types it
    assert code == 0, err
    assert "forged changeset" in out, out
    print(out)  # the segment deleted with its forged version, said by name
    keys = Keyring(admin.replica)
    wrong = []
    for path in shared.rglob("*.seg"):
        rel = path.relative_to(shared).as_posix()
        _info, changesets = segments.decode_segment(crypto.open_sealed(keys.by_id, path.read_bytes(), rel)[1])
        wrong += [(rel, cs.seq) for cs in changesets if cs.hash != admin.replica.hash_at(cs.author, cs.seq)]
    assert wrong == []


def test_compaction_keeps_the_segment_holding_a_forks_proof_and_says_why(tmp_path):
    """A member signs a second version of one of its changesets and leaves it in its folder: the
    admin keeps it as proof of a fork and sets that member's changesets from there aside. Had
    compaction merged it away (one version per number), a device reading only the folder would
    hold one version, never see the fork, and show what the admin does not."""
    (admin, bad), shared = in_one_folder(tmp_path, 2)
    admin.members.add("Admin's own")
    bad.members.add("Bad's first version")
    for _round in range(2):
        folders(admin).sync()
        folders(bad).sync()
    seq = bad.replica.version_vector()[bad.device_id]
    other = BadPeer(bad).sign(new_member("Bad's second version"), seq=seq, prev=bad.replica.prev_at(bad.device_id, seq))
    plain, _info = encode_segment(bad.device_id, bad.id, [(other.author, other.seq, other.body, other.signature)])
    proof = put_segment(shared, dir_of(bad), 60, plain, Keyring(bad.replica).newest)
    folders(admin).sync()
    assert "fork" in {i["reason"] for i in incidents.listed(admin.db)}
    result = folders(admin).compact(str(shared))
    assert result["changesets"] > 0  # the rest was merged
    assert (shared / proof).exists()
    assert [k["path"] for k in result["kept"]] == [proof]
    assert "proof of a fork" in result["kept"][0]["why"]
    newcomer = make_group_member(admin, tmp_path)
    folders(newcomer).add(str(shared))
    folders(newcomer).sync()
    assert "fork" in {i["reason"] for i in incidents.listed(newcomer.db)}
    assert len(hashes([admin, newcomer])) == 1
    newcomer.close()


def test_compaction_never_writes_over_a_segment_left_at_its_next_number(tmp_path):
    """A member leaves, in the admin's folder under the number the admin would write next, a copy
    of a genuine changeset of the admin's. Compaction wrote its merged segment under that name,
    then deleted it with the segments it had merged: the folder held none of their changesets."""
    admin, bad, shared = _admin_wrote_three(tmp_path)
    genuine = next(cs for cs in bad.replica.changes_since({}) if b"Admin's 1" in cs.body)
    plain, _info = encode_segment(admin.device_id, admin.id,
                                  [(genuine.author, genuine.seq, genuine.body, genuine.signature)])
    admins = dir_of(bad, admin)
    after = max(n for n, _entry in layout.list_folder(shared).segments[admins]) + 1
    put_segment(shared, admins, after, plain, Keyring(bad.replica).newest)
    result = folders(admin).compact(str(shared))
    newcomer = make_group_member(admin, tmp_path)
    folders(newcomer).add(str(shared))
    folders(newcomer).sync()
    assert len(hashes([admin, newcomer])) == 1
    assert result["segments_after"] == 1 and (shared / admins / layout.segment_name(after + 1)).exists()
    newcomer.close()


def test_compaction_beside_a_strangers_file_numbered_99999999_leaves_the_admin_numbers_to_write(tmp_path):
    """Compaction numbered its new segments after every name in the admin's folder: a stranger's
    99999999.seg there left the admin no number, for compaction and every pass after it."""
    (admin, member), shared = in_one_folder(tmp_path, 2)
    for i in range(3):
        admin.members.add(f"Admin's {i}")
        folders(admin).sync()
        folders(member).sync()
    (shared / dir_of(admin) / "99999999.seg").write_bytes(b"junk")
    result = folders(admin).compact(str(shared))
    assert result["changesets"] > 0
    made = admin.members.add("Written after compaction")
    report = folders(admin).sync()[0]
    assert report.segments_written == 1, report.problems
    folders(member).sync()
    assert made.id in {m.id for m in member.members.list()}
