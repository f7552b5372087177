"""What a screen reader (Orca, through Qt's accessibility bridge) says: names for controls Qt
makes without one."""

from __future__ import annotations

import logging

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLineEdit

log = logging.getLogger(__name__)

CLEAR_SEARCH = "Clear search"
QT_CLEAR_ACTION = "_q_qlineeditclearaction"  # the object name Qt gives a line edit's clear action


def with_clear_button(edit: QLineEdit, name: str = CLEAR_SEARCH) -> None:
    """The field's clear button (the cross at its end), named: Qt makes it without text, and
    Orca said "button" and nothing more. The button takes its name (and tooltip) from its action."""
    edit.setClearButtonEnabled(True)
    action = edit.findChild(QAction, QT_CLEAR_ACTION)
    if action is None:  # another Qt names it otherwise: the button works, unnamed
        log.warning("no clear action %r in %s: its clear button has no name", QT_CLEAR_ACTION, edit.accessibleName())
        return
    action.setText(name)
