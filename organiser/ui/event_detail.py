"""The detail pane of one event: when and where, RSVPs, door check-in with a live count
against capacity, and the event's tasks."""

from __future__ import annotations

import html

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from organiser.core.bus import RecordsChanged
from organiser.core.errors import OrganiserError
from organiser.services import clock
from organiser.services.events import Event
from organiser.services.group import Group
from organiser.ui.dialogs import show_error
from organiser.ui.models.events import RsvpModel, time_range
from organiser.ui.models.live import ID_ROLE, ROW_ROLE
from organiser.ui.models.tasks import TaskCache, TaskTableModel
from organiser.ui.widgets import RecordPicker


class EventDetail(QWidget):
    editRequested = Signal()
    deleteRequested = Signal()
    status = Signal(str)

    def __init__(self, group: Group, cache: TaskCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = group
        self.shown_event: Event | None = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.clicked.connect(self.editRequested)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.deleteRequested)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.edit_button)
        head.addWidget(self.delete_button)

        self.count = QLabel()
        self.count.setAccessibleName("Checked in")
        self.count.setObjectName("checkin-count")
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Checked in against capacity")
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(10)
        self.checkin_search = RecordPicker(group, "member", "name", "Arriving? Type a name and press Enter to check in")
        self.checkin_search.setAccessibleName("Check in a member by name")
        self.checkin_search.returnPressed.connect(self.checkin_typed)
        self.checkin_search.picked.connect(lambda _rid: self.checkin_typed())

        self.rsvps = RsvpModel(group, self)
        self.rsvp_table = QTableView()
        self.rsvp_table.setModel(self.rsvps)
        self.rsvp_table.setAccessibleName("RSVPs")
        self.rsvp_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rsvp_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.rsvp_table.verticalHeader().hide()
        self.rsvp_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.rsvp_table.doubleClicked.connect(lambda _i: self.toggle_selected())
        self.checkin_button = QPushButton("Check &in")
        self.checkin_button.setToolTip("Check in the selected member (or double-click the row)")
        self.checkin_button.clicked.connect(self.toggle_selected)
        rsvp_row = QHBoxLayout()
        rsvp_row.addWidget(self.checkin_search, 1)
        rsvp_row.addWidget(self.checkin_button)

        self.tasks = TaskTableModel(cache, self, event="")
        self.task_table = QTableView()
        self.task_table.setModel(self.tasks)
        self.task_table.setAccessibleName("Tasks for this event")
        self.task_table.verticalHeader().hide()
        self.task_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.task_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (4, 5):
            self.task_table.setColumnHidden(column, True)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.info)
        layout.addWidget(self.count)
        layout.addWidget(self.bar)
        layout.addLayout(rsvp_row)
        layout.addWidget(self.rsvp_table, 3)
        layout.addWidget(QLabel("<b>Tasks for this event</b>"))
        layout.addWidget(self.task_table, 2)
        for signal in (self.rsvps.dataChanged, self.rsvps.rowsInserted, self.rsvps.rowsRemoved,
                       self.rsvps.modelReset):
            signal.connect(self.update_count)
        self.rsvp_table.selectionModel().currentRowChanged.connect(lambda *_: self._update_button())
        self.set_event(None)

    def set_event(self, event: Event | None) -> None:
        self.shown_event = event
        for widget in (self.edit_button, self.delete_button, self.checkin_search, self.checkin_button,
                       self.rsvp_table, self.task_table):
            widget.setEnabled(event is not None)
        if event is None:
            self.title.setText("No event selected")
            self.info.setText("Pick an event in the agenda or the month view, or create one with New event.")
            self.rsvps.set_event(None)
            self.tasks.set_event("")
            self.update_count()
            return
        self.title.setText(event.title + (" (cancelled)" if event.status == "cancelled" else ""))
        when = event.start_dt.strftime("%A %-d %B %Y, ") + time_range(event)
        bits = [f"<b>When</b> {html.escape(when)}"]
        if event.location:
            bits.append(f"<b>Where</b> {html.escape(event.location)}")
        bits.append(f"<b>Places</b> {event.capacity if event.capacity is not None else 'no limit'}")
        text = " &nbsp;·&nbsp; ".join(bits)
        if event.description:
            text += f"<br>{html.escape(event.description)}"
        self.info.setText(text)
        if self.rsvps.event_id != event.id:
            self.rsvps.set_event(event.id)
            self.tasks.set_event(event.id)
        self.update_count()

    def update_count(self, *_args: object) -> None:
        rows = [r.rsvp for r in self.rsvps.rows]
        checked = sum(1 for r in rows if r.checked_in_at)
        yes = sum(1 for r in rows if r.answer == "yes")
        maybe = sum(1 for r in rows if r.answer == "maybe")
        capacity = self.shown_event.capacity if self.shown_event else None
        if capacity:
            text = f"{checked} of {capacity} places checked in"
            if checked >= capacity:
                text += " — full"
        else:
            text = f"{checked} checked in"
        text += f" · {yes} yes, {maybe} maybe"
        self.count.setText(text if self.shown_event else "")
        self.bar.setVisible(bool(self.shown_event and capacity))
        self.bar.setRange(0, max(1, capacity or 1))
        self.bar.setValue(min(checked, capacity or 0))
        self._update_button()

    def _update_button(self) -> None:
        index = self.rsvp_table.currentIndex()
        rsvp = index.data(ROW_ROLE) if index.isValid() else None
        self.checkin_button.setText("Undo check-&in" if rsvp is not None and rsvp.checked_in_at else "Check &in")

    def checkin(self, member_id: str) -> None:
        if self.shown_event is None:
            return
        if self.shown_event.capacity is not None and self._checked_in() >= self.shown_event.capacity:
            self.status.emit(f"Note: {self.shown_event.title} is now over its {self.shown_event.capacity} places.")
        try:
            when = clock.now().astimezone().isoformat("T", "minutes")
            self.group.events.checkin(self.shown_event.id, member_id, when)
        except OrganiserError as exc:
            show_error(self, "Cannot check in", exc)
            return
        p = self.rsvps.row_of(next((r.id for r in self.rsvps.rows if r.rsvp.member == member_id), ""))
        if p >= 0:
            self.rsvp_table.selectionModel().setCurrentIndex(
                self.rsvps.index(p, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.status.emit(f"Checked in {self.rsvps.names.get(member_id)}.")

    def _checked_in(self) -> int:
        return sum(1 for r in self.rsvps.rows if r.rsvp.checked_in_at)

    def checkin_typed(self) -> None:
        member_id = self.checkin_search.record_id
        if member_id is None:
            found = self.checkin_search.matches(self.checkin_search.text(), limit=2)
            if len(found) != 1:
                text = self.checkin_search.text().strip()
                self.status.emit(f"Nobody called '{text}' in the directory." if not found else
                                 f"Several members match '{text}': pick one from the list.")
                return
            member_id = found[0][0]
        self.checkin(member_id)
        self.checkin_search.clear()
        self.checkin_search.record_id = None

    def toggle_selected(self) -> None:
        index = self.rsvp_table.currentIndex()
        if not index.isValid() or self.shown_event is None:
            return
        rsvp = index.data(ROW_ROLE)
        member_id = index.data(ID_ROLE)
        if rsvp.checked_in_at:
            try:
                self.group.events.undo_checkin(self.shown_event.id, member_id)
            except OrganiserError as exc:
                show_error(self, "Cannot undo the check-in", exc)
        else:
            self.checkin(member_id)

    def on_records_changed(self, event: RecordsChanged) -> None:
        self.rsvps.on_records_changed(event)
