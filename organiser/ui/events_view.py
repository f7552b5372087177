"""Events: an agenda grouped by day and a month view on the left, the event's detail pane
(RSVPs, door check-in, tasks) on the right."""

from __future__ import annotations

from datetime import MAXYEAR, MINYEAR, date

from PySide6.QtCore import (
    QDate,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCalendarWidget,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from organiser.core.bus import RecordsChanged
from organiser.core.errors import NotFoundError, OrganiserError
from organiser.services import clock
from organiser.services.group import Group
from organiser.ui.bridge import Bridge, WhileShown
from organiser.ui.colours import error_red
from organiser.ui.dialogs import show_error
from organiser.ui.editor import RecordDialog
from organiser.ui.event_detail import EventDetail
from organiser.ui.loader import BackgroundReader
from organiser.ui.models.events import DAY_ROLE, IS_DAY_ROLE, AgendaModel, showings, time_range
from organiser.ui.models.live import ID_ROLE
from organiser.ui.models.tasks import TaskCache
from organiser.ui.narrow import Columns, UpAndDown
from organiser.ui.new_day import NewDay
from organiser.ui.overrides import guarded
from organiser.ui.row_choice import open_on_double_click_or_return
from organiser.ui.spoken import with_clear_button
from organiser.ui.widgets import SINGLE_LETTER_WAIT_MS, EmptyHint, hold_wrapped_height
from organiser.ui.wording import as_typed

Index = QModelIndex | QPersistentModelIndex


NO_UPCOMING = ("No upcoming events. Create one with New event (Ctrl+N), or tick Show past events to see "
               "earlier ones.")
NO_EVENT_FOUND = "No event says all of that: not in its title, place or description, nor in its meeting."

class AgendaDelegate(QStyledItemDelegate):
    """Day headings in bold with a rule under them; events indented below."""

    @guarded
    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        super().initStyleOption(option, index)
        if index.data(IS_DAY_ROLE):
            font = QFont(option.font)
            font.setBold(True)
            option.font = font
        else:
            option.rect.adjust(14, 0, 0, 0)


class EventCalendar(QCalendarWidget):
    """A month grid that shows how many events each day holds."""

    def __init__(self, agenda: AgendaModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.agenda = agenda
        self.setGridVisible(True)
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.setAccessibleName("Month view")
        self._mark_the_weekend()
        # The grid inside takes the keys (arrows: a day, Page Up/Down: a month); it had no name.
        grid = self.findChild(QTableView, "qt_calendar_calendarview")
        if grid is not None:
            grid.setAccessibleName("Days of the month")
            grid.setAccessibleDescription("Arrows move a day or a week, Page Up and Page Down a month; "
                                          "the day's events are listed below.")

    def _mark_the_weekend(self) -> None:
        """The days off in red as the laptop's country has them (Friday and Saturday in Egypt):
        Qt paints Saturday and Sunday red whatever the country, and in a red (#ff0000, 4.0:1 on
        white) too light to read well: the app's red instead."""
        weekend = self.weekdayTextFormat(Qt.DayOfWeek.Saturday)
        weekend.setForeground(QColor(error_red(self.palette())))
        working_day = self.weekdayTextFormat(Qt.DayOfWeek.Monday)
        working = set(self.locale().weekdays())
        for day in Qt.DayOfWeek:
            self.setWeekdayTextFormat(day, working_day if day in working else weekend)

    @guarded
    def paintCell(self, painter: QPainter, rect: QRect, qdate: QDate) -> None:
        super().paintCell(painter, rect, qdate)
        if not MINYEAR <= qdate.year() <= MAXYEAR:  # the grid of December 9999 shows days of 10000
            return
        events = self.agenda.events_on(date(qdate.year(), qdate.month(), qdate.day()))
        if not events:
            return
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.palette().color(QPalette.ColorRole.Highlight))
        size = max(6, rect.height() // 7)
        for i in range(min(len(events), 4)):
            painter.drawEllipse(rect.left() + 4 + i * (size + 3), rect.bottom() - size - 3, size, size)
        painter.restore()


class EventsView(QWidget):
    status = Signal(str)
    eventShown = Signal(str)  # the event whose detail is shown (the meeting view follows it when empty)

    def __init__(self, group: Group, bridge: Bridge | None, cache: TaskCache, parent: QWidget | None = None,
                 reader: BackgroundReader | None = None) -> None:
        super().__init__(parent)
        self.group, self.bridge, self.reader = group, bridge, reader
        self.agenda = AgendaModel(group, self)
        self.agenda.ready.connect(self._after_load)
        self.new_day = NewDay(self)
        self.new_day.came.connect(self._new_day)
        self.list = QListView()
        self.list.setModel(self.agenda)
        self.list.setItemDelegate(AgendaDelegate(self.list))
        self.list.setAccessibleName("Agenda")
        self.list.setUniformItemSizes(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.selectionModel().currentChanged.connect(
            lambda cur, _prev: self._show(cur.data(ID_ROLE), cur.data(DAY_ROLE)))
        open_on_double_click_or_return(self.list, lambda _i: self.edit_event())
        self.agenda_empty = EmptyHint(self.list, NO_UPCOMING)
        self.show_past = QCheckBox("Sho&w past events")  # Alt+P is Print / PDF…
        self.show_past.toggled.connect(self._show_past)
        # A year on, every assembly is called 'General assembly': the search also reads minutes,
        # agendas and proposals, and looks back as far as the group goes.
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find: title, place, or words of a meeting's minutes")
        self.search.setAccessibleName("Find events")
        with_clear_button(self.search)
        # A single letter matches a year of events (0.1-0.16 s on a year-old group, per key, on
        # the window's thread): wait a moment for the next one, as the members' search does.
        self.find_timer = QTimer(self)
        self.find_timer.setSingleShot(True)
        self.find_timer.setInterval(SINGLE_LETTER_WAIT_MS)
        self.find_timer.timeout.connect(lambda: self._find(self.search.text()))
        self.search.textChanged.connect(self._find_typed)
        agenda_page = QWidget()
        agenda_layout = QVBoxLayout(agenda_page)
        agenda_layout.addWidget(self.search)
        agenda_layout.addWidget(self.list, 1)
        agenda_layout.addWidget(self.show_past)

        self.calendar = EventCalendar(self.agenda)
        # Qt opens the month on the machine's date; today is the app's clock's, as in the agenda.
        today = clock.today()
        self.calendar.setSelectedDate(QDate(today.year, today.month, today.day))
        self.calendar.selectionChanged.connect(self._fill_day)
        self.day_list = QListWidget()
        self.day_list.setAccessibleName("Events on the chosen day")
        self.day_empty = EmptyHint(self.day_list, "Nothing on this day. Days with events have a dot.")
        self.day_list.currentItemChanged.connect(
            lambda item, _p: self._show(item.data(Qt.ItemDataRole.UserRole) if item else None,
                                        self.calendar.selectedDate().toString(Qt.DateFormat.ISODate)))
        month_page = QWidget()
        month_layout = QVBoxLayout(month_page)
        month_layout.addWidget(self.calendar, 3)
        month_layout.addWidget(self.day_list, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(agenda_page, "&Agenda")
        self.tabs.addTab(month_page, "&Month")
        self.new_button = QPushButton("&New event")
        self.new_button.clicked.connect(self.new_event)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tabs, 1)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addStretch(1)
        left_layout.addLayout(row)

        self.detail = EventDetail(group, cache)
        self.detail.editRequested.connect(self.edit_event)
        self.detail.deleteRequested.connect(self.delete_event)
        self.detail.status.connect(self.status)
        # Side by side where they fit, the agenda above the event where they do not (a 1280x800
        # laptop at 200 % is 640 points wide: side by side they need some 550 beside the sidebar).
        split = Columns()
        split.addWidget(left)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        left.setMinimumWidth(232)  # with the sidebar, the detail and a scroll bar, the window fits 683 points (200 %)
        for label in self.detail.findChildren(QLabel):
            if label.wordWrap() and not isinstance(label, EmptyHint):
                hold_wrapped_height(label)
        # Scrolls rather than squeezing: at 200 % (a 1366x800 laptop is 683x400 points) the door's
        # note and the walk-in's Register… were crushed to a sliver, and the window went past the
        # screen's bottom edge with the status bar.
        layout = QVBoxLayout(self)
        scroll = UpAndDown(split)
        split.follow(scroll)
        layout.addWidget(scroll)
        if bridge is not None:
            # while another view is open, changes wait until this one is shown again
            bridge.recordsChanged.connect(WhileShown(self, self.on_records_changed))

    def _find_typed(self, text: str) -> None:
        if len(text.strip()) == 1:
            self.find_timer.start()
            return
        self.find_timer.stop()
        self._find(text)

    def _find(self, text: str) -> None:
        """The agenda shows the events that say every word typed, past ones too; emptied, it
        shows what it showed before."""
        found = {e.id for e in self.group.events.list(text)} if text.strip() else None
        self.agenda.set_only(found)
        self.agenda_empty.set_hint(NO_EVENT_FOUND if found is not None else NO_UPCOMING)
        chosen = self.current_id()
        if chosen is not None and self.agenda.row_of_event(chosen) >= 0:
            self.select(chosen)

    def _show_past(self, show: bool) -> None:
        """A year of past events comes in above: the chosen event stays chosen and in view
        (the list would otherwise open a year back, the next meeting hundreds of rows below)."""
        self.agenda.set_show_past(show)
        chosen = self.current_id()
        if chosen is not None:
            self.select(chosen)
            self.list.scrollTo(self.list.currentIndex(), QAbstractItemView.ScrollHint.PositionAtCenter)

    def ensure_loaded(self) -> None:
        if not self.agenda.loaded:
            self.agenda.load(self.reader)

    def _after_load(self) -> None:
        self._fill_day()
        self.calendar.updateCells()
        self._choose_first_if_none()

    def _choose_first_if_none(self) -> None:
        """With no event chosen, the first upcoming one is (the meeting view and the projector
        follow it): at start, and when the first events arrive from a peer after it."""
        first = next((r.event.id for r in self.agenda.rows if r.event is not None), None)
        if first and self.detail.shown_event is None:
            self.select(first)

    def _new_day(self) -> None:
        """Midnight with the app open: the agenda's Today and Tomorrow, and the door's word on whether
        the event shown meets today, are those of the new day."""
        shown = self.detail.shown_event
        self.agenda.set_today(clock.today())
        if shown is not None and not self.list.selectionModel().hasSelection():
            self.select(shown.id)  # its row was laid out anew: highlighted again, not left bare beside its pane
        self.detail.new_day()

    @guarded
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt name)
        self.new_day.look()  # the day may have changed while another view was shown
        self.ensure_loaded()
        super().showEvent(event)

    def on_records_changed(self, event: RecordsChanged) -> None:
        self.agenda.on_records_changed(event)
        self.detail.on_records_changed(event)
        if "event" in event.kinds:
            self.calendar.updateCells()
            self._fill_day()
            current = self.detail.shown_event
            if current is not None and current.id in event.ids:
                self._show(current.id)
            self._choose_first_if_none()

    def _fill_day(self) -> None:
        qd = self.calendar.selectedDate()
        chosen = self.detail.shown_event.id if self.detail.shown_event else None
        self.day_list.blockSignals(True)
        self.day_list.clear()
        for ev in self.agenda.events_on(date(qd.year(), qd.month(), qd.day())):
            item = QListWidgetItem(f"{time_range(ev)}  {ev.title}")
            item.setData(Qt.ItemDataRole.UserRole, ev.id)
            self.day_list.addItem(item)
            if ev.id == chosen:
                self.day_list.setCurrentItem(item)
                if ev.rrule:  # another meeting of the series chosen: the detail says its day
                    self.detail.set_event(self.detail.shown_event, ev)
        self.day_list.blockSignals(False)

    def _show(self, event_id: str | None, day_shown: str | None = None) -> None:
        """Open the event in the detail pane; the month view goes to `day_shown` (ISO), the day of
        the showing chosen (a repeating event's next meeting), else to the day the event starts."""
        if not event_id:
            return
        try:
            event = self.group.events.get(event_id)
        except NotFoundError:
            self.detail.set_event(None)
            return
        day = date.fromisoformat(day_shown) if day_shown else event.start_dt.date()
        on_day = showings(event, day, day) if event.rrule else []
        self.detail.set_event(event, on_day[0] if on_day else None)
        self.eventShown.emit(event.id)
        if self.calendar.selectedDate() != QDate(day.year, day.month, day.day):
            self.calendar.setSelectedDate(QDate(day.year, day.month, day.day))  # the month view follows

    def starting_focus(self) -> QWidget:
        """Where the keys go when the view is opened: the agenda, or the month."""
        return self.list if self.tabs.currentIndex() == 0 else self.calendar

    def current_id(self) -> str | None:
        return self.detail.shown_event.id if self.detail.shown_event else None

    def select(self, event_id: str) -> None:
        p = self.agenda.row_of_event(event_id)
        if p >= 0:
            index = self.agenda.index(p, 0)
            self.list.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self.list.scrollTo(index)
            self._show(event_id, index.data(DAY_ROLE))
        else:  # a past event (agenda shows upcoming ones): do not leave another one highlighted
            self.list.clearSelection()
            self._show(event_id)

    def new_event(self) -> str | None:
        dialog = RecordDialog(self.group, self.bridge, "event", parent=self)
        if dialog.exec() and dialog.saved_id:
            self.select(dialog.saved_id)
            self.status.emit("Event created.")
            return dialog.saved_id
        return None

    def edit_event(self) -> None:
        event_id = self.current_id()
        if not event_id:
            return
        try:
            dialog = RecordDialog(self.group, self.bridge, "event", event_id, parent=self)
        except OrganiserError as exc:
            show_error(self, "Cannot edit this event", exc)
            return
        if dialog.exec():
            self.select(event_id)

    def delete_event(self) -> None:
        event = self.detail.shown_event
        if event is None:
            return
        which = (f"“{event.title}” and every one of its meetings (it repeats, since {event.start_dt:%-d %B %Y})"
                 if event.rrule else f"“{event.title}” on {event.start_dt:%-d %B}")
        answer = QMessageBox.question(
            self, "Delete event",
            as_typed(f"Delete {which}? Its RSVPs and check-ins go with it, on every laptop of the group. "
                     "Edit > Deleted items… brings it back."))
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.group.events.delete(event.id)
        except OrganiserError as exc:
            show_error(self, "Cannot delete this event", exc)
            return
        # The agenda moved its highlight to the event that took the deleted one's place: that
        # one is shown, so Delete, Edit… and the door go on from the keys.
        after = self.list.currentIndex().data(ID_ROLE) if self.tabs.currentIndex() == 0 else None
        if after and after != event.id:
            self._show(after)
        else:
            self.detail.set_event(None)
        self.status.emit(f"Deleted {event.title}.")
