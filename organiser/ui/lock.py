"""Lock, wipe and passphrase actions of the main window, and the idle timer that locks it.

The window only asks (signals `lockRequested`, `wipeRequested`, `encryptRequested`,
`passphraseChangeRequested`); the app (app.py) stops the sync node, closes the database, forgets
the key and shows the unlock screen, destroys the group's files, or encrypts the database (under
a new key when the passphrase changes) and opens it again, with a `CopyingWindow` on screen
meanwhile.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMenuBar,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import OrganiserError
from organiser.ui.overrides import guarded
from organiser.ui.spoken import SpokenRefusal
from organiser.ui.widgets import error_colour

WIPE_WORD = "WIPE"
_ACTIVITY = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
             QEvent.Type.TouchBegin}


class IdleLock(QObject):
    """Emits `idle` once no key, click or mouse move reached the app for `minutes` (0: never)."""

    idle = Signal()

    def __init__(self, minutes: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self.set_minutes(minutes)

    def set_minutes(self, minutes: float) -> None:
        self.minutes = minutes
        if minutes > 0:
            self.timer.start(int(minutes * 60_000))
        else:
            self.timer.stop()

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in _ACTIVITY and self.minutes > 0:
            self.timer.start()  # restarts with the same interval
        return False


class PassphraseFields(QWidget):
    """A new passphrase typed twice, with a strength hint as it is typed."""

    def __init__(self, parent: QWidget | None = None, *, optional: bool = True, label: str = "&Passphrase",
                 before: tuple[tuple[str, QWidget], ...] = ()) -> None:
        """`before`: rows (label, field) put above the passphrase in the same form, so that all the
        fields line up (the current passphrase, when changing it)."""
        super().__init__(parent)
        from organiser.config import settings

        self.optional = optional and not settings().require_passphrase
        # why an empty passphrase is refused: this computer's policy, or what the person asked for
        # (encrypting a backup, changing the passphrase), where "this computer" would mislead
        self.needed = ("A passphrase is required on this computer." if optional
                       else "Type a passphrase, then the same again.")
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setAccessibleName("Passphrase")
        self.first.setPlaceholderText("four random words are best" + (" (or leave empty)" if self.optional else ""))
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.again.setAccessibleName("Passphrase again")
        self.strength = QLabel()
        self.strength.setWordWrap(True)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        for row_label, field in before:
            form.addRow(row_label, field)
        form.addRow(label, self.first)
        form.addRow("&Again", self.again)
        form.addRow("", self.strength)
        self.first.textChanged.connect(self._hint)
        self._hint("")

    def _hint(self, text: str) -> None:
        from organiser.services.atrest import passphrase_strength

        if not text:
            self.strength.setText("Without a passphrase, anyone who takes this laptop can read the group's data."
                                  if self.optional else self.needed)
            return
        found = passphrase_strength(text)
        self.strength.setText(found.sentence)

    def value(self) -> str | None:
        """The chosen passphrase, None for none; OrganiserError (one sentence) when it cannot be used."""
        from organiser.services.atrest import check_new_passphrase

        first, again = self.first.text(), self.again.text()
        if not first and not again:
            if self.optional:
                return None
            raise OrganiserError(self.needed)
        if first != again:
            raise OrganiserError("The two passphrases differ: type the same one twice.")
        check_new_passphrase(first)
        return first


class _Dialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.layout_ = QVBoxLayout(self)
        self.error = SpokenRefusal()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {error_colour(self)};")
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)

    def finish(self) -> None:
        self.layout_.addWidget(self.error)
        self.layout_.addWidget(self.buttons)

    def fail(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _check(self) -> None:
        raise NotImplementedError


class WipeDialog(_Dialog):
    """Typed confirmation: the person types WIPE."""

    def __init__(self, parent: QWidget | None = None, group_name: str = "", other_groups: int = 0,
                 removed: Any = None) -> None:
        """`group_name`: the group whose copy goes; `other_groups`: how many more this laptop holds, which stay
        (on a laptop in the tenant union and the food bank, the one that goes is named); `removed`: what this
        laptop knows of its removal (services/removed_here.py), when an admin removed it."""
        super().__init__("Wipe this laptop's copy", parent)
        which = f"<b>{html.escape(group_name)}</b>" if group_name else "the group"
        others = ("" if not other_groups else " The other group on this laptop stays as it is." if other_groups == 1
                  else f" The other {other_groups} groups on this laptop stay as they are.")
        after = (" An admin removed this laptop from the group already." if removed is not None
                 else " An admin can then remove this laptop from the group.")
        # On a removed laptop, what was entered since its removal is on no other laptop: it goes with the wipe.
        lost = (f"<p><b>{html.escape(removed.on_no_other_laptop())}: wiping destroys them.</b> Hand them over first "
                "(What did not reach the group…, above every view).</p>" if removed is not None and removed.not_reached
                else "")
        text = QLabel(f"<p>This destroys this laptop's copy of {which}: its key first, then every file. "
                      f"It cannot be undone here; the group's other laptops keep their copies.{after}{others}</p>"
                      f"{lost}<p>Type <b>{WIPE_WORD}</b> to confirm.</p>")
        text.setWordWrap(True)
        self.word = QLineEdit()
        self.word.setAccessibleName("Type WIPE to confirm")
        self.layout_.addWidget(text)
        self.layout_.addWidget(self.word)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Wipe")
        self.finish()

    def _check(self) -> None:
        if self.word.text().strip() != WIPE_WORD:
            self.fail(f"Type {WIPE_WORD} in capitals to confirm, or Cancel.")
            self.word.setFocus()
            return
        self.accept()


class ChangePassphraseDialog(_Dialog):
    def __init__(self, group: Any, parent: QWidget | None = None) -> None:
        super().__init__("Change passphrase", parent)
        self.group = group
        self.current = QLineEdit()
        self.current.setEchoMode(QLineEdit.EchoMode.Password)
        self.current.setAccessibleName("Current passphrase")
        self.new = PassphraseFields(self, optional=False, label="&New passphrase",
                                    before=(("&Current passphrase", self.current),))
        self.layout_.addWidget(self.new)
        self.passphrases = ("", "")  # (current, new) once both are checked
        self.finish()

    def _check(self) -> None:
        """Both passphrases are checked here; the app then changes the key with the group closed."""
        from organiser.store.datadir import WRAPPED_KEY_NAME
        from organiser.store.keyfile import read_key_file

        try:
            new = self.new.value()
            assert new is not None
            read_key_file(self.group.path / WRAPPED_KEY_NAME, self.current.text())
        except OrganiserError as exc:
            from organiser.ui.dialogs import sentence

            self.fail(sentence(exc))
            return
        self.passphrases = (self.current.text(), new)
        self.accept()


class EncryptDialog(_Dialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Encrypt this group", parent)
        text = QLabel("Choose a passphrase. The group's data on this laptop is then encrypted, and the app "
                      "asks for the passphrase when it starts and after it locks. Nothing else changes for "
                      "the group's other laptops.")
        text.setWordWrap(True)
        self.layout_.addWidget(text)
        self.fields = PassphraseFields(self, optional=False)
        self.layout_.addWidget(self.fields)
        self.passphrase = ""
        self.finish()

    def _check(self) -> None:
        try:
            value = self.fields.value()
        except OrganiserError as exc:
            from organiser.ui.dialogs import sentence

            self.fail(sentence(exc))
            return
        self.passphrase = value or ""
        self.accept()


ENCRYPTING = "Encrypting the group's database…"
ENCRYPTED = "The group's data is now encrypted on this laptop: its passphrase opens it."
CHANGING_PASSPHRASE = "Changing the passphrase: the database is being copied under a new key…"
OPENING_AGAIN = "Opening the group again…"


class CopyingWindow(QWidget):
    """What the person sees while the group's database is copied under a new key (encrypting in
    place, a new passphrase): seconds for a large group, with the group closed. No Cancel: the copy
    is crash-safe but is not to be stopped halfway by the person, so closing this window is ignored
    until `finish` (the window says why)."""

    def __init__(self, doing: str) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.CustomizeWindowHint
                         | Qt.WindowType.WindowTitleHint)  # no close button where the window manager obeys
        self.setWindowTitle("Organiser")
        self.doing = QLabel(doing)
        self.doing.setWordWrap(True)
        self.doing.setAccessibleName("What is happening")
        font = self.doing.font()
        font.setBold(True)
        self.doing.setFont(font)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # a copy by SQLCipher tells no progress: a busy bar
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName("Working")
        self.why = QLabel("The group is closed and syncing stops meanwhile; it opens again by itself when "
                          "this is done. This cannot be stopped halfway, so this window stays until then.")
        self.why.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.doing)
        layout.addWidget(self.bar)
        layout.addWidget(self.why)
        self.setMinimumWidth(440)
        self._finished = False

    def finish(self) -> None:
        """Close the window for good (the copy is over, or was refused)."""
        self._finished = True
        self.close()

    @guarded
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._finished:
            event.accept()
        else:
            event.ignore()  # the window manager's close: the copy goes on, and this window says so


def add_security_actions(window: Any, file_menu: QMenu, menubar: QMenuBar) -> None:
    """File > Lock now (Ctrl+L), File > Wipe this laptop's copy…, Settings > passphrase or encrypt."""
    encrypted = bool(getattr(window.group, "encrypted", False))
    before = file_menu.actions()[-1] if file_menu.actions() else None  # above Quit
    window.lock_action = QAction("&Lock now", window)
    window.lock_action.setShortcut(QKeySequence("Ctrl+L"))
    window.lock_action.setEnabled(encrypted)
    window.lock_action.setToolTip("" if encrypted else "Set a passphrase first (Settings > Encrypt this group…)")
    window.lock_action.triggered.connect(window.lockRequested.emit)
    window.wipe_action = QAction("&Wipe this laptop's copy…", window)
    window.wipe_action.triggered.connect(lambda: _ask_wipe(window))
    file_menu.insertActions(before, [window.lock_action, window.wipe_action])
    file_menu.insertSeparator(before)
    settings_menu = menubar.addMenu("&Settings")
    if encrypted:
        window.passphrase_action = settings_menu.addAction("Change &passphrase…",
                                                           lambda: _change_passphrase(window))
    else:
        window.encrypt_action = settings_menu.addAction("&Encrypt this group…", lambda: _ask_encrypt(window))


def _ask_wipe(window: Any) -> None:
    from organiser.services.group_folders import held_groups

    others = [g for g in held_groups(window.group.path.parent.parent) if g.folder != window.group.path.name]
    dialog = WipeDialog(window, window.group.name, len(others), window.removed_notice.here)
    if dialog.exec():
        window.wipeRequested.emit()


def _change_passphrase(window: Any) -> None:
    dialog = ChangePassphraseDialog(window.group, window)
    if dialog.exec():
        window.passphraseChangeRequested.emit(*dialog.passphrases)


def _ask_encrypt(window: Any) -> None:
    dialog = EncryptDialog(window)
    if dialog.exec() and dialog.passphrase:
        window.encryptRequested.emit(dialog.passphrase)
