"""File > Import and File > Export: choose a file, see what would happen, then do it.

Reading, planning and writing run in a worker thread with its own database connection
(`TransferJob`), so the window keeps drawing while 10,000 rows are checked and written.
The worker shares the group's event bus, so the views refresh when the import lands.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import OrganiserError
from organiser.formats.backup import read_backup
from organiser.formats.common import detect_format, read_import_file
from organiser.formats.csvfile import parse_mapping, short_heading, some_columns
from organiser.services import transfer
from organiser.services.group import Group
from organiser.services.transfer import ImportPlan, ImportResult
from organiser.ui.export_dialog import EXPORT_FORMATS, ExportDialog, open_export_dialog
from organiser.ui.file_choice import file_to_open
from organiser.ui.overrides import guarded
from organiser.ui.transfer_jobs import PlanModel, TransferJob, failure_sentence
from organiser.ui.widgets import error_colour, size_on_screen

log = logging.getLogger(__name__)
Index = QModelIndex | QPersistentModelIndex
OPEN_FILTER = ("Files Organiser can import (*.ics *.ical *.vcf *.vcard *.csv *.tsv *.txt *.json);;"
               "Calendars (*.ics *.ical);;Contacts (*.vcf *.vcard);;Spreadsheets (*.csv *.tsv *.txt);;"
               "Full backups (*.json);;All files (*)")


class ImportDialog(QDialog):
    """Choose a file; see what would be added, updated, skipped or is invalid; import."""

    def __init__(self, group: Group, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = group
        self.plan: ImportPlan | None = None
        self.result: ImportResult | None = None
        self.data: bytes = b""
        self._job: TransferJob | None = None
        self._pending_replan = False
        self._backup_name = ""
        self._planned_for: tuple[str, str] | None = None  # (file, column mapping) last read
        self.setWindowTitle("Import")
        size_on_screen(self, 900, 540)  # room for an event's name and when beside what is said of it

        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("A calendar (.ics), contacts (.vcf), spreadsheet (.csv) or backup (.json)")
        self.path_edit.setAccessibleName("File to import")
        self.path_edit.editingFinished.connect(self._edited)
        self.choose_button = QPushButton("Choose…")
        self.choose_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.choose_button)

        self.merge_box = QCheckBox("Merge likely duplicates (members with the same email or phone)")
        self.merge_box.toggled.connect(self.replan)
        self.skip_box = QCheckBox("Skip invalid items and import the rest")
        self.skip_box.toggled.connect(self._show_summary)
        # shown when the file looks like UTF-8 read as Windows-1252 and saved again ("ZoÃ«")
        self.encoding_box = QCheckBox()
        self.encoding_box.setVisible(False)
        self.encoding_box.toggled.connect(self.replan)
        self.map_edit = QLineEdit()
        self.map_edit.setPlaceholderText("Spreadsheets: extra columns, e.g. Mobil=phone; Notizen=notes")
        self.map_edit.setAccessibleName("Column mapping")
        self.map_edit.editingFinished.connect(self._edited)

        form = QFormLayout()
        form.addRow("File:", file_row)
        form.addRow("Columns:", self.map_edit)
        form.addRow("", self.merge_box)
        form.addRow("", self.skip_box)
        form.addRow("", self.encoding_box)

        self.summary = QLabel("Choose a file to see what it holds before anything is imported.")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)  # it quotes the file (a column's heading): as written
        self.summary.setWordWrap(True)
        self.model = PlanModel(self)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        # What and Where are short; Name and Details share the rest, so a name reads whole
        # when no item needs explaining (Details alone took it, and names were cut).
        fit, share = QHeaderView.ResizeMode.ResizeToContents, QHeaderView.ResizeMode.Stretch
        for column, mode in enumerate((fit, fit, share, fit, share)):
            header.setSectionResizeMode(column, mode)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress.setAccessibleName("Import progress")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.start_import)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)

    # ---- choosing and planning ----------------------------------------------------------------

    def choose_file(self) -> None:
        # The folder of a file typed already, else home: "" opened the folder the app was started
        # from (the source tree, under `make run`), where nobody keeps a spreadsheet.
        typed = Path(self.path_edit.text().strip()).expanduser()
        start = typed.parent if self.path_edit.text().strip() and typed.parent.is_dir() else Path.home()
        path = file_to_open(self, "Import from", str(start), OPEN_FILTER)
        if path:
            self.set_file(Path(path))

    def set_file(self, path: Path) -> None:
        self.path_edit.setText(str(path))
        self._forget_encoding()
        self.replan()

    def _forget_encoding(self) -> None:
        """Another file: its own reading decides whether the choice is offered."""
        self.encoding_box.blockSignals(True)
        self.encoding_box.setChecked(False)
        self.encoding_box.blockSignals(False)
        self.encoding_box.setVisible(False)

    @property
    def busy(self) -> bool:
        return self._job is not None

    def _edited(self) -> None:
        # editingFinished also fires when focus merely leaves the field
        if (self.path_edit.text().strip(), self.map_edit.text().strip()) != self._planned_for:
            if self._planned_for is None or self.path_edit.text().strip() != self._planned_for[0]:
                self._forget_encoding()
            self.replan()

    def replan(self) -> None:
        """Read the file and plan the import again (options changed), on the worker."""
        if self.busy:
            self._pending_replan = True
            return
        self.plan, self.result = None, None
        self.model.set_plan(None)
        text = self.path_edit.text().strip()
        self._planned_for = (text, self.map_edit.text().strip())
        if not text:
            self._update_buttons()
            return
        path = Path(text).expanduser()
        try:
            self.data = read_import_file(path)
            mapping = parse_mapping(p for p in self.map_edit.text().replace(",", ";").split(";") if p.strip())
            fmt = detect_format(path, self.data)
        except OrganiserError as exc:  # no such file, too big, not a format it reads
            self._show_problem(failure_sentence(exc))
            return
        if fmt == "json":
            self._plan_backup(path)
            return
        data, source, merge = self.data, path.name, self.merge_box.isChecked()
        repair = self.encoding_box.isChecked()
        self._run(lambda g, progress: transfer.plan_import(g, data, source, fmt=fmt, merge_duplicates=merge,
                                                           mapping=mapping, progress=progress,
                                                           repair_encoding=repair),
                  self._planned, "Reading and checking…")

    def _plan_backup(self, path: Path) -> None:
        """Open a sealed backup (its passphrase's key derivation and the decryption take seconds on a
        year-old group) and read it, on the worker: the dialog says what it is doing meanwhile."""
        from organiser.formats.sealed import is_sealed, open_sealed

        data, passphrase, self._backup_name = self.data, None, path.name
        if is_sealed(data):
            passphrase, ok = QInputDialog.getText(self, "Encrypted backup", f"{path.name} is encrypted. "
                                                  "Its passphrase:", QLineEdit.EchoMode.Password)
            if not ok:
                self._say(f"{path.name} is encrypted: choose it again to type its passphrase.")
                return

        def work(_group: Group, _progress: transfer.Progress) -> tuple[bytes, Any]:
            opened = open_sealed(data, passphrase, path.name) if passphrase is not None else data
            return opened, read_backup(opened, path.name)

        self._run(work, self._backup_read,
                  f"Opening {path.name} with its passphrase…" if passphrase is not None else f"Reading {path.name}…")

    def _backup_read(self, found: tuple[bytes, Any]) -> None:
        self.data, backup = found
        self.plan = ImportPlan(self._backup_name, "json", backup=backup)
        same = backup.group["id"] == self.group.id
        self._say(
            f"{self.plan.summary()} "
            + ("It is a backup of this very group, so there is nothing to restore here. " if same else
               "Importing restores it on this laptop as a separate group, a copy under a new key that "
               "the group never admitted: what is changed there reaches no other laptop (to be back in the "
               "group, join with an invite code); switch to it with File > Other group. ")
            + "To restore a group on a new computer, use 'organiser --data-dir DIR import FILE'.")
        self._update_buttons()

    def _planned(self, plan: ImportPlan) -> None:
        self.plan = plan
        self.model.set_plan(plan)
        self.table.setColumnHidden(PlanModel.WHEN, not any(item.when for item in plan.items))
        text = plan.summary()
        if plan.misdecoded is not None:
            found = plan.misdecoded
            self.encoding_box.setText(f"Read it as UTF-8 (“{found.seen}” becomes “{found.meant}”)")
            self.encoding_box.setVisible(True)
            if not plan.repaired:
                text = (f"{found.sentence(plan.source)}: tick “Read it as UTF-8” to import it as it was meant. "
                        + text)
        text += self._about_invalid(plan)
        for note in plan.file_notes:  # no row to show them beside
            text += f" {self._in_this_windows_words(plan, note).rstrip('.')}."
        n = sum(len(item.warnings) for item in plan.items)
        if n:
            text += f" {n} note{'s' if n != 1 else ''} about what was left out or guessed (see Details)."
        self._say(text)
        self._update_buttons()

    def _about_invalid(self, plan: ImportPlan) -> str:
        if not plan.invalid:
            return ""
        first = plan.invalid[0]
        said = f"{first.where}, {first.reason.rstrip('.')}"
        if self.skip_box.isChecked():
            n = len(plan.invalid)
            return f" {n} invalid item{'s' if n != 1 else ''} will be left out (first: {said})."
        return (f" Invalid items block the import (first: {said}); fix the file, or tick “Skip invalid items” "
                "to import the rest.")

    @staticmethod
    def _in_this_windows_words(plan: ImportPlan, note: str) -> str:
        """The note about columns left out tells what to type in Columns, not the command line's --map."""
        if not plan.left_out or note != plan.left_out_note:
            return note
        many = len(plan.left_out) > 1
        # the summary before it starts with the file's name: said once
        return (f"Column{'s' if many else ''} {some_columns(plan.left_out)} not imported; "
                f"to import {'one' if many else 'it'}, type in Columns the field it goes to, "
                f"e.g. {short_heading(plan.left_out[0])}=notes")

    def _show_summary(self) -> None:
        """The box to skip invalid items changes what the summary says of them."""
        if self.plan is not None and self.result is None and self.plan.backup is None and not self.busy:
            self._planned(self.plan)
        self._update_buttons()

    def _failed(self, exc: BaseException) -> None:
        self._show_problem(failure_sentence(exc))

    def _show_problem(self, text: str) -> None:
        """A file that cannot be read or imported: said as the app's other refusals are, in red."""
        self._say(text, problem=True)
        self._update_buttons()

    def _say(self, text: str, *, problem: bool = False) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet(f"color: {error_colour(self)};" if problem else "")

    def _update_buttons(self) -> None:
        plan = self.plan
        can = not self.busy and self.result is None and plan is not None and self._would_write(plan)
        self.import_button.setEnabled(can)
        self.import_button.setText("Restore" if plan is not None and plan.backup is not None else "Import")
        for widget in (self.path_edit, self.choose_button, self.merge_box, self.skip_box, self.map_edit,
                       self.encoding_box):
            widget.setEnabled(not self.busy)

    def _would_write(self, plan: ImportPlan) -> bool:
        """A backup of another group restores; a file imports when it adds or updates something and
        has no invalid items (or they are to be skipped)."""
        if plan.backup is not None:
            return plan.backup.group["id"] != self.group.id
        return bool(plan.of("add") or plan.of("update")) and (not plan.invalid or self.skip_box.isChecked())

    # ---- importing ----------------------------------------------------------------------------

    def start_import(self) -> None:
        plan = self.plan
        if plan is None or self.busy:
            return
        if plan.backup is not None:
            data, source = self.data, plan.source
            data_dir, device_name = self.group.path.parent.parent, self.group.device_name
            self._run(lambda _g, progress: transfer.restore_backup(data_dir, data, source, device_name,
                                                                   progress).close(),
                      self._restored, "Restoring…")
            return
        skip = self.skip_box.isChecked()
        self._run(lambda g, progress: transfer.apply_import(g, plan, skip_invalid=skip, progress=progress),
                  self._imported, "Writing…")

    def _imported(self, result: ImportResult) -> None:
        self.result = result
        self._say(f"Imported {result.added} new, {result.updated} updated, {result.skipped} skipped"
                             + (f", {result.invalid_skipped} invalid left out" if result.invalid_skipped else "")
                             + ".")  # not ", in one step" (one change): engineers' words
        self._update_buttons()

    def _restored(self, _none: Any) -> None:
        self.result = ImportResult(0, 0, 0, 0, 0)
        self._say("Restored the backup as a separate group, a copy the group never admitted; switch to "
                             "it with File > Other group.")
        self._update_buttons()

    # ---- the worker ---------------------------------------------------------------------------

    def _run(self, work: Callable[[Group, transfer.Progress], Any], done: Callable[[Any], None],
             what: str) -> None:
        job = TransferJob(self.group, work)
        self._job = job
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.progress.setFormat(what)
        self._say(what)
        job.progressed.connect(self._progressed)
        job.succeeded.connect(done)
        job.failed.connect(self._failed)  # a bound slot, so it runs on the GUI thread
        job.finished.connect(self._job_finished)
        self._update_buttons()
        job.start_kept()

    def _progressed(self, done: int, total: int, what: str) -> None:
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)
        self.progress.setFormat(f"{what.capitalize()}: %v of %m" if total else what)

    def _job_finished(self) -> None:
        self._job = None
        self.progress.setVisible(False)
        self._update_buttons()
        if self._pending_replan:
            self._pending_replan = False
            self.replan()

    @guarded
    def reject(self) -> None:
        if self.busy:  # a transaction is being written; it finishes on its own in moments
            self._say("Please wait: the import finishes in a moment.")
            return
        super().reject()


def open_import_dialog(parent: QWidget | None, group: Group) -> ImportDialog:
    """File > Import: opens the dialog (window-modal) and returns it."""
    dialog = ImportDialog(group, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


__all__ = ["EXPORT_FORMATS", "ExportDialog", "ImportDialog", "PlanModel", "TransferJob", "open_export_dialog",
           "open_import_dialog"]
