"""An admin compacts the segments every member has applied; a device arriving later reads the
few that remain and holds the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from organiser.services.devices import MembershipRefused
from organiser.services.group import Group
from organiser.store import folders as store
from tests.conftest import add_device
from tests.folder.conftest import folders, hashes, make_group


def test_an_admin_compacts_what_everyone_applied_and_a_newcomer_still_gets_everything(tmp_path):
    admin, member, late = make_group(tmp_path, 3)
    shared = tmp_path / "shared"
    shared.mkdir()
    folders(admin).add(str(shared))
    folders(member).add(str(shared))
    for round_ in range(4):
        admin.members.add(f"Admin's {round_}")
        member.tasks.add(f"Member's {round_}")
        folders(admin).sync()
        folders(member).sync()
    folders(admin).sync()
    with pytest.raises(MembershipRefused, match="not every member"):
        folders(admin).compact(str(shared))  # 'laptop 2' has not read the folder yet
    folders(late).add(str(shared))
    folders(late).sync()
    before = len(list(shared.rglob("*.seg")))
    with pytest.raises(MembershipRefused, match="only an admin"):
        folders(member).compact(str(shared))
    result = folders(admin).compact(str(shared))
    after = list(shared.rglob("*.seg"))
    assert result["segments_before"] >= 8 and len(after) < before and result["segments_after"] == 1
    # The others notice their files went, and write nothing again: the compacted segment holds it.
    for device in (member, late):
        report = folders(device).sync()[0]
        assert report.written == 0
    # A device that reads only what is left holds the same as everyone.
    newcomer = make_group_member(admin, tmp_path)
    folders(newcomer).add(str(shared))
    folders(newcomer).sync()
    assert len(hashes([admin, member, late, newcomer])) == 1
    newcomer.close()


def make_group_member(founder: Group, tmp_path: Path) -> Group:
    """A device admitted now, holding only the membership log (as after its invite)."""
    device = add_device(founder, tmp_path / "new", "new laptop")
    device.replica.apply([cs for cs in founder.replica.changes_since({})
                          if any(op.kind == "membership" for op in cs.ops)])
    assert store.epoch_secrets(device.db)
    return device
