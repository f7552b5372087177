"""Forgetting a member from the Members view: a confirmation that says what goes and what does
not, then the erasure (services/forgetting.py, docs/erasure.md)."""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from organiser.services.forgetting import NOT_REACHED

log = logging.getLogger(__name__)


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
    shown = name.replace("&", "&&")  # an & in a name is shown, not taken for the button's key
    forget = box.addButton(f"&Forget {shown}", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)  # Return does not forget anyone
    box.finished.connect(lambda _result: box.clickedButton() is forget and go_on())
    box.open()
    return box


class _Relay(QObject):
    """Carries a worker thread's outcome to the window's thread (a queued signal)."""

    done = Signal(object)


_running: set[threading.Thread] = set()


def run_apart(parent: QObject, work: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
    """Run `work` on a thread of its own; `on_done` gets its result, or the exception it raised, on
    the window's thread."""
    relay = _Relay(parent)
    relay.done.connect(lambda outcome: (relay.deleteLater(), on_done(outcome)))

    def run() -> None:
        try:
            outcome: Any = work()
        except Exception as exc:  # handed to the window, which says it in a sentence or logs it
            outcome = exc
        try:
            relay.done.emit(outcome)
        except RuntimeError:  # the view was closed meanwhile (the window locked): nobody waits for it
            log.info("forgetting ended after its window closed: %s", outcome)
        finally:
            _running.discard(thread)

    thread = threading.Thread(target=run, name="forget-member", daemon=True)
    _running.add(thread)
    thread.start()
