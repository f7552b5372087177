"""Back in the group after a laptop was lost: a laptop that already holds an encrypted copy of the
group (restored from a sealed backup, or the found laptop that was removed) does not quietly take a
second copy of it, a second identity in the group, when it joins again."""

from __future__ import annotations

import pytest

from organiser.core.errors import OrganiserError
from organiser.formats.backup import write_backup
from organiser.services.backup import build_backup, restore_backup
from organiser.services.group import create_group, prepare_join
from organiser.services.group_folders import is_locked
from organiser.store.datadir import group_dirs

PASSPHRASE = "correct horse battery staple"


def test_joining_again_beside_an_encrypted_copy_of_the_group_is_refused_with_what_to_do(tmp_path):
    founder = create_group(tmp_path / "admin", "Tenants Union", "admin laptop", passphrase=PASSPHRASE)
    founder.members.add("Ana López")
    data = write_backup(build_backup(founder))
    restored = restore_backup(tmp_path / "new laptop", data, "backup.json", "Ana's laptop", passphrase=PASSPHRASE)
    restored.close()
    [copy] = group_dirs(tmp_path / "new laptop")
    assert is_locked(copy)
    with pytest.raises(OrganiserError, match="already holds this group.*wipe"):
        prepare_join(tmp_path / "new laptop", founder.id, passphrase=PASSPHRASE)
    assert group_dirs(tmp_path / "new laptop") == [copy]
    founder.close()


def test_a_join_stopped_half_way_with_a_passphrase_can_be_tried_again(tmp_path):
    """Only a whole copy of the group refuses a join: a join of an encrypted group that stopped before
    the group was set up (its folder holds the joining key only) is no copy of the group."""
    from organiser.store.cipher import forget_key
    from organiser.store.datadir import DB_NAME

    path, _public = prepare_join(tmp_path / "new laptop", "ab" * 16, passphrase=PASSPHRASE)
    forget_key(path / DB_NAME)
    assert is_locked(path)
    again, _public = prepare_join(tmp_path / "new laptop", "ab" * 16, passphrase=PASSPHRASE)
    assert again.parent == path.parent
