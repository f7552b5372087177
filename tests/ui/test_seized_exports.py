"""What the files a member saves from the menus tell whoever takes the laptop, powered off, without
the passphrase: the attacker lists the folder the files went to and reads what it can."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from organiser.formats.sealed import is_sealed
from organiser.services.group import Group
from organiser.ui.transfer_dialogs import open_export_dialog
from tests.formats.test_transfer_dialogs import WAIT_MS, choose_format, tick, type_path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The member's home folder, where the dialogs suggest saving."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


def export_sealed_backup(group: Group, qtbot: Any, typed: Path | None = None) -> Path:
    """File > Export, Full backup, Encrypt ticked, a passphrase typed twice, Export clicked."""
    dialog = open_export_dialog(None, group)
    qtbot.addWidget(dialog)
    choose_format(qtbot, dialog.format_box, "backup")
    if typed is not None:
        type_path(qtbot, dialog.path_edit, typed)
    tick(qtbot, dialog.encrypt_box)
    qtbot.keyClicks(dialog.encrypt_fields.first, "correct horse battery staple")
    qtbot.keyClicks(dialog.encrypt_fields.again, "correct horse battery staple")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.written is not None and dialog._job is None, timeout=WAIT_MS)
    assert dialog.written is not None
    return dialog.written


def test_an_encrypted_backup_saved_where_suggested_does_not_name_the_group_in_its_file_name(
        group: Group, qtbot: Any, home: Path) -> None:
    group.members.add("Ana López", emails=["ana@example.org"])
    export_sealed_backup(group, qtbot)
    (found,) = [p for p in home.rglob("*") if p.is_file()]
    assert is_sealed(found.read_bytes())
    assert "Tenants" not in found.name and "Union" not in found.name, (
        f"the sealed backup's name tells the group: {found.name}")


def test_a_name_typed_for_the_encrypted_backup_is_kept(group: Group, qtbot: Any, home: Path) -> None:
    typed = home / "december.json"
    assert export_sealed_backup(group, qtbot, typed) == typed
    assert is_sealed(typed.read_bytes())
