"""The notice across the top of a removed laptop's window: that an admin removed it, who and when,
what that means, how many of the changes made here did not reach the group, and what to do.

Editing stays possible on purpose: at the door, the queue does not wait for an admin, and a check-in
typed here is kept on this laptop (never lost), counted here and listed (What did not reach the
group…) for its person to hand over. A notice, not a toast: it stays until the laptop's copy is wiped.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from organiser.services.group import Group
from organiser.services.history import Write, summary
from organiser.services.removed_here import HEADLINE, WHAT_IT_MEANS, RemovedHere, removed_here, what_did_not_reach
from organiser.ui.clipboard import copy_privately
from organiser.ui.history_dialog import rows_of
from organiser.ui.widgets import size_on_screen
from organiser.ui.wording import as_typed

WHAT_TO_DO = ("To take part again, ask an admin for a new invite: this laptop joins as a new laptop once its copy "
              "of the group is wiped.")
HAND_OVER = " Before wiping, hand over what did not reach the group."  # only while there is something to hand over


class RemovedNotice(QFrame):
    """Hidden on a laptop of the group; on a removed one, shown above every view."""

    wipeAsked = Signal()  # "Wipe this laptop's copy…": the window asks first, as File > Wipe does

    def __init__(self, group: Group, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = group
        self.setObjectName("removedNotice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(HEADLINE)
        # A warning's colours from the palette's own roles would be lost in a dark theme: a border and
        # a bold title carry it in any theme.
        self.setStyleSheet("#removedNotice { border: 2px solid #b35900; border-radius: 4px; }")
        self.title = QLabel(HEADLINE)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.body = QLabel()
        self.body.setTextFormat(Qt.TextFormat.PlainText)  # device names are the members' own words
        self.body.setWordWrap(True)
        self.body.setAccessibleName("What the removal means")
        self.not_reached = QLabel()
        self.not_reached.setTextFormat(Qt.TextFormat.PlainText)
        self.not_reached.setWordWrap(True)
        self.not_reached.setAccessibleName("Changes that did not reach the group")
        bold = self.not_reached.font()
        bold.setBold(True)
        self.not_reached.setFont(bold)
        self.to_do = QLabel(WHAT_TO_DO)
        self.to_do.setWordWrap(True)
        self.list_button = QPushButton("What did not reach the group…")
        self.list_button.clicked.connect(self.show_what_did_not_reach)
        self.wipe_button = QPushButton("Wipe this laptop's copy…")
        self.wipe_button.clicked.connect(self.wipeAsked)
        text = QVBoxLayout()
        text.setSpacing(2)
        for label in (self.title, self.body, self.not_reached, self.to_do):
            text.addWidget(label)
        buttons = QVBoxLayout()
        buttons.addWidget(self.list_button)
        buttons.addWidget(self.wipe_button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(text, 1)
        layout.addLayout(buttons)
        self.here: RemovedHere | None = None
        self.dialog: QDialog | None = None
        self.refresh()

    def refresh(self) -> None:
        """Read again what this laptop knows of its removal (a member told it; an edit was made)."""
        self.here = removed_here(self.group)
        if self.here is None:
            self.hide()
            return
        self.body.setText(breakable(f"{self.here.who_and_when()} {WHAT_IT_MEANS}"))
        self.not_reached.setText(breakable(self.here.not_reached_sentence()))
        self.list_button.setEnabled(self.here.not_reached > 0)
        self.to_do.setText(WHAT_TO_DO + (HAND_OVER if self.here.not_reached else ""))
        self.show()

    def show_what_did_not_reach(self) -> QDialog | None:
        if self.here is None:
            return None
        self.dialog = NotReachedDialog(what_did_not_reach(self.group, self.here), self)
        self.dialog.open()
        return self.dialog


def breakable(text: str, every: int = 24) -> str:
    """`text` with a zero-width space after every `every` letters of a longer word: a device name
    (200 characters, one word if its owner likes) in a wrapped label otherwise sets the window's least
    width, past the edge of a laptop's screen. Nothing changes on screen but where the line breaks."""
    return re.sub(rf"\S{{{every}}}(?=\S)", lambda m: m.group(0) + "\u200b", text)


class NotReachedDialog(QDialog):
    """The changes made here that no laptop of the group has, oldest first, to copy and hand over."""

    def __init__(self, writes: list[Write], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("What did not reach the group")
        # which event each check-in was for: the admin enters them again there, maybe among several
        self.rows = rows_of(writes, with_event=True)
        intro = QLabel(f"Made on this laptop after its removal, so on no other laptop of the group: "
                       f"{summary(writes)}. Copy the list and give it to an admin (or to whoever keeps the "
                       "door on a laptop of the group), who can enter it again there.")
        intro.setWordWrap(True)
        self.model = QStandardItemModel(0, 3, self)
        self.model.setHorizontalHeaderLabels(["When", "What", "Changed"])
        for when, _laptop, what, shown, whole in self.rows:
            items = [QStandardItem(when), QStandardItem(what), QStandardItem(shown)]
            items[2].setToolTip(as_typed(whole))
            for item in items:
                item.setEditable(False)
            self.model.appendRow(items)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Changes that did not reach the group, oldest first")
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("&Copy the list", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        size_on_screen(self, 820, 480)

    def text(self) -> str:
        """The list as plain text, one change a line, as it goes into a message to an admin."""
        return "\n".join(f"{when}  {what}: {whole}" for when, _laptop, what, _shown, whole in self.rows)

    def copy(self) -> None:
        copy_privately(self.text())  # who came, by name: kept out of clipboard histories
        self.copy_button.setText("Copied")
