"""`organiser fork list|keep`: an admin sees a device's two versions of one change and keeps
one, from the command line; bad input exits 2 with a sentence and changes nothing. Through the
program's entry point in the test process (`organiser_in_process`), one listing in a real process."""

from __future__ import annotations

from pathlib import Path

from organiser.services.group import create_group, open_group
from tests.conftest import add_device
from tests.forked import sign_two_versions


def _forked(base: Path) -> tuple[Path, Path, dict[str, str], int]:
    """door laptop (admin, in base/data) holds both versions of minutes laptop's number n;
    minutes laptop (not an admin, in base/b) holds both too."""
    a = create_group(base / "data", "Tenants Union", "door laptop")
    b = add_device(a, base / "b", "minutes laptop")
    try:
        versions, seq = sign_two_versions(a, b)
        return base / "data", base / "b", versions, seq
    finally:
        a.close()
        b.close()


def test_an_admin_lists_the_fork_and_keeps_one_version(organiser_in_process, organiser, tmp_path):
    as_a_process, organiser = organiser, organiser_in_process
    data, _b, versions, seq = _forked(tmp_path)
    listed = organiser("fork", "list", "--json").json()
    assert [(f["device"]["name"], f["seq"], f["state"]) for f in listed] == [("minutes laptop", seq, "set aside")]
    assert {v["hash"]: v["summary"] for v in listed[0]["versions"]} == {
        versions["Left"]: "member 'Left'", versions["Right"]: "member 'Right'"}
    assert "set aside until an admin keeps one version" in listed[0]["message"]
    text = as_a_process("fork", "list")
    assert text.code == 0 and versions["Left"][:12] in text.out and "member 'Right'" in text.out
    kept = organiser("fork", "keep", listed[0]["id"], "--branch", versions["Right"][:6])
    assert kept.code == 0, kept.err
    assert f"Kept version {versions['Right'][:12]}" in kept.out
    after = organiser("fork", "list", "--json").json()
    assert after[0]["state"] == "kept" and after[0]["kept"] == versions["Right"]
    names = {m["name"] for m in organiser("member", "list", "--json").json()}
    assert "Right" in names and "Left" not in names


def test_bad_fork_ids_and_branches_exit_2_with_a_sentence_and_change_nothing(organiser_in_process, tmp_path):
    organiser = organiser_in_process
    data, b_dir, versions, seq = _forked(tmp_path)
    (fork_id,) = [f["id"] for f in organiser("fork", "list", "--json").json()]
    cases = {
        ("fork", "keep", "nobody", "--branch", versions["Left"]): "'nobody' names no fork of this group",
        ("fork", "keep", fork_id, "--branch", "zz"): "--branch: 'zz' is not the start of a version's hash",
        ("fork", "keep", fork_id, "--branch", "0000000"): "names no version of fork",
        ("fork", "keep", fork_id): "the following arguments are required: --branch",
    }
    for args, sentence in cases.items():
        done = organiser(*args)
        assert done.code == 2 and sentence in done.err and "Traceback" not in done.err, (args, done.err)
    not_admin = organiser("fork", "keep", "minutes laptop", "--branch", versions["Left"], data_dir=b_dir)
    assert not_admin.code == 2 and "only an admin can do this" in not_admin.err, not_admin.err
    assert organiser("fork", "keep", fork_id, "--branch", versions["Left"]).code == 0
    again = organiser("fork", "keep", fork_id, "--branch", versions["Left"][:8])
    assert again.code == 2 and "is already the one kept" in again.err
    group = open_group(data)
    try:  # one decision was written, the refused ones wrote nothing
        assert group.db.execute("SELECT count(*) FROM membership_log WHERE action = 'keep'").fetchone() == (1,)
    finally:
        group.close()
