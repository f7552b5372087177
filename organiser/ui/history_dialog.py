"""Meeting > Who changed what…: every write of the meeting and of what was made under it (check-ins,
agenda, proposals, votes, tasks, typing in the minutes), newest first, with the laptop that wrote
it, read from the signed change log (services/history.py). What a removal took back is marked."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from organiser.services.group import Group
from organiser.services.history import History, Write
from organiser.ui.loader import BackgroundReader
from organiser.ui.overrides import guarded
from organiser.ui.widgets import size_on_screen
from organiser.ui.wording import as_typed

COLUMNS = ("When", "Laptop", "What", "Changed")
WHAT = {"agenda_item": "agenda item", "rsvp": "check-in or RSVP", "hand_count": "show of hands",
        "minutes": "minutes", "meeting": "running meeting"}
LINKS = ("event", "proposal", "agenda_item", "member")
LONGEST = 120  # characters of a change shown in its cell; the whole of it in the cell's tooltip


def _local(at: str) -> str:
    """The write's UTC stamp as this laptop's local time, as people read the clock on the wall."""
    return datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _value(write: Write) -> str:
    if write.value_name:
        return write.value_name
    if isinstance(write.value, bool):
        return "yes" if write.value else "no"
    if write.value is None or write.value == "" or write.value == []:
        return "(empty)"
    if isinstance(write.value, list):  # a member's emails or phones: as a person lists them, not Python's ['…']
        return ", ".join(str(v) for v in write.value)
    if write.field.endswith("_at") and isinstance(write.value, str):  # checked in at: the clock on the wall
        try:
            return _local(write.value)[:16]
        except ValueError:
            return write.value
    return write.value if isinstance(write.value, str) else str(write.value)


def _changed(writes: list[Write], made: bool) -> str:
    """'deleted', or each field written with its value: 'title: Rent strike; status: todo'. The
    change that made the record says 'added' and leaves out the fields it was made without."""
    if any(w.field == "deleted" and w.value is True for w in writes):
        return "deleted"
    # What the record is said first; which meeting, proposal or member it belongs to, after
    writes = sorted(writes, key=lambda w: w.field in LINKS)
    said = "; ".join(f"{w.field.replace('_', ' ')}: {_value(w)}" for w in writes
                     if w.field != "deleted" and not (made and w.value in (None, "")))
    if made:
        return f"added: {said}"
    return said or "restored"  # only 'not deleted' written: brought back


Row = tuple[str, str, str, str, str]  # when, laptop, what, the change cut to a line, the whole change


def _row(writes: list[Write], made: bool, with_event: bool = False) -> Row:
    """One changeset's writes to one record: when, which laptop, what, and what it changed;
    `with_event`: a check-in or RSVP says for which event (outside one meeting's own history)."""
    first = writes[0]
    what = WHAT.get(first.kind, first.kind) + (f" '{first.record_name}'" if first.record_name else "")
    if with_event and first.event_name:
        what += f" at {first.event_name}"
    laptop = first.device_name + (" (taken back)" if first.taken_back else "")
    changed = _changed(writes, made)
    shown = changed if len(changed) <= LONGEST else changed[:LONGEST - 1] + "…"
    return _local(first.at), laptop, what, shown, changed


def read_rows(db: Database, names: dict[str, str], event_id: str) -> list[Row]:
    """The dialog's rows, newest first: run on a worker thread with its own connection."""
    return rows_of(History(db, lambda: names).of_record(event_id))[::-1]


def rows_of(writes: list[Write], with_event: bool = False) -> list[Row]:
    """Writes (oldest first) as rows, one a changeset and record, oldest first."""
    return [_row(group, made, with_event) for group, made in _by_change(writes)]


def _by_change(writes: list[Write]) -> list[tuple[list[Write], bool]]:
    """Writes (oldest first) grouped by the changeset and record they belong to, each group with
    whether it is the first to write that record (the change that made it)."""
    groups: list[tuple[list[Write], bool]] = []
    seen: set[str] = set()
    for write in writes:
        last = groups[-1][0][0] if groups else None
        if last is not None and (last.device, last.change, last.record) == (write.device, write.change, write.record):
            groups[-1][0].append(write)
        else:
            groups.append(([write], write.record not in seen))
            seen.add(write.record)
    return groups


class HistoryDialog(QDialog):
    """Opens at once saying it is reading (a long-used group's change log is large); the rows come
    from a worker thread. Close works meanwhile: what is read later is dropped."""

    def __init__(self, group: Group, event_id: str, parent: QWidget | None = None,
                 reader: BackgroundReader | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Who changed what")
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Changes to this meeting, newest first")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)  # one line a change, cut with "…"; the whole of it in the tooltip
        intro = QLabel("Every change to this meeting and what was made under it, newest first, with the laptop "
                       "that made it. To take back what a laptop wrote: Laptops > Remove laptop…, with "
                       "\u201cAlso take back what it wrote since\u201d.")
        intro.setWordWrap(True)
        self.reading = QLabel("Reading the change log…")
        self.reading.setAccessibleName("Reading the change log")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # moving to and fro: how long is not known
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(12)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.reading)
        layout.addWidget(self.busy)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        size_on_screen(self, 900, 560)
        self.closed = False
        names = group.history.device_names()
        self.reader = reader or BackgroundReader(group.path)
        # writes: the index of what each changeset names is brought up to date first
        self.reader.read(lambda db: read_rows(db, names, event_id), self._show, self._failed, writes=True)

    @guarded
    def done(self, result: int) -> None:
        self.closed = True  # what the worker still reads is dropped
        super().done(result)

    def _show(self, rows: list[Row]) -> None:
        if self.closed:
            return
        for row in rows:
            items = [QStandardItem(text) for text in row[:4]]
            items[3].setToolTip(as_typed(row[4]))  # values from peers: markup shown, not obeyed
            for item in items:
                item.setEditable(False)
            self.model.appendRow(items)
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(2, min(self.table.columnWidth(2), 300))  # "Changed" takes the rest
        self.busy.hide()
        self.reading.setText("" if rows else "Nothing has been written to this meeting yet.")
        self.reading.setVisible(not rows)

    def _failed(self, message: str) -> None:
        if self.closed:
            return
        self.busy.hide()
        self.reading.setText(f"The change log could not be read: {message}")
