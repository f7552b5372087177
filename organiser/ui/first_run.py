"""The start screen: create a group, join one with an invite code, open a demo group, or
open another group this device already holds."""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import LockedError, OrganiserError, ValidationError
from organiser.services.folder_invites import PREFIX as FOLDER_PREFIX
from organiser.services.group import Group, create_group, existing_groups, open_group
from organiser.ui.asyncjobs import spawn
from organiser.ui.dialogs import sentence
from organiser.ui.file_choice import folder as choose_folder
from organiser.ui.folders_dialog import start_folder
from organiser.ui.lock import PassphraseFields
from organiser.ui.overrides import guarded
from organiser.ui.resources import app_icon
from organiser.ui.widgets import error_colour
from organiser.ui.worker import off_the_qt_thread

log = logging.getLogger(__name__)


def default_device_name() -> str:
    from organiser.config import settings  # device_name in the config files, else this computer's name

    return (settings().device_name_for_this_device() or socket.gethostname().split(".")[0] or "my laptop")[:40]


class StartWindow(QWidget):
    groupReady = Signal(object)  # Group
    unlockRequested = Signal(str)  # the folder of an encrypted group chosen from the list
    closed = Signal()  # by the person, or by the app for the next window

    def __init__(self, data_dir: Path, parent: QWidget | None = None, *, open_now: str | None = None) -> None:
        """`open_now`: the folder of the group open in the window behind (File > Other group…), marked in the list."""
        super().__init__(parent)
        self.data_dir = data_dir
        self.open_now = open_now
        # Where a spoken code's nameplate is offered: None looks on the LAN with mDNS (net/spoken_mdns.py).
        self.find_inviter: Callable[[int], Awaitable[list[str]]] | None = None
        self.setWindowTitle("Welcome to Organiser")
        self.setWindowIcon(app_icon())
        self._go_buttons: dict[int, QPushButton] = {}  # page -> its main button, pressed by Return
        self.pages = QStackedWidget()
        self.pages.addWidget(self._choices())
        self.pages.addWidget(self._create_page())
        self.pages.addWidget(self._join_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.resize(620, 460)

    @guarded
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        super().closeEvent(event)
        self.closed.emit()

    @guarded
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.WindowActivate:
            # The focus drawn from the start: the keys are on Create a new group, and the style
            # marks the focus only once a key has moved it (three alike buttons, nothing said
            # where). Once activated: activating the window clears the mark's flag.
            QTimer.singleShot(0, self, self._mark_the_focus)
        return super().event(event)

    def _mark_the_focus(self) -> None:
        self.setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)
        if self.focusWidget() is not None:
            self.focusWidget().update()

    @guarded
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        """The keys of a dialog, which this plain window is not: Return in a field presses the
        page's main button, Return on a button presses it (outside a dialog a button takes only
        Space), and Escape goes back from a page to the three choices, as Back does."""
        go = self._go_buttons.get(self.pages.currentIndex())
        focused = self.focusWidget()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if isinstance(focused, QPushButton) and focused.isEnabled():
                focused.click()
                return
            if go is not None and go.isEnabled() and isinstance(focused, QLineEdit):
                go.click()
                return
        if event.key() == Qt.Key.Key_Escape and go is not None and go.isEnabled():  # not while creating
            self.back_to_choices()
            return
        super().keyPressEvent(event)

    def back_to_choices(self) -> None:
        """The first page again, the keys on the choice that led away from it."""
        came_from = self.create_choice if self.pages.currentIndex() == 1 else self.join_choice
        self.pages.setCurrentIndex(0)
        came_from.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._mark_the_focus()  # moved by a key (Escape, Back): drawn

    def _title(self, text: str) -> QLabel:
        label = QLabel(text)
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        label.setFont(font)
        return label

    def _error_label(self) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setStyleSheet(f"color: {error_colour(self)};")
        label.hide()
        return label

    def _choices(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(72, 72))
        layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self._title("Welcome to Organiser"), 0, Qt.AlignmentFlag.AlignHCenter)
        intro = QLabel("Your group's events, tasks and members, on this laptop, shared directly with the "
                       "group's other laptops on the same network. No server, no account.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.create_choice = QPushButton("Create a &new group")
        self.join_choice = QPushButton("&Join a group with an invite code")
        self.demo_choice = QPushButton("Open a &demo group with sample data")
        for button, target in ((self.create_choice, 1), (self.join_choice, 2)):
            button.setMinimumHeight(40)
            button.clicked.connect(lambda _c=False, t=target: self.pages.setCurrentIndex(t))
            layout.addWidget(button)
        self.demo_choice.setMinimumHeight(40)
        self.demo_choice.clicked.connect(self.open_demo)
        layout.addWidget(self.demo_choice)
        self.progress = QProgressBar()
        self.progress.hide()
        layout.addWidget(self.progress)
        self.existing = QListWidget()
        self.existing.setAccessibleName("Groups on this laptop")
        self.existing.itemActivated.connect(self._open_existing)
        groups = existing_groups(self.data_dir)
        for folder, name in groups:
            item = QListWidgetItem(f"{name} (open now)" if folder == self.open_now else name)
            item.setData(Qt.ItemDataRole.UserRole, folder)
            self.existing.addItem(item)
        if groups:
            layout.addWidget(QLabel("Or open a group this laptop already holds (double-click):"))
            layout.addWidget(self.existing, 1)
        else:
            layout.addStretch(1)
        self.choice_error = self._error_label()
        layout.addWidget(self.choice_error)
        return page

    def _create_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self._title("Create a group"))
        form = QFormLayout()
        self.group_name = QLineEdit()
        self.group_name.setPlaceholderText("e.g. Riverside Tenants Union")
        self.group_name.setAccessibleName("Group name")
        self.create_device = QLineEdit(default_device_name())
        self.create_device.setAccessibleName("This laptop's name")
        form.addRow("&Group name", self.group_name)
        form.addRow("&This laptop", self.create_device)
        layout.addLayout(form)
        self.create_passphrase = PassphraseFields(page)  # encrypts the group's data on this laptop
        layout.addWidget(self.create_passphrase)
        _one_label_column(form, self.create_passphrase.layout())
        self.create_error = self._error_label()
        layout.addWidget(self.create_error)
        self.creating = QLabel("Creating the group…")
        self.creating.hide()
        layout.addWidget(self.creating)
        layout.addStretch(1)
        self.create_buttons = self._buttons("Create group", self.create, page=1)
        layout.addLayout(self.create_buttons)
        for field in (self.group_name, self.create_device, self.create_passphrase.first,
                      self.create_passphrase.again):  # a refusal goes once its field is being put right
            field.textChanged.connect(self.create_error.hide)
        return page

    def _join_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self._title("Join a group"))
        hint = self.join_hint = QLabel(
            "Ask someone in the group to choose <b>Invite a laptop…</b> under Laptops, "
            "and type the short code they read out (like 7-purple-sausage), or paste the long "
            "code. Their laptop must be on this network. A code starting with ORGF- was left in a shared "
            "folder or on a USB stick: Join then asks for that folder.")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        form = QFormLayout()
        self.code = QPlainTextEdit()
        self.code.setAccessibleName("Invite code")
        self.code.setMaximumHeight(90)
        self.code.setTabChangesFocus(True)  # Tab moves on to the device name; a code has no tabs
        self.join_device = QLineEdit(default_device_name())
        self.join_device.setAccessibleName("This laptop's name")
        form.addRow("Invite &code", self.code)
        form.addRow("&This laptop", self.join_device)
        layout.addLayout(form)
        self.join_passphrase = PassphraseFields(page)
        layout.addWidget(self.join_passphrase)
        _one_label_column(form, self.join_passphrase.layout())
        self.join_error = self._error_label()
        layout.addWidget(self.join_error)
        layout.addStretch(1)
        self.join_buttons = self._buttons("Join", self.join, page=2)
        layout.addLayout(self.join_buttons)
        return page

    def _buttons(self, label: str, action: object, *, page: int) -> QHBoxLayout:
        row = QHBoxLayout()
        back = QPushButton("&Back")
        back.clicked.connect(self.back_to_choices)
        go = QPushButton(label)
        go.setDefault(True)
        go.clicked.connect(action)
        self._go_buttons[page] = go
        row.addWidget(back)
        row.addStretch(1)
        row.addWidget(go)
        return row

    def _fail(self, label: QLabel, exc: BaseException | str) -> None:
        label.setText(sentence(exc) if isinstance(exc, BaseException) else exc)
        label.show()

    def create(self) -> None:
        try:
            passphrase = self.create_passphrase.value()
        except OrganiserError as exc:
            self._fail(self.create_error, exc)
            self.create_passphrase.first.setFocus()
            return
        data_dir, name, device = self.data_dir, self.group_name.text(), self.create_device.text()
        if passphrase is None:  # a plain group is made in a few milliseconds, a refusal said at once
            try:
                group = create_group(data_dir, name, device)
            except (OrganiserError, OSError) as exc:
                self._not_created(exc)
                return
            self.groupReady.emit(group)
            return
        # With a passphrase, its key derivation takes half a second or more: on a worker thread,
        # the form disabled and saying so meanwhile.
        self._creating(True)
        off_the_qt_thread(lambda: create_group(data_dir, name, device, passphrase=passphrase),
                          self._created, self._not_created)

    def _creating(self, busy: bool) -> None:
        back, go = self.create_buttons.itemAt(0).widget(), self.create_buttons.itemAt(2).widget()
        for widget in (self.group_name, self.create_device, self.create_passphrase, back, go):
            widget.setEnabled(not busy)
        self.creating.setVisible(busy)
        if busy:
            self.create_error.hide()

    def _created(self, group: Group) -> None:
        self._creating(False)
        self.groupReady.emit(group)

    def _not_created(self, exc: BaseException) -> None:
        self._creating(False)
        if not isinstance(exc, OrganiserError | OSError):
            log.error("creating a group failed", exc_info=exc)
        self._fail(self.create_error, exc)
        (self.create_device if isinstance(exc, ValidationError) and exc.field == "device-name"
         else self.group_name).setFocus()

    def open_demo(self) -> None:
        from organiser.services.demo import create_demo_group

        self.progress.show()
        self.progress.setRange(0, 0)

        def progress(done: int, total: int) -> None:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

        try:
            group = create_demo_group(self.data_dir, default_device_name(), progress=progress)
        except (OrganiserError, OSError) as exc:
            self.progress.hide()
            self._fail(self.choice_error, exc)
            return
        self.groupReady.emit(group)

    def _open_existing(self, item: QListWidgetItem) -> None:
        try:
            group = open_group(self.data_dir, item.data(Qt.ItemDataRole.UserRole))
        except LockedError:
            self.unlockRequested.emit(item.data(Qt.ItemDataRole.UserRole))
            return
        except (OrganiserError, OSError) as exc:
            self._fail(self.choice_error, exc)
            return
        self.groupReady.emit(group)

    def _joining(self, busy: bool) -> None:
        """The form waits while the group is contacted; the line saying what happens (and the
        verification code to compare) stays readable, not greyed out with it."""
        back, go = self.join_buttons.itemAt(0).widget(), self.join_buttons.itemAt(2).widget()
        for widget in (self.code, self.join_device, self.join_passphrase, back, go):
            widget.setEnabled(not busy)

    def join(self) -> None:
        code = "".join(self.code.toPlainText().split())
        if not code:
            self._fail(self.join_error, "Invite code: paste the code the other laptop shows.")
            self.code.setFocus()
            return
        if code.upper().startswith(FOLDER_PREFIX + "-"):
            self._join_through_folder(code)
            return
        typed = self.code.toPlainText()
        try:
            from organiser.net.invite_code import decode_invite
            from organiser.net.pairing import redeem_invite
            from organiser.net.spoken_code import looks_spoken, parse_spoken_code
            from organiser.net.spoken_join import redeem_spoken_invite
        except ImportError:
            self._fail(self.join_error, "Joining needs the network layer, which is not part of this build.")
            return
        spoken = looks_spoken(typed)
        try:  # a mistyped code is refused at once, before any network wait
            parse_spoken_code(typed) if spoken else decode_invite(code)
        except (OrganiserError, ValueError) as exc:
            self._fail(self.join_error, exc)
            self.code.setFocus()
            return
        try:
            passphrase = self.join_passphrase.value()
        except OrganiserError as exc:
            self._fail(self.join_error, exc)
            self.join_passphrase.first.setFocus()
            return
        self.join_error.setText("Contacting the group…")
        self.join_error.setStyleSheet("")
        self.join_error.show()
        self._joining(True)

        def done(group: Group) -> None:
            self._joining(False)
            self.groupReady.emit(group)

        def failed(exc: BaseException) -> None:
            self._joining(False)
            self.join_error.setStyleSheet(f"color: {error_colour(self)};")
            self._fail(self.join_error, exc)

        def verification(number: str) -> None:  # the admitting device shows the same, and asks its person
            self.join_error.setText(f"Verification code {number[:3]} {number[3:]}: check that the other laptop "
                                    "shows the same, and wait for it to admit this one…")

        if spoken:
            self.join_error.setText("Looking for the inviting laptop on this network…")
            where = {"find": self.find_inviter} if self.find_inviter is not None else {}
            job = redeem_spoken_invite(self.data_dir, typed, self.join_device.text(), passphrase=passphrase,
                                       on_verification=verification, **where)
        else:
            job = redeem_invite(self.data_dir, code, self.join_device.text(), passphrase=passphrase,
                                on_verification=verification)
        spawn(job, on_done=done, on_error=failed)

    def _join_through_folder(self, code: str) -> None:
        """An invite left in a shared folder or on a stick: this laptop answers it from its own copy
        of the folder, which it then syncs through; the inviting laptop admits it at its next pass."""
        from organiser.services.folder_invites import decode_code, redeem_folder_invite

        try:
            decode_code(code)  # a mistyped code is refused before any question
            passphrase = self.join_passphrase.value()
        except OrganiserError as exc:
            self._fail(self.join_error, exc)
            return
        folder = choose_folder(self, "Choose the shared folder or USB stick the invite is in", start_folder())
        if not folder:
            self._fail(self.join_error, "Choose the folder the invite was left in (the USB stick, or the synced "
                                        "folder), then Join again.")
            return
        try:
            group = redeem_folder_invite(self.data_dir, folder, code, self.join_device.text(), passphrase=passphrase)
        except (OrganiserError, OSError) as exc:
            self._fail(self.join_error, exc)
            return
        self.groupReady.emit(group)


def _one_label_column(*forms: QFormLayout) -> None:
    """Forms stacked on one page read as one form: every label takes the widest one's width, so
    the fields start at the same place."""
    labels = [item.widget() for form in forms for row in range(form.rowCount())
              if (item := form.itemAt(row, QFormLayout.ItemRole.LabelRole)) is not None and item.widget()]
    width = max(label.sizeHint().width() for label in labels)
    for label in labels:
        label.setMinimumWidth(width)
