"""The attacker is another account on the same laptop (a shared family computer, a borrowed office
desktop): they cannot open the data folder (0700), but every file a member saves outside it is read
with the umask of a desktop session (022), which makes new files readable by every account. Each
file the app writes for the person (exports, backups, minutes) is created owner-only instead."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from organiser.formats.common import FormatError, write_export

SHARED_DESKTOP_UMASK = 0o022


@pytest.fixture(autouse=True)
def desktop_umask() -> Iterator[None]:
    """The umask GNOME and KDE sessions give the app (the real processes inherit it too)."""
    before = os.umask(SHARED_DESKTOP_UMASK)
    try:
        yield
    finally:
        os.umask(before)


def readable_by_others(path: Path) -> str:
    mode = stat.S_IMODE(os.stat(path).st_mode)
    return f"{path.name} is {mode:o}" if mode & 0o077 else ""


def made_group(organiser) -> None:
    assert organiser("init", "--group", "Marsh Lane Tenants Union", "--device-name", "door").code == 0
    assert organiser("member", "add", "--name", "Ana López", "--email", "ana@example.org").code == 0
    added = organiser("event", "add", "--title", "Rent strike assembly", "--start", "2026-12-03T19:00",
                      "--end", "2026-12-03T21:00")
    assert added.code == 0, added.err
    assert organiser("minutes", "append", "Rent strike assembly", "Ana opened the meeting.").code == 0


@pytest.mark.parametrize("fmt", ["ics", "vcf", "csv", "xlsx", "json"])
def test_an_export_is_readable_by_its_owner_only(organiser_in_process, tmp_path, fmt):
    made_group(organiser_in_process)
    out = tmp_path / f"Marsh Lane Tenants Union.{fmt}"
    done = organiser_in_process("export", "--format", fmt, "--out", str(out))
    assert done.code == 0, done.err
    assert readable_by_others(out) == ""


def test_an_encrypted_backup_is_readable_by_its_owner_only(organiser_in_process, tmp_path):
    made_group(organiser_in_process)
    out = tmp_path / "Organiser backup.json"
    done = organiser_in_process("export", "--format", "json", "--encrypt", "--out", str(out),
                                env={"ORGANISER_BACKUP_PASSPHRASE": "correct horse battery staple"})
    assert done.code == 0, done.err
    assert readable_by_others(out) == ""


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_the_minutes_are_readable_by_their_owner_only(organiser_in_process, tmp_path, fmt):
    made_group(organiser_in_process)
    out = tmp_path / f"Rent strike assembly minutes.{fmt}"
    done = organiser_in_process("minutes", "export", "Rent strike assembly", "--format", fmt, "--out", str(out))
    assert done.code == 0, done.err
    assert readable_by_others(out) == ""
    folder = tmp_path / "every meeting"
    folder.mkdir()
    done = organiser_in_process("minutes", "export", "--all", "--format", fmt, "--out", str(folder))
    assert done.code == 0, done.err
    assert [readable_by_others(p) for p in folder.iterdir()] == [""]


def test_an_export_over_a_file_readable_by_all_leaves_it_owner_only(tmp_path):
    """Saving again over last month's export, made before this release with 0644."""
    target = tmp_path / "members.csv"
    target.write_text("old")
    target.chmod(0o644)
    write_export(target, b"name\nAna\n")
    assert target.read_bytes() == b"name\nAna\n"
    assert readable_by_others(target) == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["members.csv"]  # nothing left beside it



def test_a_folder_named_as_the_part_file_is_refused_in_one_sentence_and_kept(tmp_path):
    """Someone else's 'members.csv.part' beside the target (a folder here; another account's file in
    a shared folder such as /tmp cannot be removed either): a sentence, not a crash, and what is
    there is not removed nor written into."""
    hostile = tmp_path / "members.csv.part"
    hostile.mkdir()
    (hostile / "theirs").write_text("kept")
    with pytest.raises(FormatError) as refused:
        write_export(tmp_path / "members.csv", b"name\nAna\n")
    assert str(refused.value) == f"{tmp_path / 'members.csv'} cannot be written (Is a directory)."
    assert sorted(p.name for p in tmp_path.iterdir()) == ["members.csv.part"]
    assert (hostile / "theirs").read_text() == "kept"


def test_a_symlink_named_as_the_part_file_is_not_written_through(tmp_path):
    """A link placed where the part file goes, pointing at a file the attacker wants written."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("theirs")
    (tmp_path / "members.csv.part").symlink_to(elsewhere)
    write_export(tmp_path / "members.csv", b"name\nAna\n")
    assert elsewhere.read_text() == "theirs"
    assert (tmp_path / "members.csv").read_bytes() == b"name\nAna\n"
    assert not (tmp_path / "members.csv").is_symlink()
    assert readable_by_others(tmp_path / "members.csv") == ""
