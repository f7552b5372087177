"""The spoken invite code at the top of the invite dialog: large enough to read out across a
table, with what became of it (waiting, joined, burned by a wrong attempt, expired)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from organiser.ui.asyncjobs import spawn
from organiser.ui.widgets import error_colour


class SpokenInvitePanel(QFrame):
    """`spoken`: a net.spoken_host.SpokenInvite being offered on the LAN; `renew` offers a new one
    (after a wrong attempt burned the code, or it expired)."""

    admitted = Signal(object)  # the outcome, once the code let a laptop in

    def __init__(self, spoken: Any, parent: QWidget | None = None,
                 renew: Callable[[], Awaitable[Any]] | None = None) -> None:
        super().__init__(parent)
        self.renew = renew
        self.setFrameShape(QFrame.Shape.StyledPanel)
        intro = QLabel("On the new laptop, choose <b>Join a group with an invite code</b> and type this code "
                       "(say it aloud; no need to send it):")
        intro.setWordWrap(True)
        self.code = QLabel()
        self.code.setAccessibleName("Spoken invite code")
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.code.font()
        font.setPointSizeF(font.pointSizeF() * 2.4)
        font.setBold(True)
        self.code.setFont(font)
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # it names the joining laptop as it named itself
        self.status.setAccessibleName("Spoken invite code status")
        self.status.setWordWrap(True)
        self.new_button = QPushButton("&New short code")
        self.new_button.clicked.connect(self.make_new)
        self.new_button.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.code)
        layout.addWidget(self.status)
        layout.addWidget(self.new_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.withdrawn = False
        self.offer(spoken)

    def offer(self, spoken: Any) -> None:
        self.spoken = spoken
        self.code.setText(spoken.text)
        until = time.strftime("%H:%M", time.localtime(spoken.expires_at))
        self.status.setText(f"It works once, until {until}, for a laptop on this network. "
                            "Waiting for the new laptop…")
        self.status.setStyleSheet("")
        self.new_button.hide()
        spawn(spoken.outcome(), on_done=lambda outcome: self.show_outcome(outcome) if spoken is self.spoken else None)

    def make_new(self) -> None:
        if self.renew is None:
            return
        self.new_button.setEnabled(False)

        def failed(exc: BaseException) -> None:
            self.new_button.setEnabled(True)
            self.status.setText(f"Cannot make a new code: {exc}")

        spawn(self.renew(), on_done=lambda spoken: (self.new_button.setEnabled(True), self.offer(spoken)),
              on_error=failed)

    def show_outcome(self, outcome: Any) -> None:
        if self.withdrawn:
            return  # the dialog is closed
        self.status.setText(outcome.message)
        if outcome.state == "admitted":
            self.admitted.emit(outcome)
        else:
            self.code.setText(f"<s>{self.spoken.text}</s>")
            self.status.setStyleSheet(f"color: {error_colour(self)};")
            self.new_button.setVisible(self.renew is not None)

    def withdraw(self) -> None:
        """The dialog closed: nobody can use the code any more."""
        self.withdrawn = True
        spawn(self.spoken.close())
