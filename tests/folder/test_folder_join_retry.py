"""Joining through a folder that cannot take the answer (a read-only stick, a full one) leaves
nothing half-done: once the stick is writable, the same code joins."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from organiser.folder import layout
from tests.folder.conftest import folders, make_group


def test_a_join_refused_by_a_read_only_stick_can_be_tried_again_once_it_is_writable(tmp_path: Path,
                                                                                    monkeypatch) -> None:
    from organiser.services.folder_invites import make_folder_invite, redeem_folder_invite

    (a,) = make_group(tmp_path, 1)
    stick = tmp_path / "stick"
    stick.mkdir()
    folders(a).add(str(stick))
    folders(a).sync()
    code = make_folder_invite(a, str(stick), 3600)

    def read_only(path: Path, data: bytes) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    with monkeypatch.context() as patch:
        patch.setattr(layout, "write_whole", read_only)
        with pytest.raises(OSError):
            redeem_folder_invite(tmp_path / "far", str(stick), code, "far laptop")

    far = redeem_folder_invite(tmp_path / "far", str(stick), code, "far laptop")  # the lock switch is off now
    try:
        folders(a).sync()  # admits it
        assert "far laptop" in {d.get("name") for d in a.devices()}
    finally:
        far.close()
