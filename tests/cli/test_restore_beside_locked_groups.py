"""Restoring a full backup into a data folder that holds encrypted groups: a locked group may be the
very group of the backup, so without its passphrase the restore is refused in one sentence (a second
copy would be a second identity in the group); with it, the groups are looked into. The commands
run through the program's entry point in the test process (`organiser_in_process`), the refusal
without a passphrase, which would ask at a terminal, in a real process."""

from __future__ import annotations

from organiser.store.datadir import group_dirs

PASSPHRASE = "correct horse battery staple"
OTHER = "a different passphrase here"


def test_a_backup_is_not_restored_beside_its_own_group_encrypted_and_locked(organiser_in_process, organiser,
                                                                            tmp_path):
    as_a_process, organiser = organiser, organiser_in_process
    env = {"ORGANISER_PASSPHRASE": PASSPHRASE}
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door", env=env).code == 0
    assert organiser("member", "add", "--name", "Ana López", env=env).code == 0
    backup = tmp_path / "backup.json"
    assert organiser("export", "--format", "json", "--out", str(backup), env=env).code == 0
    folders = group_dirs(organiser.data_dir)

    locked = as_a_process("import", str(backup))
    assert locked.code == 2 and "Traceback" not in locked.err and locked.err.count("\n") == 1
    assert "holds 1 locked encrypted group(s), which may include 'Tenants Union': give their passphrase" in locked.err
    wrong = organiser("import", str(backup), env={"ORGANISER_PASSPHRASE": OTHER})
    assert wrong.code == 2 and "the passphrase given does not open the encrypted group(s)" in wrong.err
    same = organiser("import", str(backup), env=env)
    assert same.code == 2 and "already holds group 'Tenants Union'" in same.err
    assert group_dirs(organiser.data_dir) == folders  # no second copy, whatever was given
    assert organiser("member", "list", env=env).code == 0


def test_a_backup_of_another_group_is_restored_beside_an_encrypted_one_with_its_passphrase(organiser_in_process,
                                                                                            tmp_path):
    organiser = organiser_in_process
    env = {"ORGANISER_PASSPHRASE": PASSPHRASE}
    elsewhere = tmp_path / "elsewhere"
    assert organiser("init", "--group", "Food Co-op", "--device-name", "till", data_dir=elsewhere).code == 0
    backup = tmp_path / "backup.json"
    assert organiser("export", "--format", "json", "--out", str(backup), data_dir=elsewhere).code == 0
    assert organiser("init", "--group", "Tenants Union", "--device-name", "door", env=env).code == 0
    restored = organiser("import", str(backup), env=env)
    assert restored.code == 0, restored.err
    assert len(group_dirs(organiser.data_dir)) == 2
