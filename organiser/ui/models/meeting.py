"""Qt models of a meeting: its agenda (reordered by drag and drop) and its proposals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt

from organiser.core.errors import OrganiserError
from organiser.services.meetings import AgendaItem, Meetings, MeetingState
from organiser.services.proposals import Proposal, Proposals, Tally
from organiser.ui.overrides import guarded

Index = QModelIndex | QPersistentModelIndex
ITEM_MIME = "application/x-organiser-agenda-item"
ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
CURRENT_ROLE = Qt.ItemDataRole.UserRole + 3


def clock_text(seconds: int) -> str:
    """A time box's clock as a wall clock reads it: "4:05", past an hour "1:40:00" (not "100:00")."""
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class AgendaModel(QAbstractListModel):
    """The agenda in order; dropping an item between two others moves it there (one write)."""

    def __init__(self, meetings: Meetings, parent: Any = None) -> None:
        super().__init__(parent)
        self.meetings = meetings
        self.event_id: str | None = None
        self.rows: list[AgendaItem] = []
        self.state: MeetingState | None = None
        self.error = ""  # the last refusal, for the view to show

    def load(self, event_id: str | None) -> None:
        self.beginResetModel()  # a new meeting: nothing to keep
        self.event_id = event_id
        self._read()
        self.endResetModel()

    def refresh(self) -> None:
        """Re-read after a change; rows that stayed keep their place, so the selection stays."""
        old = [r.id for r in self.rows]
        items = self.meetings.items(self.event_id) if self.event_id else []
        if [i.id for i in items] != old:
            self.layoutAboutToBeChanged.emit()
            self._read()
            # the selection follows its item; a removed item's index becomes invalid
            rows = {r.id: n for n, r in enumerate(self.rows)}
            for index in self.persistentIndexList():
                row = rows.get(old[index.row()]) if 0 <= index.row() < len(old) else None
                self.changePersistentIndex(index, self.index(row) if row is not None else QModelIndex())
            self.layoutChanged.emit()
            return
        self._read()
        if self.rows:
            self.dataChanged.emit(self.index(0), self.index(len(self.rows) - 1))

    def _read(self) -> None:
        self.rows = self.meetings.items(self.event_id) if self.event_id else []
        self.state = self.meetings.state(self.event_id) if self.event_id else None

    @guarded(fallback=0)
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt name)
        return 0 if parent.isValid() else len(self.rows)

    @guarded
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        item = self.rows[index.row()]
        current = self.state is not None and self.state.current_item == item.id
        if role == Qt.ItemDataRole.DisplayRole:
            return self._line(index.row(), item, current)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return item.title
        if role == ID_ROLE:
            return item.id
        if role == ROW_ROLE:
            return item
        if role == CURRENT_ROLE:
            return current
        return None

    def _line(self, row: int, item: AgendaItem, current: bool) -> str:
        """'▶ 2. Rent — Ana  [3:10 of 10 min]': the mark of the current item, number, title,
        presenter, and the time used of its time box."""
        presenter = self.meetings.member_name(item.presenter)
        used = clock_text(self.state.seconds_used(item)) if self.state else "0:00"
        # The time box never breaks across lines ("[0:07" / "of 20 min]"): no-break spaces inside it.
        box = f"  [{used}\u00a0of\u00a0{item.minutes}\u00a0min]" if item.minutes else ""
        return f"{'▶ ' if current else ''}{row + 1}. {item.title}" + (f" — {presenter}" if presenter else "") + box

    @guarded
    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    @guarded
    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802 (Qt name)
        return Qt.DropAction.MoveAction

    @guarded
    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt name)
        return [ITEM_MIME]

    @guarded
    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:  # noqa: N802 (Qt name)
        mime = QMimeData()
        ids = [self.rows[i.row()].id for i in indexes if i.isValid()]
        mime.setData(ITEM_MIME, "\n".join(ids[:1]).encode())
        return mime

    @guarded
    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,  # noqa: N802
                        parent: Index) -> bool:
        return data.hasFormat(ITEM_MIME)

    @guarded
    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,  # noqa: N802
                     parent: Index) -> bool:
        if action == Qt.DropAction.IgnoreAction:
            return True
        if not data.hasFormat(ITEM_MIME):
            return False
        item_id = bytes(data.data(ITEM_MIME).data()).decode().strip()
        ids = [r.id for r in self.rows]
        if item_id not in ids:
            return False
        if row < 0:  # dropped onto an item: before it; onto empty space: at the end
            row = parent.row() if parent.isValid() else len(ids)
        to_index = row - 1 if ids.index(item_id) < row else row
        try:
            self.meetings.move_item(item_id, to_index)
        except OrganiserError as exc:
            self.error = str(exc)
            return False
        self.refresh()
        return True  # the write moved it; the model has no removeRows, so the source row stays put

    def row_of(self, item_id: str) -> int:
        return next((n for n, r in enumerate(self.rows) if r.id == item_id), -1)


class ProposalsModel(QAbstractListModel):
    """The meeting's proposals, each with its live tally."""

    def __init__(self, proposals: Proposals, parent: Any = None) -> None:
        super().__init__(parent)
        self.proposals = proposals
        self.event_id: str | None = None
        self.rows: list[tuple[Proposal, Tally]] = []

    def load(self, event_id: str | None) -> None:
        self.beginResetModel()
        self.event_id = event_id
        self.rows = self._rows()
        self.endResetModel()

    def refresh(self) -> None:
        """Proposals are listed in the order they were stored here, so one that arrives goes at the end."""
        old = [p.id for p, _t in self.rows]
        rows = self._rows()
        if [p.id for p, _t in rows] != old:
            self.layoutAboutToBeChanged.emit()
            self.rows = rows
            self.layoutChanged.emit()
        else:
            self.rows = rows
            if self.rows:
                self.dataChanged.emit(self.index(0), self.index(len(self.rows) - 1))

    def _rows(self) -> list[tuple[Proposal, Tally]]:
        found = self.proposals.list(self.event_id) if self.event_id else []
        return [(p, self.proposals.tally(p.id)) for p in found]

    @guarded(fallback=0)
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt name)
        return 0 if parent.isValid() else len(self.rows)

    @guarded
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        proposal, tally = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            counts = ", ".join(f"{o} {n}" for o, n in tally.counts.items())
            state = "closed: " + proposal.outcome if proposal.status == "closed" else counts
            return f"{proposal.title} ({proposal.method}) — {state}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return proposal.title
        if role == ID_ROLE:
            return proposal.id
        if role == ROW_ROLE:
            return proposal
        return None

    def row_of(self, proposal_id: str) -> int:
        return next((n for n, (p, _t) in enumerate(self.rows) if p.id == proposal_id), -1)
