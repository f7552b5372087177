"""A passphrase's key derivation (argon2, half a second or more by design) runs on a worker thread:
the window says it is working, its buttons are disabled meanwhile, and a wrong passphrase still
says so. Each test holds the slow step at a gate it opens itself, so what the window shows while
it works is seen every time, whatever the machine's speed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from organiser.services import transfer
from organiser.services.group import Group, create_group
from organiser.ui.transfer_dialogs import ImportDialog
from organiser.ui.unlock import UnlockWindow
from tests.ui.conftest import with_modal

PASSPHRASE = "correct horse battery staple"
WAIT_MS = 15_000


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    opened = threading.Event()
    yield opened
    opened.set()  # a test that failed half-way leaves no worker waiting


def held_at(gate: threading.Event, step: Callable[..., Any]) -> Callable[..., Any]:
    """`step`, waiting first until the test opens the gate."""
    def waiting(*args: Any, **kwargs: Any) -> Any:
        gate.wait(30)
        return step(*args, **kwargs)
    return waiting


def test_the_unlock_screen_says_it_is_unlocking_with_its_buttons_disabled_then_says_a_wrong_passphrase(
        qtbot: Any, tmp_path: Path, gate: threading.Event, monkeypatch: pytest.MonkeyPatch) -> None:
    import organiser.ui.unlock as unlock_module

    data = tmp_path / "data"
    made = create_group(data, "Food Co-op", "till laptop", passphrase=PASSPHRASE)
    folder = made.path.name
    made.close()
    monkeypatch.setattr(unlock_module, "open_group", held_at(gate, unlock_module.open_group))
    unlock = UnlockWindow(data, folder)
    qtbot.addWidget(unlock)
    unlock.show()
    opened: list[Group] = []
    unlock.unlocked.connect(opened.append)
    qtbot.keyClicks(unlock.passphrase, "correct horse")
    qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(unlock.busy.isVisible, timeout=WAIT_MS)
    assert unlock.message.text() == "Unlocking…"
    assert not unlock.unlock_button.isEnabled() and not unlock.other_button.isEnabled()
    assert not unlock.passphrase.isEnabled()
    gate.set()
    qtbot.waitUntil(unlock.unlock_button.isEnabled, timeout=WAIT_MS)
    assert unlock.message.text() == "That passphrase does not unlock this group. Check Caps Lock and try again."
    assert opened == [] and not unlock.busy.isVisible()
    assert unlock.passphrase.hasFocus() and unlock.passphrase.selectedText() == "correct horse"
    qtbot.keyClicks(unlock.passphrase, PASSPHRASE)  # replaces the wrong one
    qtbot.mouseClick(unlock.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: opened != [], timeout=WAIT_MS)
    assert [g.name for g in opened] == ["Food Co-op"]
    opened[0].close()


def _sealed_backup(tmp_path: Path) -> Path:
    from organiser.formats.sealed import seal_backup

    other = create_group(tmp_path / "elsewhere", "Food Co-op", "till laptop")
    other.members.add("Bea")
    target = tmp_path / "coop.json"
    target.write_bytes(seal_backup(transfer.export_group(other, "json"), PASSPHRASE))
    other.close()
    return target


def _type_passphrase(qtbot: Any, text: str) -> Callable[[Any], None]:
    def typing(box: Any) -> None:
        line = box.findChild(QLineEdit)
        qtbot.keyClicks(line, text)
        qtbot.keyClick(line, Qt.Key.Key_Return)
    return typing


def test_opening_a_sealed_backup_says_so_while_its_key_is_derived_and_a_wrong_passphrase_is_said(
        group: Group, qtbot: Any, tmp_path: Path, gate: threading.Event, monkeypatch: pytest.MonkeyPatch) -> None:
    import organiser.formats.sealed as sealed

    backup = _sealed_backup(tmp_path)
    monkeypatch.setattr(sealed, "open_sealed", held_at(gate, sealed.open_sealed))
    dialog = ImportDialog(group)
    qtbot.addWidget(dialog)
    dialog.show()
    with_modal(lambda: dialog.set_file(backup), _type_passphrase(qtbot, "wrong horse"))
    assert dialog.summary.text() == "Opening coop.json with its passphrase…"
    assert dialog.progress.isVisible()
    assert not dialog.choose_button.isEnabled() and not dialog.path_edit.isEnabled()
    assert not dialog.import_button.isEnabled()
    gate.set()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    assert dialog.summary.text() == "Coop.json: that passphrase does not open this backup."
    assert not dialog.import_button.isEnabled() and dialog.choose_button.isEnabled()

    with_modal(lambda: dialog.set_file(backup), _type_passphrase(qtbot, PASSPHRASE))
    qtbot.waitUntil(lambda: "a backup of group 'Food Co-op'" in dialog.summary.text() and not dialog.busy,
                    timeout=WAIT_MS)
    assert dialog.import_button.text() == "Restore" and dialog.import_button.isEnabled()
