"""The create/edit dialog around a form. While it is open it watches the record: if a peer
changes it, the dialog says so, and saving never silently overwrites their change."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QScrollArea, QVBoxLayout, QWidget

from organiser.core.bus import RecordsChanged
from organiser.core.errors import NotFoundError, OrganiserError, ValidationError
from organiser.core.records import KINDS
from organiser.services.group import Group
from organiser.ui.bridge import Bridge
from organiser.ui.forms import FORMS, RecordForm
from organiser.ui.models.group import show_value
from organiser.ui.overrides import guarded
from organiser.ui.widgets import Banner, size_on_screen
from organiser.ui.wording import as_typed

TRAIT_KINDS = {"member_role", "member_skill"}


class RecordDialog(QDialog):
    def __init__(self, group: Group, bridge: Bridge | None, kind: str, record_id: str | None = None,
                 parent: QWidget | None = None, initial: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.group, self.kind, self.record_id = group, kind, record_id
        self.saved_id: str | None = None
        label = KINDS[kind].label
        self.setWindowTitle(f"Edit {label}" if record_id else f"New {label}")
        self.form: RecordForm = FORMS[kind](group)
        self.banner = Banner()
        self.banner.setObjectName("peer-change-banner")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields, which it scrolls to
        page = QWidget()  # keeps the form at its natural height; the space left goes below it
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.form)
        column.addStretch(1)
        scroll.setWidget(page)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)
        self.snapshot: dict[str, Any] = {}
        self.theirs: dict[str, Any] = {}
        if record_id:
            self.snapshot = self.form.to_values(self.form.load(record_id))
            self.form.set_values(self.snapshot)
        else:
            if initial:
                self.form.set_values({**self.form.values(), **initial})
            self.snapshot = self.form.values()
        self._unwatch = None
        if bridge is not None and record_id:
            bridge.recordsChanged.connect(self._on_records_changed)
            self._unwatch = lambda: bridge.recordsChanged.disconnect(self._on_records_changed)
        self.finished.connect(self._stop_watching)
        self._focused = False
        size_on_screen(self, 520, 560 if kind == "member" else 480)

    def _stop_watching(self) -> None:
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None

    def _touches_me(self, event: RecordsChanged) -> bool:
        if self.record_id in event.ids:
            return True
        return self.kind == "member" and bool(event.kinds & TRAIT_KINDS)

    def _on_records_changed(self, event: RecordsChanged) -> None:
        if event.origin != "remote" or not self.record_id or not self._touches_me(event):
            return
        try:
            current = self.form.to_values(self.form.load(self.record_id))
        except NotFoundError:
            self.banner.show_message("Someone on another laptop deleted this record while you were editing. "
                                     "Saving will fail; copy anything you want to keep.")
            return
        changed = {k: v for k, v in current.items() if self.snapshot.get(k) != v}
        if changed:
            self._take_their_change(changed)

    def _take_their_change(self, changed: dict[str, Any]) -> None:
        """Show another device's change where you had not typed, remember it where you had, and say so."""
        mine = self._my_changes()  # against what the form showed before their change
        self.theirs.update(changed)
        self.snapshot.update(changed)
        clashing = [k for k in changed if k in mine and mine[k] != changed[k]]
        untouched = {k: v for k, v in changed.items() if k not in mine}
        if untouched:
            self.form.set_values({**self.form.values(), **untouched})
        text = f"Someone on another laptop just changed {', '.join(self._label(k) for k in changed)}."
        if clashing:
            text += (f" You changed {', '.join(self._label(k) for k in clashing)} too: you will be asked "
                     "which to keep when you save.")
        else:
            text += " Their change is shown below; your own edits are kept."
        self.banner.show_message(text)

    def _save_edit(self, record_id: str) -> None:
        """Write the fields you changed; where another device changed one too, yours only if you say so."""
        mine = self._my_changes()
        clashing = [k for k in mine if k in self.theirs]
        if clashing and not self._confirm_overwrite(clashing):
            for k in clashing:
                mine.pop(k)
        if mine:
            self.form.update(record_id, mine)

    def _label(self, name: str) -> str:
        """The field as the form's label names it (not the record's internal name)."""
        if name in self.form.labels and self.form.labels[name]:
            return self.form.labels[name].casefold()
        spec = KINDS[self.kind].by_name.get(name)
        return spec.label if spec else name.replace("_", " ")

    def _my_changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.form.values().items() if self.snapshot.get(k) != v}

    @guarded
    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if not self._focused:  # once: typing starts in the first field, not on the scroll area
            self._focused = True
            self.form.focus_first()

    @guarded
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        """Escape is easily pressed once too often (the first closes a drop-down or a list of
        names): with something typed, it asks before the form and the typing go. Cancel does not."""
        if event.key() == Qt.Key.Key_Escape and self._my_changes():
            label = KINDS[self.kind].label
            answer = QMessageBox.question(self, "Discard what you typed?",
                                          f"Close this {label} without saving what you typed?",
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return
        super().keyPressEvent(event)

    def save(self) -> None:
        self.form.clear_errors()
        problems = self.form.problems()
        if problems:
            self.form.show_errors(problems)
            return
        try:
            if self.record_id is None:
                self.saved_id = self.form.create(self.form.values())
            else:
                self._save_edit(self.record_id)
                self.saved_id = self.record_id
        except ValidationError as exc:
            self.form.show_error(exc)
            return
        except OrganiserError as exc:
            QMessageBox.warning(self, "Could not save", as_typed(str(exc)[:1].upper() + str(exc)[1:]))
            return
        self.accept()

    def _confirm_overwrite(self, fields: list[str]) -> bool:
        names = ", ".join(self._label(k) for k in fields)
        mine_now = self.form.values()
        both = "".join(f"<p><b>{html.escape(self._label(k).capitalize())}</b><br>"
                       f"yours: “{html.escape(show_value(mine_now.get(k)))}”<br>"
                       f"theirs: “{html.escape(show_value(self.theirs.get(k)))}”</p>" for k in fields)
        box = QMessageBox(QMessageBox.Icon.Question, "Changed on another device",
                          f"<p>Someone on another laptop changed {html.escape(names)} while you were editing. "
                          f"Which value should be kept?</p>{both}", parent=self)
        box.setTextFormat(Qt.TextFormat.RichText)
        mine = box.addButton("Keep mine", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Keep theirs", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is mine
