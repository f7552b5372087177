"""What the door and the event pane hand out: a walk-in registered and checked in in one step,
the attendance sheet and the RSVP list printed or saved as PDF, and the email addresses of
those who came or said yes (only of people who consented to email)."""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, Qt
from PySide6.QtGui import QPagedPaintDevice, QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import NotFoundError, OrganiserError, ValidationError
from organiser.services import clock
from organiser.services.events import Event, Rsvp
from organiser.services.group import Group
from organiser.services.transfer import write_export
from organiser.ui.bidi import day_text
from organiser.ui.clipboard import copy_privately
from organiser.ui.file_choice import file_to_save
from organiser.ui.models.events import time_range
from organiser.ui.models.name_order import name_order
from organiser.ui.spoken import SpokenRefusal
from organiser.ui.widgets import error_colour, size_on_screen
from organiser.ui.wording import people_words

SHEETS = {"attendance": "Attendance sheet", "rsvps": "RSVP list"}


class WalkInDialog(QDialog):
    """Someone at the door who is not in the directory: their name, a way to reach them if
    they want, and whether they agree to be contacted; saved and checked in at once."""

    def __init__(self, group: Group, event_id: str, name: str, parent: QWidget | None = None, *,
                 someone_else: bool = False) -> None:
        super().__init__(parent)
        self.group, self.event_id = group, event_id
        self.someone_else = someone_else  # not the member of that name already checked in
        self.member_id: str | None = None
        self.setWindowTitle("Register and check in")
        intro = QLabel(f"Another person called {name} is already checked in: this adds a new member to the "
                       "directory and checks them in. A second name or an initial helps tell them apart."
                       if someone_else else "Not in the directory yet: add them and check them in, in one step.")
        intro.setTextFormat(Qt.TextFormat.PlainText)  # the name, from the directory, shows as written
        intro.setWordWrap(True)
        self.name = QLineEdit(name)
        self.name.setAccessibleName("Name")
        self.contact = QLineEdit()
        self.contact.setAccessibleName("Email or phone")
        self.contact.setPlaceholderText("optional: an email address or a phone number")
        self.consent = QCheckBox("They agree to be contacted about the group's events")
        self.consent.setAccessibleName("Consent to be contacted")
        self.error = SpokenRefusal()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {error_colour(self)};")
        self.error.hide()
        for field in (self.name, self.contact):
            field.textChanged.connect(self._put_right)
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("&Contact", self.contact)
        form.addRow("", self.consent)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Register and check in")
        self.buttons.accepted.connect(self.register)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.name.setFocus()
        self.name.selectAll()

    def _put_right(self) -> None:
        """A refusal goes once its field is being put right, keeping its place until the next try:
        the consent box moved from under the pointer, and a click meant for it ticked nothing."""
        if not self.error.isHidden() and self.error.text():
            self.error.setMinimumHeight(self.error.height())
            self.error.setText("")

    def values(self) -> dict[str, object]:
        contact = self.contact.text().strip()
        is_email = "@" in contact
        consent = self.consent.isChecked()
        return {"emails": [contact] if contact and is_email else [],
                "phones": [contact] if contact and not is_email else [],
                "consent_email": consent and is_email, "consent_phone": consent and bool(contact) and not is_email,
                "consent_date": clock.today().isoformat() if consent and contact else None}

    def register(self) -> None:
        self.error.hide()
        self.error.setMinimumHeight(0)
        try:
            member = self.group.members.add_walk_in(self.event_id, self.name.text(), someone_else=self.someone_else,
                                                    **self.values())
        except ValidationError as exc:
            self.error.setText(people_words(exc.message))
            self.error.show()
            (self.name if exc.field == "name" else self.contact).setFocus()
            return
        except OrganiserError as exc:
            self.error.setText(people_words(str(exc)))
            self.error.show()
            return
        self.member_id = member.id
        self.accept()


# ---- print and PDF ---------------------------------------------------------------------------

def sheet_html(group: Group, event: Event, which: str) -> str:
    """The attendance sheet (who was checked in, when) or the RSVP list (who answered what)."""
    rsvps = group.events.rsvps(event.id)
    names = {}
    for rsvp in rsvps:  # the few who answered, not the whole directory
        try:
            names[rsvp.member] = group.members.get(rsvp.member).name
        except NotFoundError:
            continue
    rows = [(names[r.member], r) for r in rsvps if r.member in names]
    rows.sort(key=lambda pair: name_order(pair[0]))
    when = f"{day_text(event.start_dt, '%A %-d %B %Y')}, {time_range(event)}"
    where = f" · {html.escape(event.location)}" if event.location else ""
    head = (f"<h1>{html.escape(event.title)}</h1><p>{html.escape(when)}{where}</p>"
            f"<h2>{SHEETS[which]}</h2>")
    body = _arrivals_html(rows, event.capacity) if which == "attendance" else _answers_html(rows)
    printed = f"<p><small>Printed {clock.now():%-d %B %Y %H:%M} from Organiser.</small></p>"
    return head + body + printed


def _arrivals_html(rows: list[tuple[str, Rsvp]], capacity: int | None) -> str:
    """Who was checked in, and when."""
    came = [(n, r) for n, r in rows if r.checked_in_at]
    lines = "".join(f"<tr><td>{html.escape(n)}</td><td>{clock_time(r.checked_in_at)}</td></tr>" for n, r in came)
    cap = f" of {capacity} places" if capacity else ""
    return (f"<p>{len(came)} checked in{cap}.</p><table width='100%' cellpadding='4' border='1' "
            f"cellspacing='0'><tr><th align='left'>Name</th><th align='left'>Arrived</th></tr>{lines}</table>")


def _answers_html(rows: list[tuple[str, Rsvp]]) -> str:
    """Who answered what."""
    counts = {a: sum(1 for _n, r in rows if r.answer == a) for a in ("yes", "maybe", "no")}
    lines = "".join(f"<tr><td>{html.escape(n)}</td><td>{r.answer or '—'}</td></tr>" for n, r in rows if r.answer)
    return (f"<p>{counts['yes']} yes, {counts['maybe']} maybe, {counts['no']} no.</p>"
            "<table width='100%' cellpadding='4' border='1' cellspacing='0'><tr><th align='left'>Name</th>"
            f"<th align='left'>Answer</th></tr>{lines}</table>")


def clock_time(when: str | None) -> str:
    return datetime.fromisoformat(when).strftime("%H:%M") if when else ""


def render(text: str, printer: QPagedPaintDevice) -> None:
    document = QTextDocument()
    document.setHtml(text)
    document.print_(printer)


def save_pdf(group: Group, event: Event, which: str, path: Path) -> Path:
    """The sheet as a PDF at `path`, owner-only as every export (formats/common.py): drawn in memory
    and written by `write_export`, since QPrinter creates its file with the session's umask (0644)."""
    pdf = QByteArray()
    buffer = QBuffer(pdf)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(QPrinter(QPrinter.PrinterMode.HighResolution).resolution())
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter))
    writer.setTitle(f"{event.title} — {SHEETS[which]}")
    render(sheet_html(group, event, which), writer)
    del writer  # the PDF is finished when its writer goes
    buffer.close()
    write_export(path, pdf.data())
    return path


class PrintDialog(QDialog):
    """Choose the attendance sheet or the RSVP list, then print it or save it as a PDF."""

    def __init__(self, group: Group, event: Event, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group, self.meeting = group, event
        self.saved: Path | None = None
        self.setWindowTitle(f"Print or save — {event.title}")
        self.choice = QButtonGroup(self)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("What to print:"))
        self.radios: dict[str, QRadioButton] = {}
        for n, (key, label) in enumerate(SHEETS.items()):
            radio = QRadioButton(label)
            radio.setChecked(n == 0)
            self.choice.addButton(radio)
            layout.addWidget(radio)
            self.radios[key] = radio
        # As the other exports say: what a member saves is theirs to keep safe (docs/at-rest.md).
        # CUPS keeps the job's file in /var/spool/cups after printing (a day by default), unencrypted
        self.plain_note = QLabel("A PDF is not encrypted: anyone who gets the file can read the names on it. "
                                 "Printing passes the sheet through this computer's print queue, which may keep "
                                 "a copy of it on the disk for a while.")
        self.plain_note.setWordWrap(True)
        layout.addWidget(self.plain_note)
        self.pdf_button = QPushButton("Save as &PDF…")
        self.pdf_button.clicked.connect(self.save_as_pdf)
        self.print_button = QPushButton("P&rint…")
        self.print_button.clicked.connect(self.print_sheet)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.addButton(self.pdf_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def which(self) -> str:
        return next(key for key, radio in self.radios.items() if radio.isChecked())

    def save_as_pdf(self) -> None:
        # named as the minutes are ("General assembly 2026-12-03 minutes.pdf"): with its day, next
        # week's assembly does not offer this week's file name again
        sheet = {"attendance": "attendance sheet", "rsvps": "RSVP list"}[self.which()]
        suggested = f"{self.meeting.title} {self.meeting.start[:10]} {sheet}.pdf".replace("/", "-")
        name = file_to_save(self, "Save as PDF", str(Path.home() / suggested), "PDF files (*.pdf)")
        if not name:
            return
        path = Path(name if name.lower().endswith(".pdf") else name + ".pdf")
        try:
            self.saved = save_pdf(self.group, self.meeting, self.which(), path)
        except OrganiserError as exc:  # a folder that cannot be written: said here, the dialog stays
            self.plain_note.setText(str(exc))
            self.plain_note.setStyleSheet(f"color: {error_colour(self)}")
            return
        self.accept()

    def print_sheet(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            render(sheet_html(self.group, self.meeting, self.which()), printer)
            self.accept()


# ---- email addresses ----------------------------------------------------------------------------

class CopyEmailsDialog(QDialog):
    """The addresses of those who said yes or came, of people who agreed to be emailed, shown
    before they are copied, ready to paste into a mail client's To or Bcc."""

    def __init__(self, group: Group, event: Event, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group, self.meeting = group, event
        self.setWindowTitle(f"Email addresses — {event.title}")
        self.said_yes = QRadioButton("Those who said &yes")
        self.came = QRadioButton("Those who were checked &in")  # Alt+C is Copy
        self.said_yes.setChecked(True)
        for radio in (self.said_yes, self.came):
            radio.toggled.connect(lambda _on: self.refresh())
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.addresses = QPlainTextEdit()
        self.addresses.setReadOnly(True)
        self.addresses.setAccessibleName("Email addresses")
        self.copy_button = QPushButton("&Copy")
        self.copy_button.clicked.connect(self.copy)
        self.copied = QLabel()
        self.copied.setAccessibleName("Copied")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.said_yes)
        layout.addWidget(self.came)
        layout.addWidget(self.note)
        layout.addWidget(self.addresses, 1)
        layout.addWidget(self.copied)
        layout.addWidget(self.buttons)
        size_on_screen(self, 480, 320)
        self.refresh()

    def emails(self) -> list[str]:
        return self.group.events.contact_emails(self.meeting.id, who="yes" if self.said_yes.isChecked()
                                                else "checked_in")

    def refresh(self) -> None:
        emails = self.emails()
        self.addresses.setPlainText(", ".join(emails))
        self.copied.clear()
        self.copy_button.setEnabled(bool(emails))
        who = "said yes" if self.said_yes.isChecked() else "were checked in"
        n = len(emails)
        self.note.setText(f"{n} address{'es' if n != 1 else ''} of people who {who} and agreed to be emailed; "
                          "people without that consent or without an address are left out.")

    def copy(self) -> None:
        text = self.addresses.toPlainText()
        copy_privately(text)
        n = len(self.emails())
        self.copied.setText(f"Copied {n} address{'es' if n != 1 else ''}: paste them into your mail's Bcc.")


__all__ = ["CopyEmailsDialog", "PrintDialog", "WalkInDialog", "clock_time", "save_pdf", "sheet_html"]
