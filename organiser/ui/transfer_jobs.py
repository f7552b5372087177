"""The work behind File > Import/Export: a worker thread job and the preview's table model."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QThread,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QWidget,
)

from organiser.core.gcpause import gc_paused
from organiser.services import transfer
from organiser.services.group import Group, open_group
from organiser.services.transfer import ImportPlan, PlannedItem
from organiser.ui.colours import error_red
from organiser.ui.models.live import TableColumns
from organiser.ui.overrides import guarded
from organiser.ui.wording import as_typed
from organiser.ui.worker import release_later

log = logging.getLogger(__name__)
Index = QModelIndex | QPersistentModelIndex
ACTION_TEXT = {"add": "Add", "update": "Update", "skip": "Skip", "invalid": "Invalid"}


class TransferJob(QThread):
    """Runs `work(group, progress)` on a worker thread, on its own connection to the group.

    A job has no Qt parent and is kept alive by `_RUNNING` until its thread has finished,
    so closing the dialog that started it (or the app quitting) never destroys a thread
    that is still writing; signals to a dialog already gone are simply dropped.
    """

    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, group: Group, work: Callable[[Group, transfer.Progress], Any]) -> None:
        super().__init__()
        self._data_dir = group.path.parent.parent
        self._group_id = group.id
        self._bus = group.bus
        self._work = work
        self.finished.connect(self._forget)

    def start_kept(self) -> None:
        """Start, keeping the job alive until it has finished; the app waits for it on quit."""
        _RUNNING.add(self)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.wait)
        self.start()

    def _forget(self) -> None:
        release_later(_RUNNING, self)

    def run(self) -> None:
        try:
            own = open_group(self._data_dir, self._group_id, bus=self._bus)
        except Exception as exc:
            self.failed.emit(exc)
            return
        outcome: tuple[bool, Any]
        try:
            with gc_paused(freeze_survivors=True):  # no collector pass over the import's objects stalls the window
                outcome = (True, self._work(own, self.progressed.emit))
        except Exception as exc:  # shown to the person by the dialog, logged there if unexpected
            outcome = (False, exc)
        finally:
            own.close()
        (self.succeeded if outcome[0] else self.failed).emit(outcome[1])


_RUNNING: set[TransferJob] = set()


def _details(item: PlannedItem) -> list[str]:
    """What the plan says of an item beside its action: its reason and warnings, those not empty. An
    item added has no reason in the plan; its Details said nothing, and a person checking the list wonders
    why it is not matched with someone already there."""
    why = item.reason or (ADDED_WHY if item.action == "add" else "")
    return [x for x in (why, *item.warnings) if x]


ADDED_WHY = "matches nothing already in the group: added as new"


class PlanModel(TableColumns):
    """The plan's items: what happens to each, where it is in the file, and why."""

    ActionRole = Qt.ItemDataRole.UserRole + 1
    columns = ("What", "Where", "Name", "When", "Details")
    WHEN, DETAILS = 3, 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[PlannedItem] = []

    def set_plan(self, plan: ImportPlan | None) -> None:
        self.beginResetModel()
        self.rows = list(plan.items) if plan is not None else []
        self.endResetModel()

    @guarded
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        item = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (ACTION_TEXT[item.action], item.where, item.label, item.when,
                    "; ".join(_details(item)))[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == self.DETAILS:
            return as_typed("\n".join(_details(item))) or None
        if role == Qt.ItemDataRole.ForegroundRole and item.action == "invalid":
            return QColor(error_red())
        if role == self.ActionRole:
            return item.action
        return None

    @guarded
    def roleNames(self) -> dict[int, bytes]:
        return {**super().roleNames(), self.ActionRole: b"action"}


def failure_sentence(exc: BaseException) -> str:
    """What went wrong in an import or export, as one sentence; a fault of the program is logged."""
    from organiser.core.errors import OrganiserError
    from organiser.ui.dialogs import sentence

    if not isinstance(exc, OrganiserError | OSError | ValueError):
        log.error("import or export failed", exc_info=exc)
    return sentence(exc)
