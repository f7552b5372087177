"""Laptops > Forks: a device that signed two versions of one change, and an admin
keeping one (services/forks.py). The person sees what each version wrote, picks one, and
confirms with the button that says what happens."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListView,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import OrganiserError
from organiser.services.forks import Fork, Version
from organiser.services.group import Group
from organiser.ui.dialogs import show_error
from organiser.ui.overrides import guarded
from organiser.ui.wording import as_typed

FORK_ROLE = Qt.ItemDataRole.UserRole + 1  # the Fork
VERSION_ROLE = Qt.ItemDataRole.UserRole + 2  # the Version
Index = QModelIndex | QPersistentModelIndex
_TOP = QModelIndex()
log = logging.getLogger(__name__)


class ForksModel(QAbstractListModel):
    """The forks this device knows of, undecided ones first, one sentence each."""

    def __init__(self, group: Group, parent: Any = None) -> None:
        super().__init__(parent)
        self.group = group
        self.forks: list[Fork] = []
        self.reload()

    def reload(self) -> None:
        try:
            forks = self.group.forks.list()
        except Exception:  # a view must never take the window down; the log has the reason
            log.exception("could not read the forks")
            return
        if forks != self.forks:
            self.beginResetModel()
            self.forks = forks
            self.endResetModel()

    @guarded(fallback=0)
    def rowCount(self, parent: Index = _TOP) -> int:  # noqa: N802 (Qt name)
        return 0 if parent.isValid() else len(self.forks)

    @guarded
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.forks):
            return None
        fork = self.forks[index.row()]
        if role == FORK_ROLE:
            return fork
        if role == Qt.ItemDataRole.DisplayRole:
            return fork.sentence()
        if role == Qt.ItemDataRole.ToolTipRole:
            return as_typed(fork.sentence())
        return None


class KeepVersionDialog(QDialog):
    """Which version of a fork stays: each with when it was written and what it writes."""

    kept = Signal(object)  # the Fork as it is after the decision

    def __init__(self, group: Group, fork: Fork, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = group
        self.fork = fork
        self.setWindowTitle("Keep one version")
        self.setMinimumWidth(560)
        self.model = QStandardItemModel(self)
        for version in fork.versions:
            item = QStandardItem(f"{version.written_at}  {version.summary}  ({version.hash[:12]})"
                                 f"{'  - kept' if version.hash == fork.kept else ''}")
            item.setData(version, VERSION_ROLE)
            item.setEditable(False)
            self.model.appendRow(item)
        self.versions = QListView()
        self.versions.setModel(self.model)
        self.versions.setAccessibleName("Versions of the change")
        self.versions.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        intro = QLabel(f"{fork.sentence()} Which version should every laptop keep?")
        intro.setWordWrap(True)
        self.explanation = QLabel("Click the version to keep.")
        self.explanation.setWordWrap(True)
        # The forking device chose its name and what its versions write: shown as typed, not obeyed
        for label in (intro, self.explanation):
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.keep_button = self.buttons.addButton("&Keep this version", QDialogButtonBox.ButtonRole.AcceptRole)
        self.keep_button.setEnabled(False)
        self.buttons.accepted.connect(self.keep)
        self.buttons.rejected.connect(self.reject)
        self.versions.selectionModel().selectionChanged.connect(lambda *_: self._explain())
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.versions)
        layout.addWidget(self.explanation)
        layout.addWidget(self.buttons)
        if not group.membership.is_admin():
            intro.setText(f"{fork.sentence()} Only an admin laptop can keep a version; this one is not an admin.")
            self.versions.setEnabled(False)

    def chosen(self) -> Version | None:
        index = self.versions.currentIndex()
        return index.data(VERSION_ROLE) if index.isValid() else None

    def _explain(self) -> None:
        version = self.chosen()
        self.keep_button.setEnabled(version is not None and version.hash != self.fork.kept)
        if version is not None:
            self.explanation.setText(
                f"Every laptop of the group will show what this version writes ({version.summary}) and what "
                f"'{self.fork.device_name}' wrote after it. The other version is set aside for good, kept as proof.")

    def keep(self) -> None:
        version = self.chosen()
        if version is None:
            return
        try:
            after = self.group.forks.keep(self.fork.id, version.hash)
        except OrganiserError as exc:
            show_error(self, "Cannot keep this version", exc)
            return
        self.kept.emit(after)
        self.accept()
