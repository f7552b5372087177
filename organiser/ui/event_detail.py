"""The detail pane of one event: when and where, RSVPs, door check-in with a live count
against capacity, and the event's tasks."""

from __future__ import annotations

import html
from collections import Counter

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from organiser.core.bus import RecordsChanged
from organiser.core.errors import OrganiserError
from organiser.core.records import RSVP, identity_id
from organiser.services import clock
from organiser.services.events import Event, Rsvp, meets_on_another_day
from organiser.services.group import Group
from organiser.ui.attendance import CopyEmailsDialog, PrintDialog, WalkInDialog, clock_time
from organiser.ui.bidi import day_text
from organiser.ui.dialogs import show_error
from organiser.ui.editor import RecordDialog
from organiser.ui.models.events import RsvpModel, time_range
from organiser.ui.models.live import ID_ROLE, ROW_ROLE
from organiser.ui.models.tasks import TaskCache, TaskTableModel
from organiser.ui.narrow import headings_whole
from organiser.ui.row_choice import follow_selection, open_on_double_click_or_return
from organiser.ui.spoken import say_when_shown
from organiser.ui.widgets import AnswerButtons, Banner, EmptyHint, RecordPicker, error_colour
from organiser.ui.wording import as_typed

NOBODY_ANSWERED = ("Nobody has answered yet. Type a name above and click Yes, Maybe or No, or press Enter to "
                   "check them in at the door.")


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
        self.edit_button = QPushButton("Edi&t…")  # Alt+E opens the Edit menu
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
        # On one line it set the narrowest the window could be: at 200 % on a 1366x800 laptop
        # (683 points) the window was wider than the screen, Delete and Check in past its edge.
        self.count.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Checked in against capacity")
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(10)
        self.checkin_search = RecordPicker(group, "member", "name", "Arriving? Type a name and press Enter to check in")
        self.checkin_search.setAccessibleName("Check in a member by name")
        self.checkin_search.returnPressed.connect(self.checkin_typed)
        self.checkin_search.picked.connect(lambda _rid: self.checkin_typed())
        # A note about the name typed (nobody of that name, several, already in) is about that
        # name: once the field is typed in again, its Register button would act on the old one.
        self.checkin_search.textEdited.connect(lambda _text: self.door_banner.hide())
        self.checkin_search.textChanged.connect(lambda _t: self._update_button())

        self.rsvps = RsvpModel(group, self)
        self.rsvp_table = QTableView()
        self.rsvp_table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.rsvp_table.setModel(self.rsvps)
        self.rsvp_table.setAccessibleName("RSVPs")
        self.rsvp_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rsvp_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.rsvp_table.verticalHeader().hide()
        self.rsvp_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.rsvp_table.doubleClicked.connect(self.toggle_row)
        headings_whole(self.rsvp_table)
        self.rsvp_empty = EmptyHint(self.rsvp_table, NOBODY_ANSWERED)
        self.checkin_button = QPushButton("Check &in")
        self.checkin_button.setToolTip("Check in the selected member (or double-click the row)")
        self.checkin_button.clicked.connect(self.toggle_selected)
        # A check-in is written with the time it is made: on a day the event does not meet, the
        # host is told above the box before typing (the wrong event picked, last week's meeting).
        self.day_note = QLabel()
        self.day_note.setObjectName("door-day-note")
        self.day_note.setAccessibleName("Day of the event")
        self.day_note.setTextFormat(Qt.TextFormat.PlainText)  # the title shows as written
        self.day_note.setWordWrap(True)
        self.day_note.setStyleSheet(f"color: {error_colour(self)}; font-weight: bold;")
        rsvp_row = QHBoxLayout()
        rsvp_row.addWidget(self.checkin_search, 1)
        rsvp_row.addWidget(self.checkin_button)
        self.door_banner = Banner()
        self.door_banner.setObjectName("door-banner")
        self.answer = AnswerButtons("RSVP:")
        self.answer.setToolTip("Record the answer of the name typed below, or of the person selected in the list")
        self.answer.answered.connect(self.answer_for)
        self.print_button = QPushButton("&Print / PDF…")
        self.print_button.clicked.connect(self.print_sheets)
        self.emails_button = QPushButton("&Copy emails…")  # Alt+M is the Month tab
        self.emails_button.clicked.connect(self.copy_emails)
        share_row = QHBoxLayout()
        share_row.addStretch(1)
        share_row.addWidget(self.print_button)
        share_row.addWidget(self.emails_button)

        self.tasks = TaskTableModel(cache, self, event="")
        self.task_table = QTableView()
        self.task_table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.task_table.setModel(self.tasks)
        self.task_table.setAccessibleName("Tasks for this event")
        self.task_table.verticalHeader().hide()
        self.task_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.task_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (4, 5):
            self.task_table.setColumnHidden(column, True)
        headings_whole(self.task_table)
        open_on_double_click_or_return(self.task_table, lambda index: self.edit_task(index.data(ID_ROLE)))
        self.task_table.setToolTip("Double-click a task to edit it")
        self.task_empty = EmptyHint(self.task_table, "No tasks for this event. Add one under Tasks and pick "
                                    "this event in its For event field.")

        people = QWidget()
        people_layout = QVBoxLayout(people)
        people_layout.setContentsMargins(0, 4, 0, 0)
        people_layout.addWidget(self.day_note)
        # Yes / Maybe / No above the name field: below it, the list of matching names opened over
        # them, and a click meant for Yes picked a name, which checks that person in.
        people_layout.addWidget(self.answer)
        people_layout.addLayout(rsvp_row)
        people_layout.addWidget(self.door_banner)
        people_layout.addWidget(self.rsvp_table, 1)
        people_layout.addLayout(share_row)
        self.lower = QTabWidget()
        self.lower.addTab(people, "&Door and RSVPs")  # Alt+R is the walk-in's Register
        self.lower.addTab(self.task_table, "Tas&ks")
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.info)
        layout.addWidget(self.count)
        layout.addWidget(self.bar)
        layout.addWidget(self.lower, 1)
        for signal in (self.rsvps.dataChanged, self.rsvps.rowsInserted, self.rsvps.rowsRemoved,
                       self.rsvps.modelReset):
            signal.connect(self.update_count)
        follow_selection(self.rsvp_table, self._update_button)
        self.tasks.rowsInserted.connect(self._update_task_tab)
        self.tasks.rowsRemoved.connect(self._update_task_tab)
        self.tasks.modelReset.connect(self._update_task_tab)
        self.set_event(None)

    def set_event(self, event: Event | None, showing: Event | None = None) -> None:
        """Show `event`; for a repeating one, `showing` is the meeting chosen (its own start and end)."""
        self.shown_event = event
        self.door_banner.hide()
        self._update_day_note()
        for widget in (self.edit_button, self.delete_button, self.checkin_search, self.checkin_button,
                       self.rsvp_table, self.task_table, self.answer, self.print_button, self.emails_button):
            widget.setEnabled(event is not None)
        self.rsvp_empty.set_hint(NOBODY_ANSWERED if event is not None else "")
        if event is None:
            self.title.setText("No event selected")
            self.info.setText("Pick an event in the agenda or the month view, or create one with New event.")
            self.rsvps.set_event(None)
            self.tasks.set_event("")
            self.update_count()
            return
        self.title.setText(event.title + (" (cancelled)" if event.status == "cancelled" else ""))
        shown = showing or event
        when = day_text(shown.start_dt, "%A %-d %B %Y") + ", " + time_range(shown)
        if event.rrule:  # the series' first meeting, not the one chosen, is the event's own start
            when += f" (repeats; first on {day_text(event.start_dt, '%A %-d %B %Y')})"
        bits = [f"<b>When</b> {html.escape(when)}"]
        if event.location:
            bits.append(f"<b>Where</b> {html.escape(event.location)}")
        bits.append(f"<b>Places</b> {event.capacity if event.capacity is not None else 'no limit'}")
        text = " &nbsp;·&nbsp; ".join(bits)
        if event.description:
            text += "<br>" + html.escape(event.description).replace("\n", "<br>")  # rich text joins lines
        self.info.setText(text)
        if self.rsvps.event_id != event.id:
            self.rsvps.set_event(event.id)
            self.tasks.set_event(event.id)
        self.update_count()

    def update_count(self, *_args: object) -> None:
        rows = [r.rsvp for r in self.rsvps.rows]
        checked = sum(1 for r in rows if r.checked_in_at)
        capacity = self.shown_event.capacity if self.shown_event else None
        self.count.setText(_count_text(rows, checked, capacity) if self.shown_event else "")
        self.bar.setVisible(bool(self.shown_event and capacity))
        self.bar.setRange(0, max(1, capacity or 1))
        self.bar.setValue(min(checked, capacity or 0))
        self._update_button()

    def _update_task_tab(self, *_args: object) -> None:
        n = self.tasks.rowCount()
        self.lower.setTabText(1, f"Tas&ks ({n})" if n else "Tas&ks")

    def selected_rsvp(self) -> Rsvp | None:
        selected = self.rsvp_table.selectionModel().selectedRows()
        return selected[0].data(ROW_ROLE) if selected else None

    def _update_button(self) -> None:
        """The door button speaks of the person selected, and of nobody when no one is."""
        rsvp = self.selected_rsvp()
        self.checkin_button.setEnabled(self.shown_event is not None
                                       and (rsvp is not None or bool(self.checkin_search.text().strip())))
        typed = bool(self.checkin_search.text().strip())
        undo = rsvp is not None and bool(rsvp.checked_in_at) and not typed
        self.checkin_button.setText("Undo check-&in" if undo else "Check &in")
        if not typed:
            self.answer.show_answer(rsvp.answer if rsvp is not None else None)

    def _confirm_over_capacity(self, member_id: str) -> bool:
        event = self.shown_event
        if event is None or event.capacity is None or self._checked_in() < event.capacity:
            return True
        name = self.rsvps.names.get(member_id)
        answer = QMessageBox.question(
            self, "The event is full",
            as_typed(f"{self._checked_in()} of {event.capacity} places are already taken. Check in {name} anyway?"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def new_day(self) -> None:
        """Midnight with the pane open: whether the event meets today, and its tasks' "due today",
        are said afresh (the pane shows them as they were read until something else changes)."""
        self._update_day_note()
        rows, columns = self.tasks.rowCount(), self.tasks.columnCount()
        if rows:  # the view draws again what it shows, now worded for the new day
            self.tasks.dataChanged.emit(self.tasks.index(0, 0), self.tasks.index(rows - 1, columns - 1))

    def _update_day_note(self) -> None:
        """The door says an event is not today where check-ins are written on another day than
        the event's: someone already checked in here, or an evening that is over (the door laptop
        left open past midnight). Not while people answer Yes / Maybe / No before the day: it
        said in red that a check-in would be recorded today, and answering looked wrong."""
        event = self.shown_event
        today = clock.today()
        day = meets_on_another_day(event, today) if event is not None else None
        at_the_door = event is not None and day is not None and (day < today or any(
            r.checked_in_at for r in self.group.events.rsvps(event.id)))
        words = "" if event is None or day is None else (
            f"{event.title} is on {day_text(day, '%A %-d %B %Y')}, not today: a check-in here is recorded with "
            "today's date and time.")
        say_when_shown(self.day_note, words, at_the_door)  # said as it appears: a red line Orca did not read

    def checkin(self, member_id: str) -> bool:
        self._update_day_note()  # a pane left open past midnight
        if self.shown_event is None or not self._confirm_over_capacity(member_id):
            return False
        try:
            when = clock.now().astimezone().isoformat("T", "minutes")
            self.group.events.checkin(self.shown_event.id, member_id, when)
        except OrganiserError as exc:
            show_error(self, "Cannot check in", exc)
            return False
        self.door_banner.hide()
        self._update_day_note()
        self._select_member(member_id)
        self.status.emit(f"Checked in {self.rsvps.names.get(member_id)}.")
        return True

    def _select_member(self, member_id: str) -> None:
        p = self.rsvps.row_of(next((r.id for r in self.rsvps.rows if r.rsvp.member == member_id), ""))
        if p >= 0:
            self.rsvp_table.selectionModel().setCurrentIndex(
                self.rsvps.index(p, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def _checked_in(self) -> int:
        return sum(1 for r in self.rsvps.rows if r.rsvp.checked_in_at)

    def typed_member(self) -> str | None:
        """The member named in the door field: the one picked from the list, or the only match.
        Otherwise None, and the door says why (nobody of that name: offer to register them)."""
        member_id = self.checkin_search.record_id
        if member_id is not None:
            return member_id
        text = self.checkin_search.text().strip()
        if not text:
            return None
        found = self.checkin_search.matches(text, limit=2)
        if len(found) == 1:
            return found[0][0]
        self.rsvp_table.clearSelection()  # no stale "Undo check-in" for whoever came before
        if found:
            self.door_banner.show_message(f"Several members match “{text}”: pick one from the list.")
        else:
            self.door_banner.show_message(f"Nobody called “{text}” is in the directory.",
                                          ("&Register and check in…", lambda: self.register_walk_in(text)))
        return None

    def checkin_typed(self) -> None:
        member_id = self.typed_member()
        if member_id is not None and not self._said_already_in(member_id) and self.checkin(member_id):
            self.clear_door_field()

    def _said_already_in(self, member_id: str) -> bool:
        """A name checked in already: someone at the door twice, or another person of that name.
        The door says when they came and offers to register the other person."""
        if self.shown_event is None:
            return False
        arrived = self.group.events.rsvp_of(self.shown_event.id, member_id).checked_in_at
        if not arrived:
            return False
        name = self.rsvps.names.get(member_id) or self.group.members.get(member_id).name
        self._select_member(member_id)
        self.door_banner.show_message(
            f"{name} is already checked in (arrived {clock_time(arrived)}).",
            (f"Someone &else called {name.replace('&', '&&')}? Register them…",  # && shows one &
             lambda: self.register_walk_in(name, someone_else=True)))
        return True

    def clear_door_field(self) -> None:
        self.checkin_search.clear()
        self.checkin_search.record_id = None
        # the completer writes the chosen name back after `activated`: clear again once it has
        QTimer.singleShot(0, self.checkin_search, self.checkin_search.clear)

    def register_walk_in(self, name: str, someone_else: bool = False) -> None:
        if self.shown_event is None:
            return
        dialog = WalkInDialog(self.group, self.shown_event.id, name, self, someone_else=someone_else)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.member_id is None:
            return
        self.door_banner.hide()
        if self.checkin(dialog.member_id):
            self.clear_door_field()

    def answer_for(self, answer: str) -> None:
        """RSVP for the name typed in the door field, else for the person selected in the list."""
        if self.shown_event is None:
            return
        typed = bool(self.checkin_search.text().strip())
        rsvp = self.selected_rsvp()
        member_id = self.typed_member() if typed else (rsvp.member if rsvp is not None else None)
        if member_id is None:
            if not typed:
                self.door_banner.show_message("Type a name above or select a person in the list, then click "
                                              "Yes, Maybe or No.")
            self.answer.show_answer(None)
            return
        try:
            self.group.events.rsvp(self.shown_event.id, member_id, answer)
        except OrganiserError as exc:
            show_error(self, "Cannot save the answer", exc)
            return
        self.door_banner.hide()
        if typed:
            self.clear_door_field()
        p = self.rsvps.row_of(identity_id(RSVP, {"event": self.shown_event.id, "member": member_id}))
        if p >= 0:
            self.rsvp_table.selectionModel().setCurrentIndex(
                self.rsvps.index(p, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.answer.show_answer(answer)
        self.status.emit(f"{self.rsvps.names.get(member_id)} answered {answer}.")

    def edit_task(self, task_id: str | None) -> None:
        if not task_id:
            return
        try:
            dialog = RecordDialog(self.group, None, "task", task_id, parent=self)
        except OrganiserError as exc:
            show_error(self, "Cannot edit this task", exc)
            return
        dialog.exec()

    def print_sheets(self) -> None:
        if self.shown_event is not None:
            dialog = PrintDialog(self.group, self.shown_event, self)
            if dialog.exec() and dialog.saved is not None:
                self.status.emit(f"Saved {dialog.saved.name}.")

    def copy_emails(self) -> None:
        if self.shown_event is not None:
            CopyEmailsDialog(self.group, self.shown_event, self).exec()

    def toggle_selected(self) -> None:
        """The door button: checks in the name typed, else checks in (or undoes) the selected row."""
        if self.checkin_search.text().strip() and self.shown_event is not None:
            self.checkin_typed()
            return
        selected = self.rsvp_table.selectionModel().selectedRows()
        if selected:
            self.toggle_row(selected[0])

    def toggle_row(self, index: QModelIndex) -> None:
        if not index.isValid() or self.shown_event is None:
            return
        rsvp = index.data(ROW_ROLE)
        member_id = index.data(ID_ROLE)
        if rsvp.checked_in_at:
            try:
                self.group.events.undo_checkin(self.shown_event.id, member_id)
            except OrganiserError as exc:
                show_error(self, "Cannot undo the check-in", exc)
                return
            self._update_day_note()  # the only check-in on the wrong day undone: the note goes with it
            # said and shown, as the check-in was: the status bar went on saying "Checked in …"
            self.status.emit(f"Check-in of {self.rsvps.names.get(member_id)} undone.")
        else:
            self.checkin(member_id)

    def on_records_changed(self, event: RecordsChanged) -> None:
        self.rsvps.on_records_changed(event)


def _count_text(rows: list[Rsvp], checked: int, capacity: int | None) -> str:
    """The line under the event: e.g. '12 of 40 places checked in · RSVPs: 20 yes, 3 maybe, 1 no'."""
    answers = Counter(r.answer for r in rows)
    if capacity:
        text = f"{checked} of {capacity} places checked in" + (" — full" if checked >= capacity else "")
    else:
        text = f"{checked} checked in"
    return text + f" · RSVPs: {answers['yes']} yes, {answers['maybe']} maybe, {answers['no']} no"
