"""One app per data folder: started again (a second click on the launcher, a double-click while
the first window is behind others), the app brings the open window forward and ends, instead of
opening a second window writing to the same groups.

The first app holds a lock file in the data folder (QLockFile: a lock left by an app that crashed
is taken over, its process being gone, even when its process number went to another process) and
listens on a local socket named after the folder and the user; a second start finds the lock held,
asks the first through that socket to come forward, and says so. The command line is not held
back: it shares the store with the app by design (each write takes SQLite's lock, and the window
shows what it commits: ui/store_watch.py)."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from organiser.store.datadir import ensure_private_dir

log = logging.getLogger(__name__)

LOCK_NAME = "app.lock"
ASK = b"come forward\n"
WAIT_MS = 2000


def socket_name(data_dir: Path) -> str:
    """The local socket's name: the same for every start on this folder by this user, and no
    name of the folder in it (the socket lives in the shared temporary folder)."""
    uid = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "")
    digest = hashlib.sha256(f"{uid}\0{data_dir.expanduser().resolve()}".encode()).hexdigest()[:20]
    return f"organiser-{digest}"


def already_open_sentence(data_dir: Path, answered: bool) -> str:
    if answered:
        return f"Organiser is already open for {data_dir}: its window was brought forward."
    return (f"Organiser is already open for {data_dir} (its window did not answer): close it first, "
            "or wait until it has finished starting.")


def _left_by_an_ended_app(lock: QLockFile) -> bool:
    """Takes over a lock no app holds any more, though QLockFile thought it held: it names a process
    number Linux has handed out again (after 32,768 on many laptops) to a process of the same program
    (python3.11, or the packaged `organiser`, its command line included), which QLockFile takes for
    the owner. The lock file's own lock (flock) goes with the process that held it, so removing it
    fails while an app, even one still starting, holds it; nobody answered on the socket either."""
    return lock.removeStaleLockFile() and lock.tryLock(0)


class OneApp(QObject):
    """`claim()` once at start: True for the first app on its data folder, which then hears
    `comeForward` each time another start asks; False for a later one, which has asked."""

    comeForward = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.answered = False  # a later start: whether the first app heard it
        self._lock: QLockFile | None = None
        self._server: QLocalServer | None = None

    def claim(self) -> bool:
        ensure_private_dir(self.data_dir)  # the first start makes it: owner-only like the rest
        lock = QLockFile(str(self.data_dir / LOCK_NAME))
        lock.setStaleLockTime(0)  # held as long as the app runs; a crashed app's lock goes with its process
        if not lock.tryLock(0):
            self.answered = self._ask_first()
            if self.answered or not _left_by_an_ended_app(lock):
                return False
        self._lock = lock
        name = socket_name(self.data_dir)
        QLocalServer.removeServer(name)  # a socket left by an app that crashed: the lock says it is gone
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(name):
            log.warning("a second start cannot bring this window forward: %s", server.errorString())
        server.newConnection.connect(self._asked)
        self._server = server
        return True

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def _ask_first(self) -> bool:
        socket = QLocalSocket()
        socket.connectToServer(socket_name(self.data_dir))
        if not socket.waitForConnected(WAIT_MS):
            return False
        socket.write(ASK)
        answered = socket.waitForBytesWritten(WAIT_MS)
        socket.disconnectFromServer()
        return answered

    def _asked(self) -> None:
        server = self._server
        while server is not None and server.hasPendingConnections():
            socket = server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(ASK.strip()):
            self.comeForward.emit()


__all__ = ["LOCK_NAME", "OneApp", "already_open_sentence", "socket_name"]
