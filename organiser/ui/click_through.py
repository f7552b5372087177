"""A click on a button while a list of suggestions is open does what the button says.

An open suggestion list (a QCompleter's popup) takes the window's next mouse press wherever it
lands, only to close itself: at the door, Sam typed a name, clicked Yes, and nothing was recorded
until a second click. Pressed outside the list, over a button of the same window, the list closes
and the button is clicked."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget

from organiser.ui.overrides import guarded


class ClickThrough(QObject):
    """Watches one suggestion list; `owner` is the field it belongs to (its window is the one served)."""

    def __init__(self, popup: QWidget, owner: QWidget) -> None:
        super().__init__(owner)
        self.popup, self.owner = popup, owner
        popup.installEventFilter(self)

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if watched is not self.popup or event.type() != QEvent.Type.MouseButtonPress:
            return False
        assert isinstance(event, QMouseEvent)
        if self.popup.rect().contains(event.position().toPoint()):
            return False  # on the list: picking a name, as ever
        target = QApplication.widgetAt(event.globalPosition().toPoint())
        same_window = target is not None and target.window() is self.owner.window()
        if not isinstance(target, QAbstractButton) or not target.isEnabled() or not same_window:
            return False  # elsewhere: the list only closes, as before
        self.popup.hide()
        QTimer.singleShot(0, target, target.click)  # once the list is gone and the field has its text
        return True
