"""Rows of the lists and tables, as a person chooses and opens them: the pane follows the row
chosen (a click, the arrows, rows filtered away), Return opens a row as a double-click does, and the
row the keys are on is the row chosen when none is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView

from organiser.ui.overrides import guarded


class _SelectionFollower(QObject):
    """Relays a view's selection changes to a callback; a child of the view, so Qt drops the
    connections with it (a model outliving its view must not call into a deleted pane)."""

    def __init__(self, view: QAbstractItemView, callback: Any) -> None:
        super().__init__(view)
        self.callback = callback
        selection = view.selectionModel()
        selection.selectionChanged.connect(self.changed)
        selection.currentRowChanged.connect(self.changed)
        model = view.model()
        for signal in (model.modelReset, model.rowsRemoved, model.layoutChanged):
            signal.connect(self.changed)

    def changed(self, *_args: object) -> None:
        self.callback()


def follow_selection(view: QAbstractItemView, callback: Any) -> None:
    """Call `callback` whenever what the view shows as selected may have changed: a click (Qt
    moves the current row before it selects it, so the current-row signal alone comes too
    early), arrow keys, and rows filtered out, removed or reordered under the selection."""
    _SelectionFollower(view, callback)


class _OpenOnReturn(QObject):
    """Return or Enter on a view's current row opens it, as a double-click does."""

    def __init__(self, view: QAbstractItemView, open_index: Callable[[QModelIndex], object]) -> None:
        super().__init__(view)
        self.view, self.open_index = view, open_index
        view.installEventFilter(self)

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
                and self.view.state() != QAbstractItemView.State.EditingState
                and self.view.currentIndex().isValid()):
            self.open_index(self.view.currentIndex())
            return True
        return False


def open_on_double_click_or_return(view: QAbstractItemView, open_index: Callable[[QModelIndex], object]) -> None:
    """A row opens with a double-click or, from the keys, with Return on the current row (Qt's
    view only emits `activated` for Return, and on some desktops for a single click too); a row
    that cannot be chosen (a heading) opens nothing, rather than what was shown before it."""
    def open_row(index: QModelIndex) -> None:
        if index.flags() & Qt.ItemFlag.ItemIsSelectable:  # a heading (the agenda's day) is no row to open
            open_index(index)

    view.doubleClicked.connect(open_row)
    _OpenOnReturn(view, open_row)


def mark_a_row_when_filled(view: QAbstractItemView) -> None:
    """Rows read in the background can arrive after the keys came to the view; Qt marks a row
    for the keys only when the focus comes in, so the first row is marked then (not chosen)."""

    def mark() -> None:
        model = view.model()
        if view.hasFocus() and not view.currentIndex().isValid() and model.rowCount() > 0:
            view.selectionModel().setCurrentIndex(model.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate)

    view.model().modelReset.connect(mark)
    view.model().rowsInserted.connect(mark)


class _ChooseMarked(QObject):
    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self.view = view
        view.installEventFilter(self)
        view.selectionModel().currentChanged.connect(lambda *_: self.choose())

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.FocusIn and event.reason() != Qt.FocusReason.MouseFocusReason:
            model = self.view.model()
            if not self.view.currentIndex().isValid() and model.rowCount() > 0:  # as Qt would mark it
                self.view.selectionModel().setCurrentIndex(model.index(0, 0),
                                                           QItemSelectionModel.SelectionFlag.NoUpdate)
            self.choose(focused=True)
        return False

    def choose(self, *, focused: bool = False) -> None:
        current = self.view.currentIndex()
        if ((focused or self.view.hasFocus()) and current.isValid()
                and not self.view.selectionModel().hasSelection()):
            self.view.selectionModel().select(current, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                              | QItemSelectionModel.SelectionFlag.Rows)


def choose_the_marked_row(view: QAbstractItemView) -> None:
    """The row the keys are on is the row chosen, when none is: Ctrl+2 or Tab framed the first
    task, and Ctrl+Right, Delete and Edit… (which act on the chosen one) did nothing until Down
    or Space chose it; also when the rows are read in the background after the keys came."""
    _ChooseMarked(view)
