"""Dialogs: invite (code and QR), connect to an address, join with a code, "this is me",
and the one place errors a person can cause are shown."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

import segno
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import OrganiserError, ValidationError
from organiser.services.group import Group
from organiser.ui.clipboard import copy_privately
from organiser.ui.spoken import SpokenRefusal
from organiser.ui.unexpected import where_it_happened
from organiser.ui.widgets import RecordPicker, error_colour, size_on_screen
from organiser.ui.wording import as_typed, in_the_window, people_words

log = logging.getLogger(__name__)


def sentence(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    if isinstance(exc, ValidationError):  # the dialog's title says what it is about; no field name
        text = people_words(exc.message)
    text = in_the_window(text[:1].upper() + text[1:])
    return text if text.endswith((".", "!", "?")) else text + "."


def show_error(parent: QWidget | None, title: str, exc: BaseException | str) -> None:
    """One clear sentence for errors people cause; anything else is logged with context too."""
    if isinstance(exc, BaseException) and not isinstance(exc, OrganiserError | OSError | ValueError):
        # Where it happened, not the title nor the message: a title may name a laptop and a message
        # quote a member, and the log goes to the journal, kept on the disk outside the encrypted store.
        log.error("unexpected error behind a message on screen:\n%s",
                  where_it_happened(type(exc), exc, exc.__traceback__))
    QMessageBox.warning(parent, title, as_typed(sentence(exc) if isinstance(exc, BaseException) else exc))


def qr_pixmap(text: str, scale: int = 6) -> QPixmap:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=2)
    image = QImage.fromData(buffer.getvalue(), "PNG")
    return QPixmap.fromImage(image)


class InviteDialog(QDialog):
    """Shows a one-time invite code as text and as a QR code; above them, when offered, the
    short spoken code (`spoken`, a net.spoken_host.SpokenInvite). Both are one invitation: once
    the short code has let a laptop in, `withdraw_long` makes the long code useless, so nobody who
    saw this dialog (a member removed later, say) can come in with it."""

    def __init__(self, code: str, expires_hours: float, parent: QWidget | None = None, spoken: Any = None,
                 renew_spoken: Any = None, withdraw_long: Callable[[], None] | None = None,
                 unreachable: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Invite a laptop")
        self.code = code
        self.withdraw_long = withdraw_long
        self.spoken_panel = None
        if spoken is not None:
            from organiser.ui.spoken_invite import SpokenInvitePanel

            self.spoken_panel = SpokenInvitePanel(spoken, self, renew_spoken)
            self.finished.connect(lambda _result: self.spoken_panel.withdraw())
            self.spoken_panel.admitted.connect(self._long_code_spent)
        intro = QLabel(("Where this network blocks discovery, use the long code instead: " if spoken else
                        "On the new laptop, choose <b>Join a group with an invite code</b> and paste this code: ")
                       + "click <b>Copy code</b> and send it by a channel you trust. A phone can read "
                       f"the QR code instead. It works once, within {expires_hours:g} hours, while a laptop "
                       "of the group is on the same network.")
        intro.setWordWrap(True)
        self.long_code_note = intro
        self.code_view = QPlainTextEdit(code)
        self.code_view.setReadOnly(True)
        self.code_view.setAccessibleName("Invite code")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.code_view.setFont(font)
        self.code_view.setFixedHeight(self.code_view.fontMetrics().height() * 5 + 12)
        self.qr = QLabel()
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setPixmap(qr_pixmap(code, scale=4 if spoken is not None else 6))  # fits 600 px with both
        self.qr.setAccessibleName("Invite code as a QR code")
        self.copy_button = copy = QPushButton("&Copy code")
        copy.clicked.connect(self.copy_code)
        self.copied = QLabel()
        self.copied.setAccessibleName("Copied")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        # Everything above the buttons scrolls: at 200 % (a 1366x800 laptop is 683x400 points) the
        # note, the QR code and the long code stood 560 points high, and Close was below the screen.
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)  # the dialog's own margins are around it
        # Made on a laptop no other can reach (on no network yet): the codes name only its own address.
        self.unreachable = QLabel(unreachable)
        self.unreachable.setWordWrap(True)
        self.unreachable.setAccessibleName("Network")
        self.unreachable.setStyleSheet(f"color: {error_colour(self)}; font-weight: bold;")
        self.unreachable.setVisible(bool(unreachable))
        layout.addWidget(self.unreachable)
        if self.spoken_panel is not None:
            layout.addWidget(self.spoken_panel)
        layout.addWidget(intro)
        layout.addWidget(self.qr)
        layout.addWidget(self.code_view)
        row = QHBoxLayout()
        row.addWidget(copy)
        row.addWidget(self.copied)
        row.addStretch(1)
        row.addWidget(close)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setAccessibleName("Invite")
        outer = QVBoxLayout(self)
        outer.addWidget(scroll, 1)
        outer.addLayout(row)
        size_on_screen(self, 560, body.sizeHint().height() + close.sizeHint().height() + 24)

    def _long_code_spent(self, outcome: Any) -> None:
        if self.withdraw_long is not None:
            self.withdraw_long()
        # A laptop reached this one after all (it stood in red above "'Door laptop' joined the group")
        self.unreachable.setVisible(False)
        self.long_code_note.setTextFormat(Qt.TextFormat.PlainText)  # the name is the joiner's choice: as written
        self.long_code_note.setText(f"The long code below no longer works: this invitation let "
                                    f"'{outcome.device_name}' in. For another laptop, make a new invite.")
        self.code_view.setEnabled(False)
        self.qr.setEnabled(False)
        self.qr.clear()
        self.copy_button.setEnabled(False)

    def copy_code(self) -> None:
        copy_privately(self.code)
        self.copied.setText("Copied: paste it on the new laptop.")
        self.copy_button.setText("&Copy again")


class ConnectDialog(QDialog):
    """For networks that block discovery: type another device's address and its port."""

    def __init__(self, parent: QWidget | None = None, fixed_port: int | None = None) -> None:
        """`fixed_port`: the port every device of the group listens on, where an admin fixed one
        (listen_port); it is filled in. Otherwise each device listens on a port of its own,
        picked at start, and the person types the other device's, as it shows it: this device's
        own port would be the wrong one."""
        super().__init__(parent)
        self.setWindowTitle("Connect to address")
        self.host = QLineEdit()
        self.host.setPlaceholderText("e.g. 192.168.1.20")
        self.host.setAccessibleName("Address")
        self.port = QLineEdit(str(fixed_port) if fixed_port else "")
        self.port.setPlaceholderText("e.g. 47613")
        self.port.setAccessibleName("Port")
        self.error = SpokenRefusal()
        self.error.setAccessibleName("Problem")
        self.error.setStyleSheet(f"color: {error_colour(self)};")
        self.error.setWordWrap(True)
        self.error.hide()
        form = QFormLayout()
        form.addRow("&Address", self.host)
        form.addRow("&Port", self.port)
        hint = QLabel("On the other laptop, open <b>Laptops</b>: it shows its own address and port, "
                      "like <b>192.168.1.20:47613</b>. Type the address, then the port (the number after the "
                      "colon), or paste both into Address. Each laptop listens on a port of its own.")
        hint.setTextFormat(Qt.TextFormat.RichText)
        hint.setWordWrap(True)
        hint.setMinimumWidth(hint.fontMetrics().averageCharWidth() * 56)  # a few lines, not a narrow column
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.connect_button.setText("Connect")
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _check(self) -> None:
        host, port = split_address(self.host.text(), self.port.text())
        if not host or any(c.isspace() for c in host):
            self._refuse(self.host, "Address: type the other laptop's IP address or host name, as its Laptops "
                                    "view shows it.")
            return
        if not port:
            self._refuse(self.port, "Port: type the other laptop's port, the number after the colon in the "
                                    "address its Laptops view shows.")
            return
        if not port.isdigit() or not 0 < int(port) < 65536:
            self._refuse(self.port, f"Port: '{port}' is not a port; it is a whole number from 1 to 65535, "
                                    "like 47613.")
            return
        self.host.setText(host)
        self.port.setText(port)
        self.accept()

    def _refuse(self, field: QLineEdit, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        field.setFocus()

    def address(self) -> tuple[str, int]:
        return self.host.text().strip(), int(self.port.text())


def split_address(address: str, port: str) -> tuple[str, str]:
    """(host, port) from what was typed: "192.168.1.20:47613" or "[fe80::1]:47613" in the
    address carries its port (which then wins over the port field); "fe80::1" is a host."""
    host, port = address.strip(), port.strip()
    if host.startswith("[") and "]" in host:  # an IPv6 address with its port, as in a URL
        inside, _sep, rest = host[1:].partition("]")
        return inside, rest[1:].strip() if rest.startswith(":") else port
    if host.count(":") == 1:
        host, _sep, given = host.partition(":")
        return host.strip(), given.strip() or port
    return host, port


class ThisIsMeDialog(QDialog):
    """Links this device to a member, so "mine" can show that member's tasks."""

    def __init__(self, group: Group, current: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("This is me")
        self.picker = RecordPicker(group, "member", "name", "type your name")
        self.picker.setAccessibleName("Your member entry")
        if current:
            self.picker.set_record(current)
        intro = QLabel("Which member are you? Only this laptop remembers it; it decides which tasks "
                       "show under \"Mine\".")
        intro.setWordWrap(True)
        self.error = SpokenRefusal()
        self.error.setStyleSheet(f"color: {error_colour(self)};")
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.picker)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.group = group
        self.member_id: str | None = current

    def _check(self) -> None:
        value = self.picker.value()
        if value and not self.picker.is_known():
            self.error.setText(f"Nobody called “{self.picker.text().strip()}” is in the directory: "
                               "pick a name from the list that opens as you type.")
            self.error.show()
            return
        self.member_id = value
        self.accept()


def ask_text(parent: QWidget | None, title: str, fields: list[tuple[str, str, str]]) -> dict[str, Any] | None:
    """A tiny form of text fields (name, label, default); None when cancelled."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    form = QFormLayout(dialog)
    edits: dict[str, QLineEdit] = {}
    for name, label, default in fields:
        edit = QLineEdit(default)
        edit.setAccessibleName(label.replace("&", ""))
        form.addRow(label, edit)
        edits[name] = edit
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return {name: edit.text().strip() for name, edit in edits.items()}
