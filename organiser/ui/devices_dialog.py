"""Laptops > Remove laptop…, Vouch…, and asking the person at this device to confirm a newcomer.

Removing is for good: worded for the cases organisers meet, a lost or stolen laptop, a member
who left, and a member found working against the group. For a laptop that may have been used
against the group, what it wrote since a given time can be taken back on every device.
"""

from __future__ import annotations

import asyncio
import html
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListView,
    QMessageBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import OrganiserError
from organiser.core.words import plural
from organiser.services import clock
from organiser.services.devices import DeviceInfo
from organiser.services.group import Group
from organiser.services.history import summary
from organiser.services.vouching import VouchPlan, WaitingDevice
from organiser.ui.date_time_fields import DateTimeField
from organiser.ui.dialogs import show_error
from organiser.ui.widgets import size_on_screen

DEVICE_ROLE = Qt.ItemDataRole.UserRole + 1

LOST = ("The laptop was lost or stolen. Whoever has it can no longer connect to the group, and nothing it "
        "writes from now on reaches anyone. What was written on it that never reached another laptop is lost to "
        "the group. Its member rejoins from a new laptop with a new invite, as a new laptop (Make admin, if this "
        "one was an admin).")
LEFT = ("The member who used it left the group. The laptop keeps what it holds today but receives nothing "
        "new, and nothing it writes reaches anyone.")
AGAINST = ("Its member works against the group. The laptop keeps what it holds today (that cannot be taken "
           "back) but receives nothing new, and nothing it writes from now on reaches anyone; laptops that are "
           "off hear of the removal from any member they meet. If it already damaged records, also take back "
           "what it wrote since it began.")


class RemoveDeviceDialog(QDialog):
    removed = Signal(object)  # the DeviceInfo as it is after the removal

    def __init__(self, group: Group, parent: QWidget | None = None, chosen_id: str | None = None) -> None:
        """`chosen_id`: the device the admin selected in the group's devices before clicking Remove
        device…, chosen here already (the dialog asked "Which device?" with none chosen)."""
        super().__init__(parent)
        self.group = group
        self.setWindowTitle("Remove a laptop")
        self.model = QStandardItemModel(self)
        for device in group.membership.list():
            if device.removed or device.this_device:
                continue
            item = QStandardItem(f"{device.name}{' (admin)' if device.admin else ''}, let in by "
                                 f"{device.admitted_by_name or 'the founder'}")
            item.setData(device, DEVICE_ROLE)
            item.setEditable(False)
            self.model.appendRow(item)
        # removed for good too: no vouch, nor a member's modified client, lets one in afterwards
        for waiting in group.membership.waiting() if group.membership.is_admin() else []:
            item = QStandardItem(f"{waiting.name}, waiting for an admin (let in by {waiting.admitted_by_name})")
            item.setData(waiting, DEVICE_ROLE)
            item.setEditable(False)
            self.model.appendRow(item)
        self.devices = QListView()
        self.devices.setModel(self.model)
        self.devices.setAccessibleName("Laptops that can be removed")
        self.devices.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.lost = QRadioButton("It was &lost or stolen")
        self.left = QRadioButton("Its &member left the group")
        self.against = QRadioButton("Its member works &against the group")
        self.lost.setChecked(True)
        self.explanation = QLabel(LOST)
        self.explanation.setWordWrap(True)
        for button in (self.lost, self.left, self.against):
            button.toggled.connect(self._explain)
        self.undo = QCheckBox("Also &take back what it wrote since:")
        # A day and a time typed as in the other forms (a date-time spin box took five tries for 19:00)
        self.since = DateTimeField("Take back what it wrote since")
        self.since.setDateTime(QDateTime((clock.now() - timedelta(days=1)).replace(second=0, microsecond=0)))
        self.since.setEnabled(False)
        self.undo.toggled.connect(self.since.setEnabled)
        # What the take-back would take back, so the admin picks the time from what it wrote.
        self.taking = QLabel("")
        self.taking.setWordWrap(True)
        self.undo.toggled.connect(self._show_taking)
        self.since.dateTimeChanged.connect(self._show_taking)
        self.since.timeLeft.connect(self._show_taking)  # a day or time that cannot be read is said at once
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.remove_button = self.buttons.addButton("&Remove for good", QDialogButtonBox.ButtonRole.AcceptRole)
        self.remove_button.setEnabled(False)
        self.buttons.accepted.connect(self.remove)
        self.buttons.rejected.connect(self.reject)
        self.devices.selectionModel().selectionChanged.connect(
            lambda *_: self.remove_button.setEnabled(self.chosen() is not None))
        self.devices.selectionModel().selectionChanged.connect(self._show_taking)
        for row in range(self.model.rowCount()):
            if chosen_id is not None and getattr(self.model.item(row).data(DEVICE_ROLE), "id", None) == chosen_id:
                self.devices.setCurrentIndex(self.model.index(row, 0))
        layout = QVBoxLayout(self)
        intro = QLabel("Which laptop? Removing cannot be undone; the laptop could only join again with a new "
                       "invite, as a new laptop." if self.model.rowCount() else
                       "There is no other laptop in the group to remove.")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)  # it may name the only admin's device, in its member's words
        layout.addWidget(intro)
        layout.addWidget(self.devices)
        layout.addWidget(self.lost)
        layout.addWidget(self.left)
        layout.addWidget(self.against)
        layout.addWidget(self.explanation)
        layout.addWidget(self.undo)
        layout.addWidget(self.since)
        layout.addWidget(self.taking)
        layout.addWidget(self.buttons)
        self.intro = intro
        if not group.membership.is_admin():
            only = group.membership.only_admin()
            intro.setText("Only an admin laptop can remove laptops; this one is not an admin." if only is None else
                          f"Only an admin laptop can remove laptops, and '{only.name}' is the group's only admin. If "
                          "that laptop is lost, nobody can remove it or admit a laptop, and whoever has it and its "
                          "passphrase still receives what the group writes. The way out is a new group: File > "
                          "Export… here (members, events, tasks), then create a group and File > Import… there.")
            self.devices.setEnabled(False)
        wanted = self.sizeHint()
        size_on_screen(self, wanted.width(), wanted.height())

    def _explain(self) -> None:
        self.explanation.setText(LOST if self.lost.isChecked() else LEFT if self.left.isChecked() else AGAINST)

    def _since(self) -> datetime | None:
        """The time typed (this laptop's local time), or None while the day or time cannot be read."""
        shown = self.since.dateTime()
        return datetime.fromtimestamp(shown.toSecsSinceEpoch(), UTC) if shown.isValid() else None

    def _show_taking(self, *_args: object) -> None:
        device = self.chosen()
        if device is None or not self.undo.isChecked():
            self.taking.setText("")
            return
        if self.since.refusal():
            self.taking.setText(self.since.refusal())
            return
        writes = [w for w in self.group.history.by_device(device.id, self._since()) if not w.taken_back]
        self.taking.setText(f"Takes back what it wrote since then: {summary(writes)}. "
                            f"('organiser history --device' lists each change.)" if writes else
                            "It wrote nothing since then that this laptop holds.")

    def chosen(self) -> DeviceInfo | WaitingDevice | None:
        index = self.devices.currentIndex()
        return index.data(DEVICE_ROLE) if index.isValid() else None

    def remove(self) -> None:
        device = self.chosen()
        if device is None:
            return
        since = None
        if self.undo.isChecked():
            since = self._since()
            if since is None:  # nothing is removed while the time to take back from cannot be read
                self.taking.setText(self.since.refusal())
                return
        try:
            after = self.group.membership.remove(device.id, undo_since=since)
        except OrganiserError as exc:
            show_error(self, f"Cannot remove '{device.name}'", exc)
            return
        self.removed.emit(after)
        self.accept()


# Laptops the question names, then counts: each can take two lines (a name, and that it poses as a
# laptop of the group), and the box must fit a laptop at 150 % (480 points high) with its buttons.
QUESTION_NAMES = 8


def ask_to_vouch(parent: QWidget, planned: VouchPlan) -> QMessageBox:
    """Ask the admin to confirm a vouch, naming what follows: the laptop may then invite whenever
    members may, and the laptops it admitted that wait for an admin come in with it. Opened, not
    run: the caller acts on `finished` when the Vouch button was clicked (`vouch_button`)."""
    # Names are the members' own words: plain text, so no markup in one can hide another.
    lines = [f"Vouch for {planned.said_name()}? This laptop admits it again, as an admin: while the group lets "
             "members invite, it may invite too." if planned.admits_it else
             f"Vouch for {planned.said_name()}? It was admitted by an admin already."]
    one = len(planned.brings) == 1
    if planned.brings:
        lines.append(f"{plural(len(planned.brings), 'laptop')} it admitted before invitations by members reached one "
                     f"step {'waits' if one else 'wait'} for an admin and {'comes' if one else 'come'} in with it, "
                     "and may invite too: " + planned.names(QUESTION_NAMES)
                     + f". What {'it' if one else 'they'} wrote arrives as laptops sync.")
    if planned.alike_sentence():  # a puppet named 'door laptop' is not the door laptop
        lines.append(planned.alike_sentence())
    box = QMessageBox(QMessageBox.Icon.Question, f"Vouch for {planned.said_name()}", "\n\n".join(lines),
                      QMessageBox.StandardButton.Cancel, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.vouch_button = box.addButton("&Vouch", QMessageBox.ButtonRole.AcceptRole)  # type: ignore[attr-defined]
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.open()
    return box


async def confirm_newcomer(parent: QWidget, name: str, code: str) -> bool:
    """Ask the person at this device whether to admit a device redeeming one of its invites."""
    # The name is the joining device's own: escaped, so no markup in it can hide or fake the code.
    box = QMessageBox(QMessageBox.Icon.Question, "Admit a new laptop?",
                      f"<p>A laptop called <b>{html.escape(name)}</b> is using an invite code made here.</p>"
                      "<p>Its screen should show the verification code</p>"
                      f"<p style='font-size: x-large'><b>{code[:3]} {code[3:]}</b></p>"
                      "<p>Admit it only if the codes match and you expect this laptop.</p>",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setTextFormat(Qt.TextFormat.RichText)
    admit = box.button(QMessageBox.StandardButton.Yes)
    admit.setText("&Admit")
    box.button(QMessageBox.StandardButton.No).setText("&Refuse")
    answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    box.finished.connect(lambda _result: answer.done() or answer.set_result(box.clickedButton() is admit))
    box.open()
    try:
        return await answer
    finally:
        box.close()
