"""The meeting view of an event: agenda (drag to reorder; double-click or F2 renames, Delete
removes) with the current item and its timer, the minutes written together, and the meeting's
tasks. The third column, proposals with their live tally and votes, is ui/meeting_decisions.py."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from organiser.core.bus import RecordsChanged
from organiser.core.errors import OrganiserError
from organiser.services import clock
from organiser.services.group import Group
from organiser.ui.agenda_actions import AgendaItemActions
from organiser.ui.bidi import day_text
from organiser.ui.bridge import Bridge
from organiser.ui.meeting_decisions import DecisionsPane, button, escaped
from organiser.ui.meeting_dialogs import MakeTaskDialog
from organiser.ui.minutes_editor import MinutesEditor
from organiser.ui.models.events import time_range
from organiser.ui.models.meeting import AgendaModel, clock_text
from organiser.ui.models.tasks import due_words
from organiser.ui.narrow import ButtonRow, Columns, wrapped_heading
from organiser.ui.new_day import NewDay
from organiser.ui.overrides import guarded
from organiser.ui.widgets import EmptyHint
from organiser.ui.wording import people_words

REFRESH_MS = 100
NO_EVENT = "Choose an event in Events first."
NO_EVENT_HEADING = "Choose an event in Events, then come back here for its meeting."
NO_AGENDA = ("No agenda items yet: add one with New agenda item below (type a title, press Return); "
             "drag items to reorder them, double-click (or F2) to rename, Delete to remove.")
NO_MINUTES = "No minutes yet: type here. Everyone in the room sees it as you write, and can write too."
MEETING_KINDS = frozenset({"agenda_item", "meeting", "proposal", "vote", "hand_count", "rsvp", "task", "member"})


class MeetingView(QWidget):
    status = Signal(str)
    eventWanted = Signal()  # noqa: N815 (Qt name): the host asks to go and choose an event

    def __init__(self, group: Group, bridge: Bridge | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = group
        self.event_id: str | None = None
        self.heading = QLabel(NO_EVENT_HEADING)
        self.heading.setAccessibleName("Meeting")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.agenda = AgendaModel(group.meetings, self)
        self.editor = MinutesEditor(group.meetings, self)
        self.splitter = Columns()
        self.splitter.addWidget(self._agenda_column())
        self.splitter.addWidget(self._minutes_column())
        self.decisions = DecisionsPane(group, self._try, self._current_item, self._make_task, NO_EVENT)
        self.splitter.addWidget(self.decisions)
        self.splitter.setSizes([300, 520, 400])  # on a 1366-point screen Decisions holds its buttons on one line
        self.tasks_label = QLabel("")
        self.tasks_label.setAccessibleName("The meeting's tasks")
        self.tasks_label.setWordWrap(True)
        self.tasks_label.setTextFormat(Qt.TextFormat.RichText)
        content = QWidget()
        layout = QVBoxLayout(content)
        top = QHBoxLayout()  # beside the heading: under the minutes it made the three columns too wide
        top.addWidget(self.heading, 1)
        top.addWidget(self.choose_event_button)
        top.addWidget(self.history_button)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.tasks_label)
        # Scrolls rather than widening the window: three columns need more than a small screen.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the controls, which it scrolls to
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        self.splitter.follow(scroll)  # stacked where they do not fit side by side (200 %)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.ticker = QTimer(self)  # the current item's timer
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self._tick)
        # Agenda, proposals and tallies are read again at most every REFRESH_MS, and only while
        # shown: a big sync arrives in many slices, and a tally reads every member's id.
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setSingleShot(True)
        self.refresh_timer.setInterval(REFRESH_MS)
        self.refresh_timer.timeout.connect(self.refresh)
        self._stale = False
        # Midnight with the meeting open (a late assembly): its tasks say "due today" of the new day.
        self.new_day = NewDay(self)
        self.new_day.came.connect(self._refresh_side)
        if bridge is not None:
            bridge.recordsChanged.connect(self.on_records_changed)
        self.set_event(None)

    # ---- columns ---------------------------------------------------------------------------

    def _agenda_column(self) -> QWidget:
        self.agenda_view = QListView()
        self.agenda_view.setAccessibleName("Agenda")
        self.agenda_view.setModel(self.agenda)
        self.agenda_view.setWordWrap(True)
        self.agenda_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.agenda_view.setDragEnabled(True)
        self.agenda_view.setAcceptDrops(True)
        self.agenda_view.setDropIndicatorShown(True)
        self.agenda_view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.agenda_view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.agenda_view.setToolTip("Drag to reorder; double-click or F2 renames an item, Delete removes it, "
                                    "right-click for both.")
        self.agenda_actions = AgendaItemActions(self.group, self.agenda_view, self.agenda, self._try, self)
        self.agenda_actions.done.connect(self._after_agenda_change)
        self.agenda_empty = EmptyHint(self.agenda_view, NO_EVENT)
        self.current_label = QLabel("")
        self.current_label.setAccessibleName("Current item")
        self.current_label.setWordWrap(True)
        self.current_label.setTextFormat(Qt.TextFormat.RichText)
        self.next_button = button("&Next item", "Next item")
        self.next_button.clicked.connect(self.next_item)
        self.item_title = QLineEdit()
        self.item_title.setAccessibleName("New agenda item")
        self.item_title.setPlaceholderText("New agenda item…")
        # room for a title of some thirty letters: the splitter keeps this column near its minimum
        self.item_title.setMinimumWidth(self.item_title.fontMetrics().averageCharWidth() * 30)
        self.item_title.returnPressed.connect(self.add_item)
        self.item_minutes = QSpinBox()
        self.item_minutes.setAccessibleName("Time box in minutes")
        self.item_minutes.setRange(0, 600)
        self.item_minutes.setSuffix(" min")
        self.item_minutes.lineEdit().setAccessibleName("Time box in minutes")
        self.item_minutes.lineEdit().returnPressed.connect(self.add_item)  # title, Tab, minutes, Return
        self.add_item_button = button("Add", "Add agenda item")
        self.add_item_button.clicked.connect(self.add_item)
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.addWidget(wrapped_heading("<b>Agenda</b> (drag to reorder, double-click to rename)"))
        layout.addWidget(self.agenda_view, 1)
        layout.addWidget(self.item_title)  # a row of its own: beside the others it was a few letters wide
        layout.addWidget(ButtonRow(self.item_minutes, self.add_item_button, stretch=self.item_minutes))
        layout.addWidget(self.current_label)
        layout.addWidget(self.next_button)
        return column

    def _minutes_column(self) -> QWidget:
        self.task_from_minutes = button("Make &task from selection…", "Make task from minutes")
        self.task_from_minutes.clicked.connect(self.make_task_from_minutes)
        self.export_button = button("E&xport minutes…", "Export minutes")
        self.export_button.setToolTip("Agenda, who attended, the minutes, decisions and action items, "
                                      "as Markdown, a web page or a PDF")
        self.export_button.clicked.connect(self.export_minutes)
        self.history_button = button("Who changed &what…", "Who changed what")
        self.history_button.setToolTip("Every change to this meeting (minutes, agenda, votes, check-ins, tasks) "
                                       "with the laptop that made it and when")
        self.history_button.clicked.connect(self.show_history)
        # With no event, the keys land here (everything else is greyed out): a screen reader says
        # what to do, and Space does it. Before, they landed on the view itself, which has no name.
        self.choose_event_button = button("Choose an event in Events…", "Choose an event in Events")
        self.choose_event_button.setAccessibleDescription(NO_EVENT_HEADING)
        self.choose_event_button.clicked.connect(self.eventWanted)
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.addWidget(wrapped_heading("<b>Minutes</b> (written together, live)"))
        layout.addWidget(self.editor, 1)
        layout.addWidget(ButtonRow(self.task_from_minutes, self.export_button, stretch=self.task_from_minutes))
        return column

    # ---- showing ---------------------------------------------------------------------------

    def starting_focus(self) -> QWidget:
        """Where the keys go when the view is opened: the agenda, or with no event the button
        that goes to choose one."""
        return self.agenda_view if self.event_id is not None else self.choose_event_button

    def set_event(self, event_id: str | None) -> None:
        self.event_id = event_id
        self.agenda.load(event_id)
        self.decisions.load(event_id)
        self.editor.set_event(event_id)
        enabled = event_id is not None
        self.choose_event_button.setVisible(not enabled)
        self.agenda_empty.set_hint(NO_AGENDA if enabled else NO_EVENT)
        self.editor.text.setPlaceholderText(NO_MINUTES if enabled else "")
        for widget in (self.agenda_view, self.item_title, self.item_minutes, self.add_item_button, self.next_button,
                       self.editor, *self.decisions.controls(), self.task_from_minutes, self.export_button,
                       self.history_button):
            widget.setEnabled(enabled)
        if event_id is None:
            self.heading.setText(NO_EVENT_HEADING)
            self.ticker.stop()
        else:
            event = self.group.events.get(event_id)
            # Everything shown in these rich-text labels is escaped: a title from a peer could
            # otherwise write markup into the room's view (a fake tally).
            when = day_text(event.start_dt, "%A %-d %B %Y") + ", " + time_range(event)  # as Events says it
            self.heading.setText(f"<b>{escaped(event.title)}</b> — {escaped(when)}"
                                 f"{' · ' + escaped(event.location) if event.location else ''}")
            self.ticker.start()
        self._refresh_side()

    def on_records_changed(self, event: RecordsChanged) -> None:
        if self.event_id is None:
            return
        self.editor.on_records_changed(event)  # peers' typing shows at once
        if event.kinds & MEETING_KINDS:
            self._stale = True
            if self.isVisible() and not self.refresh_timer.isActive():
                self.refresh_timer.start()

    def refresh(self) -> None:
        if not self._stale or self.event_id is None:
            return
        self._stale = False
        self.agenda.refresh()
        self.decisions.refresh()
        self._refresh_side()

    def stop(self) -> None:
        """The window closes: store the last burst of typing, and read nothing more."""
        self.editor.stop()
        self.ticker.stop()
        self.refresh_timer.stop()
        self.event_id = None

    @guarded
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        self.new_day.look()  # the day may have changed while another view was shown
        self.refresh()  # what changed while hidden

    def _refresh_side(self) -> None:
        self._tick()
        self.decisions.show_tally()
        self.decisions.fill_voters()
        if self.event_id is None:
            self.tasks_label.setText("")
            return
        tasks = self.group.meetings.tasks(self.event_id)
        today = clock.today()
        lines = [f"• {escaped(t.title)} — {escaped(self.group.meetings.member_name(t.assignee) or 'nobody yet')}"
                 f"{', ' + escaped(due_words(t, today)) if t.due else ''}" for t in tasks]
        self.tasks_label.setText("<b>Tasks from this meeting</b><br>" + ("<br>".join(lines) or "(none yet)"))

    def _tick(self) -> None:
        state = self.agenda.state
        if self.event_id is None:
            self.current_label.setText("")
            return
        if state is None or state.current_item is None:
            self.current_label.setText("No item running. Next item starts the first one.")
            return
        row = self.agenda.row_of(state.current_item)
        if row < 0:  # removed on another laptop while it was being discussed
            self.current_label.setText("The item being discussed was removed. Next item goes on to the one after it.")
            return
        item = self.agenda.rows[row]
        used = state.seconds_used(item)
        # No space inside the timer may break the line: it wrapped as "0:01 of" / "5:00".
        box = f"\u00a0of\u00a0{item.minutes}:00" if item.minutes else ""
        over = " — over\u00a0time" if item.minutes and used > item.minutes * 60 else ""
        # A meeting long past its end, left on an item: what it had, not a clock still running.
        now = "Left on" if state.over() else "Now:"
        self.current_label.setText(f"{now} <b>{escaped(item.title)}</b> · {clock_text(used)}{box}{over}")
        first = self.agenda.index(row)
        self.agenda.dataChanged.emit(first, first)

    # ---- actions ---------------------------------------------------------------------------

    def _try(self, action: Callable[[], object]) -> bool:
        try:
            action()
        except OrganiserError as exc:  # refused input: one sentence, shown where the person looks
            text = people_words(str(exc))  # read without the service's field name ("member: ...")
            self.status.emit(text)
            shown_in = self.decisions.tally_label if self.decisions.selected_proposal() else self.current_label
            shown_in.setText(escaped(text))  # the sentence may quote a title
            return False
        return True

    def add_item(self) -> None:
        if self.event_id is None or not self.item_title.text().strip():
            self.item_title.setFocus()  # an item needs its title: the keys go where it is typed
            return
        minutes = self.item_minutes.value() or None
        if self._try(lambda: self.group.meetings.add_item(self.event_id, self.item_title.text(), minutes=minutes)):
            self.item_title.clear()
            # The form is ready for the next item: its title is typed next (the keys stayed in the
            # time box, where a title went nowhere), and it has no time box until one is typed.
            self.item_minutes.setValue(0)
            self.item_title.setFocus()
            self.agenda.refresh()

    def delete_record(self) -> None:
        """Edit > Delete: the agenda item chosen, when the agenda list has the keys."""
        self.agenda_actions.delete_chosen_if_focused()

    def _after_agenda_change(self, sentence: str) -> None:
        self._tick()
        self.status.emit(sentence)

    def next_item(self) -> None:
        if self.event_id is not None and self._try(lambda: self.group.meetings.advance(self.event_id)):
            self.agenda.refresh()
            self._tick()

    def _current_item(self) -> str | None:
        """The item being discussed, if it is still on the agenda (a removed one links nothing)."""
        state = self.agenda.state
        current = state.current_item if state else None
        return current if current and self.agenda.row_of(current) >= 0 else None

    def export_minutes(self) -> None:
        from organiser.ui.minutes_export import MinutesExportDialog

        if self.event_id is None:
            return
        self.editor.flush()  # the last words typed are in the file
        dialog = MinutesExportDialog(self.group, self.event_id, self)
        dialog.exec()
        if dialog.written is not None:
            self.status.emit(f"Minutes written to {dialog.written}.")

    def show_history(self) -> None:
        from organiser.ui.history_dialog import HistoryDialog

        if self.event_id is None:
            return
        self.editor.flush()  # the last words typed are in the change log
        self.history_dialog = HistoryDialog(self.group, self.event_id, self)
        self.history_dialog.show()

    def make_task_from_minutes(self) -> None:
        selected = self.editor.text.textCursor().selectedText().replace("\u2029", " ")
        self._make_task(selected)

    def _make_task(self, title: str) -> None:
        if self.event_id is None:
            return
        dialog = MakeTaskDialog(self.group, self.event_id, title, self._current_item(), self)
        if dialog.exec() and dialog.task is not None:
            self.status.emit(f"Task made: {dialog.task.title}")
            self._refresh_side()
