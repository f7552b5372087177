"""Create and edit forms for members, events and tasks, with the refusal shown next to the
field it is about (ValidationError.field says which)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import available_timezones

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from organiser.core.errors import ValidationError
from organiser.services import clock
from organiser.services.clock import local_tz_name
from organiser.services.events import Event
from organiser.services.group import Group
from organiser.services.members import Member
from organiser.services.tasks import STATUSES, Task
from organiser.ui.models.members import WORKING_GROUP_PREFIX, is_working_group, working_group_name
from organiser.ui.models.tasks import STATUS_LABELS
from organiser.ui.widgets import OptionalDate, RecordPicker, error_colour


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
        self.general_error = QLabel()
        self.general_error.setWordWrap(True)
        self.general_error.hide()

    def add(self, name: str, label: str, widget: QWidget) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        error = QLabel()
        error.setWordWrap(True)
        error.setObjectName(f"error-{name}")
        error.setStyleSheet(f"color: {error_colour(self)};")
        error.hide()
        column.addWidget(error)
        text = QLabel(label)
        text.setBuddy(widget)
        self.layout_.addRow(text, box)
        widget.setAccessibleName(label.replace("&", "").rstrip(":"))
        self.fields[name] = widget
        self.errors[name] = error
        return widget

    def clear_errors(self) -> None:
        for label in self.errors.values():
            label.hide()
        self.general_error.hide()

    def show_error(self, exc: ValidationError) -> None:
        """Put the message under its field (or at the bottom when no field matches)."""
        self.clear_errors()
        name = exc.field
        label = self.errors.get(name) or self.errors.get(self.aliases().get(name, ""))
        if label is None:
            label = self.general_error
            label.setStyleSheet(f"color: {error_colour(self)};")
            if self.layout_.indexOf(label) < 0:
                self.layout_.addRow(label)
        label.setText(exc.message)
        label.show()
        widget = self.fields.get(name) or self.fields.get(self.aliases().get(name, ""))
        if widget is not None:
            widget.setFocus()

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
        self.consent_email = self.add("consent_email", "Consent", QCheckBox("may be contacted by &email"))
        self.consent_phone = self.add("consent_phone", "", QCheckBox("may be contacted by p&hone"))
        self.consent_phone.setAccessibleName("Consent to phone")
        self.consent_email.setAccessibleName("Consent to email")
        self.consent_date = self.add("consent_date", "Consent date", OptionalDate("given on"))
        self.joined = self.add("joined", "&Joined", OptionalDate("joined on"))
        self.notes = self.add("notes", "N&otes", QPlainTextEdit())
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(90)

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
                "skills": _split(self.skills.text()), "notes": self.notes.toPlainText(),
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


def _qdt(text: str) -> QDateTime:
    parsed = datetime.fromisoformat(text).replace(tzinfo=None)
    return QDateTime(parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute, 0)


def _iso(edit: QDateTimeEdit) -> str:
    return edit.dateTime().toString("yyyy-MM-ddTHH:mm")


class EventForm(RecordForm):
    kind = "event"

    def __init__(self, group: Group, parent: QWidget | None = None) -> None:
        super().__init__(group, parent)
        self.title = self.add("title", "&Title", QLineEdit())
        self.start = self.add("start", "&Starts", QDateTimeEdit())
        self.end = self.add("end", "&Ends", QDateTimeEdit())
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.tz = self.add("tz", "Time &zone", QComboBox())
        self.tz.setEditable(True)
        self.tz.addItems(sorted(available_timezones()))
        self.location = self.add("location", "&Location", QLineEdit())
        self.capacity = self.add("capacity", "&Capacity", QSpinBox())
        self.capacity.setRange(0, 100000)
        self.capacity.setSpecialValueText("no limit")
        self.status = self.add("status", "Stat&us", QComboBox())
        self.status.addItems(["scheduled", "cancelled"])
        self.description = self.add("description", "&Description", QPlainTextEdit())
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(110)
        start = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1, hours=1)
        self.set_values({"title": "", "start": start.isoformat(timespec="minutes"), "end": None,
                         "tz": local_tz_name(), "location": "", "capacity": None, "status": "scheduled",
                         "description": ""})

    def to_values(self, e: Event) -> dict[str, Any]:
        start = e.start_dt
        end = datetime.fromisoformat(e.end).replace(tzinfo=None) if e.end else start + timedelta(hours=2)
        return {"title": e.title, "start": start.isoformat(timespec="minutes"),
                "end": end.isoformat(timespec="minutes"), "tz": e.tz or local_tz_name(), "location": e.location,
                "capacity": e.capacity, "status": e.status, "description": e.description}

    def set_values(self, v: dict[str, Any]) -> None:
        self.title.setText(v.get("title", ""))
        self.start.setDateTime(_qdt(v["start"]))
        end = v.get("end") or (datetime.fromisoformat(v["start"]) + timedelta(hours=2)).isoformat()
        self.end.setDateTime(_qdt(end))
        self.tz.setCurrentText(v.get("tz") or local_tz_name())
        self.location.setText(v.get("location", ""))
        self.capacity.setValue(v.get("capacity") or 0)
        self.status.setCurrentText(v.get("status") or "scheduled")
        self.description.setPlainText(v.get("description", ""))

    def values(self) -> dict[str, Any]:
        return {"title": self.title.text(), "start": _iso(self.start), "end": _iso(self.end),
                "tz": self.tz.currentText().strip(), "location": self.location.text(),
                "capacity": self.capacity.value() or None, "status": self.status.currentText(),
                "description": self.description.toPlainText()}

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
        self.due = self.add("due", "D&ue", OptionalDate("due on"))
        self.priority = self.add("priority", "&Priority", QSpinBox())
        self.priority.setRange(0, 9)
        self.event_picker = self.add("event", "For &event",
                                     RecordPicker(group, "event", "title", "type an event's title"))
        self.description = self.add("description", "&Description", QPlainTextEdit())
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(110)

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
        return {"title": self.title.text(), "status": self.status.currentData(), "assignee": self.assignee.value(),
                "due": self.due.value(), "priority": self.priority.value(), "event": self.event_picker.value(),
                "description": self.description.toPlainText()}

    def load(self, record_id: str) -> Task:
        return self.group.tasks.get(record_id)

    def create(self, values: dict[str, Any]) -> str:
        v = dict(values)
        return self.group.tasks.add(v.pop("title"), **v).id

    def update(self, record_id: str, values: dict[str, Any]) -> None:
        self.group.tasks.edit(record_id, **values)


FORMS: dict[str, type[RecordForm]] = {"member": MemberForm, "event": EventForm, "task": TaskForm}
__all__ = ["FORMS", "EventForm", "MemberForm", "RecordForm", "TaskForm"]
