"""File > Export: choose what to export and where; the file is written on a worker thread
(`TransferJob`), so the window keeps drawing while a big group is written."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import OrganiserError
from organiser.paths import indexed_by_desktop_search
from organiser.services import transfer
from organiser.services.group import Group
from organiser.ui.file_choice import file_to_save
from organiser.ui.overrides import guarded
from organiser.ui.transfer_jobs import TransferJob, failure_sentence

# An encrypted backup's file name is not encrypted: named after the group, it would tell whoever
# finds the file (on a seized laptop, a lost USB stick) which group it holds.
SEALED_BACKUP_NAME = "Organiser backup"


class ExportChoice(NamedTuple):
    label: str
    format: str
    suffix: str
    vcard_version: str = "3.0"
    csv_separator: str = ","


EXPORT_FORMATS = [
    ExportChoice("Calendar: events and tasks (iCalendar .ics)", "ics", ".ics"),
    ExportChoice("Contacts: members (vCard 3.0 .vcf)", "vcf", ".vcf"),
    ExportChoice("Contacts: members (vCard 4.0 .vcf)", "vcf", ".vcf", vcard_version="4.0"),
    ExportChoice("Spreadsheet: members (CSV .csv)", "csv", ".csv"),
    ExportChoice("Spreadsheet: members (CSV with semicolons .csv, for Excel in French, German, Spanish…)",
                 "csv", ".csv", csv_separator=";"),
    ExportChoice("Spreadsheet: members (Excel and LibreOffice .xlsx)", "xlsx", ".xlsx"),
    ExportChoice("Full backup: everything, restorable (.json)", "json", ".json"),
]


class ExportDialog(QDialog):
    """Choose what to export and where; the file is written on the worker thread."""

    def __init__(self, group: Group, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = group
        self._job: TransferJob | None = None
        self.written: Path | None = None
        self.setWindowTitle("Export")
        self.format_box = QComboBox()
        for choice in EXPORT_FORMATS:
            self.format_box.addItem(choice.label)
        self.format_box.setAccessibleName("What to export")
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self.path_edit = QLineEdit()
        self.path_edit.setAccessibleName("File to write")
        self.choose_button = QPushButton("Choose…")
        self.choose_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.choose_button)
        form = QFormLayout()
        form.addRow("Export:", self.format_box)
        form.addRow("To file:", file_row)
        self.note = ExportNote()
        self.search_note = QLabel(SEARCHED)
        self.search_note.setWordWrap(True)
        self.path_edit.textChanged.connect(self._where_changed)
        from organiser.ui.lock import PassphraseFields

        self.encrypt_box = QCheckBox("&Encrypt the backup with a passphrase")
        self.encrypt_fields = PassphraseFields(self, optional=False)
        self.encrypt_box.toggled.connect(self.encrypt_fields.setVisible)
        self.encrypt_box.toggled.connect(lambda _on: self._format_changed(0))
        self.encrypt_fields.setVisible(False)
        keep_place = self.encrypt_box.sizePolicy()
        keep_place.setRetainSizeWhenHidden(True)  # the buttons below stay put when it shows for a backup
        self.encrypt_box.setSizePolicy(keep_place)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.clicked.connect(self.start_export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.search_note)
        layout.addWidget(self.encrypt_box)
        layout.addWidget(self.encrypt_fields)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self._format_changed(0)

    def choice(self) -> ExportChoice:
        return EXPORT_FORMATS[self.format_box.currentIndex()]

    def _format_changed(self, _index: int) -> None:
        chosen = self.choice()
        fmt, suffix = chosen.format, chosen.suffix
        encrypted = fmt == "json" and self.encrypt_box.isChecked()
        suggested = SEALED_BACKUP_NAME if encrypted else _safe(self.group.name)
        current = Path(self.path_edit.text()) if self.path_edit.text() else Path.home() / suggested
        if current.stem in (SEALED_BACKUP_NAME, _safe(self.group.name)):  # still ours, not a name typed
            current = current.with_name(suggested)
        self.path_edit.setText(str(current.with_suffix(suffix)))
        self.encrypt_box.setVisible(fmt == "json")
        self.note.setText(_note(chosen, encrypted))
        self._grow()

    def _where_changed(self, text: str) -> None:
        self.search_note.setVisible(bool(text.strip()) and searched_by_the_desktop(Path(text.strip()).expanduser()))

    def _grow(self) -> None:
        """Room for what just came in (the passphrase fields): a dialog does not grow by itself,
        and its rows were squashed and cut off."""
        self.resize(self.size().expandedTo(self.sizeHint()))
    def choose_file(self) -> None:
        suffix = self.choice().suffix
        path = file_to_save(self, "Export to", self.path_edit.text(), f"*{suffix}")
        if path:
            self.path_edit.setText(path)

    def start_export(self) -> None:
        if self._job is not None:
            return
        chosen = self.choice()
        fmt = chosen.format
        target = Path(self.path_edit.text().strip()).expanduser()
        if not self.path_edit.text().strip():
            self.note.setText("Say which file to write.")
            return
        passphrase = None
        if fmt == "json" and self.encrypt_box.isChecked():
            try:
                passphrase = self.encrypt_fields.value()
            except OrganiserError as exc:
                self.note.setText(failure_sentence(exc))
                return

        def work(group: Group, _progress: transfer.Progress) -> Path:
            data = transfer.export_group(group, fmt, vcard_version=chosen.vcard_version,
                                         csv_separator=chosen.csv_separator)
            if passphrase is not None:
                from organiser.formats.sealed import seal_backup

                data = seal_backup(data, passphrase)
            transfer.write_export(target, data)
            return target

        job = TransferJob(self.group, work)
        self._job = job
        self.progress.setVisible(True)
        self.export_button.setEnabled(False)
        job.succeeded.connect(self._exported)
        job.failed.connect(self._failed)  # a bound slot, so it runs on the GUI thread
        job.finished.connect(self._finished)
        job.start_kept()

    def _failed(self, exc: BaseException) -> None:
        self.note.setText(failure_sentence(exc))

    def _exported(self, path: Path) -> None:
        self.written = path
        self.note.setText(f"Wrote {path} ({path.stat().st_size:,} bytes).")

    def _finished(self) -> None:
        self._job = None
        self.progress.setVisible(False)
        self.export_button.setEnabled(True)

    @guarded
    def reject(self) -> None:
        if self._job is None:
            super().reject()


def _note(chosen: ExportChoice, encrypted: bool) -> str:
    """What the chosen export holds and who opens it."""
    return {
        "ics": "Events (with time zones and repeats) and tasks, for Thunderbird, Google, Nextcloud, phones.",
        "vcf": "Members with names, emails, phones, roles as categories and notes.",
        "csv": ("Members as a spreadsheet with commas between columns (UTF-8, for LibreOffice, Google Sheets, "
                "other tools and Excel in English; Excel set to a language that writes 1,5 for one and a half "
                "opens it all in column A: choose CSV with semicolons or .xlsx for that Excel)."
                if chosen.csv_separator == "," else
                "Members as a spreadsheet with semicolons between columns (UTF-8), as Excel set to French, "
                "German, Spanish, Italian and other languages that write 1,5 for one and a half opens it "
                "with a double-click; LibreOffice asks, and Organiser reads it back.")
               + " A cell a spreadsheet would run as a formula or turn into a number starts with '.",
        "xlsx": "Members as an Excel workbook; every cell is text, so phone numbers keep their 0 and +.",
        "json": "Everything, with the signed change log, so the group can be restored exactly. "
                "Keep it safe: it holds all members' details.",
    }[chosen.format] + (" Anyone can read its file name: the one suggested names no group." if encrypted
                        else " This file is not encrypted: anyone who gets it can read it.")


class ExportNote(QLabel):
    """The note under the choice, as high as the longest of the notes needs at its width, so
    choosing another format moves nothing: the dialog grew under the pointer when CSV's long
    note came in, and a click at the Export button's old place missed it."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._measure = QLabel()
        self._measure.setWordWrap(True)
        self._heights: dict[int, int] = {}

    @guarded
    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt name)
        if width not in self._heights:
            self._measure.setFont(self.font())
            self._measure.setContentsMargins(self.contentsMargins())
            needed = 0
            for choice in EXPORT_FORMATS:
                self._measure.setText(_note(choice, encrypted=False))
                needed = max(needed, self._measure.heightForWidth(width))
            self._heights[width] = needed
        return max(self._heights[width], super().heightForWidth(width))  # a longer message after Export


SEARCHED = ("On GNOME, the desktop's search indexes files in this folder: its index (on the disk, not "
            "encrypted) then holds this file's name and words.")


def searched_by_the_desktop(path: Path) -> bool:
    """Whether GNOME's desktop search indexes `path`'s folder by default (organiser/paths.py)."""
    where = QStandardPaths.StandardLocation
    named = {"DESKTOP": where.DesktopLocation, "DOCUMENTS": where.DocumentsLocation, "MUSIC": where.MusicLocation,
             "PICTURES": where.PicturesLocation, "VIDEOS": where.MoviesLocation, "DOWNLOAD": where.DownloadLocation}
    home = Path.home()
    dirs = {name: Path(QStandardPaths.writableLocation(loc)) for name, loc in named.items()}
    return indexed_by_desktop_search(path, home, {n: d for n, d in dirs.items() if d != home})


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in " -_" else "_" for c in name).strip() or "organiser-export"


def open_export_dialog(parent: QWidget | None, group: Group) -> ExportDialog:
    """File > Export: opens the dialog (window-modal) and returns it."""
    dialog = ExportDialog(group, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
