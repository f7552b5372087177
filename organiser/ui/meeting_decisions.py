"""The Decisions column of the meeting view: the meeting's proposals with the chosen one's live
tally, votes recorded going down the list of those present, and a proposal put, closed with its
outcome, reopened, or made into a task. The agenda, the minutes and the meeting's tasks are in
ui/meeting_view.py, which holds this column beside them and uses its `button` and `escaped` too."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QInputDialog,
    QLabel,
    QListView,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from organiser.services.group import Group
from organiser.ui.meeting_dialogs import NewProposalDialog
from organiser.ui.models.meeting import ID_ROLE, ProposalsModel
from organiser.ui.narrow import ButtonRow, ElidedCombo, wrapped_heading
from organiser.ui.widgets import EmptyHint
from organiser.ui.wording import as_typed

NO_PROPOSALS = "No proposals yet: put one to the meeting with New proposal… below."


def escaped(text: str) -> str:
    """A value as text inside the rich-text labels (quotes need no escaping there)."""
    return html.escape(text, quote=False)


def button(text: str, name: str) -> QPushButton:
    """A push button with the name a screen reader says for it."""
    made = QPushButton(text)
    made.setAccessibleName(name)
    return made


class DecisionsPane(QWidget):
    def __init__(self, group: Group, attempt: Callable[[Callable[[], object]], bool],
                 current_item: Callable[[], str | None], make_task: Callable[[str], None],
                 no_event: str, parent: QWidget | None = None) -> None:
        """`attempt` runs a change and shows its refusal, `current_item` is the agenda item being
        discussed (a new proposal is linked to it), `make_task` opens the meeting's Make task
        dialog with a title, and `no_event` is the hint shown before an event is chosen."""
        super().__init__(parent)
        self.group = group
        self.event_id: str | None = None
        self._attempt, self._current_item, self._make_task = attempt, current_item, make_task
        self._no_event = no_event
        self.proposals = ProposalsModel(group.proposals, self)
        self.proposal_view = QListView()
        self.proposal_view.setAccessibleName("Proposals")
        self.proposal_view.setModel(self.proposals)
        self.proposal_view.setWordWrap(True)
        self.proposal_view.selectionModel().currentChanged.connect(lambda *_: self.show_tally())
        self.proposals_empty = EmptyHint(self.proposal_view, no_event)
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
        self.vote_button = button("Record v&ote", "Record vote")  # Alt+V opens the View menu
        self.vote_button.clicked.connect(self.record_vote)
        self.new_proposal_button = button("New &proposal…", "New proposal")
        self.new_proposal_button.clicked.connect(self.new_proposal)
        self.close_button = button("&Close with outcome…", "Close proposal")
        self.close_button.clicked.connect(self.close_proposal)
        self.reopen_button = button("&Reopen…", "Reopen proposal")  # in Close's place for a closed proposal
        self.reopen_button.clicked.connect(self.reopen_proposal)
        self.reopen_button.setMinimumWidth(self.close_button.sizeHint().width())  # the column keeps its width
        self.reopen_button.hide()
        self.task_from_proposal = button("Make task…", "Make task from proposal")
        self.task_from_proposal.clicked.connect(self.make_task_from_proposal)
        layout = QVBoxLayout(self)
        layout.addWidget(wrapped_heading("<b>Decisions</b>"))
        layout.addWidget(self.proposal_view, 1)
        layout.addWidget(self.tally_label)
        layout.addWidget(ButtonRow(self.voter, self.choice, self.vote_button, stretch=self.voter))
        layout.addWidget(ButtonRow(self.new_proposal_button, self.close_button, self.reopen_button,
                                   self.task_from_proposal))

    # ---- showing ---------------------------------------------------------------------------

    def controls(self) -> tuple[QWidget, ...]:
        """What is greyed while no event is chosen (Reopen shows only for a closed proposal)."""
        return (self.proposal_view, self.voter, self.choice, self.vote_button, self.new_proposal_button,
                self.close_button, self.task_from_proposal)

    def load(self, event_id: str | None) -> None:
        self.event_id = event_id
        self.proposals.load(event_id)
        self._select_open_proposal()
        self.proposals_empty.set_hint(NO_PROPOSALS if event_id is not None else self._no_event)

    def refresh(self) -> None:
        self.proposals.refresh()
        if self.selected_proposal() is None:  # one put on another laptop is ready for votes here too
            self._select_open_proposal()

    def selected_proposal(self) -> str | None:
        index = self.proposal_view.currentIndex()
        return index.data(ID_ROLE) if index.isValid() else None

    def show_tally(self) -> None:
        pid = self.selected_proposal()
        self.choice.clear()
        # Record vote and Close act on the chosen proposal: without one they are greyed, not silent
        for control in (self.vote_button, self.close_button):
            control.setEnabled(self.event_id is not None and pid is not None)
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
            for control in (self.vote_button, self.close_button):
                control.setEnabled(False)
        self.close_button.setVisible(not closed)
        self.reopen_button.setVisible(closed)
        for choice in proposal.choices:
            self.choice.addItem(choice)
        quorum = "met" if tally.quorum_met else "not met"
        text = (f"<b>{escaped(proposal.title)}</b><br>"
                + ", ".join(f"{escaped(o)}: <b>{n}</b>" for o, n in tally.counts.items())
                + f"<br>Quorum {quorum}: {tally.present} present, {tally.quorum_needed} needed; "
                f"{tally.eligible} may vote, {len(tally.votes)} {'has' if len(tally.votes) == 1 else 'have'} voted")
        if tally.blocks:
            text += "<br>Blocks: " + ", ".join(escaped(name) for name in tally.blocks)
        if closed:
            text += f"<br>Closed: {escaped(proposal.outcome)}"
        self.tally_label.setText(text)

    def _select_open_proposal(self) -> None:
        """Coming to a meeting, its open proposal is chosen: its tally shows without a click."""
        open_rows = [row for row, (proposal, _tally) in enumerate(self.proposals.rows) if proposal.status == "open"]
        if open_rows:
            self.proposal_view.setCurrentIndex(self.proposals.index(open_rows[-1]))

    def fill_voters(self) -> None:
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

    def record_vote(self) -> None:
        pid, member = self.selected_proposal(), self.voter.currentData()
        if pid and member and self._attempt(lambda: self.group.proposals.vote(pid, member, self.choice.currentText())):
            self.proposals.refresh()
            self.show_tally()
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
        if ok and self._attempt(lambda: self.group.proposals.close(pid, outcome)):
            self.proposals.refresh()
            self.show_tally()

    def reopen_proposal(self) -> None:
        pid = self.selected_proposal()
        if pid is None:
            return
        proposal = self.group.proposals.get(pid)
        question = (f"Reopen '{proposal.title}'? Its outcome ('{proposal.outcome}') is cleared and votes can change "
                    "again; Who changed what… keeps what it was.")
        asked = QMessageBox.question(self, "Reopen proposal", as_typed(question))
        if asked == QMessageBox.StandardButton.Yes and self._attempt(lambda: self.group.proposals.reopen(pid)):
            self.proposals.refresh()
            self.show_tally()

    def make_task_from_proposal(self) -> None:
        pid = self.selected_proposal()
        title = self.group.proposals.get(pid).title if pid else ""
        self._make_task(title)
