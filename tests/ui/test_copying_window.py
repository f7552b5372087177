"""Encrypting in place and changing the passphrase copy the whole database under a new key (seconds
for a large group): a small window says what is happening, the copy runs on a worker thread so the
app answers meanwhile, and the group opens again afterwards; a refusal is shown as before.

The copy is held in its worker thread until the test has looked at the app (a wrapper around the
service function waits on an event the test sets), so nothing here depends on how fast it is."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from organiser.services import atrest
from organiser.services.group import create_group
from organiser.store.database import connect
from organiser.store.datadir import DB_NAME, WRAPPED_KEY_NAME
from organiser.store.keyfile import read_key_file
from organiser.ui.lock import CHANGING_PASSPHRASE, ENCRYPTED, ENCRYPTING
from tests.ui.conftest import click_menu, settle, with_modal
from tests.ui.test_lock import PASSPHRASE

NEW = "a brand new passphrase nobody saw"
IN_USE = ("The group's database is in use: close the app and stop 'organiser serve' on this laptop, "
          "then try again.")


class HeldCopy:
    """The service function `name` of organiser.services.atrest, held in the thread that runs it until
    `go` is set: the test looks at the app while the copy is under way."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        real: Callable[..., Any] = getattr(atrest, name)
        self.started = threading.Event()
        self.go = threading.Event()
        self.done = threading.Event()
        self.thread: threading.Thread | None = None

        def held(*args: Any) -> Any:
            self.thread = threading.current_thread()
            self.started.set()
            try:
                if not self.go.wait(20):
                    raise AssertionError("the test never let the copy go on")
                return real(*args)
            finally:
                self.done.set()

        monkeypatch.setattr(atrest, name, held)


@pytest.fixture
def hold(controller: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], HeldCopy]]:
    """Hold a service function in its worker thread; whatever the test did, the copy goes on at the end
    (before the controller's loop and its worker threads are closed)."""
    held: list[HeldCopy] = []

    def make(name: str) -> HeldCopy:
        held.append(HeldCopy(monkeypatch, name))
        return held[-1]

    yield make
    for copy in held:
        copy.go.set()


@pytest.fixture
def errors_shown(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, bool]]:
    """Error boxes are recorded (title, sentence, whether a copying window was still on screen)
    instead of waiting for a click."""
    shown: list[tuple[str, str, bool]] = []

    def warning(_parent: Any, title: str, text: str, *_a: Any, **_k: Any) -> QMessageBox.StandardButton:
        from organiser.ui.lock import CopyingWindow

        copying = any(isinstance(w, CopyingWindow) and w.isVisible() for w in QApplication.topLevelWidgets())
        shown.append((title, text, copying))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", warning)
    return shown


def open_encrypted(qtbot: Any, controller: Any) -> Path:
    """An encrypted group with two members, unlocked by typing its passphrase on the unlock screen."""
    made = create_group(controller.data_dir, "Food Co-op", "till laptop", passphrase=PASSPHRASE)
    made.members.add("Ana López")
    made.members.add("Bo Chen")
    path = made.path
    made.close()
    controller.start()
    unlock_with(qtbot, controller, PASSPHRASE)
    return path


def settle_long(controller: Any, condition: Any, seconds: float = 30) -> None:
    """`settle` for a refusal that comes after the copy waited 5 s for the database, then the group
    opening again with its passphrase's key derived on a worker (the loop runs on meanwhile)."""
    async def wait() -> None:
        for _ in range(int(seconds / 0.01)):
            if condition():
                return
            await asyncio.sleep(0.01)
    controller.loop.run_until_complete(wait())
    assert condition()


def unlock_with(qtbot: Any, controller: Any, passphrase: str) -> None:
    qtbot.keyClicks(controller.unlock_window.passphrase, passphrase)
    unlock = controller.unlock_window
    qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(unlock.busy.isHidden, timeout=15_000)  # the key is derived on a worker


def lock_now(qtbot: Any, controller: Any) -> None:
    window = controller.window
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    settle(controller, qtbot, lambda: controller.unlock_window is not None)


def click_in_menu(qtbot: Any, window: Any, action: Any) -> None:
    """The mouse comes from the middle of the window to the menu bar, then the menu's entry. (Offscreen
    the cursor stays where an earlier test left it; a menu that opens under it takes no click until it
    has moved, as with a real mouse.)"""
    qtbot.mouseMove(window)
    click_menu(qtbot, window, action)


def change_from_the_menu(qtbot: Any, window: Any, old: str, new: str) -> None:
    """Settings > Change passphrase…, clicked; the current passphrase and the new one twice, typed; OK."""
    def change(dialog: Any) -> None:
        qtbot.keyClicks(dialog.current, old)
        qtbot.keyClicks(dialog.new.first, new)
        qtbot.keyClicks(dialog.new.again, new)
        qtbot.mouseClick(dialog.buttons.buttons()[0], Qt.MouseButton.LeftButton)

    with_modal(lambda: click_in_menu(qtbot, window, window.passphrase_action), change)


def encrypt_from_the_menu(qtbot: Any, window: Any, passphrase: str) -> None:
    def choose(dialog: Any) -> None:
        qtbot.keyClicks(dialog.fields.first, passphrase)
        qtbot.keyClicks(dialog.fields.again, passphrase)
        qtbot.mouseClick(dialog.buttons.buttons()[0], Qt.MouseButton.LeftButton)

    with_modal(lambda: click_in_menu(qtbot, window, window.encrypt_action), choose)


def the_app_answers_while_held(controller: Any, copy: HeldCopy) -> None:
    """A Qt timer fires and a coroutine finishes on the app's loop while the copy is still held in a
    thread that is not the Qt thread (a copy on the Qt thread would block the loop until it is let go)."""
    fired: list[str] = []
    QTimer.singleShot(0, lambda: fired.append("timer"))
    controller.loop.run_until_complete(asyncio.sleep(0.05))
    assert fired == ["timer"]
    assert copy.thread is not None and copy.thread is not threading.main_thread()
    assert not copy.done.is_set()


def test_changing_the_passphrase_says_so_in_a_window_while_the_app_answers_then_opens_the_group(
        qtbot: Any, controller: Any, hold: Callable[[str], HeldCopy], errors_shown: list[Any]) -> None:
    path = open_encrypted(qtbot, controller)
    window = controller.window
    copy = hold("change_passphrase")
    change_from_the_menu(qtbot, window, PASSPHRASE, NEW)
    settle(controller, qtbot, copy.started.is_set)

    copying = controller.copying_window
    assert copying is not None and copying.isVisible()
    assert copying.doing.text() == CHANGING_PASSPHRASE
    assert "cannot be stopped halfway" in copying.why.text()
    # closed, syncing stopped: nothing else writes; the window deleted, or at least reading nothing
    assert not shiboken6.isValid(window) or not window.isVisible()
    assert controller.group is None
    assert not shiboken6.isValid(window) or not window.peers_view.incidents.timer.isActive()
    the_app_answers_while_held(controller, copy)
    copying.close()  # the window manager's close button
    assert copying.isVisible() and not controller.done.is_set()  # the copy goes on, and so does the app

    copy.go.set()
    settle(controller, qtbot, lambda: controller.window is not None)
    assert not copying.isVisible() and errors_shown == []
    assert controller.window.statusBar().currentMessage() == "Passphrase changed."
    assert sorted(m.name for m in controller.group.members.list()) == ["Ana López", "Bo Chen"]

    lock_now(qtbot, controller)
    unlock_with(qtbot, controller, PASSPHRASE)
    assert controller.window is None  # the old passphrase opens nothing now
    controller.unlock_window.passphrase.selectAll()
    unlock_with(qtbot, controller, NEW)
    assert controller.window is not None and controller.group.path == path
    assert sorted(m.name for m in controller.group.members.list()) == ["Ana López", "Bo Chen"]


def test_a_passphrase_change_refused_while_the_database_is_in_use_says_why_and_reopens_the_group(
        qtbot: Any, controller: Any, errors_shown: list[Any]) -> None:
    path = open_encrypted(qtbot, controller)
    window = controller.window
    key = read_key_file(path / WRAPPED_KEY_NAME, PASSPHRASE)
    serve = connect(path / DB_NAME, key=key)  # as `organiser serve` on this laptop holds it
    try:
        change_from_the_menu(qtbot, window, PASSPHRASE, NEW)
        settle_long(controller, lambda: controller.window is not None and controller.window is not window)
    finally:
        serve.close()
    assert errors_shown == [("The passphrase was not changed", IN_USE, False)]  # the copying window went first
    assert not controller.copying_window.isVisible()
    assert controller.window.statusBar().currentMessage() == ""
    assert read_key_file(path / WRAPPED_KEY_NAME, PASSPHRASE) == key  # nothing changed

    lock_now(qtbot, controller)
    unlock_with(qtbot, controller, PASSPHRASE)  # the old passphrase still opens it
    assert sorted(m.name for m in controller.group.members.list()) == ["Ana López", "Bo Chen"]


def test_encrypting_in_place_says_so_in_a_window_while_the_app_answers_then_opens_the_group(
        qtbot: Any, controller: Any, hold: Callable[[str], HeldCopy], errors_shown: list[Any]) -> None:
    made = create_group(controller.data_dir, "Food Co-op", "till laptop")
    made.members.add("Ana López")
    made.close()
    controller.start()
    window = controller.window
    copy = hold("encrypt_group")
    encrypt_from_the_menu(qtbot, window, PASSPHRASE)
    settle(controller, qtbot, copy.started.is_set)

    copying = controller.copying_window
    assert copying.isVisible() and copying.doing.text() == ENCRYPTING
    assert (not shiboken6.isValid(window) or not window.isVisible()) and controller.group is None
    the_app_answers_while_held(controller, copy)
    copying.close()
    assert copying.isVisible() and not controller.done.is_set()

    copy.go.set()
    settle(controller, qtbot, lambda: controller.window is not None)
    assert not copying.isVisible() and errors_shown == []
    assert controller.group.encrypted and controller.window.lock_action.isEnabled()
    assert controller.window.statusBar().currentMessage() == ENCRYPTED
    lock_now(qtbot, controller)
    unlock_with(qtbot, controller, PASSPHRASE)
    assert [m.name for m in controller.group.members.list()] == ["Ana López"]


def test_encrypting_refused_while_the_database_is_in_use_says_why_and_reopens_it_plain(
        qtbot: Any, controller: Any, errors_shown: list[Any]) -> None:
    made = create_group(controller.data_dir, "Food Co-op", "till laptop")
    made.members.add("Ana López")
    path = made.path
    made.close()
    controller.start()
    window = controller.window
    serve = connect(path / DB_NAME)
    try:
        encrypt_from_the_menu(qtbot, window, PASSPHRASE)
        settle_long(controller, lambda: controller.window is not None and controller.window is not window)
    finally:
        serve.close()
    assert errors_shown == [("The group was not encrypted", IN_USE, False)]
    assert not controller.copying_window.isVisible()
    assert not controller.group.encrypted and controller.group.path == path
    assert [m.name for m in controller.group.members.list()] == ["Ana López"]
