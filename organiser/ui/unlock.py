"""The unlock screen: an encrypted group's passphrase, asked on start and after a lock.

It names no group (the name is inside the encrypted database). A wrong passphrase is a calm
sentence and another try; "Remember on this computer" appears only where an OS keyring exists.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import OrganiserError, PassphraseError
from organiser.services import keyring_store
from organiser.services.group import Group, open_group
from organiser.services.group_folders import existing_groups, locked_label
from organiser.ui.overrides import guarded
from organiser.ui.resources import app_icon
from organiser.ui.spoken import voice
from organiser.ui.widgets import error_colour
from organiser.ui.worker import off_the_qt_thread

log = logging.getLogger(__name__)

def open_remembered(data_dir: Path, folder: str) -> Group | None:
    """The group opened with a key kept in the OS keyring ("Remember on this computer"), if any."""
    key = keyring_store.recall(data_dir / "groups" / folder)
    if key is None:
        return None
    try:
        return open_group(data_dir, folder, database_key=key)
    except PassphraseError as exc:  # the passphrase was changed elsewhere, or the keyring entry is stale
        log.warning("the key remembered in the OS keyring for group folder %s does not open it (%s); "
                    "asking for the passphrase", folder, exc)
        return None
    except OrganiserError as exc:
        log.warning("group folder %s could not be opened with its remembered key (%s); asking for the "
                    "passphrase", folder, exc)
        return None


class UnlockWindow(QWidget):
    unlocked = Signal(object)  # Group
    otherGroupRequested = Signal()
    closed = Signal()  # by the person, or by the app for the next window

    def __init__(self, data_dir: Path, folder: str, parent: QWidget | None = None, *, note: str = "") -> None:
        super().__init__(parent)
        self.data_dir, self.folder = data_dir, folder
        self.setWindowTitle("Organiser — locked")
        self.setWindowIcon(app_icon())
        layout = QVBoxLayout(self)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignHCenter)
        title = QLabel("This group is locked")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title, 0, Qt.AlignmentFlag.AlignHCenter)
        # An encrypted group's name is inside it: with several groups here (the tenant union and the food
        # bank), say which one this is as the start screen's list does, and that only its passphrase opens it.
        held = len(existing_groups(data_dir))
        self.several = held > 1
        which = (f" This laptop holds {held} groups: this one is {locked_label(folder)} in the list that "
                 "Other group… shows." if self.several else "")
        intro = QLabel((note or "Type the passphrase chosen for this group on this laptop to open it.") + which)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.returnPressed.connect(self.unlock)
        layout.addWidget(self.passphrase)
        self.remember = QCheckBox("&Remember on this computer (in the system keyring)")
        self.remember.setVisible(keyring_store.available())
        self.remember.setChecked(False)  # never the default
        layout.addWidget(self.remember)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # how long the key derivation takes is not known: a busy bar
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName("Unlocking")
        self.busy.hide()
        layout.addWidget(self.busy)
        self.gone = False
        layout.addStretch(1)
        row = QHBoxLayout()
        self.other_button = QPushButton("&Other group…")
        self.other_button.clicked.connect(self.otherGroupRequested.emit)
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.unlock)
        row.addWidget(self.other_button)
        row.addStretch(1)
        row.addWidget(self.unlock_button)
        layout.addLayout(row)
        self.resize(460, 320)
        self.passphrase.setFocus()

    @guarded
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        super().closeEvent(event)
        self.gone = True
        self.closed.emit()

    def unlock(self) -> None:
        text = self.passphrase.text()
        if not text:
            self._say("Type the passphrase first.")
            return
        # The key derivation takes half a second or more (argon2, by design): on a worker thread,
        # the window saying so, its fields and buttons disabled meanwhile.
        self._working(True)
        data_dir, folder = self.data_dir, self.folder
        off_the_qt_thread(lambda: open_group(data_dir, folder, passphrase=text), self._opened, self._refused)

    def _working(self, working: bool) -> None:
        for widget in (self.passphrase, self.remember, self.unlock_button, self.other_button):
            widget.setEnabled(not working)
        self.busy.setVisible(working)
        if working:
            self.message.setText("Unlocking…")
            self.message.setStyleSheet("")
            self.message.show()

    def _opened(self, group: Group) -> None:
        if self.gone:  # closed while the key was derived: nobody wants the group now
            group.close()
            return
        self._working(False)
        self.message.hide()
        self.passphrase.clear()
        if self.remember.isVisible() and self.remember.isChecked():
            key = group.database_key()
            if key is not None:
                keyring_store.remember(group.path, key)
        self.unlocked.emit(group)

    def _refused(self, exc: BaseException) -> None:
        if self.gone:
            return
        self._working(False)
        if isinstance(exc, PassphraseError):
            self._say("That passphrase does not unlock this group. Check Caps Lock and try again."
                      + (" Each group on this laptop has its own passphrase: for another group, choose Other group…"
                         if self.several else ""))
            self.passphrase.selectAll()
            self.passphrase.setFocus()
        elif isinstance(exc, OrganiserError):
            from organiser.ui.dialogs import sentence

            self._say(sentence(exc))
        else:
            log.error("unlocking group folder %s failed", self.folder, exc_info=exc)
            self._say(f"The group could not be opened: {exc}")

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {error_colour(self)};")
        self.message.show()
        # Said too, over what was being read: the passphrase field keeps the focus, and a person on
        # Orca heard nothing after Return and did not know the passphrase was wrong.
        voice.say(self.message, text, urgent=True)
