"""Laptops > Incidents: what other devices sent that was refused, and clocks far off,
one line per device and reason, in words people act on ("check its clock"); below them the
forks (a device that signed two versions of one change), where an admin keeps one."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from organiser.services.group import Group
from organiser.ui.forks_dialog import FORK_ROLE, ForksModel, KeepVersionDialog
from organiser.ui.overrides import guarded
from organiser.ui.wording import as_typed

INCIDENT_ROLE = Qt.ItemDataRole.UserRole + 1  # the incident as a dict
Index = QModelIndex | QPersistentModelIndex
_TOP = QModelIndex()


class IncidentsModel(QAbstractTableModel):
    columns = ("Laptop", "What happened", "Times", "Last time")

    def __init__(self, group: Group, parent: Any = None) -> None:
        super().__init__(parent)
        self.group = group
        self.rows: list[dict[str, Any]] = []
        self.reload()

    def reload(self) -> None:
        try:
            rows = self.group.incidents()
        except Exception:  # a view must never take the window down; the log has the reason
            import logging

            logging.getLogger(__name__).exception("could not read the incidents")
            return
        if rows != self.rows:
            self.beginResetModel()
            self.rows = rows
            self.endResetModel()

    @guarded(fallback=0)
    def rowCount(self, parent: Index = _TOP) -> int:  # noqa: N802 (Qt name)
        return 0 if parent.isValid() else len(self.rows)

    @guarded(fallback=0)
    def columnCount(self, parent: Index = _TOP) -> int:  # noqa: N802 (Qt name)
        return 0 if parent.isValid() else len(self.columns)

    @guarded
    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 (Qt name)
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None

    @guarded
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == INCIDENT_ROLE:
            return row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1:
                return as_typed(row.get("detail", ""))
            text = (row["device"]["name"], row["message"], str(row["count"]),
                    row["last_at"].replace("T", " ").rstrip("Z"))[index.column()]
            return as_typed(text) if role == Qt.ItemDataRole.ToolTipRole else text
        return None


class IncidentsPanel(QWidget):
    """A heading, a sentence, and the table; refreshed when a refusal or clock warning arrives."""

    def __init__(self, group: Group, bridge: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = IncidentsModel(group, self)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.table.setModel(self.model)
        self.table.setAccessibleName("Incidents")
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        heading = QLabel("Incidents")
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        self.note = QLabel()
        self.note.setWordWrap(True)
        # As small as the splitter part above it may shrink to: the window keeps its minimum size.
        self.table.setMinimumHeight(24)
        self.note.setMinimumHeight(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(9, 0, 9, 0)
        layout.setSpacing(2)
        layout.addWidget(heading)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        self.forks_part = self._forks_part(group)
        layout.addWidget(self.forks_part)
        if bridge is not None:
            bridge.changesetRefused.connect(lambda *_: self.refresh())
            bridge.clockWarning.connect(lambda *_: self.refresh())
            bridge.peersChanged.connect(self.refresh)
            # an admin's decision arrives as a membership entry: the roster's kind changes
            bridge.recordsChanged.connect(lambda event: self.refresh() if "device" in event.kinds else None)
        self.timer = QTimer(self)  # incidents noted by another process (organiser serve beside the app)
        self.timer.setInterval(10_000)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def _forks_part(self, group: Group) -> QWidget:
        """Shown only while this device knows of a fork."""
        part = QWidget()
        self.forks_model = ForksModel(group, self)
        self.forks = QListView()
        self.forks.setModel(self.forks_model)
        self.forks.setAccessibleName("Forks")
        self.forks.setWordWrap(True)
        self.forks.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.forks.setMaximumHeight(56)
        self.keep_button = QPushButton("&Keep one version...")
        self.keep_button.setEnabled(False)
        self.keep_button.clicked.connect(self.keep_version)
        self.forks.selectionModel().selectionChanged.connect(
            lambda *_: self.keep_button.setEnabled(self.forks.currentIndex().isValid()))
        self.forks_model.modelReset.connect(lambda: self.keep_button.setEnabled(False))
        heading = QLabel("Forks: a laptop signed two versions of one change")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.forks, 1)
        row.addWidget(self.keep_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(part)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(heading)
        layout.addLayout(row)
        return part

    def keep_version(self) -> KeepVersionDialog | None:
        """Open the dialog for the fork chosen in the list (non-modal: the window stays usable)."""
        index = self.forks.currentIndex()
        if not index.isValid():
            return None
        dialog = KeepVersionDialog(self.forks_model.group, index.data(FORK_ROLE), self)
        dialog.kept.connect(lambda _fork: self.refresh())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def refresh(self) -> None:
        self.forks_model.reload()
        self.forks_part.setVisible(self.forks_model.rowCount() > 0)
        self.model.reload()
        n = self.model.rowCount()
        # Not "Nothing refused": above it, a removed laptop nearby "was refused", which is no incident
        self.note.setText("No incidents: every laptop sends what this app would write itself." if n == 0 else
                          "Changes refused from other laptops, clocks far off, and laptops that ask or tell far "
                          "more often than the app does. Nothing refused was stored.")
