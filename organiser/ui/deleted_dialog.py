"""Edit > Deleted items…: deleted events, tasks and members, the latest first, with the laptop that
deleted each and when, and Bring back (services/deleted.py). The list is read on a worker thread:
on a long-used group it is a walk over every record."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import OrganiserError
from organiser.core.records import KINDS
from organiser.services.deleted import Deleted, DeletedItem
from organiser.services.group import Group
from organiser.ui.bidi import day_text, isolated
from organiser.ui.dialogs import show_error
from organiser.ui.loader import BackgroundReader
from organiser.ui.overrides import guarded
from organiser.ui.widgets import size_on_screen

COLUMNS = ("What", "Name", "Deleted by", "When")
ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _local(at_ms: int) -> str:
    """When, by this laptop's clock on the wall: 'Wed 2 Dec 2026, 19:12'."""
    return datetime.fromtimestamp(at_ms / 1000).strftime("%a %-d %b %Y, %H:%M")


def _named(item: DeletedItem) -> str:
    """An event with its day, as two meetings may share a title: 'General assembly · Fri 8 Jan 2027'.
    The title set apart (bidi.py `isolated`): a right-to-left title or an override in it leaves
    the day in its order."""
    try:
        day = day_text(datetime.fromisoformat(item.start).date(), "%a %-d %b %Y") if item.start else ""
    except ValueError:
        day = item.start or ""
    return f"{isolated(item.name)} · {day}" if day else item.name


class DeletedDialog(QDialog):
    def __init__(self, group: Group, parent: QWidget | None = None,
                 reader: BackgroundReader | None = None) -> None:
        super().__init__(parent)
        self.group = group
        self.setWindowTitle("Deleted items")
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Deleted events, tasks and members, the latest first")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        intro = QLabel("Deleting an event, a task or a member keeps what it held on every laptop of the group: "
                       "bring it back here (an event with its RSVPs, check-ins, agenda and minutes). Members "
                       "an admin forgot are gone for good and are not listed.")
        intro.setWordWrap(True)
        self.note = QLabel("Reading…")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)  # names from peers: markup shown, not obeyed
        self.bring_back_button = QPushButton("&Bring back")
        self.bring_back_button.setEnabled(False)
        self.bring_back_button.clicked.connect(self.bring_back)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.bring_back_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.table.selectionModel().selectionChanged.connect(self._chosen)
        self.table.doubleClicked.connect(lambda _index: self.bring_back())
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        size_on_screen(self, 760, 460)
        self.closed = False
        names = group.history.device_names()
        self.reader = reader or BackgroundReader(group.path)
        self.reader.read(lambda db: Deleted(db, lambda: names, {}).list(), self._show, self._failed)

    @guarded
    def done(self, result: int) -> None:
        self.closed = True  # what the worker still reads is dropped
        super().done(result)

    def _show(self, items: list[DeletedItem]) -> None:
        if self.closed:
            return
        for item in items:
            cells = [QStandardItem(text) for text in
                     (KINDS[item.kind].label, _named(item), item.device_name, _local(item.at_ms))]
            cells[0].setData(item.id, ID_ROLE)
            self.model.appendRow(cells)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.note.setText("Click one, then Bring back." if items else "Nothing has been deleted.")

    def _failed(self, message: str) -> None:
        if not self.closed:
            self.note.setText(f"The deleted items could not be read: {message}")

    def _chosen(self) -> None:
        self.bring_back_button.setEnabled(bool(self.table.selectionModel().selectedRows()))

    def bring_back(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        record_id = rows[0].data(ID_ROLE)
        try:
            item = self.group.deleted.bring_back(record_id)
        except OrganiserError as exc:
            show_error(self, "Cannot bring this back", exc)
            return
        self.model.removeRow(rows[0].row())
        self.note.setText(f"Brought back the {KINDS[item.kind].label} “{item.name}” on this laptop; the group's "
                          "other laptops show it again as they sync.")
