"""Create and edit forms for members, events and tasks, with the refusal shown next to the
field it is about (ValidationError.field says which)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import available_timezones

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import ValidationError
from organiser.core.field_rules import without_control_characters
from organiser.core.records import KINDS, validate
from organiser.core.working_groups import WORKING_GROUP_PREFIX, is_working_group, working_group_name
from organiser.services import clock
from organiser.services.clock import local_tz_name
from organiser.services.events import Event, suggested_start
from organiser.services.group import Group
from organiser.services.members import Member
from organiser.services.tasks import STATUSES, Task
from organiser.ui.date_time_fields import DateTimeField, OptionalDate, unreadable_day
from organiser.ui.models.tasks import STATUS_LABELS
from organiser.ui.spoken import voice
from organiser.ui.widgets import RecordPicker, SteadyLine, error_colour
from organiser.ui.wording import people_words

EVENT_STATUS_LABELS = {"scheduled": "Scheduled", "cancelled": "Cancelled"}
PRIORITY_SUFFIX = " of 9 (9 is most urgent)"


def _change_signals(widget: QWidget) -> list[Any]:
    if isinstance(widget, QLineEdit | QPlainTextEdit):
        return [widget.textChanged]
    if isinstance(widget, DateTimeField):
        return [widget.dateTimeChanged, widget.timeLeft]
    if isinstance(widget, QComboBox):
        return [widget.currentTextChanged]
    if isinstance(widget, QSpinBox):
        return [widget.valueChanged]
    if isinstance(widget, QCheckBox):
        return [widget.toggled]
    if isinstance(widget, OptionalDate):
        return [widget.changed]
    return []


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


class RecordForm(QWidget):
    """Fields in a form layout, each with a (hidden) message line under it."""

    kind = ""

    def __init__(self, group: Group, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = group
        self.layout_ = QFormLayout(self)
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.layout_.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.labels: dict[str, str] = {}
        self.general_error = QLabel()
        self.general_error.setWordWrap(True)
        self.general_error.hide()

    def add(self, name: str, label: str, widget: QWidget) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        # A day or time is refused on leaving it, while the person goes on to the next field: its line
        # is kept from the start, or the fields below would move down under the pointer. Other
        # messages come at Save (the pointer on Save, which stays where it is).
        said_on_leaving = isinstance(widget, DateTimeField | OptionalDate)
        error = SteadyLine(unreadable_day("31/13/2031")) if said_on_leaving else QLabel()
        error.setWordWrap(True)
        error.setObjectName(f"error-{name}")
        error.setStyleSheet(f"color: {error_colour(self)};")
        error.setVisible(said_on_leaving)
        if isinstance(widget, OptionalDate):  # a day left unset has nothing to refuse: room only once ticked
            error.setVisible(widget.check.isChecked())
            widget.check.toggled.connect(error.setVisible)
        column.addWidget(error)
        text = QLabel(label)
        text.setBuddy(widget)
        self.layout_.addRow(text, box)
        widget.setAccessibleName(label.replace("&", "").rstrip(":"))
        self.fields[name] = widget
        self.errors[name] = error
        self.labels[name] = label.replace("&", "").rstrip(":")
        for signal in _change_signals(widget):
            signal.connect(self._recheck)
        if isinstance(widget, DateTimeField | OptionalDate):  # said on leaving the field, not only at Save
            left = widget.timeLeft if isinstance(widget, DateTimeField) else widget.changed
            left.connect(lambda name=name, widget=widget: self._say_if_unreadable(name, widget))
        return widget

    def _say_if_unreadable(self, name: str, field: DateTimeField | OptionalDate) -> None:
        if field.refusal():
            label = self.errors[name]
            said_before = not label.isHidden() and label.text() == field.refusal()
            label.setText(field.refusal())
            label.show()
            if not said_before:  # said as the field is left, once: not again for each later field
                voice.say(label, f"{self.labels[name]}: {field.refusal()}", urgent=True)

    def unreadable(self) -> list[ValidationError]:
        """Days and times typed that cannot be read, refused in the form's own words."""
        return [ValidationError(name, field.refusal()) for name, field in self.fields.items()
                if isinstance(field, DateTimeField | OptionalDate) and field.refusal()]

    def focus_first(self) -> None:
        """Typing starts in the first field, not on the scroll area around the form."""
        first = next(iter(self.fields.values()), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def clear_errors(self) -> None:
        for label in [*self.errors.values(), self.general_error]:
            label.setMinimumHeight(0)
            if isinstance(label, SteadyLine):
                label.setText("")  # its room stays
            else:
                label.hide()

    def problems(self) -> list[ValidationError]:
        """Every refusal the form's values would meet, one per field, checked before saving so a
        person sees them all at once (the service stops at the first)."""
        found = self.unreadable()
        spec = KINDS[self.kind]
        values = self.values()
        for name, value in values.items():
            if name not in spec.by_name or spec.by_name[name].type.startswith("ref:"):
                continue  # pickers say for themselves whether a name was picked
            if any(e.field == name for e in found):
                continue  # typing that cannot be read is said as such
            try:
                validate(self.kind, {name: value}, current={})
            except ValidationError as exc:
                found.append(exc)
        if not any(e.field in ("start", "end") for e in found):
            try:
                validate(self.kind, {k: v for k, v in values.items() if k in ("start", "end")}, current={})
            except ValidationError as exc:
                found.append(exc)
        return found + self.picker_problems()

    def picker_problems(self) -> list[ValidationError]:
        return []

    def show_errors(self, problems: list[ValidationError], *, focus: bool = True) -> None:
        """Each message under its field, in people's words; the first field with one gets the focus."""
        self.clear_errors()
        first: QWidget | None = None
        for exc in problems:
            name = self.aliases().get(exc.field, exc.field)
            label = self.errors.get(name)
            if label is None:
                label = self.general_error
                label.setStyleSheet(f"color: {error_colour(self)};")
                if self.layout_.indexOf(label) < 0:
                    self.layout_.addRow(label)
            label.setText(self.in_words(exc, name))
            label.show()
            first = first or self.fields.get(name)
        # Said as well as shown, each time Save is refused: the red lines under the fields were
        # painted only, and a person on Orca pressed Save and heard nothing happen.
        voice.say(self, " ".join(dict.fromkeys(self._said_problems())), urgent=True)
        if focus and first is not None:
            first.setFocus()

    def _said_problems(self) -> list[str]:
        """The messages on show, in the form's order, each with the field it is about."""
        said = []
        for name, label in self.errors.items():
            if not label.isHidden() and label.text():
                said.append(f"{self.labels[name]}: {label.text()}")
        if not self.general_error.isHidden() and self.general_error.text():
            said.append(self.general_error.text())
        return said

    def show_error(self, exc: ValidationError) -> None:
        """A refusal from the service (after the form's own checks passed)."""
        self.show_errors([exc])

    def in_words(self, exc: ValidationError, name: str) -> str:
        """The service's sentence without its field name, and in the words on the form's label."""
        if any(exc.message == own.message for own in self.unreadable()):
            return exc.message
        if exc.field == "end" and "before it starts" in exc.message:
            return "The event ends before it starts: choose an end after the start."
        text = people_words(exc.message)
        spec = KINDS[self.kind].by_name.get(exc.field)
        shown = self.labels.get(name, "").casefold()
        if spec is not None and shown and spec.label != shown:
            text = text.replace(spec.label, shown)
        return text

    def _recheck(self, *_args: object) -> None:
        """Once errors are on show, each goes away as soon as its field is put right, keeping its
        place until the next Save: fields that moved as a person typed were clicked in the gap
        (Phone moved up under the pointer as the email's message went). A field that has no message
        gets none while being typed in; Save says it."""
        shown = [label for label in [*self.errors.values(), self.general_error]
                 if not label.isHidden() and (label.text() or label.minimumHeight() > 0)]  # a kept line is empty
        if not shown:
            return
        still: dict[QLabel, str] = {}
        for exc in self.problems():
            name = self.aliases().get(exc.field, exc.field)
            still.setdefault(self.errors.get(name, self.general_error), self.in_words(exc, name))
        for label in shown:
            if label in still:
                label.setText(still[label])
            elif label.text():
                label.setMinimumHeight(label.height())  # the fields below stay where they are
                label.setText("")

    def aliases(self) -> dict[str, str]:
        return {}

    def error_text(self, name: str) -> str:
        label = self.errors.get(name)
        return label.text() if label is not None and not label.isHidden() else ""

    # Subclasses: to_values(record) -> dict, set_values(dict), values() -> dict, save(...)
    def to_values(self, record: Any) -> dict[str, Any]:
        raise NotImplementedError

    def set_values(self, values: dict[str, Any]) -> None:
        raise NotImplementedError

    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    def load(self, record_id: str) -> Any:
        raise NotImplementedError

    def create(self, values: dict[str, Any]) -> str:
        raise NotImplementedError

    def update(self, record_id: str, values: dict[str, Any]) -> None:
        raise NotImplementedError


NAME_PART_LABELS = {"family_name": "Fa&mily name", "given_name": "&Given name", "additional_names": "A&dditional names",
                    "name_prefix": "Prefi&x", "name_suffix": "S&uffix"}


class MemberForm(RecordForm):
    kind = "member"

    def __init__(self, group: Group, parent: QWidget | None = None) -> None:
        super().__init__(group, parent)
        self.name = self.add("name", "&Name", QLineEdit())
        # the structure of the name (vCard's N, sorting by surname), never guessed from the display name
        self.name_parts = {key: self.add(key, label, QLineEdit()) for key, label in NAME_PART_LABELS.items()}
        self.emails = self.add("emails", "&Email", QLineEdit())
        self.emails.setPlaceholderText("one or more, separated by commas")
        self.phones = self.add("phones", "&Phone", QLineEdit())
        self.roles = self.add("roles", "&Roles", QLineEdit())
        self.roles.setPlaceholderText("e.g. facilitator, treasurer")
        self.working_groups = self.add("working_groups", "&Working groups", QLineEdit())
        self.working_groups.setPlaceholderText("e.g. Housing, Outreach")
        self.skills = self.add("skills", "S&kills", QLineEdit())
        # Alt+L: Alt+E is Email's
        self.consent_email = self.add("consent_email", "Contact", QCheckBox("agreed to be contacted by emai&l"))
        self.consent_phone = self.add("consent_phone", "", QCheckBox("agreed to be contacted by p&hone"))
        # What the tick does, where a newcomer decides it (the law's word 'consent' said neither)
        meaning = QLabel("Tick only what they said yes to. Copy emails… leaves out anyone not ticked for email.")
        meaning.setObjectName("consent-meaning")
        meaning.setWordWrap(True)
        cast(QVBoxLayout, self.consent_phone.parentWidget().layout()).insertWidget(1, meaning)
        self.consent_phone.setAccessibleName("Consent to phone")
        self.consent_email.setAccessibleName("Consent to email")
        self.consent_date = self.add("consent_date", "Agreed on", OptionalDate("they agreed on"))
        self.joined = self.add("joined", "&Joined", OptionalDate("joined on"))
        ticks = (self.consent_date.check, self.joined.check)
        for tick in ticks:  # the two days one under the other
            tick.setMinimumWidth(max(t.sizeHint().width() for t in ticks))
        for consent in (self.consent_email, self.consent_phone):
            consent.clicked.connect(self._consent_given_today)  # a person's tick, not a record loaded
        self.notes = self.add("notes", "N&otes", QPlainTextEdit())
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(90)

    def _consent_given_today(self, ticked: bool) -> None:
        """Consent given now was given today: its date says so, until the person changes it."""
        if ticked and self.consent_date.value() is None:
            self.consent_date.set_value(clock.today().isoformat())

    def to_values(self, m: Member) -> dict[str, Any]:
        return {"name": m.name, "emails": list(m.emails), "phones": list(m.phones),
                "roles": sorted(m.roles, key=str.casefold), "skills": list(m.skills), "notes": m.notes,
                "consent_email": m.consent_email, "consent_phone": m.consent_phone,
                "consent_date": m.consent_date, "joined": m.joined,
                **{key: getattr(m, key) for key in NAME_PART_LABELS}}

    def set_values(self, v: dict[str, Any]) -> None:
        self.name.setText(v.get("name", ""))
        for key, edit in self.name_parts.items():
            edit.setText(v.get(key) or "")
        self.emails.setText(", ".join(v.get("emails", [])))
        self.phones.setText(", ".join(v.get("phones", [])))
        roles = v.get("roles", [])
        self.roles.setText(", ".join(r for r in roles if not is_working_group(r)))
        self.working_groups.setText(", ".join(working_group_name(r) for r in roles if is_working_group(r)))
        self.skills.setText(", ".join(v.get("skills", [])))
        self.notes.setPlainText(v.get("notes", ""))
        self.consent_email.setChecked(bool(v.get("consent_email")))
        self.consent_phone.setChecked(bool(v.get("consent_phone")))
        self.consent_date.set_value(v.get("consent_date"))
        self.joined.set_value(v.get("joined"))

    def values(self) -> dict[str, Any]:
        roles = _split(self.roles.text()) + [f"{WORKING_GROUP_PREFIX} {g}" for g in _split(self.working_groups.text())]
        return {"name": self.name.text(), "emails": _split(self.emails.text()),
                "phones": _split(self.phones.text()), "roles": sorted(roles, key=str.casefold),
                "skills": _split(self.skills.text()), "notes": without_control_characters(self.notes.toPlainText()),
                "consent_email": self.consent_email.isChecked(), "consent_phone": self.consent_phone.isChecked(),
                "consent_date": self.consent_date.value(), "joined": self.joined.value(),
                **{key: edit.text() for key, edit in self.name_parts.items()}}

    def load(self, record_id: str) -> Member:
        return self.group.members.get(record_id)

    def create(self, values: dict[str, Any]) -> str:
        v = dict(values)
        return self.group.members.add(v.pop("name"), **v).id

    def update(self, record_id: str, values: dict[str, Any]) -> None:
        self.group.members.edit(record_id, **values)


class EventForm(RecordForm):
    kind = "event"

    def __init__(self, group: Group, parent: QWidget | None = None) -> None:
        super().__init__(group, parent)
        self.title = self.add("title", "&Title", QLineEdit())
        self.start = self.add("start", "&Starts", DateTimeField("Starts"))
        self.end = self.add("end", "&Ends", DateTimeField("Ends"))
        for name, field in (("start", self.start), ("end", self.end)):
            field.set_names(self.labels[name])  # add() named the whole; the day and the time each get theirs
        self.tz = self.add("tz", "Time &zone", QComboBox())
        self.tz.setEditable(True)
        self.tz.addItems(sorted(available_timezones()))
        self.location = self.add("location", "&Location", QLineEdit())
        self.capacity = self.add("capacity", "&Places", QSpinBox())
        self.capacity.setRange(0, 100000)
        self.capacity.setSpecialValueText("no limit")
        self.status = self.add("status", "Stat&us", QComboBox())
        for status, words in EVENT_STATUS_LABELS.items():  # in words; the stored value stays
            self.status.addItem(words, status)
        self.description = self.add("description", "&Description", QPlainTextEdit())
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(110)
        self._start_shown = self.start.dateTime()
        self.start.dateTimeChanged.connect(self._move_end_with_start)
        start = suggested_start(clock.now())
        self.set_values({"title": "", "start": start.isoformat(timespec="minutes"), "end": None,
                         "tz": local_tz_name(), "location": "", "capacity": None, "status": "scheduled",
                         "description": ""})

    def _move_end_with_start(self, start: QDateTime) -> None:
        """Moving the start keeps the event as long as it was: the end moves by as much."""
        moved = self._start_shown.secsTo(start)
        self._start_shown = start
        if moved and self.end.dateTime().isValid():
            self.end.setDateTime(self.end.dateTime().addSecs(moved))

    def to_values(self, e: Event) -> dict[str, Any]:
        start = e.start_dt
        end = datetime.fromisoformat(e.end).replace(tzinfo=None) if e.end else start + timedelta(hours=2)
        return {"title": e.title, "start": start.isoformat(timespec="minutes"),
                "end": end.isoformat(timespec="minutes"), "tz": e.tz or local_tz_name(), "location": e.location,
                "capacity": e.capacity, "status": e.status, "description": e.description}

    def set_values(self, v: dict[str, Any]) -> None:
        self.title.setText(v.get("title", ""))
        self.start.set_value(v["start"])
        self._start_shown = self.start.dateTime()
        end = v.get("end")
        if not end:
            start = self.start.dateTime().toPython() if self.start.dateTime().isValid() else clock.now()
            end = (start + timedelta(hours=2)).isoformat(timespec="minutes")
        self.end.set_value(end)
        self.tz.setCurrentText(v.get("tz") or local_tz_name())
        self.location.setText(v.get("location", ""))
        self.capacity.setValue(v.get("capacity") or 0)
        self.status.setCurrentIndex(max(0, self.status.findData(v.get("status") or "scheduled")))
        self.description.setPlainText(v.get("description", ""))

    def values(self) -> dict[str, Any]:
        return {"title": without_control_characters(self.title.text()), "start": self.start.value(),
                "end": self.end.value(), "tz": self.tz.currentText().strip(),
                "location": without_control_characters(self.location.text()),
                "capacity": self.capacity.value() or None, "status": self.status.currentData(),
                "description": without_control_characters(self.description.toPlainText())}

    def load(self, record_id: str) -> Event:
        return self.group.events.get(record_id)

    def create(self, values: dict[str, Any]) -> str:
        v = dict(values)
        return self.group.events.add(v.pop("title"), v.pop("start"), **v).id

    def update(self, record_id: str, values: dict[str, Any]) -> None:
        self.group.events.edit(record_id, **values)


class TaskForm(RecordForm):
    kind = "task"

    def __init__(self, group: Group, parent: QWidget | None = None) -> None:
        super().__init__(group, parent)
        self.title = self.add("title", "&Title", QLineEdit())
        self.status = self.add("status", "Stat&us", QComboBox())
        for status in STATUSES:
            self.status.addItem(STATUS_LABELS[status], status)
        self.assignee = self.add("assignee", "&Assigned to",
                                 RecordPicker(group, "member", "name", "type a member's name"))
        self.due = self.add("due", "Du&e", OptionalDate("due on"))  # Alt+U is Status
        self.priority = self.add("priority", "&Priority", QSpinBox())
        self.priority.setRange(0, 9)
        # which way is urgent, said where the number is: 9 is the most urgent
        self.priority.setSpecialValueText("none")
        self.priority.setSuffix(PRIORITY_SUFFIX)
        self.priority.setToolTip("From 1 (least urgent) to 9 (most urgent); none: no priority. On the same "
                                 "due date, the more urgent task comes first.")
        self.event_picker = self.add("event", "For e&vent",
                                     RecordPicker(group, "event", "title", "type an event's title"))
        self.description = self.add("description", "&Description", QPlainTextEdit())
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(110)

    def picker_problems(self) -> list[ValidationError]:
        found = []
        for name, picker, what in (("assignee", self.assignee, "member"), ("event", self.event_picker, "event")):
            text = picker.text().strip()
            if text and not picker.is_known():
                found.append(ValidationError(name, f"No {what} called “{text}”: pick one from the list that "
                                                   "opens as you type, or leave this empty."))
        return found

    def in_words(self, exc: ValidationError, name: str) -> str:
        if name in ("assignee", "event") and exc.message.startswith("No "):
            return exc.message
        return super().in_words(exc, name)

    def to_values(self, t: Task) -> dict[str, Any]:
        return {"title": t.title, "status": t.status, "assignee": t.assignee, "due": t.due,
                "priority": t.priority, "event": t.event, "description": t.description}

    def set_values(self, v: dict[str, Any]) -> None:
        self.title.setText(v.get("title", ""))
        self.status.setCurrentIndex(max(0, self.status.findData(v.get("status") or "todo")))
        self.assignee.set_record(v.get("assignee"))
        self.due.set_value(v.get("due"))
        self.priority.setValue(v.get("priority") or 0)
        self.event_picker.set_record(v.get("event"))
        self.description.setPlainText(v.get("description", ""))

    def values(self) -> dict[str, Any]:
        return {"title": without_control_characters(self.title.text()), "status": self.status.currentData(),
                "assignee": self.assignee.value(),
                "due": self.due.value(), "priority": self.priority.value(), "event": self.event_picker.value(),
                "description": without_control_characters(self.description.toPlainText())}

    def load(self, record_id: str) -> Task:
        return self.group.tasks.get(record_id)

    def create(self, values: dict[str, Any]) -> str:
        v = dict(values)
        return self.group.tasks.add(v.pop("title"), **v).id

    def update(self, record_id: str, values: dict[str, Any]) -> None:
        self.group.tasks.edit(record_id, **values)


FORMS: dict[str, type[RecordForm]] = {"member": MemberForm, "event": EventForm, "task": TaskForm}
__all__ = ["FORMS", "EventForm", "MemberForm", "RecordForm", "TaskForm"]
