"""Composition root of the desktop app: QApplication with asyncio (qasync) inside the Qt
loop, the group, its sync node and the main window, and an orderly shutdown."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMainWindow

from organiser.core.errors import LockedError, NoGroupError, OrganiserError
from organiser.display_check import display_problem, unanswered_display
from organiser.services.group import Group, find_group_dir, open_group
from organiser.services.group import lock as lock_group

log = logging.getLogger(__name__)
T = TypeVar("T")


def build_main_window(group: Group, node: Any = None) -> QMainWindow:
    """The main window over an open group; `node` is a SyncNode, or None for no network."""
    from organiser.ui.main_window import MainWindow

    if QApplication.instance() is None:
        raise RuntimeError("create a QApplication before building the main window")
    return MainWindow(group, node, background=True)


def load_sync_node() -> tuple[type | None, str]:
    """The SyncNode class, or None with one sentence saying why the network is off."""
    try:
        from organiser.net.node import SyncNode
    except ImportError as exc:
        log.warning("network layer unavailable: %s", exc)
        return None, "The network layer is not part of this build, so this device works on its own."
    return SyncNode, ""


class AppController:
    """Owns the group, its node and the window; swaps groups; shuts everything down."""

    def __init__(self, data_dir: Path, group_choice: str | None) -> None:
        self.data_dir = data_dir
        self.group_choice = group_choice
        self.group: Group | None = None
        self.node: Any = None
        self.folder_watcher: Any = None
        self.window: Any = None
        self.start_window: Any = None
        self.unlock_window: Any = None
        self.copying_window: Any = None  # says what happens while the database is copied under a new key
        self._retired: Any = None  # the last window closed from one of its own signals
        self.idle_lock: Any = None
        # "Remember on this computer" opens a group at start only: once the app has locked (Lock now,
        # idle lock), only the passphrase unlocks, whichever way the person comes back to the group.
        self.keyring_allowed = True
        self.done = asyncio.Event()

    def start(self) -> None:
        from organiser.services.atrest import finish_interrupted_encryptions

        try:
            finish_interrupted_encryptions(self.data_dir)  # nothing has the groups open yet
        except OSError as exc:
            log.warning("an interrupted encryption in %s could not be finished (%s)", self.data_dir, exc)
        try:
            group = open_group(self.data_dir, self.group_choice)
        except NoGroupError:
            self.show_start()
            return
        except LockedError:
            self.show_unlock(find_group_dir(self.data_dir, self.group_choice).name)
            return
        except OrganiserError as exc:
            from organiser.ui.dialogs import show_error

            show_error(None, "Cannot open the group", exc)
            self.show_start()
            return
        self.open_window(group)

    # ---- locked: the unlock screen ----------------------------------------------------------

    def show_unlock(self, folder: str, note: str = "") -> None:
        """The unlock screen; until the app first locks, a key remembered in the OS keyring opens the
        group without it (after a lock it does not: a locked laptop left unattended stays locked)."""
        from organiser.ui.unlock import UnlockWindow, open_remembered

        remembered = open_remembered(self.data_dir, folder) if self.keyring_allowed else None
        if remembered is not None:
            self.open_window(remembered)
            return
        self.unlock_window = UnlockWindow(self.data_dir, folder, note=note)
        self.unlock_window.unlocked.connect(self._on_unlocked)
        self.unlock_window.otherGroupRequested.connect(self._unlock_to_start)
        self.unlock_window.closed.connect(self._first_window_closed)
        self.unlock_window.show()

    def _close_unlock(self) -> None:
        unlock, self.unlock_window = self.unlock_window, None
        if unlock is not None:
            self._retire(unlock)
            # Closed from its own button's signal: keep it alive until that signal has returned.
            self._retired = unlock

    def _on_unlocked(self, group: Group) -> None:
        self._close_unlock()
        self.open_window(group)

    def _unlock_to_start(self) -> None:
        self._close_unlock()
        self.show_start()

    async def lock(self, note: str = "") -> None:
        """Close the database, forget its key, stop syncing (peers see this device gone), ask again."""
        group = self.group
        if group is None or self.window is None or not group.encrypted:
            return
        self.keyring_allowed = False
        await self._close_group()
        self.show_unlock(group.path.name, note)

    async def _close_group(self) -> None:
        # Syncing stops first, while the window is still open: with no window left across an
        # await, Qt would end the application before the next one (unlock, start) is shown.
        await self._stop_node()
        window, self.window = self.window, None
        if window is not None:
            window.closed.disconnect(self._window_closed)
            window.close()
            # Deleted by Qt's loop, at a safe point: left to Python, the window, held in reference
            # cycles (its signals' lambdas), went when the collector ran, at any moment, even while
            # Qt was handing one of its widgets an event: a crash (SIGSEGV in processEvents).
            window.deleteLater()
        group, self.group = self.group, None
        if group is not None:
            group.close()
            lock_group(group.path)  # whoever else held the key in this process: forgotten too

    async def wipe(self) -> None:
        from organiser.services.atrest import wipe_group

        group = self.group
        if group is None:
            return
        path = group.path
        await self._close_group()
        try:
            wipe_group(self.data_dir, path)
        except OSError as exc:
            from organiser.ui.dialogs import show_error

            show_error(None, "The wipe did not finish", exc)
        self.show_start()

    async def encrypt(self, passphrase: str) -> None:
        """Encrypt the open plain group in place (its database is copied under a new key), then open
        it again; still plain, with the reason shown, after a refusal."""
        from organiser.services.atrest import encrypt_group
        from organiser.ui.lock import ENCRYPTED, ENCRYPTING

        group = self.group
        if group is None:
            return
        folder = group.path.name
        copying = self._show_copying(ENCRYPTING)
        try:
            await self._close_group()
            encrypted = await self._copy_off_the_qt_thread(
                copying, "The group was not encrypted", encrypt_group, self.data_dir, folder, passphrase)
            if encrypted is not None:
                folder = encrypted.name
            try:
                self.open_window(await self._reopen(copying, folder, passphrase))
            except OrganiserError as exc:  # still plain after a refusal: opens without a passphrase
                from organiser.ui.dialogs import show_error

                copying.finish()
                show_error(None, "Cannot open the group", exc)
                self.show_start()
                return
        finally:
            copying.finish()
        if encrypted is not None:
            self.window.show_message(ENCRYPTED)

    async def change_passphrase(self, old: str, new: str) -> None:
        """A new passphrase and a new database key: the group is closed (syncing stops) while the
        database is copied under the new key, then opened again with whichever passphrase opens it."""
        from organiser.services.atrest import change_passphrase
        from organiser.ui.lock import CHANGING_PASSPHRASE

        group = self.group
        if group is None:
            return
        path = group.path
        copying = self._show_copying(CHANGING_PASSPHRASE)
        try:
            await self._close_group()
            changed = await self._copy_off_the_qt_thread(
                copying, "The passphrase was not changed", change_passphrase, path, old, new)
            passphrase, message = (new, "Passphrase changed.") if changed is not None else (old, "")
            try:
                self.open_window(await self._reopen(copying, path.name, passphrase))
            except OrganiserError as exc:
                from organiser.ui.dialogs import show_error

                copying.finish()
                show_error(None, "Cannot open the group", exc)
                self.show_unlock(path.name)
                return
        finally:
            copying.finish()
        if message:
            self.window.show_message(message)

    async def _reopen(self, copying: Any, folder: str, passphrase: str | None) -> Group:
        """The group opened again, its passphrase's key derived on a worker (half a second or more): a
        window says so meanwhile (the copying one, or after a refusal a new one: with no window left
        across an await, Qt would end the application)."""
        from organiser.ui.lock import OPENING_AGAIN

        shown = copying if copying.isVisible() else self._show_copying(OPENING_AGAIN)
        try:
            return await asyncio.to_thread(open_group, self.data_dir, folder, passphrase=passphrase)
        finally:
            if shown is not copying:
                shown.finish()

    def _show_copying(self, doing: str) -> Any:
        """The small window that says `doing` while the database is copied under a new key. It is shown
        before the group closes: with no window left across an await, Qt would end the application."""
        from organiser.ui.lock import CopyingWindow

        self.copying_window = CopyingWindow(doing)
        if self.window is not None:  # where the person was looking, as the group's window goes
            self.copying_window.adjustSize()
            self.copying_window.move(self.window.frameGeometry().center() - self.copying_window.rect().center())
        self.copying_window.show()
        return self.copying_window

    async def _copy_off_the_qt_thread(self, copying: Any, refused: str, copy: Callable[..., T], *args: Any) -> T | None:
        """`copy(*args)` on a worker thread, so the app answers while a large database is copied (seconds);
        the group is closed and syncing stopped, so nothing else touches the database meanwhile. Its
        result; None after a refusal, shown (the `copying` window gone first) under the title `refused`."""
        try:
            return await asyncio.to_thread(copy, *args)
        except Exception as exc:  # noqa: BLE001 - crash-safe: whatever stopped it, the group is whole and opens
            from organiser.ui.dialogs import show_error

            copying.finish()
            show_error(None, refused, exc)  # logged with its traceback unless the person could cause it
            return None

    def _lock_when_idle(self) -> None:
        if self.window is not None and self.group is not None and self.group.encrypted:
            asyncio.ensure_future(self.lock("Locked after a while without use. Type the passphrase to go on."))

    # ---- no group open: the start screen ---------------------------------------------------

    def show_start(self) -> None:
        from organiser.ui.first_run import StartWindow

        open_now = self.group.path.name if self.group is not None and self.window is not None else None
        self.start_window = StartWindow(self.data_dir, open_now=open_now)
        self.start_window.groupReady.connect(self._on_group_ready)
        self.start_window.unlockRequested.connect(self._start_to_unlock)
        self.start_window.destroyed.connect(lambda *_: None)
        self.start_window.closed.connect(self._first_window_closed)
        self.start_window.show()

    def _first_window_closed(self) -> None:
        """The person closed the start or unlock window: with no group window open, the app ends."""
        if self.window is None:
            self.done.set()

    def _retire(self, window: Any) -> None:
        """Close a start or unlock window for the next one: not the person closing the app."""
        window.closed.disconnect(self._first_window_closed)
        window.close()

    def _start_to_unlock(self, folder: str) -> None:
        start, self.start_window = self.start_window, None
        if start is not None:
            self._retire(start)
            self._retired = start  # closed from its own list's signal: alive until that returns
        asyncio.ensure_future(self._close_group()).add_done_callback(lambda _f: self.show_unlock(folder))

    def _on_group_ready(self, group: Group) -> None:
        start, self.start_window = self.start_window, None
        if start is not None:
            self._retire(start)
        asyncio.ensure_future(self._switch_to(group))

    async def _switch_to(self, group: Group) -> None:
        old = self.window
        if old is not None:
            self.window = None
            old.closed.disconnect(self._window_closed)
            old.close()
            old.deleteLater()  # see _close_group
            await self._stop_node()
            if self.group is not None:
                self.group.close()
        self.open_window(group)

    def open_window(self, group: Group) -> None:
        from organiser.store.datadir import set_current
        from organiser.ui.main_window import MainWindow

        self.group = group
        # The group she looks at is the current one: the next start opens it, and a command typed
        # without --group acts on it, not on whichever group this laptop created or joined last.
        try:
            set_current(self.data_dir, group.path.name)
        except OSError as exc:
            log.warning("could not remember %s as the group opened last (%s)", group.path, exc)
        node_class, note = load_sync_node()
        self.window = MainWindow(group, None, network_note=note or "Starting the network…", background=True)
        self.window.closed.connect(self._window_closed)
        self.window.switchGroupRequested.connect(self.show_start)
        self.window.lockRequested.connect(lambda: asyncio.ensure_future(self.lock()))
        self.window.wipeRequested.connect(lambda: asyncio.ensure_future(self.wipe()))
        self.window.encryptRequested.connect(lambda p: asyncio.ensure_future(self.encrypt(p)))
        self.window.passphraseChangeRequested.connect(
            lambda old, new: asyncio.ensure_future(self.change_passphrase(old, new)))
        self._watch_idle()
        self.window.show()
        if node_class is not None:
            asyncio.ensure_future(self._start_node(node_class, group))
        asyncio.ensure_future(self._start_folder_watcher(group))

    async def _start_folder_watcher(self, group: Group) -> None:
        """Passes over the group's shared folders every few seconds, network or not."""
        from organiser.services.folders import FolderWatcher

        if self.group is not group or self.window is None:
            return
        self.folder_watcher = FolderWatcher(group.replica)
        self.folder_watcher.start()
        self.window.peers_view.folder_watcher = self.folder_watcher

    async def _start_node(self, node_class: type, group: Group) -> None:
        from organiser.config import settings
        from organiser.net.node import CannotListen

        node = node_class(group, **settings().node_options())  # the port, discovery and peers an admin set
        try:
            await node.start()
        except (OrganiserError, OSError) as exc:
            if isinstance(exc, CannotListen):
                exc = CannotListen(f"{exc} {settings().listen_port_advice()}".strip())
            log.warning("network did not start: %s", exc)
            if self.window is not None:
                self.window.peers_view.set_node(None, f"The network did not start: {exc}")
            return
        if self.group is not group or self.window is None:  # the person switched group meanwhile
            await node.stop()
            return
        self.node = node
        self.window.node = node
        self.window.peers_view.set_node(node)
        self.window.update_peer_status()

    async def _stop_node(self) -> None:
        watcher, self.folder_watcher = self.folder_watcher, None
        if watcher is not None:  # its worker connection closes before the group's
            await watcher.stop()
        node, self.node = self.node, None
        if node is not None:
            try:
                await asyncio.wait_for(node.stop(), 5.0)
            except Exception:  # shutting down: log and carry on closing
                log.exception("the sync node did not stop cleanly")

    def _watch_idle(self) -> None:
        from organiser.config import settings
        from organiser.ui.lock import IdleLock

        if self.idle_lock is None:
            self.idle_lock = IdleLock(settings().lock_after_minutes)
            self.idle_lock.idle.connect(self._lock_when_idle)
            app = QApplication.instance()
            if app is not None:
                app.installEventFilter(self.idle_lock)
        self.idle_lock.set_minutes(self.idle_lock.minutes)  # a fresh start of the idle time

    def stop_watching_idle(self) -> None:
        """The idle watch leaves the application's events, deleted by Qt's loop: left installed, it
        outlived this controller (a test's) with its timer running, until the collector took it."""
        watch, self.idle_lock = self.idle_lock, None
        if watch is None:
            return
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(watch)
        watch.timer.stop()
        watch.deleteLater()

    def bring_forward(self) -> None:
        """The app was started again: the window on screen comes to the front instead."""
        for window in (self.window, self.unlock_window, self.start_window, self.copying_window):
            if window is not None and window.isVisible():
                window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
                window.raise_()
                window.activateWindow()
                return

    def _window_closed(self) -> None:
        if self.start_window is None:
            self.done.set()

    async def run(self) -> None:
        self.start()
        await self.done.wait()
        self.stop_watching_idle()
        await self._stop_node()
        if self.group is not None:
            self.group.close()


def run_app(args: argparse.Namespace) -> int:
    """Open the desktop app (what `organiser` does without a command)."""
    import qasync

    from organiser.paths import data_dir_of
    from organiser.ui.collector import collect_on_gui_thread
    from organiser.ui.colours import readable_hints
    from organiser.ui.focus_style import install_focus_frames
    from organiser.ui.one_app import OneApp, already_open_sentence
    from organiser.ui.resources import app_icon
    from organiser.ui.unexpected import UnexpectedErrors

    problem = display_problem() or unanswered_display()
    if problem:
        print(f"organiser: {problem}", file=sys.stderr)
        return 1
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    collect_on_gui_thread(app)  # never a worker thread: it would delete a window's widgets there
    app.setApplicationName("Organiser")
    app.setOrganizationName("Organiser")
    app.setDesktopFileName("organiser")
    app.setWindowIcon(app_icon())
    install_focus_frames(app)  # the focus drawn so that it is seen
    readable_hints(app)  # follows the desktop's palette while the app runs
    app.setQuitOnLastWindowClosed(False)  # the controller decides when we are done
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    data_dir = data_dir_of(args)
    one = OneApp(data_dir, app)
    if not one.claim():  # a second writer on the same groups would only confuse who saved what
        print(f"organiser: {already_open_sentence(data_dir, one.answered)}", file=sys.stderr)
        return 0 if one.answered else 1
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    # A fault in a slot, a guarded override or a task: logged in the data folder, told in one sentence.
    UnexpectedErrors(data_dir, app).install(loop)
    controller = AppController(data_dir, getattr(args, "group", None))
    one.comeForward.connect(controller.bring_forward)
    try:
        with loop:
            loop.run_until_complete(controller.run())
    finally:
        one.release()
    return 0


__all__ = ["AppController", "build_main_window", "run_app"]
