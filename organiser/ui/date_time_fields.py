"""A day and a time as people enter them: the day in a text field with a calendar beside it
that drops down, the time in a text field that reads what people type ("19:00", "19.00",
"1900", "7pm", "19h"). A date-and-time spin box moved on to the next part after two digits,
edited the part under the pointer and took Tab to move between its parts, so a person needed
five tries for 19:00-21:00."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from PySide6.QtCore import QDate, QDateTime, QPoint, Qt, QTime, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QCalendarWidget, QCheckBox, QHBoxLayout, QLineEdit, QToolButton, QWidget

from organiser.services import clock
from organiser.ui.overrides import guarded

DATE_SHOWN = "yyyy-MM-dd"
DAY_HINT = "e.g. 2031-06-14"
MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")), start=1) for name in names}
TIME_HINT = "e.g. 19:00, 7pm"

_CLOCK = re.compile(r"^(\d{1,2})(?:[:.h]?(\d{2}))?h?$")
_WORDS = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}


def read_time(text: str) -> time | None:
    """The time a person meant, or None when it cannot be read: '19:00', '19.00', '1900', '900',
    '19', '19h', '19h30', '7pm', '7.30 pm', '7 p.m.', '12am', 'noon'."""
    said = text.strip().casefold().replace(" ", "").replace("a.m.", "am").replace("p.m.", "pm")
    if said in _WORDS:
        return _WORDS[said]
    half = None
    for ending, name in (("am", "am"), ("pm", "pm"), ("a", "am"), ("p", "pm")):
        if said.endswith(ending) and said[:-len(ending)][-1:].isdigit():
            said, half = said[:-len(ending)], name
            break
    found = _CLOCK.match(said)
    if not found:
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    if half is not None:
        if not 1 <= hour <= 12:
            return None  # '13pm' says two different things
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def read_day(text: str) -> date | None:
    """The day a person meant, or None: '2031-06-14' (as stored), '2031/6/14', day first as in
    '14/6/2031', '14.06.2031', '14-6-31', or with the month's name: '14 June 2031', 'June 14, 2031'."""
    said = text.strip().casefold().replace(",", " ")
    parts = [p for p in re.split(r"[\s/.\-]+", said) if p]
    if len(parts) != 3:
        return None
    named = [p for p in parts if p.rstrip(".") in MONTHS]
    try:
        if named:
            month = MONTHS[named[0].rstrip(".")]
            day_text, year_text = [p for p in parts if p is not named[0]]
            if len(day_text) == 4:  # '2031 June 14'
                day_text, year_text = year_text, day_text
            day, year = int(day_text), int(year_text)
        elif len(parts[0]) == 4:
            year, month, day = (int(p) for p in parts)
        else:
            day, month, year = (int(p) for p in parts)
        if year < 100:
            year += 2000
        return date(year, month, day)
    except ValueError:
        return None


def unreadable_day(text: str) -> str:
    """The refusal shown under a day that cannot be read."""
    return f"“{text.strip()}” is not a day: write it like 2031-06-14 or 14/6/2031, or pick it from the calendar."


def unreadable_time(text: str) -> str:
    """The refusal shown under a time that cannot be read."""
    return f"“{text.strip()}” is not a time: write it like 19:00, 19.00, 1900 or 7pm."


class TimeField(QLineEdit):
    """A time typed as a person writes it; on leaving the field it shows as 19:00 (what was
    understood), or stays as typed when it cannot be read, for the form to say so."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(TIME_HINT)
        self.setToolTip("Type the time as you write it: 19:00, 19.00, 1900, 19h or 7pm.")
        self.setMaxLength(16)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance(TIME_HINT) + 24)
        self.editingFinished.connect(self._show_as_read)

    def time(self) -> time | None:
        return read_time(self.text())

    def set_time(self, value: time) -> None:
        self.setText(value.strftime("%H:%M"))

    def _show_as_read(self) -> None:
        read = self.time()
        if read is not None and self.text() != read.strftime("%H:%M"):
            self.set_time(read)


class DayField(QLineEdit):
    """A day typed as a person writes it, shown as 2031-06-14 once read; Alt+Down or F4 opens
    the calendar, as in a drop-down."""

    calendarAsked = Signal()  # noqa: N815 (Qt style)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(DAY_HINT)
        self.setToolTip("Type the day (2031-06-14 or 14/6/2031) or press Alt+Down for a calendar.")
        self.setMaxLength(40)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("2031-06-14") + 24)
        self.editingFinished.connect(self._show_as_read)

    def day(self) -> date | None:
        return read_day(self.text())

    def set_day(self, value: date) -> None:
        self.setText(value.isoformat())

    @guarded
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() == Qt.Key.Key_F4 or (event.key() == Qt.Key.Key_Down
                                            and event.modifiers() & Qt.KeyboardModifier.AltModifier):
            self.calendarAsked.emit()
            return
        super().keyPressEvent(event)

    def _show_as_read(self) -> None:
        read = self.day()
        if read is not None and self.text() != read.isoformat():
            self.set_day(read)


class DayPicker(QWidget):
    """A day typed in its field or picked from the calendar that drops down beside it."""

    picked = Signal()  # a day was picked from the calendar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = DayField()
        self.button = QToolButton()
        self.button.setText("▾")
        self.button.setToolTip("Pick the day from a calendar (Alt+Down in the day)")
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from the day to what follows
        self.calendar = QCalendarWidget()
        self.calendar.setWindowFlags(Qt.WindowType.Popup)
        self.calendar.setGridVisible(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.field)
        layout.addWidget(self.button)
        self.setFocusProxy(self.field)
        self.field.calendarAsked.connect(self.open_calendar)
        self.button.clicked.connect(self.open_calendar)
        self.calendar.clicked.connect(self._picked)
        self.calendar.activated.connect(self._picked)  # Enter on a day

    def set_names(self, name: str) -> None:
        self.field.setAccessibleName(f"{name}: day")
        self.button.setAccessibleName(f"{name}: pick the day from a calendar")
        self.calendar.setAccessibleName(f"{name}: calendar")

    def open_calendar(self) -> None:
        # With no day to read, today by the app's clock (Qt would open on the machine's date).
        day = self.field.day() or clock.today()
        self.calendar.setSelectedDate(QDate(day.year, day.month, day.day))
        self.calendar.adjustSize()
        self.calendar.move(self.field.mapToGlobal(QPoint(0, self.field.height())))
        self.calendar.show()
        self.calendar.setFocus(Qt.FocusReason.PopupFocusReason)

    def _picked(self, day: QDate) -> None:
        self.calendar.hide()
        self.field.setText(day.toString(DATE_SHOWN))
        self.field.setFocus(Qt.FocusReason.PopupFocusReason)
        self.picked.emit()


class OptionalDate(QWidget):
    """A day that may be left unset (a due date, a consent date): a box to tick, then the day
    typed or picked from the calendar."""

    changed = Signal()

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = QCheckBox(label)
        self.picker = DayPicker()
        self.edit = self.picker.field
        self.edit.set_day(clock.today())
        self.picker.setEnabled(False)
        self.check.toggled.connect(self.picker.setEnabled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.picker)
        layout.addStretch(1)
        self.check.setAccessibleName(label)
        self.picker.set_names(label)
        self.setFocusProxy(self.check)
        self.check.toggled.connect(self.changed)
        self.edit.editingFinished.connect(self.changed)
        self.picker.picked.connect(self.changed)

    @guarded
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt name)
        """A click on the greyed day means 'this day is set': the box ticks and the day takes the
        keys (a disabled field took the click and did nothing)."""
        if not self.check.isChecked() and self.picker.geometry().contains(event.position().toPoint()):
            self.check.setChecked(True)
            self.edit.setFocus(Qt.FocusReason.MouseFocusReason)
            self.edit.selectAll()
            return
        super().mousePressEvent(event)

    def refusal(self) -> str:
        return unreadable_day(self.edit.text()) if self.check.isChecked() and self.edit.day() is None else ""

    def value(self) -> str | None:
        """The day as stored (yyyy-mm-dd), None when unticked; what was typed when it cannot be read."""
        if not self.check.isChecked():
            return None
        day = self.edit.day()
        return day.isoformat() if day is not None else self.edit.text().strip()

    def set_value(self, value: str | None) -> None:
        self.check.setChecked(bool(value))
        if value:
            day = read_day(value[:10])
            if day is not None:
                self.edit.set_day(day)
            else:
                self.edit.setText(value)


class DateTimeField(QWidget):
    """The day (with its calendar) and the time of an event's start or end."""

    dateTimeChanged = Signal(QDateTime)  # noqa: N815 (as Qt's date-time edit names it)
    timeLeft = Signal()  # noqa: N815 (the person left the day or the time, read or not)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.day = DayPicker()
        self.date, self.calendar, self.calendar_button = self.day.field, self.day.calendar, self.day.button
        self.time = TimeField()
        self.set_names(name)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.day)
        layout.addWidget(self.time)
        layout.addStretch(1)
        self.setFocusProxy(self.date)  # the label's shortcut goes to the day, Tab then to the time
        self._shown = self.dateTime()
        self.date.editingFinished.connect(self._left)
        self.day.picked.connect(self._left)
        self.time.editingFinished.connect(self._left)
        # the end follows the start as it is typed, each time what is typed so far can be read
        self.date.textEdited.connect(self._changed)
        self.time.textEdited.connect(self._changed)

    def set_names(self, name: str) -> None:
        """What a screen reader says for each part."""
        self.setAccessibleName(name)
        self.day.set_names(name)
        self.time.setAccessibleName(f"{name}: time")

    def dateTime(self) -> QDateTime:  # noqa: N802 (as Qt's date-time edit names it)
        """The day and time shown; not valid while either cannot be read."""
        day, read = self.date.day(), self.time.time()
        if day is None or read is None:
            return QDateTime()
        return QDateTime(QDate(day.year, day.month, day.day), QTime(read.hour, read.minute))

    def setDateTime(self, value: QDateTime) -> None:  # noqa: N802 (as Qt's date-time edit names it)
        self.time.setText(value.time().toString("HH:mm"))
        self.date.setText(value.date().toString(DATE_SHOWN))
        self._changed()

    def refusal(self) -> str:
        """What is wrong with the day or time typed, in a sentence; empty when both read."""
        if self.date.day() is None:
            return unreadable_day(self.date.text())
        if self.time.time() is None:
            return unreadable_time(self.time.text())
        return ""

    def value(self) -> str:
        """'yyyy-MM-ddTHH:mm' as stored; what was typed, when it cannot be read."""
        day, read = self.date.day(), self.time.time()
        return (f"{day.isoformat() if day else self.date.text().strip()}T"
                f"{read.strftime('%H:%M') if read else self.time.text().strip()}")

    def set_value(self, text: str) -> None:
        try:
            parsed = datetime.fromisoformat(text).replace(tzinfo=None)
        except ValueError:  # typing that could not be read, given back as it was
            day, _, typed = text.partition("T")
            self.date.setText(day)
            self.time.setText(typed)
            return
        self.setDateTime(QDateTime(parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute, 0))

    def _left(self) -> None:
        self._changed()
        self.timeLeft.emit()

    def _changed(self, *_args: object) -> None:
        now = self.dateTime()
        if now.isValid() and now != self._shown:
            self._shown = now
            self.dateTimeChanged.emit(now)
