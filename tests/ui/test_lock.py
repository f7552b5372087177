"""The app with an encrypted group: a passphrase when creating, the unlock screen with a calm
retry, Lock now (Ctrl+L) and the idle lock, the typed confirmation of a wipe, and encrypting a
plain group from Settings."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QEvent, QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from organiser.services.group import Group, create_group
from organiser.store.cipher import key_for
from organiser.store.datadir import DB_NAME
from organiser.ui.first_run import StartWindow
from organiser.ui.lock import ChangePassphraseDialog, WipeDialog
from organiser.ui.unlock import UnlockWindow
from tests.ui.conftest import settle, with_modal

PASSPHRASE = "correct horse battery staple"


def button(widget: Any, text: str) -> QPushButton:
    found = [b for b in widget.findChildren(QPushButton) if b.text().replace("&", "") == text and b.isVisible()]
    assert len(found) == 1, [b.text() for b in widget.findChildren(QPushButton)]
    return found[0]


def test_the_strength_under_the_passphrase_says_each_word_once(qtbot: Any, tmp_path: Path) -> None:
    start = StartWindow(tmp_path / "data")
    qtbot.addWidget(start)
    start.show()
    qtbot.mouseClick(start.create_choice, Qt.MouseButton.LeftButton)
    shown = []
    for typed in ("passwor", "d", " river candle", " moon"):  # too short, weak, fair, strong
        qtbot.keyClicks(start.create_passphrase.first, typed)
        shown.append(start.create_passphrase.strength.text())
    assert shown == ["Too short: use at least 8 characters; four random words are best.",
                     "Weak: easy to guess for someone who takes the laptop; add words.",
                     "Fair: one or two more words make it strong.", "Strong."]


def test_changing_the_passphrase_lines_up_the_current_one_and_the_new_one_twice(qtbot: Any,
                                                                                 tmp_path: Path) -> None:
    group = create_group(tmp_path / "g", "Allotment Society", "allotment laptop", passphrase=PASSPHRASE)
    dialog = ChangePassphraseDialog(group)
    qtbot.addWidget(dialog)
    dialog.show()
    fields = [dialog.current, dialog.new.first, dialog.new.again]
    assert len({f.mapTo(dialog, f.rect().topLeft()).x() for f in fields}) == 1  # one column, not two
    assert len({f.width() for f in fields}) == 1
    labels = [label.text() for label in dialog.findChildren(QLabel) if label.buddy() in fields]
    assert labels == ["&Current passphrase", "&New passphrase", "&Again"]
    group.close()


def test_creating_a_group_with_a_passphrase_encrypts_it(qtbot: Any, tmp_path: Path) -> None:
    start = StartWindow(tmp_path / "data")
    qtbot.addWidget(start)
    start.show()
    groups: list[Group] = []
    start.groupReady.connect(groups.append)
    qtbot.mouseClick(start.create_choice, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(start.group_name, "Allotment Society")
    qtbot.keyClicks(start.create_passphrase.first, PASSPHRASE)
    assert start.create_passphrase.strength.text() == "Strong."
    qtbot.keyClicks(start.create_passphrase.again, PASSPHRASE + "x")
    qtbot.mouseClick(button(start, "Create group"), Qt.MouseButton.LeftButton)
    assert groups == [] and "differ" in start.create_error.text()
    start.create_passphrase.again.selectAll()
    qtbot.keyClicks(start.create_passphrase.again, PASSPHRASE)
    qtbot.mouseClick(button(start, "Create group"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: groups != [], timeout=15_000)  # the key is derived on a worker
    assert [g.name for g in groups] == ["Allotment Society"]
    assert groups[0].encrypted
    groups[0].close()


def test_a_group_made_without_a_passphrase_is_plain_and_says_so(qtbot: Any, tmp_path: Path) -> None:
    start = StartWindow(tmp_path / "data")
    qtbot.addWidget(start)
    start.show()
    groups: list[Group] = []
    start.groupReady.connect(groups.append)
    qtbot.mouseClick(start.create_choice, Qt.MouseButton.LeftButton)
    assert "anyone who takes this laptop" in start.create_passphrase.strength.text()
    qtbot.keyClicks(start.group_name, "Allotment Society")
    qtbot.mouseClick(button(start, "Create group"), Qt.MouseButton.LeftButton)
    assert [g.encrypted for g in groups] == [False]
    groups[0].close()


def test_the_unlock_screen_retries_calmly_and_then_opens(qtbot: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = create_group(data, "Food Co-op", "till laptop", passphrase=PASSPHRASE)
    folder = made.path.name
    made.close()
    unlock = UnlockWindow(data, folder)
    qtbot.addWidget(unlock)
    unlock.show()
    unlock.passphrase.setFocus()
    opened: list[Group] = []
    unlock.unlocked.connect(opened.append)
    assert "Food Co-op" not in unlock.windowTitle()  # the name is inside the encrypted database
    # each laptop chose its own passphrase when it created or joined the group: "the group's
    # passphrase" sent a second member asking the secretary for hers
    said = " ".join(label.text() for label in unlock.findChildren(QLabel) if label.isVisible())
    assert "the passphrase chosen for this group on this laptop" in said and "group's passphrase" not in said
    qtbot.keyClicks(unlock.passphrase, "correct horse battery")
    qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(unlock.busy.isHidden, timeout=15_000)  # the key is derived on a worker
    assert opened == []
    assert unlock.message.text() == "That passphrase does not unlock this group. Check Caps Lock and try again."
    qtbot.keyClicks(unlock.passphrase, PASSPHRASE)  # the wrong one was selected: typing replaces it
    qtbot.mouseClick(unlock.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(unlock.busy.isHidden, timeout=15_000)  # the key is derived on a worker
    assert [g.name for g in opened] == ["Food Co-op"]
    assert not unlock.remember.isVisible()  # no OS keyring here: not offered
    opened[0].close()


def test_wipe_needs_the_word_typed(qtbot: Any) -> None:
    dialog = WipeDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.word, "wipe")
    qtbot.mouseClick(dialog.buttons.buttons()[0], Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "in capitals" in dialog.error.text()
    dialog.word.selectAll()
    qtbot.keyClicks(dialog.word, "WIPE")
    qtbot.mouseClick(dialog.buttons.buttons()[0], Qt.MouseButton.LeftButton)
    assert dialog.result() == WipeDialog.DialogCode.Accepted


def test_closing_the_first_window_ends_the_app_but_going_from_one_to_the_next_does_not(
        qtbot: Any, controller: Any) -> None:
    create_group(controller.data_dir, "Food Co-op", "till laptop", passphrase=PASSPHRASE).close()
    controller.start()
    unlock = controller.unlock_window
    assert unlock is not None and unlock.isVisible()
    qtbot.mouseClick(button(unlock, "Other group…"), Qt.MouseButton.LeftButton)
    start = controller.start_window
    assert start is not None and start.isVisible() and not unlock.isVisible()
    assert not controller.done.is_set()  # the unlock window made way for the start window
    start.close()  # the window manager's close button
    assert controller.done.is_set()


def test_lock_now_closes_the_database_and_unlocking_resumes(qtbot: Any, controller: Any) -> None:
    made = create_group(controller.data_dir, "Food Co-op", "till laptop", passphrase=PASSPHRASE)
    made.members.add("Ana López")
    db_path = made.path / DB_NAME
    made.close()
    controller.start()
    unlock = controller.unlock_window
    assert unlock is not None and controller.window is None
    qtbot.keyClicks(unlock.passphrase, PASSPHRASE)
    qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(unlock.busy.isHidden, timeout=15_000)  # the key is derived on a worker
    window = controller.window
    assert window is not None and window.windowTitle().startswith("Food Co-op")
    assert key_for(db_path) is not None
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    settle(controller, qtbot, lambda: controller.unlock_window is not None)
    assert controller.window is None and controller.group is None
    assert key_for(db_path) is None  # the key is forgotten
    qtbot.keyClicks(controller.unlock_window.passphrase, PASSPHRASE)
    unlock = controller.unlock_window
    qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(unlock.busy.isHidden, timeout=15_000)  # the key is derived on a worker
    assert controller.window is not None
    assert [m.name for m in controller.group.members.list()] == ["Ana López"]


def test_the_app_locks_itself_after_the_idle_time(qtbot: Any, controller: Any) -> None:
    made = create_group(controller.data_dir, "Food Co-op", "till laptop", passphrase=PASSPHRASE)
    folder = made.path.name
    made.close()
    controller.show_unlock(folder)
    qtbot.keyClicks(controller.unlock_window.passphrase, PASSPHRASE)
    unlock = controller.unlock_window
    qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(unlock.busy.isHidden, timeout=15_000)  # the key is derived on a worker
    assert controller.window is not None
    controller.idle_lock.set_minutes(0.005)  # 0.3 s, as if an admin had set a short idle time
    settle(controller, qtbot, lambda: controller.unlock_window is not None)
    assert controller.group is None and controller.window is None


def test_once_the_window_is_closed_the_app_watches_for_idle_time_no_more(qtbot: Any, controller: Any) -> None:
    """Left installed on the application, the idle watch of an app that had ended went on hearing
    every key and click with its timer running (a test's controller: the next tests'), until the
    collector took it, on whichever thread allocated then."""
    create_group(controller.data_dir, "Food Co-op", "till laptop").close()
    watches: list[Any] = []

    def close_the_window() -> None:
        watches.append(controller.idle_lock)
        controller.window.close()  # as the window's close button does

    QTimer.singleShot(100, close_the_window)
    QApplication.setQuitOnLastWindowClosed(False)  # as the app runs: the controller says when it is done
    try:
        controller.loop.run_until_complete(asyncio.wait_for(controller.run(), 10))
    finally:
        QApplication.setQuitOnLastWindowClosed(True)
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert len(watches) == 1 and controller.idle_lock is None
    assert not shiboken6.isValid(watches[0])


def test_wipe_from_the_file_menu_destroys_this_copy(qtbot: Any, controller: Any) -> None:
    made = create_group(controller.data_dir, "Food Co-op", "till laptop", passphrase=PASSPHRASE)
    path = made.path
    made.close()
    controller.show_unlock(path.name)
    qtbot.keyClicks(controller.unlock_window.passphrase, PASSPHRASE)
    unlock = controller.unlock_window
    qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(unlock.busy.isHidden, timeout=15_000)  # the key is derived on a worker
    window = controller.window

    def confirm(dialog: Any) -> None:
        qtbot.keyClicks(dialog.word, "WIPE")
        qtbot.mouseClick(dialog.buttons.buttons()[0], Qt.MouseButton.LeftButton)

    with_modal(window.wipe_action.trigger, confirm)
    settle(controller, qtbot, lambda: controller.start_window is not None)
    assert not path.exists()


def test_a_plain_group_is_encrypted_from_settings(qtbot: Any, controller: Any) -> None:
    made = create_group(controller.data_dir, "Food Co-op", "till laptop")
    made.members.add("Ana López")
    made.close()
    controller.start()
    window = controller.window
    assert not window.lock_action.isEnabled()  # nothing to lock without a passphrase

    def choose(dialog: Any) -> None:
        qtbot.keyClicks(dialog.fields.first, PASSPHRASE)
        qtbot.keyClicks(dialog.fields.again, PASSPHRASE)
        qtbot.mouseClick(dialog.buttons.buttons()[0], Qt.MouseButton.LeftButton)

    with_modal(window.encrypt_action.trigger, choose)
    settle(controller, qtbot, lambda: controller.window is not None and controller.window is not window)
    assert controller.group.encrypted
    assert controller.window.lock_action.isEnabled()
    assert [m.name for m in controller.group.members.list()] == ["Ana López"]


class _DictKeyring:
    """A keyring backend kept in memory: this machine has no OS keyring (Secret Service) to test with."""

    priority = 1

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, user: str, password: str) -> None:
        self.store[(service, user)] = password

    def get_password(self, service: str, user: str) -> str | None:
        return self.store.get((service, user))

    def delete_password(self, service: str, user: str) -> None:
        del self.store[(service, user)]


def test_remember_on_this_computer_is_offered_only_with_a_keyring_and_opens_without_asking(
        qtbot: Any, controller: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from organiser.services import keyring_store
    from organiser.services.atrest import wipe_group

    made = create_group(controller.data_dir, "Food Co-op", "till laptop", passphrase=PASSPHRASE)
    path = made.path
    made.close()
    ring = _DictKeyring()
    monkeypatch.setattr(keyring_store, "_backend", lambda: ring)
    controller.show_unlock(path.name)
    unlock = controller.unlock_window
    assert unlock.remember.isVisibleTo(unlock) and not unlock.remember.isChecked()  # offered, never the default
    qtbot.mouseClick(unlock.remember, Qt.MouseButton.LeftButton, pos=QPoint(8, unlock.remember.height() // 2))
    assert unlock.remember.isChecked()
    qtbot.keyClicks(unlock.passphrase, PASSPHRASE)
    qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(unlock.busy.isHidden, timeout=15_000)  # the key is derived on a worker
    assert controller.window is not None and list(ring.store) == [("organiser", path.name)]
    assert PASSPHRASE not in ring.store[("organiser", path.name)]
    controller.loop.run_until_complete(controller.lock())
    assert controller.unlock_window is not None and controller.window is None  # a lock asks for the passphrase
    controller._close_unlock()
    from organiser.app import AppController

    next_start = AppController(controller.data_dir, None)
    next_start.start()  # the app's next start opens from the keyring without asking
    assert next_start.unlock_window is None and next_start.window is not None
    controller.loop.run_until_complete(next_start._close_group())
    wipe_group(controller.data_dir, path)
    assert ring.store == {}  # the wipe removes the remembered key too


def _remember_then_open(qtbot: Any, controller: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, _DictKeyring]:
    """An encrypted group opened once with "Remember on this computer" ticked, then the app started again."""
    from organiser.services import keyring_store

    made = create_group(controller.data_dir, "Food Co-op", "till laptop", passphrase=PASSPHRASE)
    path = made.path
    made.close()
    ring = _DictKeyring()
    monkeypatch.setattr(keyring_store, "_backend", lambda: ring)
    controller.start()
    unlock = controller.unlock_window
    qtbot.mouseClick(unlock.remember, Qt.MouseButton.LeftButton, pos=QPoint(8, unlock.remember.height() // 2))
    qtbot.keyClicks(unlock.passphrase, PASSPHRASE)
    qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(unlock.busy.isHidden, timeout=15_000)  # the key is derived on a worker
    assert list(ring.store) == [("organiser", path.name)]
    controller.loop.run_until_complete(controller._close_group())
    controller.start()  # not locked since the app started: the keyring opens it without asking
    assert controller.unlock_window is None and controller.window is not None
    return path, ring


def _stays_locked_until_the_passphrase(qtbot: Any, controller: Any, path: Path) -> None:
    """The unlock screen stays, even coming back to the group through "Other group…", until the passphrase."""
    from tests.ui.conftest import click_row, row_of_text

    assert controller.window is None and controller.group is None
    assert key_for(path / DB_NAME) is None
    qtbot.mouseClick(controller.unlock_window.other_button, Qt.MouseButton.LeftButton)
    start = controller.start_window
    assert start is not None and controller.unlock_window is None
    click_row(qtbot, start.existing, row_of_text(start.existing, f"Encrypted group {path.name[:6]} (locked)"),
              double=True)
    settle(controller, qtbot, lambda: controller.unlock_window is not None)
    controller.loop.run_until_complete(asyncio.sleep(0.05))  # anything still queued would open the group now
    assert controller.window is None and controller.group is None  # the keyring did not open it
    qtbot.keyClicks(controller.unlock_window.passphrase, PASSPHRASE)
    unlock = controller.unlock_window
    qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(unlock.busy.isHidden, timeout=15_000)  # the key is derived on a worker
    assert controller.window is not None and controller.group.name == "Food Co-op"


def test_lock_now_with_remember_on_still_needs_the_passphrase(
        qtbot: Any, controller: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ring = _remember_then_open(qtbot, controller, monkeypatch)
    window = controller.window
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    settle(controller, qtbot, lambda: controller.unlock_window is not None)
    _stays_locked_until_the_passphrase(qtbot, controller, path)


def test_the_idle_lock_with_remember_on_still_needs_the_passphrase(
        qtbot: Any, controller: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ring = _remember_then_open(qtbot, controller, monkeypatch)
    controller.idle_lock.set_minutes(0.005)  # 0.3 s, as if an admin had set a short idle time
    settle(controller, qtbot, lambda: controller.unlock_window is not None)
    controller.idle_lock.set_minutes(60)
    _stays_locked_until_the_passphrase(qtbot, controller, path)


def test_a_remembered_key_that_no_longer_fits_asks_and_says_why_in_the_log(
        qtbot: Any, controller: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from organiser.services import keyring_store

    made = create_group(controller.data_dir, "Food Co-op", "till laptop", passphrase=PASSPHRASE)
    path = made.path
    made.close()
    ring = _DictKeyring()
    ring.set_password("organiser", path.name, "00" * 32)  # e.g. the group was re-made under the same folder
    monkeypatch.setattr(keyring_store, "_backend", lambda: ring)
    with caplog.at_level("WARNING", logger="organiser.ui.unlock"):
        controller.start()
    assert controller.window is None and controller.unlock_window is not None
    assert [r.getMessage() for r in caplog.records if r.name == "organiser.ui.unlock"] == [
        f"the key remembered in the OS keyring for group folder {path.name} does not open it "
        "(the key does not open this group's database.); asking for the passphrase"]


def test_a_group_folder_whose_database_cannot_be_read_is_left_out_and_logged(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from organiser.store.cipher import dbapi
    from organiser.ui.first_run import existing_groups

    data = tmp_path / "data"
    made = create_group(data, "Food Co-op", "till laptop")
    made.close()
    odd = data / "groups" / "0123456789abcdef"
    odd.mkdir()
    conn = dbapi().connect(str(odd / DB_NAME))  # an SQLite file, but not an Organiser database
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    with caplog.at_level("WARNING", logger="organiser.ui.first_run"):
        assert [name for _folder, name in existing_groups(data)] == ["Food Co-op"]
    assert any(str(odd) in r.getMessage() and "no such table" in r.getMessage() for r in caplog.records)


def test_the_app_start_finishes_an_encryption_killed_before_the_rename(
        qtbot: Any, controller: Any, tmp_path: Path) -> None:
    from organiser.store.datadir import group_dirs
    from tests.cli.test_atrest import _kill_at, _make_plain_group

    home = tmp_path / "home"
    home.mkdir()
    _make_plain_group(controller.data_dir, 20)
    _kill_at(["encrypt"], controller.data_dir, home, {"ORGANISER_PASSPHRASE": PASSPHRASE},
             "encrypted-database-in-place")
    [crashed] = group_dirs(controller.data_dir)
    assert len(crashed.name) == 32  # named by the group id, as the crash left it
    controller.start()
    [folder] = group_dirs(controller.data_dir)
    assert len(folder.name) == 16 and controller.unlock_window.folder == folder.name
    qtbot.keyClicks(controller.unlock_window.passphrase, PASSPHRASE)
    unlock = controller.unlock_window
    qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(unlock.busy.isHidden, timeout=15_000)  # the key is derived on a worker
    assert controller.window is not None and controller.group.path == folder
    assert len(controller.group.members.list()) == 20


def test_changing_the_passphrase_from_settings_retires_the_old_key_file_and_the_remembered_key(
        qtbot: Any, controller: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from organiser.core.errors import PassphraseError
    from organiser.store.database import connect
    from organiser.store.datadir import WRAPPED_KEY_NAME
    from organiser.store.keyfile import unseal

    new = "a brand new passphrase nobody saw"
    path, ring = _remember_then_open(qtbot, controller, monkeypatch)
    controller.group.members.add("Ana López")
    window = controller.window
    copied = (path / WRAPPED_KEY_NAME).read_bytes()  # what someone who saw the old passphrase copied
    remembered = ring.store[("organiser", path.name)]

    def change(dialog: Any) -> None:
        qtbot.keyClicks(dialog.current, "not the passphrase")
        qtbot.keyClicks(dialog.new.first, new)
        qtbot.keyClicks(dialog.new.again, new)
        qtbot.mouseClick(dialog.buttons.buttons()[0], Qt.MouseButton.LeftButton)
        assert dialog.isVisible() and "does not unlock" in dialog.error.text()  # a calm retry
        dialog.current.selectAll()
        qtbot.keyClicks(dialog.current, PASSPHRASE)
        qtbot.mouseClick(dialog.buttons.buttons()[0], Qt.MouseButton.LeftButton)

    with_modal(window.passphrase_action.trigger, change)
    settle(controller, qtbot, lambda: controller.window is not None and controller.window is not window)
    assert [m.name for m in controller.group.members.list()] == ["Ana López"]
    assert ring.store[("organiser", path.name)] != remembered  # the keyring holds the new key
    with pytest.raises(PassphraseError):
        connect(path / DB_NAME, key=unseal(copied, PASSPHRASE))  # the old copy opens nothing now
