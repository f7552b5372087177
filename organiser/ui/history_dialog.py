"""Meeting > Who changed what…: every write of the meeting and of what was made under it (check-ins,
agenda, proposals, votes, tasks, typing in the minutes), newest first, with the laptop that wrote
it, read from the signed change log (services/history.py). What a removal took back is marked."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QDialog, QDialogButtonBox, QLabel, QTableView, QVBoxLayout, QWidget

from organiser.services.group import Group
from organiser.services.history import Write
from organiser.ui.widgets import size_on_screen

COLUMNS = ("When", "Laptop", "What", "Field", "Value")
WHAT = {"agenda_item": "agenda item", "rsvp": "check-in or RSVP", "hand_count": "show of hands",
        "minutes": "minutes", "meeting": "running meeting"}


def _local(at: str) -> str:
    """The write's UTC stamp as this laptop's local time, as people read the clock on the wall."""
    return datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _row(write: Write) -> list[QStandardItem]:
    what = WHAT.get(write.kind, write.kind) + (f" '{write.record_name}'" if write.record_name else "")
    value = write.value_name or (write.value if isinstance(write.value, str) else repr(write.value))
    laptop = write.device_name + (" (taken back)" if write.taken_back else "")
    items = [QStandardItem(text) for text in (_local(write.at), laptop, what, write.field, value)]
    for item in items:
        item.setEditable(False)
    return items


class HistoryDialog(QDialog):
    def __init__(self, group: Group, event_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Who changed what")
        writes = list(reversed(group.history.of_record(event_id)))
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        for write in writes:
            self.model.appendRow(_row(write))
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Changes to this meeting, newest first")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.resizeColumnsToContents()
        intro = QLabel("Every change to this meeting and what was made under it, newest first, with the laptop "
                       "that made it. To take back what a laptop wrote: Peers & group > Remove device…, with "
                       "\u201cAlso take back what it wrote since\u201d.")
        intro.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        size_on_screen(self, 900, 560)
