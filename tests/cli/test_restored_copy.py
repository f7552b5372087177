"""A sealed backup restored on a new laptop after a theft: the copy says what it is (not a device
of the group) and how to be back in it, instead of 'a member' and 'have them invite this device'."""

from __future__ import annotations

from tests.cli.test_atrest import PASSPHRASE as GROUP_PASSPHRASE

BACKUP_PASSPHRASE = "correct horse battery staple"


def test_a_restored_copy_says_it_is_not_a_device_of_the_group_and_how_to_rejoin(organiser, tmp_path):
    assert organiser("init", "--group", "Tenants Union", "--device-name", "Ana's laptop").code == 0
    assert organiser("member", "add", "--name", "Ana López").code == 0
    out = tmp_path / "backup.json"
    env = {"ORGANISER_BACKUP_PASSPHRASE": BACKUP_PASSPHRASE, "ORGANISER_PASSPHRASE": GROUP_PASSPHRASE}
    assert organiser("export", "--format", "json", "--encrypt", "--out", str(out), env=env).code == 0
    assert organiser("status").out.count("this laptop is  an admin") == 1
    new_laptop = tmp_path / "new laptop"
    restored = organiser("import", str(out), "--device-name", "Ana's new laptop", data_dir=new_laptop, env=env)
    assert restored.code == 0, restored.err
    assert "have one of them invite this device" not in restored.out
    assert "not a laptop of the group" in restored.out and "join" in restored.out
    status = organiser("status", data_dir=new_laptop, env=env)
    assert "this laptop is  not a laptop of the group (restored from a backup)" in status.out
    assert organiser("status", "--json", data_dir=new_laptop, env=env).json()["membership"]["restored_copy"]
