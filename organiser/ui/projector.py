"""The projector view: a full-screen window for the wall (View > Projector, F11).

High contrast (white and yellow on black), type sized from the window's height so it reads
from the back of a hall at 1920x1080 and at 1280x720: the current agenda item and its timer
(before the first item, the whole agenda; during one, the item after it), the open proposal's
live tally and quorum (once it is closed, the decision: its tally as it stood and the outcome),
and the end of the minutes. It only reads: any laptop in the room drives it, through the same
replicated records.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QFont, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from organiser.core.bus import RecordsChanged
from organiser.services.group import Group
from organiser.services.proposals import Proposal, stored_result
from organiser.ui.bridge import Bridge
from organiser.ui.models.meeting import clock_text

BACKGROUND, TEXT, ACCENT, WARN = "#000000", "#ffffff", "#ffd60a", "#ff6b6b"
MINUTES_LINES = 9  # the end of the minutes: what was just written
SHOWN_KINDS = frozenset({"minutes", "agenda_item", "meeting", "proposal", "vote", "hand_count", "rsvp", "member"})


class ProjectorView(QWidget):
    def __init__(self, group: Group, bridge: Bridge | None, event_id: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        # Closed is gone: F11 makes a new one, and a closed one must not read the group again.
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.group, self.event_id = group, event_id
        self.setWindowTitle("Projector — Organiser")
        self.setAccessibleName("Projector")
        self.setStyleSheet(f"background: {BACKGROUND}; color: {TEXT};")
        self.item = self._label("Current item")
        self.timer_label = self._label("Timer")
        self.agenda = self._label("Agenda")
        self.tally = self._label("Tally")
        self.minutes = self._label("Minutes")
        self.minutes.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addWidget(self.item)
        layout.addWidget(self.timer_label)
        layout.addWidget(self.agenda)
        layout.addWidget(self.tally)
        layout.addWidget(self.minutes, 1)
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self.refresh)
        self.ticker.start()
        self.soon = QTimer(self)  # many changes at once (a sync) are shown once, not once each
        self.soon.setSingleShot(True)
        self.soon.setInterval(100)
        self.soon.timeout.connect(self.refresh)
        if bridge is not None:
            bridge.recordsChanged.connect(self.on_records_changed)
        self._size_type()
        self.refresh()

    def _label(self, name: str) -> QLabel:
        label = QLabel("")
        label.setAccessibleName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        return label

    def set_event(self, event_id: str | None) -> None:
        self.event_id = event_id
        self.refresh()

    def on_records_changed(self, event: RecordsChanged) -> None:
        if not self.isVisible():  # closed, and deleted once the event loop comes round
            return
        if self.event_id is not None and (event.kinds & SHOWN_KINDS) and not self.soon.isActive():
            self.soon.start()

    def refresh(self) -> None:
        if self.event_id is None:
            self.item.setText("No meeting chosen")
            for label in (self.timer_label, self.tally, self.minutes):
                label.setText("")
            self.agenda.setText("Esc closes this view. Choose the meeting's event in Events, then press F11 again.")
            return
        meetings = self.group.meetings
        state = meetings.state(self.event_id)
        agenda = meetings.items(self.event_id)
        items = {i.id: i for i in agenda}
        current = items.get(state.current_item or "")
        if current is None:  # not started yet: the room sees what is on the agenda
            self.item.setText(self.group.events.get(self.event_id).title)
            self.timer_label.setText("")
            self.agenda.setText("\n".join(f"{n}. {i.title}{f' ({i.minutes} min)' if i.minutes else ''}"
                                          for n, i in enumerate(agenda, 1)))
        else:
            after = agenda[agenda.index(current) + 1:]
            self.agenda.setText(f"Next: {after[0].title}" if after else "")
            self.item.setText(current.title)
            used = state.seconds_used(current)
            over = bool(current.minutes and used > current.minutes * 60)
            box = f" of {current.minutes}:00" if current.minutes else ""
            self.timer_label.setText(f"{clock_text(used)}{box}{'  OVER TIME' if over else ''}")
            self.timer_label.setStyleSheet(f"color: {WARN if over else ACCENT};")
        self.tally.setText(self._tally_text(current.id if current else None))
        lines = meetings.minutes_text(self.event_id).rstrip("\n").split("\n")
        self.minutes.setText("\n".join(lines[-MINUTES_LINES:]))

    def _tally_text(self, current_item: str | None) -> str:
        proposals = self.group.proposals
        proposal = proposals.open_one(self.event_id or "")
        if proposal is None:
            return self._decision_text(proposals.list(self.event_id or ""), current_item)
        tally = proposals.tally(proposal.id)
        counts = _counts_line(tally.counts)
        quorum = "QUORUM MET" if tally.quorum_met else "NO QUORUM"
        blocks = f"\nBlocks: {', '.join(tally.blocks)}" if tally.blocks else ""
        return (f"{proposal.title}\n{counts}\n{quorum}: {tally.present} present, {tally.quorum_needed} needed"
                f"{blocks}")

    @staticmethod
    def _decision_text(proposals: list[Proposal], current_item: str | None) -> str:
        """The decision just made stays on the wall (the last closed proposal of the item being
        discussed or of no item; of the whole meeting before any item runs): its tally as it
        stood when closed, and the outcome."""
        closed = [p for p in proposals if p.status == "closed" and (current_item is None
                                                                   or p.agenda_item in (current_item, None))]
        if not closed:
            return ""
        decided = max(closed, key=lambda p: p.closed_at or "")
        shown = _counts_line(stored_result(decided.result).get("counts", {}))  # {}: a result a peer wrote oddly
        return "\n".join([f"Decided: {decided.title}", *([shown] if shown else []), decided.outcome])

    def _size_type(self) -> None:
        """Type from the window's height: at 720 px the minutes are 26 px, the item 48 px."""
        unit = max(self.height(), 360) / 720
        for label, size, bold in ((self.item, 48, True), (self.timer_label, 40, True), (self.agenda, 30, False),
                                  (self.tally, 30, False), (self.minutes, 26, False)):
            font = QFont(label.font())
            font.setPixelSize(int(size * unit))
            font.setBold(bold)
            label.setFont(font)
        self.tally.setStyleSheet(f"color: {TEXT}; border-top: 2px solid {ACCENT}; padding-top: 8px;")

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._size_type()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        self.ticker.stop()
        self.soon.stop()
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_F11):
            self.close()
            return
        super().keyPressEvent(event)


def _counts_line(counts: dict[str, int]) -> str:
    return "   ".join(f"{option}: {count}" for option, count in counts.items())
