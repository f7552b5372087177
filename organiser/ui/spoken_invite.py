"""The spoken invite code at the top of the invite dialog: large enough to read out across a
table, with what became of it (waiting, joined, burned by a wrong attempt, expired)."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from organiser.ui.asyncjobs import spawn
from organiser.ui.widgets import error_colour


class SpokenInvitePanel(QFrame):
    """`spoken`: a net.spoken_host.SpokenInvite being offered on the LAN."""

    def __init__(self, spoken: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spoken = spoken
        self.setFrameShape(QFrame.Shape.StyledPanel)
        intro = QLabel("On the new laptop, choose <b>Join a group with an invite code</b> and type this code "
                       "(say it aloud; no need to send it):")
        intro.setWordWrap(True)
        self.code = QLabel(spoken.text)
        self.code.setAccessibleName("Spoken invite code")
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.code.font()
        font.setPointSizeF(font.pointSizeF() * 2.4)
        font.setBold(True)
        self.code.setFont(font)
        until = time.strftime("%H:%M", time.localtime(spoken.expires_at))
        self.status = QLabel(f"It works once, until {until}, for a laptop on this network. "
                             "Waiting for the new laptop…")
        self.status.setAccessibleName("Spoken invite code status")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.code)
        layout.addWidget(self.status)
        self.withdrawn = False
        spawn(spoken.outcome(), on_done=self.show_outcome)

    def show_outcome(self, outcome: Any) -> None:
        if self.withdrawn:
            return  # the dialog is closed
        self.status.setText(outcome.message)
        if outcome.state != "admitted":
            self.code.setText(f"<s>{self.spoken.text}</s>")
            self.status.setStyleSheet(f"color: {error_colour(self)};")

    def withdraw(self) -> None:
        """The dialog closed: nobody can use the code any more."""
        self.withdrawn = True
        spawn(self.spoken.close())
