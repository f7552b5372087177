"""Small dialogs of the meeting view: renaming an agenda item, a new proposal, and Make task
(an action item)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from organiser.core.errors import NotFoundError, OrganiserError, ValidationError
from organiser.core.working_groups import is_working_group, working_group_name
from organiser.services.group import Group
from organiser.services.meetings import AgendaItem
from organiser.services.proposals import Proposal
from organiser.services.tasks import Task
from organiser.ui.colours import error_red
from organiser.ui.models.name_order import name_order
from organiser.ui.narrow import ElidedCombo
from organiser.ui.spoken import SpokenRefusal
from organiser.ui.wording import people_words


class _Form(QDialog):
    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout(self)
        self.error = SpokenRefusal()
        self.error.setStyleSheet(f"color: {error_red(self.palette())}")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

    def finish(self) -> None:
        self.form.addRow(self.error)
        self.form.addRow(self.buttons)

    def _line(self, label: str, text: str = "", placeholder: str = "") -> QLineEdit:
        edit = QLineEdit(text)
        edit.setAccessibleName(label.replace("&", ""))
        edit.setPlaceholderText(placeholder)
        self.form.addRow(label, edit)
        return edit

    def save(self) -> None:
        raise NotImplementedError


class EditAgendaItemDialog(_Form):
    """Rename an agenda item (a typo fixed) and change its time box; 0 minutes: none."""

    def __init__(self, group: Group, item: AgendaItem, parent: QWidget | None = None) -> None:
        super().__init__("Rename agenda item", parent)
        self.group, self.item = group, item
        self.title = self._line("&Title", item.title)
        self.title.selectAll()  # typing replaces the title, as in a list renamed in place
        self.title.setMinimumWidth(self.title.fontMetrics().averageCharWidth() * 40)  # a long title shows whole
        self.minutes = QSpinBox()
        self.minutes.setAccessibleName("Time box in minutes")
        self.minutes.setRange(0, 24 * 60)
        self.minutes.setSuffix(" min")
        self.minutes.setSpecialValueText("no time box")
        self.minutes.setValue(item.minutes or 0)
        self.form.addRow("Time &box", self.minutes)
        self.edited: AgendaItem | None = None
        self.finish()

    def save(self) -> None:
        try:
            self.edited = self.group.meetings.edit_item(self.item.id, title=self.title.text(),
                                                        minutes=self.minutes.value() or None)
        except NotFoundError:  # removed on another laptop while this dialog was open
            self.error.setText(f"“{self.item.title}” was removed from the agenda meanwhile, on another laptop; "
                               "Cancel, and add it again if it is still wanted.")
            return
        except OrganiserError as exc:  # a refused title or time box
            self.error.setText(people_words(str(exc)))
            return
        self.accept()


class MakeTaskDialog(_Form):
    """Title, assignee and due date of an action item, made in one step."""

    def __init__(self, group: Group, event_id: str, title: str = "", item: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Make task", parent)
        self.group, self.event_id, self.item = group, event_id, item
        self.title = self._line("&Title", title.strip()[:200])
        # as wide as the title it starts with (a proposal's is often long), within a small laptop's
        # screen: it was some twenty letters wide, and showed the end of a proposal's title only
        letters = self.title.fontMetrics()
        whole = letters.horizontalAdvance(self.title.text()) + letters.averageCharWidth() * 3
        self.title.setMinimumWidth(min(max(whole, letters.averageCharWidth() * 40), letters.averageCharWidth() * 80))
        self.assignee = QComboBox()
        self.assignee.setAccessibleName("Assignee")
        self.assignee.addItem("(nobody yet)", None)
        for member in sorted(group.members.list(), key=lambda m: name_order(m.name)):
            self.assignee.addItem(member.name, member.id)
        self.form.addRow("&Assignee", self.assignee)
        self.due = self._line("&Due", placeholder="YYYY-MM-DD")
        self.task: Task | None = None
        self.finish()

    def save(self) -> None:
        try:
            self.task = self.group.meetings.make_task(
                self.event_id, self.title.text(), assignee=self.assignee.currentData(),
                due=self.due.text().strip() or None, item=self.item)
        except ValidationError as exc:
            self.error.setText(people_words(exc.message))
            return
        self.accept()


class NewProposalDialog(_Form):
    def __init__(self, group: Group, event_id: str, item: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__("New proposal", parent)
        self.group, self.event_id, self.item = group, event_id, item
        self.title = self._line("&Title")
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind")
        for label, value in (("Consent (consent / objection)", "consent"),
                             ("Consensus (agree / abstain / disagree / block)", "consensus"),
                             ("Vote between options", "vote"), ("Show of hands", "hands")):
            self.kind.addItem(label, value)
        self.form.addRow("&Kind", self.kind)
        self.options = self._line("&Options", placeholder="comma-separated, for a vote or a show of hands")
        self.quorum = self._line("&Quorum", placeholder="a number (12) or a share (50%)")
        # in words; the service takes checked-in, all or role:NAME. No wider than the kinds above
        # it: a working group's long name is cut with "…", whole in the list and the tooltip.
        self.voters = ElidedCombo(at_most=max((self.kind.itemText(n) for n in range(self.kind.count())), key=len))
        self.voters.setAccessibleName("Who votes")
        self.voters.addItem("Those checked in at the door", "checked-in")
        self.voters.addItem("Every member", "all")
        for role in group.members.all_roles():
            self.voters.addItem(f"Members of the working group {working_group_name(role)}" if is_working_group(role)
                                else f"Members with the role {role}", f"role:{role}")
        self.form.addRow("&Who votes", self.voters)
        self.proposal: Proposal | None = None
        self.finish()

    def save(self) -> None:
        options = [o.strip() for o in self.options.text().split(",") if o.strip()]
        try:
            self.proposal = self.group.proposals.add(
                self.event_id, self.title.text(), self.kind.currentData(), options=options,
                quorum=self.quorum.text() or None, voters=self.voters.currentData(), agenda_item=self.item)
        except ValidationError as exc:
            self.error.setText(people_words(exc.message))
            return
        self.accept()
