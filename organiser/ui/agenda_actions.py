"""Fixing the agenda in the meeting view: double-click or F2 renames an item (its title and
time box, in a small dialog); Delete, Edit > Delete or the right-click menu removes it after a
question whose default is No. Both are ordinary record writes, so every laptop sees them."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QListView, QMenu, QMessageBox, QWidget

from organiser.services.group import Group
from organiser.services.meetings import AgendaItem
from organiser.ui.meeting_dialogs import EditAgendaItemDialog
from organiser.ui.models.meeting import ROW_ROLE, AgendaModel
from organiser.ui.overrides import guarded
from organiser.ui.wording import as_typed

ITEM_KEYS = (Qt.Key.Key_F2, Qt.Key.Key_Delete)  # rename, remove: the agenda list's own keys


class AgendaItemActions(QObject):
    """Discuss now, rename and remove for the agenda list `view` (over `model`). `attempt` runs a write and
    shows its refusal where the meeting view shows them; `done` carries a sentence for the
    status bar after a change."""

    done = Signal(str)

    def __init__(self, group: Group, view: QListView, model: AgendaModel,
                 attempt: Callable[[Callable[[], object]], bool], parent: QWidget) -> None:
        super().__init__(parent)
        self.group, self.view, self.model, self.attempt, self.parent_widget = group, view, model, attempt, parent
        view.setToolTip("Drag to reorder; double-click or F2 renames an item, Delete removes it; "
                        "right-click to discuss an item now, rename or remove it.")
        view.doubleClicked.connect(self.rename_item)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._open_menu)
        view.installEventFilter(self)  # F2 and Delete, before the window's Edit > Delete
        self.menu = QMenu(view)
        self.menu.setAccessibleName("Agenda item")
        # Back to an item skipped by a Next pressed twice, or on to one out of order.
        self.discuss_action = self.menu.addAction("Discuss &now", self.discuss_item)
        self.menu.addSeparator()
        self.rename_action = self.menu.addAction("&Rename…\tF2", self.rename_item)
        self.delete_action = self.menu.addAction("&Delete…\tDel", self.delete_item)

    @guarded
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        """F2 and Delete in the list act on its item. The window's Edit > Delete shortcut would
        take Delete first: the list claims the key (ShortcutOverride), as a text field does."""
        if watched is self.view and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            assert isinstance(event, QKeyEvent)
            if event.key() in ITEM_KEYS and event.modifiers() == Qt.KeyboardModifier.NoModifier:
                event.accept()
                if event.type() == QEvent.Type.KeyPress:
                    self.rename_item() if event.key() == Qt.Key.Key_F2 else self.delete_item()
                return True
        return super().eventFilter(watched, event)

    def chosen(self, index: QModelIndex | None = None) -> AgendaItem | None:
        """The item double-clicked (`index`), else the list's current one."""
        index = index if index is not None and index.isValid() else self.view.currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def _open_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        self.view.setCurrentIndex(index)  # the menu acts on the row under the mouse
        self.menu.popup(self.view.viewport().mapToGlobal(pos))

    def discuss_item(self) -> None:
        """Make the chosen item the one being discussed; the time on the one before is kept."""
        item = self.chosen()
        if item is None:
            return
        if self.attempt(lambda: self.group.meetings.advance(item.event, item.id)):
            self.model.refresh()
            self.done.emit(f"Now discussing {item.title}.")

    def rename_item(self, index: QModelIndex | None = None) -> None:
        """Rename the chosen item and change its time box, in a small dialog."""
        item = self.chosen(index)
        if item is None:
            return
        dialog = EditAgendaItemDialog(self.group, item, self.parent_widget)
        if dialog.exec() and dialog.edited is not None:
            self.model.refresh()
            self.done.emit(f"Renamed to {dialog.edited.title}.")

    def delete_chosen_if_focused(self) -> None:
        """Edit > Delete: only when the list has the keys (not the proposals, say: nothing else
        in the meeting is deleted that way). The window's focus child, not hasFocus(): while
        the menu is open, the menu has the focus."""
        if self.view.window().focusWidget() is self.view:
            self.delete_item()

    def delete_item(self) -> None:
        """Remove the chosen item after a question (No unless Yes is chosen), which says what
        becomes of the proposals and tasks made under it, and of the meeting if it is current."""
        item = self.chosen()
        if item is None:
            return
        if QMessageBox.question(self.parent_widget, "Remove agenda item", as_typed(self._question(item)),
                                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                QMessageBox.StandardButton.No) != QMessageBox.StandardButton.Yes:
            return
        if self.attempt(lambda: self.group.meetings.delete_item(item.id)):
            self.model.refresh()
            self.done.emit(f"Removed {item.title} from the agenda.")

    def _question(self, item: AgendaItem) -> str:
        text = f"Remove “{item.title}” from the agenda, on every laptop of the group?"
        linked = any(p.agenda_item == item.id for p in self.group.proposals.list(item.event)) \
            or any(t.agenda_item == item.id for t in self.group.meetings.tasks(item.event))
        if linked:
            text += " The proposals and tasks made under it stay with the meeting."
        state = self.model.state
        if state is not None and state.current_item == item.id:
            text += " It is being discussed: the meeting moves on to the next item."
        return text
