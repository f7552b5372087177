"""Export minutes… in the meeting view: what the meeting produced (agenda with time used, who
attended, the minutes, decisions with tallies and outcomes, action items) written as Markdown,
a web page or a PDF, the same file `organiser minutes export` writes (formats/minutes.py)."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import OrganiserError
from organiser.services.group import Group
from organiser.services.meeting_report import build_report, export_minutes
from organiser.ui.file_choice import file_to_save
from organiser.ui.wording import as_typed

FORMATS = [  # (label, format, suffix)
    ("Markdown (.md): for a mailing list, a wiki or a pad", "md", ".md"),
    ("Web page (.html): opens in any browser, prints well", "html", ".html"),
    ("PDF (.pdf): to print or send as it is", "pdf", ".pdf"),
]
NOT_ENCRYPTED = "The file is not encrypted: anyone who gets it can read who attended and what was said."


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in " -_" else "_" for c in name).strip() or "minutes"


class MinutesExportDialog(QDialog):
    """Choose a format and a file; Export writes it (whole or not at all) and says where."""

    def __init__(self, group: Group, event_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group, self.event_id = group, event_id
        self.written: Path | None = None
        event = group.events.get(event_id)
        self.setWindowTitle("Export minutes")
        self.format_box = QComboBox()
        for label, _fmt, _suffix in FORMATS:
            self.format_box.addItem(label)
        self.format_box.setAccessibleName("Format")
        self.path_edit = QLineEdit(str(Path.home() / f"{_safe(event.title)} {event.start[:10]} minutes.md"))
        self.path_edit.setAccessibleName("File to write")
        self.path_edit.setMinimumWidth(self.path_edit.fontMetrics().averageCharWidth() * 70)
        self.path_edit.textEdited.connect(lambda _text: self.note.setText(NOT_ENCRYPTED))
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self.choose_button = QPushButton("C&hoose…")
        self.choose_button.setAutoDefault(False)
        self.choose_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.choose_button)
        form = QFormLayout()
        title = html.escape(event.title, quote=False)  # a peer's title is shown as text, not markup
        what = QLabel(f"The meeting of <b>{title}</b>: agenda, who attended, the minutes, decisions and "
                      "action items, as they stand now.")
        what.setWordWrap(True)
        form.addRow(what)
        form.addRow("&Format:", self.format_box)
        to_file = QLabel("&To file:")  # a row holding a layout gets no buddy by itself: "&" showed as is
        to_file.setBuddy(self.path_edit)
        form.addRow(to_file, file_row)
        self.note = QLabel(NOT_ENCRYPTED)
        self.note.setWordWrap(True)
        self.note.setAccessibleName("What happened")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("&Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self.export)
        for button in self.buttons.buttons():  # Return in the file name exports (it opened the file chooser)
            button.setAutoDefault(False)
        self.path_edit.returnPressed.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.path_edit.setFocus()

    def choice(self) -> tuple[str, str]:
        _label, fmt, suffix = FORMATS[self.format_box.currentIndex()]
        return fmt, suffix

    def _format_changed(self, _index: int) -> None:
        _fmt, suffix = self.choice()
        path = Path(self.path_edit.text().strip())
        if path.name:  # "/" or "." has no name to give a suffix: left as typed
            self.path_edit.setText(str(path.with_suffix(suffix)))
        self.note.setText(NOT_ENCRYPTED)

    def choose_file(self) -> None:
        _fmt, suffix = self.choice()
        path = file_to_save(self, "Export minutes to", self.path_edit.text(), f"*{suffix}")
        if path:
            self.path_edit.setText(path)

    def export(self) -> None:
        text = self.path_edit.text().strip()
        if not text:
            self.note.setText("Say which file to write the minutes to.")
            return
        target = Path(text).expanduser()
        if not target.parent.is_dir():
            self.note.setText(f"The folder {target.parent} does not exist: choose another, or create it first.")
            return
        if target.exists() and QMessageBox.question(
                self, "Replace file", as_typed(f"{target.name} already exists in {target.parent}. Replace it?"),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No) != QMessageBox.StandardButton.Yes:
            self.note.setText(f"Nothing written: {target.name} is as it was. Choose another name, or export again "
                              "to replace it.")
            return
        fmt, _suffix = self.choice()
        group = self.group
        try:
            report = build_report(group.name, group.events, group.meetings, group.proposals, self.event_id)
            data = export_minutes(report, fmt, target)
        except OrganiserError as exc:
            self.note.setText(str(exc))
            return
        except OSError as exc:
            self.note.setText(f"Could not write {target}: {exc.strerror or exc}.")
            return
        self.written = target
        self.note.setText(f"Wrote {target} ({len(data):,} bytes).")
