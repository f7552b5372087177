"""Forgetting a member from the Members view: a confirmation that says what goes and what does
not, then the erasure (services/forgetting.py, docs/erasure.md)."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from organiser.services.forgetting import NOT_REACHED


def forget_question(name: str, traits: int) -> str:
    """What the admin reads before forgetting: what is erased, where, and what is not reached."""
    kept = ", consent, roles and skills" if traits else " and consent"
    return (f"<p>Forget <b>{html.escape(name)}</b> for good?</p>"
            f"<p>Their name, phones, emails, notes{kept} are erased from this laptop's history, "
            "search and conflicts, and from every other laptop of the group as it hears of it. Laptops "
            "joining later never receive them. This cannot be undone.</p>"
            f"<p><b>Not reached:</b> {html.escape(NOT_REACHED)} Their name stays where it was typed in "
            "minutes; votes and answers stay, without a name.</p>")


def ask_to_forget(parent: QWidget, name: str, traits: int, go_on: Callable[[], None]) -> QMessageBox:
    """Open the confirmation (window-modal, not blocking); `go_on` runs if the admin confirms."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Forget a member", forget_question(name, traits),
                      QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName("forget_member_box")
    forget = box.addButton(f"&Forget {name}", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)  # Return does not forget anyone
    box.finished.connect(lambda _result: box.clickedButton() is forget and go_on())
    box.open()
    return box
