"""The minutes editor: a plain-text editor bound to the event's CRDT document.

- What you type goes into the document at once (Qt's UTF-16 positions converted to pycrdt's
  UTF-8 ones) and is stored, so sent, once per burst: BURST_MS after the first keystroke
  not yet sent, so others see steady typing within about a quarter of a second.
- Peers' typing is applied through a QTextCursor of its own, never by replacing the text, so
  your caret and selection stay where they were (they move with the text around them; what a
  peer inserts right at your caret goes after it, so two people typing at one place each keep
  their words whole).
- Undo (Ctrl+Z) and redo undo only your own typing, through pycrdt's UndoManager: Qt's undo
  stack would also hold what others typed.
- A line under the editor says who else is typing (their device names).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from pycrdt import TextEvent, TransactionEvent, UndoManager, merge_updates
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from organiser.core.bus import RecordsChanged
from organiser.core.errors import OrganiserError
from organiser.core.meeting_rules import MINUTES_PIECE
from organiser.core.minutes import (
    LOCAL,
    Edit,
    MinutesDoc,
    MinutesUpdate,
    covers,
    delta_to_edits,
    text_change,
    utf16_len,
    utf16_to_index,
)
from organiser.services.meetings import Meetings
from organiser.ui.models.name_order import name_order
from organiser.ui.overrides import guarded

log = logging.getLogger(__name__)
BURST_MS = 250  # typing is stored (and sent) once per burst, not once per keystroke
# A paste longer than this (code points, so at most 4 x as many UTF-8 bytes, about 170,000
# base64 characters) is stored in pieces of this size, one changeset each: one update is
# refused above MAX_MINUTES_UPDATE (core/meeting_rules.py), and a refused burst would be shown
# here but stored nowhere.
PASTE_PIECE = MINUTES_PIECE
TYPING_SHOWN_S = 4.0  # how long "X is typing" stays after their last change arrived
REMOTE = "remote"


def _after_peers_edit(where: int, edit: Edit) -> int:
    """Where a caret at `where` (UTF-16) stands after a peer's edit: it moves with the text
    before it, to the start of what was removed around it, and not past what was inserted at it."""
    if edit.removed:
        end = edit.position + edit.removed
        where = where - edit.removed if where >= end else min(where, edit.position)
    if edit.inserted and where > edit.position:
        where += utf16_len(edit.inserted)
    return where


class MinutesText(QPlainTextEdit):
    """The text area; Undo and Redo go to the document's own-typing undo."""

    undoRequested = Signal()
    redoRequested = Signal()

    @guarded
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.matches(QKeySequence.StandardKey.Undo):
            self.undoRequested.emit()
            return
        if event.matches(QKeySequence.StandardKey.Redo):
            self.redoRequested.emit()
            return
        super().keyPressEvent(event)


class MinutesEditor(QWidget):
    stored = Signal()  # a burst was stored (and so sent)

    def __init__(self, meetings: Meetings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.meetings = meetings
        self.event_id: str | None = None
        self.doc: MinutesDoc | None = None
        self.undo: UndoManager | None = None
        self._applying = False  # the document is changing the widget: not typing
        self._burst: list[bytes] = []  # this device's updates not yet stored
        self._subscriptions: list[Any] = []
        self._seen_change = 0
        self._typists: dict[str, float] = {}
        self.text = MinutesText()
        self.text.setTabChangesFocus(True)  # minutes have no tabs: Tab moves on, else it held the keys
        self.text.setAccessibleName("Minutes")
        self.text.setPlaceholderText("Minutes: type here; everyone in the meeting writes in the same text.")
        self.text.setUndoRedoEnabled(False)
        self.text.setReadOnly(True)  # until an event is chosen: typing went nowhere
        self.text.document().contentsChange.connect(self._on_typed)
        self.text.undoRequested.connect(self.undo_own)
        self.text.redoRequested.connect(self.redo_own)
        self.typing = QLabel("")
        self.typing.setAccessibleName("Who else is typing")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.typing)
        self.burst_timer = QTimer(self)
        self.burst_timer.setSingleShot(True)
        self.burst_timer.setInterval(BURST_MS)
        self.burst_timer.timeout.connect(self.flush)
        self.typing_timer = QTimer(self)
        self.typing_timer.setInterval(1000)
        self.typing_timer.timeout.connect(self._show_typists)

    # ---- binding ---------------------------------------------------------------------------

    def set_event(self, event_id: str | None) -> None:
        if event_id == self.event_id:
            return
        self.flush()
        for subscription in self._subscriptions:
            subscription[0].unobserve(subscription[1])
        self._subscriptions = []
        self.event_id = event_id
        self._applying = True
        try:
            if event_id is None:
                self.doc = None
                self.text.setPlainText("")
                self.text.setReadOnly(True)
                return
            self.doc = self.meetings.minutes_doc(event_id)
            self.text.setPlainText(str(self.doc))
            self.text.setReadOnly(False)
        finally:
            self._applying = False
        self.undo = UndoManager(scopes=[self.doc.text], capture_timeout_millis=BURST_MS * 2)
        self.undo.include_origin(LOCAL)
        self._subscriptions = [(self.doc.text, self.doc.text.observe(self._on_document_changed)),
                               (self.doc.doc, self.doc.doc.observe(self._on_transaction))]
        self._seen_change, _ = self.meetings.writers_since(event_id, 1 << 62)
        self._typists.clear()
        self.typing_timer.start()

    def on_records_changed(self, event: RecordsChanged) -> None:
        """Peers' typing (or another window's on this device) reached the database."""
        if self.event_id is None or self.doc is None or "minutes" not in event.kinds or self.event_id not in event.ids:
            return
        if self._holds_withdrawn():
            self.reload()
        else:
            self.meetings.catch_up(self.event_id, self.doc, origin=REMOTE)
        if event.origin == "remote":
            self._seen_change, names = self.meetings.writers_since(self.event_id, self._seen_change)
            now = time.monotonic()
            self._typists.update({name: now for name in names})
            self._show_typists()

    def _holds_withdrawn(self) -> bool:
        """Whether this document holds text the stored minutes no longer do (beyond this device's
        typing not yet stored): a removal took back what a laptop typed, and the stored minutes
        were merged again without it."""
        assert self.event_id is not None and self.doc is not None
        held = self.doc.held()
        held.pop(self.doc.doc.client_id, None)
        return not covers(self.meetings.minutes_held(self.event_id), held)

    def reload(self) -> None:
        """Take the stored minutes afresh, the caret where it was as far as the text allows:
        typing into the old document would build on text the other laptops no longer hold."""
        event, caret = self.event_id, self.text.textCursor().position()
        self.flush()
        self.event_id = None  # so set_event binds the stored document again
        self.set_event(event)
        cursor = self.text.textCursor()
        cursor.setPosition(min(caret, len(self.text.toPlainText())))
        self.text.setTextCursor(cursor)

    # ---- this device's typing ---------------------------------------------------------------

    def _on_typed(self, position: int, _removed: int, _added: int) -> None:
        if self._applying or self.doc is None:
            return
        # The change is read from the two texts, with Qt's position as a hint: the counts
        # Qt reports include its hidden end-of-document block at times.
        before, now = str(self.doc), self.text.toPlainText()
        start, end, inserted = text_change(before, now, utf16_to_index(now, position))
        if len(inserted) > PASTE_PIECE:
            self._store_in_pieces(start, end, inserted)
        elif end > start or inserted:
            self.doc.replace(start, end, inserted, origin=LOCAL)
        self._check_in_step()

    def _store_in_pieces(self, start: int, end: int, inserted: str) -> None:
        """A big paste: what was typed before is stored first, then each piece on its own."""
        assert self.doc is not None
        self.flush()
        at = start
        for offset in range(0, len(inserted), PASTE_PIECE):
            piece = inserted[offset:offset + PASTE_PIECE]
            self.doc.replace(at, end if offset == 0 else at, piece, origin=LOCAL)
            at += len(piece)
            self.flush()

    def _check_in_step(self) -> None:
        """Qt and the document must hold the same text; if a conversion ever slipped, the
        document wins (what everyone else has) rather than the two drifting apart."""
        if self.doc is None:
            return
        wanted = str(self.doc)
        if self.text.toPlainText() != wanted:
            log.warning("minutes editor out of step with its document; showing the document")
            self._applying = True
            try:
                cursor = self.text.textCursor()
                where = cursor.position()
                self.text.setPlainText(wanted)
                cursor = self.text.textCursor()
                cursor.setPosition(min(where, len(self.text.toPlainText())))
                self.text.setTextCursor(cursor)
            finally:
                self._applying = False

    def _on_transaction(self, event: TransactionEvent) -> None:
        # Everything this device did to the document (typing, undo, redo) is sent; what
        # came from elsewhere is not sent back.
        if self.doc is not None and self.doc.origin != REMOTE and event.update:
            self._burst.append(event.update)
            if not self.burst_timer.isActive():  # at most BURST_MS after the first unsent keystroke,
                self.burst_timer.start()  # so steady typing is sent as it goes, not when it pauses

    def flush(self) -> None:
        """Store this burst of typing as one changeset (it is then sent to peers)."""
        self.burst_timer.stop()
        if not self._burst or self.event_id is None or self.doc is None:
            return
        update = self._burst[0] if len(self._burst) == 1 else merge_updates(*self._burst)
        self._burst = []
        try:
            self.meetings.write_minutes(self.event_id, MinutesUpdate(update, self.doc.state()))
        except OrganiserError as exc:
            log.warning("minutes not stored: %s", exc)
            self.typing.setText(str(exc))
            return
        self.stored.emit()

    def undo_own(self) -> None:
        if self.undo is not None and self.undo.can_undo():
            self.undo.undo()

    def redo_own(self) -> None:
        if self.undo is not None and self.undo.can_redo():
            self.undo.redo()

    # ---- the document changed (peers, undo) --------------------------------------------------

    def _on_document_changed(self, event: TextEvent) -> None:
        if self.doc is not None and self.doc.origin == LOCAL:
            return  # typed here: the widget already shows it
        before = self.text.toPlainText()
        edits = list(delta_to_edits(before, event.delta))
        caret = self.text.textCursor()
        anchor, position = caret.anchor(), caret.position()
        self._applying = True
        try:
            cursor = QTextCursor(self.text.document())  # not the widget's: its caret moves with the text
            cursor.beginEditBlock()
            for edit in edits:
                cursor.setPosition(edit.position)
                if edit.removed:
                    cursor.setPosition(edit.position + edit.removed, QTextCursor.MoveMode.KeepAnchor)
                    cursor.removeSelectedText()
                if edit.inserted:
                    cursor.insertText(edit.inserted)
            cursor.endEditBlock()
        finally:
            self._applying = False
        if self.doc is not None and self.doc.origin == REMOTE:
            self._keep_caret_before_peers_text(edits, anchor, position)

    def _keep_caret_before_peers_text(self, edits: list[Edit], anchor: int, position: int) -> None:
        """Qt moves a caret past text inserted right at it. For a peer's typing that is wrong:
        when two laptops type at the same place, each burst of the other's lands at the caret, the
        caret jumps past it, and the next burst goes after the other's words, so both texts end up
        cut into pieces ("new memAna welcomed bers"). The caret stays before a peer's insertion;
        what is typed here then goes on from its own last letter, and both texts stay whole."""
        for edit in edits:
            anchor, position = _after_peers_edit(anchor, edit), _after_peers_edit(position, edit)
        caret = self.text.textCursor()
        if (caret.anchor(), caret.position()) != (anchor, position):
            caret.setPosition(anchor)
            caret.setPosition(position, QTextCursor.MoveMode.KeepAnchor)
            self.text.setTextCursor(caret)

    def _show_typists(self) -> None:
        now = time.monotonic()
        self._typists = {name: at for name, at in self._typists.items() if now - at < TYPING_SHOWN_S}
        names = sorted(self._typists, key=name_order)
        self.typing.setText(f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} typing…" if names else "")

    def stop(self) -> None:
        self.flush()
        self.typing_timer.stop()
        self.event_id = None  # later arrivals are not read: the group is closing

    @guarded
    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt name)
        self.flush()
        super().closeEvent(event)
