"""The meeting view of an event: agenda (drag to reorder; double-click or F2 renames, Delete
removes) with the current item and its timer, the minutes written together, proposals with
their live tally, and the meeting's tasks."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
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
from organiser.ui.meeting_dialogs import MakeTaskDialog, NewProposalDialog
from organiser.ui.minutes_editor import MinutesEditor
from organiser.ui.models.events import time_range
from organiser.ui.models.meeting import ID_ROLE, AgendaModel, ProposalsModel, clock_text
from organiser.ui.models.tasks import due_words
from organiser.ui.narrow import ButtonRow, Columns, ElidedCombo, wrapped_heading
from organiser.ui.new_day import NewDay
from organiser.ui.widgets import EmptyHint
from organiser.ui.wording import as_typed

REFRESH_MS = 100
NO_EVENT = "Choose an event in Events first."
NO_AGENDA = ("No agenda items yet: add one with New agenda item below (type a title, press Return); "
             "drag items to reorder them, double-click (or F2) to rename, Delete to remove.")
NO_PROPOSALS = "No proposals yet: put one to the meeting with New proposal… below."
NO_MINUTES = "No minutes yet: type here. Everyone in the room sees it as you write, and can write too."
MEETING_KINDS = frozenset({"agenda_item", "meeting", "proposal", "vote", "hand_count", "rsvp", "task", "member"})


def _html(text: str) -> str:
    """A value as text inside the rich-text labels (quotes need no escaping there)."""
    return html.escape(text, quote=False)


def _button(text: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    return button


class MeetingView(QWidget):
    status = Signal(str)

    def __init__(self, group: Group, bridge: Bridge | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = group
        self.event_id: str | None = None
        self.heading = QLabel("Choose an event in Events, then come back here for its meeting.")
        self.heading.setAccessibleName("Meeting")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.agenda = AgendaModel(group.meetings, self)
        self.proposals = ProposalsModel(group.proposals, self)
        self.editor = MinutesEditor(group.meetings, self)
        self.splitter = Columns()
        self.splitter.addWidget(self._agenda_column())
        self.splitter.addWidget(self._minutes_column())
        self.splitter.addWidget(self._decisions_column())
        self.splitter.setSizes([300, 520, 400])  # on a 1366-point screen Decisions holds its buttons on one line
        self.tasks_label = QLabel("")
        self.tasks_label.setAccessibleName("The meeting's tasks")
        self.tasks_label.setWordWrap(True)
        self.tasks_label.setTextFormat(Qt.TextFormat.RichText)
        content = QWidget()
        layout = QVBoxLayout(content)
        top = QHBoxLayout()  # beside the heading: under the minutes it made the three columns too wide
        top.addWidget(self.heading, 1)
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
        self.next_button = _button("&Next item", "Next item")
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
        self.add_item_button = _button("Add", "Add agenda item")
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
        self.task_from_minutes = _button("Make &task from selection…", "Make task from minutes")
        self.task_from_minutes.clicked.connect(self.make_task_from_minutes)
        self.export_button = _button("E&xport minutes…", "Export minutes")
        self.export_button.setToolTip("Agenda, who attended, the minutes, decisions and action items, "
                                      "as Markdown, a web page or a PDF")
        self.export_button.clicked.connect(self.export_minutes)
        self.history_button = _button("Who changed &what…", "Who changed what")
        self.history_button.setToolTip("Every change to this meeting (minutes, agenda, votes, check-ins, tasks) "
                                       "with the laptop that made it and when")
        self.history_button.clicked.connect(self.show_history)
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.addWidget(wrapped_heading("<b>Minutes</b> (written together, live)"))
        layout.addWidget(self.editor, 1)
        layout.addWidget(ButtonRow(self.task_from_minutes, self.export_button, stretch=self.task_from_minutes))
        return column

    def _decisions_column(self) -> QWidget:
        self.proposal_view = QListView()
        self.proposal_view.setAccessibleName("Proposals")
        self.proposal_view.setModel(self.proposals)
        self.proposal_view.setWordWrap(True)
        self.proposal_view.selectionModel().currentChanged.connect(lambda *_: self._show_tally())
        self.proposals_empty = EmptyHint(self.proposal_view, NO_EVENT)
        self.tally_label = QLabel("")
        self.tally_label.setAccessibleName("Tally")
        self.tally_label.setWordWrap(True)
        self.tally_label.setTextFormat(Qt.TextFormat.RichText)
        self.voter = ElidedCombo()  # a name longer than the column is shown cut with "…", whole in its tooltip
        self.voter.setAccessibleName("Voter")
        # as wide as the longest name: beside Answer a long one was cut by the arrow
        self.voter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.choice = QComboBox()
        self.choice.setAccessibleName("Answer")
        self.vote_button = _button("Record v&ote", "Record vote")  # Alt+V opens the View menu
        self.vote_button.clicked.connect(self.record_vote)
        self.new_proposal_button = _button("New &proposal…", "New proposal")
        self.new_proposal_button.clicked.connect(self.new_proposal)
        self.close_button = _button("&Close with outcome…", "Close proposal")
        self.close_button.clicked.connect(self.close_proposal)
        self.reopen_button = _button("&Reopen…", "Reopen proposal")  # in Close's place for a closed proposal
        self.reopen_button.clicked.connect(self.reopen_proposal)
        self.reopen_button.setMinimumWidth(self.close_button.sizeHint().width())  # the column keeps its width
        self.reopen_button.hide()
        self.task_from_proposal = _button("Make task…", "Make task from proposal")
        self.task_from_proposal.clicked.connect(self.make_task_from_proposal)
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.addWidget(wrapped_heading("<b>Decisions</b>"))
        layout.addWidget(self.proposal_view, 1)
        layout.addWidget(self.tally_label)
        layout.addWidget(ButtonRow(self.voter, self.choice, self.vote_button, stretch=self.voter))
        layout.addWidget(ButtonRow(self.new_proposal_button, self.close_button, self.reopen_button,
                                   self.task_from_proposal))
        return column

    # ---- showing ---------------------------------------------------------------------------

    def starting_focus(self) -> QWidget:
        """Where the keys go when the view is opened: the agenda."""
        return self.agenda_view

    def set_event(self, event_id: str | None) -> None:
        self.event_id = event_id
        self.agenda.load(event_id)
        self.proposals.load(event_id)
        self._select_open_proposal()
        self.editor.set_event(event_id)
        enabled = event_id is not None
        self.agenda_empty.set_hint(NO_AGENDA if enabled else NO_EVENT)
        self.proposals_empty.set_hint(NO_PROPOSALS if enabled else NO_EVENT)
        self.editor.text.setPlaceholderText(NO_MINUTES if enabled else "")
        for widget in (self.agenda_view, self.item_title, self.item_minutes, self.add_item_button, self.next_button,
                       self.editor, self.proposal_view, self.voter, self.choice, self.vote_button,
                       self.new_proposal_button, self.close_button, self.task_from_proposal, self.task_from_minutes,
                       self.export_button, self.history_button):
            widget.setEnabled(enabled)
        if event_id is None:
            self.heading.setText("Choose an event in Events, then come back here for its meeting.")
            self.ticker.stop()
        else:
            event = self.group.events.get(event_id)
            # Everything shown in these rich-text labels is escaped: a title from a peer could
            # otherwise write markup into the room's view (a fake tally).
            when = day_text(event.start_dt, "%A %-d %B %Y") + ", " + time_range(event)  # as Events says it
            self.heading.setText(f"<b>{_html(event.title)}</b> — {_html(when)}"
                                 f"{' · ' + _html(event.location) if event.location else ''}")
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
        self.proposals.refresh()
        if self.selected_proposal() is None:  # one put on another laptop is ready for votes here too
            self._select_open_proposal()
        self._refresh_side()

    def stop(self) -> None:
        """The window closes: store the last burst of typing, and read nothing more."""
        self.editor.stop()
        self.ticker.stop()
        self.refresh_timer.stop()
        self.event_id = None

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        self.new_day.look()  # the day may have changed while another view was shown
        self.refresh()  # what changed while hidden

    def _refresh_side(self) -> None:
        self._tick()
        self._show_tally()
        self._fill_voters()
        if self.event_id is None:
            self.tasks_label.setText("")
            return
        tasks = self.group.meetings.tasks(self.event_id)
        today = clock.today()
        lines = [f"• {_html(t.title)} — {_html(self.group.meetings.member_name(t.assignee) or 'nobody yet')}"
                 f"{', ' + _html(due_words(t, today)) if t.due else ''}" for t in tasks]
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
        self.current_label.setText(f"{now} <b>{_html(item.title)}</b> · {clock_text(used)}{box}{over}")
        first = self.agenda.index(row)
        self.agenda.dataChanged.emit(first, first)

    def selected_proposal(self) -> str | None:
        index = self.proposal_view.currentIndex()
        return index.data(ID_ROLE) if index.isValid() else None

    def _show_tally(self) -> None:
        pid = self.selected_proposal()
        self.choice.clear()
        # Record vote and Close act on the chosen proposal: without one they are greyed, not silent
        for button in (self.vote_button, self.close_button):
            button.setEnabled(self.event_id is not None and pid is not None)
        if pid is None:
            self.close_button.show()
            self.reopen_button.hide()
            self.tally_label.setText("Select a proposal to see its tally and record votes.")
            return
        row = self.proposals.row_of(pid)
        if row < 0:
            return
        proposal, tally = self.proposals.rows[row]
        closed = proposal.status == "closed"
        if closed:  # its votes cannot change: nothing to press that would be refused
            for button in (self.vote_button, self.close_button):
                button.setEnabled(False)
        self.close_button.setVisible(not closed)
        self.reopen_button.setVisible(closed)
        for choice in proposal.choices:
            self.choice.addItem(choice)
        quorum = "met" if tally.quorum_met else "not met"
        text = (f"<b>{_html(proposal.title)}</b><br>"
                + ", ".join(f"{_html(o)}: <b>{n}</b>" for o, n in tally.counts.items())
                + f"<br>Quorum {quorum}: {tally.present} present, {tally.quorum_needed} needed; "
                f"{tally.eligible} may vote, {len(tally.votes)} {'has' if len(tally.votes) == 1 else 'have'} voted")
        if tally.blocks:
            text += "<br>Blocks: " + ", ".join(_html(name) for name in tally.blocks)
        if proposal.status == "closed":
            text += f"<br>Closed: {_html(proposal.outcome)}"
        self.tally_label.setText(text)

    def _select_open_proposal(self) -> None:
        """Coming to a meeting, its open proposal is chosen: its tally shows without a click."""
        open_rows = [row for row, (proposal, _tally) in enumerate(self.proposals.rows) if proposal.status == "open"]
        if open_rows:
            self.proposal_view.setCurrentIndex(self.proposals.index(open_rows[-1]))

    def _fill_voters(self) -> None:
        keep = self.voter.currentData()
        self.voter.clear()
        if self.event_id is None:
            return
        for member_id, name in self.group.meetings.attendees(self.event_id):
            self.voter.addItem(name, member_id)
        at = self.voter.findData(keep)
        if at >= 0:
            self.voter.setCurrentIndex(at)

    # ---- actions ---------------------------------------------------------------------------

    def _try(self, action: Callable[[], object]) -> bool:
        try:
            action()
        except OrganiserError as exc:  # refused input: one sentence, shown where the person looks
            self.status.emit(str(exc))
            shown_in = self.tally_label if self.selected_proposal() else self.current_label
            shown_in.setText(_html(str(exc)))  # the sentence may quote a title
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

    def record_vote(self) -> None:
        pid, member = self.selected_proposal(), self.voter.currentData()
        if pid and member and self._try(lambda: self.group.proposals.vote(pid, member, self.choice.currentText())):
            self.proposals.refresh()
            self._show_tally()
            if self.voter.currentIndex() + 1 < self.voter.count():  # votes are taken going down the list
                self.voter.setCurrentIndex(self.voter.currentIndex() + 1)

    def new_proposal(self) -> None:
        if self.event_id is None:
            return
        dialog = NewProposalDialog(self.group, self.event_id, self._current_item(), self)
        if dialog.exec() and dialog.proposal is not None:
            self.proposals.refresh()
            self.proposal_view.setCurrentIndex(self.proposals.index(self.proposals.row_of(dialog.proposal.id)))
            self.proposal_view.setFocus(Qt.FocusReason.OtherFocusReason)  # on it; Tab reaches the votes

    def close_proposal(self) -> None:
        pid = self.selected_proposal()
        if pid is None:
            return
        outcome, ok = QInputDialog.getText(self, "Close proposal", "Outcome (what was decided):")
        if ok and self._try(lambda: self.group.proposals.close(pid, outcome)):
            self.proposals.refresh()
            self._show_tally()

    def reopen_proposal(self) -> None:
        pid = self.selected_proposal()
        if pid is None:
            return
        proposal = self.group.proposals.get(pid)
        question = (f"Reopen '{proposal.title}'? Its outcome ('{proposal.outcome}') is cleared and votes can change "
                    "again; Who changed what… keeps what it was.")
        asked = QMessageBox.question(self, "Reopen proposal", as_typed(question))
        if asked == QMessageBox.StandardButton.Yes and self._try(lambda: self.group.proposals.reopen(pid)):
            self.proposals.refresh()
            self._show_tally()

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

    def make_task_from_proposal(self) -> None:
        pid = self.selected_proposal()
        title = self.group.proposals.get(pid).title if pid else ""
        self._make_task(title)

    def _make_task(self, title: str) -> None:
        if self.event_id is None:
            return
        dialog = MakeTaskDialog(self.group, self.event_id, title, self._current_item(), self)
        if dialog.exec() and dialog.task is not None:
            self.status.emit(f"Task made: {dialog.task.title}")
            self._refresh_side()
