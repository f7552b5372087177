"""Members: the directory with search as you type, role and working-group filters, a detail
pane, add/edit in a dialog, and delete with undo."""

from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent, QTextDocumentFragment
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from organiser.core.bus import RecordsChanged
from organiser.core.errors import OrganiserError
from organiser.services.events import Event
from organiser.services.forgetting import Forgotten
from organiser.services.group import Group
from organiser.ui.bidi import day_text, long_day
from organiser.ui.bridge import Bridge
from organiser.ui.dialogs import show_error
from organiser.ui.editor import RecordDialog
from organiser.ui.forget_member import ask_to_forget, run_apart
from organiser.ui.loader import BackgroundReader
from organiser.ui.models.live import ID_ROLE, ROW_ROLE
from organiser.ui.models.members import CONSENT_TEXTS, MemberRow, MembersModel
from organiser.ui.narrow import ElidedCombo
from organiser.ui.new_day import NewDay
from organiser.ui.overrides import guarded
from organiser.ui.row_choice import follow_selection, open_on_double_click_or_return
from organiser.ui.spoken import with_clear_button
from organiser.ui.widgets import SINGLE_LETTER_WAIT_MS, AnswerButtons, Banner, EmptyHint, fit_columns

log = logging.getLogger(__name__)

SIDE_WIDTHS = (220, 320)  # the details pane beside the directory, least and most
SIDE_MARGINS = 20  # the pane's layout margins, either side


class MembersView(QWidget):
    status = Signal(str)

    def __init__(self, group: Group, bridge: Bridge | None, parent: QWidget | None = None,
                 reader: BackgroundReader | None = None) -> None:
        super().__init__(parent)
        self.group, self.bridge, self.reader = group, bridge, reader
        # The table shows the model itself: it sorts and filters its rows in Python, and a
        # proxy in between would double the calls into Python on every repaint.
        self.model = MembersModel(group, self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search members: name, email, phone, notes, roles…")
        with_clear_button(self.search)
        self.search.setAccessibleName("Search members")
        # A single letter matches half the directory: wait a moment for the next one.
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SINGLE_LETTER_WAIT_MS)
        self.search_timer.timeout.connect(lambda: self.model.set_filter(search=self.search.text()))
        self.search.textChanged.connect(self._search_changed)
        self.search.returnPressed.connect(self.go_to_found)
        self.search.installEventFilter(self)  # Down, as Return: on to the first found
        self.role = ElidedCombo(at_most="All working groups")  # a long role or group's name is cut with "…"
        self.role.setAccessibleName("Filter by role")
        self.working_group = ElidedCombo(at_most="All working groups")
        self.working_group.setAccessibleName("Filter by working group")
        self.role.activated.connect(lambda _i: self.model.set_filter(role=self.role.currentData() or ""))
        self.working_group.activated.connect(
            lambda _i: self.model.set_filter(working_group=self.working_group.currentData() or ""))
        self.add_button = QPushButton("&Add member")
        self.add_button.clicked.connect(self.add_member)
        self.count = QLabel()
        top = QHBoxLayout()
        # The filters as wide as their longest entry, the search takes the rest: at 150 %, shared
        # out by stretch, "All working groups" lost its last letters.
        for combo in (self.role, self.working_group):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        top.addWidget(self.search, 1)
        top.addWidget(self.role)
        top.addWidget(self.working_group)
        top.addWidget(self.add_button)

        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.table.setModel(self.model)
        self.table.setAccessibleName("Member directory")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        # Working groups last, stretched; a phone number is read whole or not at all, and so are
        # a name of two parts (at 150 % it was cut to "Bilal ...") and the consent beside it
        letter = self.fontMetrics().averageCharWidth()
        consent = max(self.fontMetrics().horizontalAdvance(text) for text in CONSENT_TEXTS) + letter * 2
        fit_columns(self.table, (170, consent, 210, 125, 130), least=(letter * 20, consent, 0, 125))
        open_on_double_click_or_return(self.table, lambda _i: self.edit_member())
        self._shown_row: MemberRow | None = None
        follow_selection(self.table, lambda: self.show_detail(again=False))
        self.empty = EmptyHint(self.table, "No members yet. Add the first with Add member, or import a "
                               "list (File → Import…).")

        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.edit_button = QPushButton("Edi&t…")  # Alt+E opens the Edit menu
        self.edit_button.clicked.connect(self.edit_member)
        self.delete_button = QPushButton("&Delete")
        self.delete_button.clicked.connect(self.delete_member)
        self.forget_button = QPushButton("For&get…")
        self.forget_button.setToolTip("Erase this member from every laptop of the group (admins only)")
        self.forget_button.clicked.connect(self.forget_member)
        buttons = QHBoxLayout()
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.forget_button)
        buttons.addStretch(1)
        self._upcoming_events: list[Event] | None = None
        self._events_filled: list[Event] | None = None
        # Midnight with the app open: last night's event is no longer one to answer for
        self.new_day = NewDay(self)
        self.new_day.came.connect(self._new_day)
        self.rsvp_event = ElidedCombo()  # an event's title may be longer than the pane is wide
        self.rsvp_event.setAccessibleName("Event to answer for")
        self.rsvp_event.activated.connect(lambda _i: self._show_answer())
        self.answer = AnswerButtons("Coming?")
        self.answer.answered.connect(self.answer_for_member)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        scroll = QScrollArea()  # a long entry scrolls instead of pushing the window past a small screen
        scroll.setWidget(self.detail)
        # A stop of its own (the arrows scroll long notes), read with the details as its description.
        scroll.setAccessibleName("Member details")
        self.detail_pane = scroll
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        side_layout.addWidget(scroll, 1)
        rsvp_label = QLabel("<b>RSVP</b>")
        rsvp_label.setBuddy(self.rsvp_event)  # a screen reader reads the choice with its label
        side_layout.addWidget(rsvp_label)
        side_layout.addWidget(self.rsvp_event)
        side_layout.addWidget(self.answer)
        side_layout.addLayout(buttons)
        # Its least width is what its contents ask for (the row of buttons, the longest word of the
        # details), at least SIDE_WIDTHS[0]: a fixed least of 220 points, below what they asked for
        # at 150 %, let the splitter give it 220 and lay the rest past the window's right edge.
        scroll.setMinimumWidth(SIDE_WIDTHS[0] - SIDE_MARGINS)
        side.setMaximumWidth(SIDE_WIDTHS[1])

        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.banner = Banner()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)
        layout.addWidget(self.count)
        for signal in (self.model.modelReset, self.model.rowsInserted, self.model.rowsRemoved):
            signal.connect(self._update_count)
        self.model.ready.connect(self._after_load)
        if bridge is not None:
            bridge.recordsChanged.connect(self.on_records_changed)
        self.show_detail()

    def go_to_found(self) -> None:
        """Return in the search: the first member found is shown, and the keys move on to the
        table (Up and Down go through what was found)."""
        if self.search_timer.isActive():  # a lone letter still waiting for the next one
            self.search_timer.stop()
            self.model.set_filter(search=self.search.text())
        if self.model.rowCount() == 0:
            return
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.table.selectRow(0)

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if (watched is self.search and event.type() == QEvent.Type.KeyPress
                and event.key() == Qt.Key.Key_Down and self.model.rowCount() > 0):
            self.go_to_found()
            return True
        return super().eventFilter(watched, event)

    def _search_changed(self, text: str) -> None:
        if len(text.strip()) == 1:
            self.search_timer.start()
            return
        self.search_timer.stop()
        self.model.set_filter(search=text)

    # ---- loading ---------------------------------------------------------------------------

    def ensure_loaded(self) -> None:
        if not self.model.loaded and not self.model.loading:
            self.count.setText("Reading the directory…")
            self.model.load(self.reader)

    def _after_load(self) -> None:
        self._fill_filters()
        self._update_count()
        if self.model.rows and self.current_id() is None:
            self.select(self.model.rows[0].id)

    def _new_day(self) -> None:
        self._upcoming_events = None
        if self.current_id():
            self.show_detail()

    @guarded
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt name)
        self.new_day.look()  # the day may have changed while another view was shown
        self.ensure_loaded()
        super().showEvent(event)

    def _fill_filters(self) -> None:
        roles, groups = self.model.all_roles()
        for combo, everyone, values, chosen in ((self.role, "All roles", roles, self.model.role),
                                                (self.working_group, "All working groups", groups,
                                                 self.model.working_group)):
            combo.clear()
            combo.addItem(everyone, "")
            for value in values:
                combo.addItem(value, value)
            combo.setCurrentIndex(max(0, combo.findData(chosen)))

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), len(getattr(self.model, "_all", {}))
        noun = "member" if total == 1 else "members"
        self.count.setText(f"{shown:,} of {total:,} {noun}" if shown != total else f"{total:,} {noun}")
        if total and not shown:
            self.empty.set_hint("No member matches the search or filters. Clear the search box or choose "
                                "All roles / All working groups.")
        elif not total:
            self.empty.set_hint("No members yet. Add the first with Add member, or import a list "
                                "(File → Import…).")

    def on_records_changed(self, event: RecordsChanged) -> None:
        self.model.on_records_changed(event)
        if event.kinds & {"member", "member_role", "member_skill"}:
            if event.kinds & {"member_role"}:
                QTimer.singleShot(0, self, self._fill_filters)
            self._update_count()
            current = self.current_id()
            if current and (current in event.ids or event.kinds & {"member_role", "member_skill"}):
                self.show_detail()
        if "event" in event.kinds:
            self._upcoming_events = None
        if event.kinds & {"rsvp", "event"} and self.current_id():
            self.show_detail()

    # ---- selection and detail ----------------------------------------------------------------

    def starting_focus(self) -> QWidget:
        """Where the keys go when the view is opened: the search, to type a name."""
        return self.search

    def current_id(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isSelected(index):
            return None
        return index.data(ID_ROLE)

    def current_row(self) -> MemberRow | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isSelected(index):
            return None
        return index.data(ROW_ROLE)

    def select(self, member_id: str) -> None:
        p = self.model.row_of(member_id)
        if p < 0:
            return
        index = self.model.index(p, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)

    def show_detail(self, *, again: bool = True) -> None:
        """`again=False` (the selection may have moved): skip the work when the same row is
        still on show, as while typing a search that keeps the selected member."""
        row = self.current_row()
        if not again and row is not None and row is self._shown_row:
            return
        self._shown_row = row
        self.edit_button.setEnabled(row is not None)
        self.delete_button.setEnabled(row is not None)
        admin = self.group.replica.device_id in self.group.replica.roster().admins
        self.forget_button.setEnabled(row is not None and admin)
        self.forget_button.setToolTip("Erase this member from every laptop of the group" if admin else
                                      "Only an admin can forget a member")
        self.rsvp_event.setEnabled(row is not None)
        self.answer.setEnabled(row is not None)
        if row is None:
            self._show_details("<p>Select a member to see their details.</p>")
            self.answer.show_answer(None)
            return
        v = row.values
        self._show_details(
            f"<h2>{html.escape(row.name)}</h2>"
            + _line("Email", _labelled(v.get("emails") or [], v.get("email_types") or {}))
            + _line("Phone", _labelled(v.get("phones") or [], v.get("phone_types") or {}))
            + _line("Roles", ", ".join(row.plain_roles))
            + _line("Working groups", ", ".join(row.working_groups))
            + _line("Skills", ", ".join(row.skills))
            + _line("Contact", _consent_text(v))
            + _line("Joined", long_day(v["joined"]) if v.get("joined") else "")
            + _line("Notes", v.get("notes") or "")
            + _line("Answers", self._answers_text(row.id))
        )
        self._fill_events()
        self._show_answer()

    def _show_details(self, text: str) -> None:
        """The pane's text, and the same as plain words for a screen reader."""
        self.detail.setText(text)
        # The pane as wide as the longest word (an email address) up to its most: one a few points
        # wider than the pane at 150 % made the details scroll sideways.
        pane = self.detail_pane
        around = pane.verticalScrollBar().sizeHint().width() + 2 * pane.frameWidth()
        pane.setMinimumWidth(max(SIDE_WIDTHS[0] - SIDE_MARGINS, min(self.detail.minimumSizeHint().width() + around,
                                                                    SIDE_WIDTHS[1] - SIDE_MARGINS)))
        self.detail_pane.setAccessibleDescription(QTextDocumentFragment.fromHtml(text).toPlainText())

    def _answers_text(self, member_id: str) -> str:
        titles = {e.id: e for e in self._upcoming()}
        answers = [r for r in self.group.events.answers_of(member_id) if r.event in titles and r.answer]
        answers.sort(key=lambda r: titles[r.event].start)
        return "; ".join(f"{titles[r.event].title} ({day_text(titles[r.event].start_dt, '%-d %b')}): {r.answer}"
                         for r in answers)

    def _upcoming(self) -> list[Event]:
        # read once per change of events, not on every keystroke of the search that re-shows the pane
        if self._upcoming_events is None:
            self._upcoming_events = self.group.events.upcoming()
        return self._upcoming_events

    def _fill_events(self) -> None:
        events = self._upcoming()
        # Each time: selecting a member enabled the buttons, and with no event they answer nothing
        self.answer.setEnabled(bool(events))
        if self._events_filled is events:  # the same list as last time: nothing to redo
            return
        self._events_filled = events
        chosen = self.rsvp_event.currentData()
        self.rsvp_event.clear()
        for ev in events:
            self.rsvp_event.addItem(f"{day_text(ev.start_dt, '%a %-d %b')} · {ev.title}", ev.id)
        if not events:
            self.rsvp_event.addItem("No upcoming events", None)
        self.rsvp_event.setCurrentIndex(max(0, self.rsvp_event.findData(chosen)))

    def _show_answer(self) -> None:
        member_id, event_id = self.current_id(), self.rsvp_event.currentData()
        answer = self.group.events.rsvp_of(event_id, member_id).answer if member_id and event_id else None
        self.answer.show_answer(answer)

    def answer_for_member(self, answer: str) -> None:
        member_id, event_id = self.current_id(), self.rsvp_event.currentData()
        if not member_id or not event_id:
            return
        try:
            self.group.events.rsvp(event_id, member_id, answer)
        except OrganiserError as exc:
            show_error(self, "Cannot save the answer", exc)
            return
        self.show_detail()
        self.status.emit(f"{self.current_row().name if self.current_row() else 'They'} answered {answer} for "
                         f"{self.rsvp_event.currentText().split(' · ', 1)[-1]}.")

    # ---- actions -------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def add_member(self) -> str | None:
        dialog = RecordDialog(self.group, self.bridge, "member", parent=self)
        if dialog.exec() and dialog.saved_id:
            self.select(dialog.saved_id)
            self.status.emit("Member added.")
            return dialog.saved_id
        return None

    def edit_member(self, _index: QModelIndex | None = None) -> None:
        rid = self.current_id()
        if not rid:
            return
        try:
            dialog = RecordDialog(self.group, self.bridge, "member", rid, parent=self)
        except OrganiserError as exc:
            show_error(self, "Cannot edit this member", exc)
            return
        if dialog.exec():
            self.select(rid)

    def delete_member(self) -> None:
        row = self.current_row()
        if row is None:
            return
        try:
            self.group.members.delete(row.id)
        except OrganiserError as exc:
            show_error(self, "Cannot delete this member", exc)
            return
        self.banner.show_message(f"Deleted {row.name}.", ("&Undo", lambda: self.undo_delete(row.id)))
        self.status.emit(f"Deleted {row.name}.")

    def forget_member(self) -> None:
        """Ask, then erase the chosen member everywhere (an admin's action)."""
        row = self.current_row()
        if row is None:
            return
        try:
            traits = len(self.group.forgetting.what_goes(row.id)) - 1
        except OrganiserError as exc:
            show_error(self, "Cannot forget this member", exc)
            return
        ask_to_forget(self, row.name, traits, lambda: self._forget(row))

    def _forget(self, row: MemberRow) -> None:
        """The erasure takes seconds on a year-old group: on a thread of its own, the window live."""
        self.forget_button.setEnabled(False)
        self.banner.show_message(f"Forgetting {row.name}…")
        run_apart(self, lambda: self.group.forgetting.forget_apart(row.id), lambda done: self._forgot(row, done))

    def _forgot(self, row: MemberRow, done: object) -> None:
        if isinstance(done, OrganiserError):
            self.banner.hide()
            show_error(self, "Cannot forget this member", done)
            return
        if not isinstance(done, Forgotten):
            log.error("forgetting a member failed", exc_info=done if isinstance(done, BaseException) else None)
            self.banner.show_message(f"{row.name} could not be forgotten: {done}")
            return
        self.group.bus.publish(self.group.forgetting.changed_event(done))
        self.banner.show_message(f"Forgot {row.name} on this laptop; the others erase them as they hear. "
                                 "Old backups and copies outside the group are not reached.")
        self.status.emit(f"Forgot {row.name}.")

    def undo_delete(self, member_id: str) -> None:
        try:
            self.group.members.restore(member_id)
        except OrganiserError as exc:
            show_error(self, "Cannot bring this member back", exc)
            return
        self.banner.hide()
        self.select(member_id)


def _line(label: str, value: str) -> str:
    """A labelled line of the detail pane; '—' for nothing."""
    shown = html.escape(value).replace("\n", "<br>") if value else "—"  # rich text joins lines
    return f"<p><b>{label}</b><br>{shown}</p>"


def _labelled(values: list[str], types: dict[str, list[str]]) -> str:
    """"+49 30 1234567 (cell, pref), 030 555 0101": each value with the labels its contact had."""
    return ", ".join(f"{v} ({', '.join(types[v])})" if types.get(v) else v for v in values)


def _consent_text(values: dict[str, Any]) -> str:
    consent = [how for how in ("email", "phone") if values.get(f"consent_{how}")]
    text = (("agreed to be contacted by " + " and ".join(consent)) if consent
            else "has not agreed to be contacted: left out when emails are copied")
    return text + (f" (on {long_day(values['consent_date'])})" if values.get("consent_date") else "")
