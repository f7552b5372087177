"""What a screen reader (Orca, through Qt's accessibility bridge) says: names for controls Qt
makes without one, and results said as they happen."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAction
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from organiser.ui.overrides import guarded

log = logging.getLogger(__name__)

CLEAR_SEARCH = "Clear search"
QT_CLEAR_ACTION = "_q_qlineeditclearaction"  # the object name Qt gives a line edit's clear action


def with_clear_button(edit: QLineEdit, name: str = CLEAR_SEARCH) -> None:
    """The field's clear button (the cross at its end), named: Qt makes it without text, and
    Orca said "button" and nothing more. The name goes on the button, not its action: an
    action with text made the field 26 points wider, and the Tasks view too wide for 200 %."""
    edit.setClearButtonEnabled(True)
    action = edit.findChild(QAction, QT_CLEAR_ACTION)
    buttons = [each for each in (action.associatedObjects() if action else []) if isinstance(each, QWidget)]
    if not buttons:  # another Qt makes it otherwise: the button works, unnamed
        log.warning("no clear button found in %s: it has no name", edit.accessibleName())
    for button in buttons:
        button.setAccessibleName(name)
        button.setToolTip(name)


class Voice(QObject):
    """Asks the screen reader to say a result now (Qt's announcement event: AT-SPI's
    object:announcement, which Orca speaks without moving the focus). What the status bar or a
    sync notice showed was painted only, and a host on Orca never heard "Saved" or
    "3 members imported". `said` tells listeners (a log, a test) each sentence sent."""

    said = Signal(str)

    def say(self, source: QWidget, text: str, *, urgent: bool = False) -> None:
        if not text:
            return
        event = QAccessibleAnnouncementEvent(source, text)
        if urgent:  # a refusal or a removal: said at once, over what was being read
            event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
        QAccessible.updateAccessibility(event)
        self.said.emit(text)


voice = Voice()


class SpokenLabel(QLabel):
    """A label whose new text is said as it changes (the status bar's sync state): read by its
    text, with what it is as its description (a fixed name hid the text from the reader)."""

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleDescription(what)

    @guarded
    def setText(self, text: str) -> None:  # noqa: N802 (Qt name)
        changed = text != self.text()
        super().setText(text)
        if changed:
            voice.say(self, text)


class SpokenRefusal(QLabel):
    """A form's refusal, in red under its fields (a walk-in's email that cannot be read, a quorum
    past 100 %): said each time it is put up, over what was being read, since the person pressed
    OK again and should hear why nothing happened. Shown only, Orca said nothing and the dialog
    seemed not to answer. Emptied as the field is put right: nothing said."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Problem")

    @guarded
    def setText(self, text: str) -> None:  # noqa: N802 (Qt name)
        super().setText(text)
        voice.say(self, text, urgent=True)


def say_when_shown(note: QLabel, text: str, shown: bool) -> None:
    """Show or hide a note that stays up while it holds (the door's "not today"), saying it as
    it appears or changes, not again each time the pane is refreshed with it already up."""
    said_before = not note.isHidden() and note.text() == text
    note.setText(text)
    note.setVisible(shown)
    if shown and not said_before:
        voice.say(note, text)
