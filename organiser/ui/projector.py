"""The projector view: a full-screen window for the wall (View > Projector, F11).

High contrast (white and yellow on black), type sized from the window's height so it reads
from the back of a hall at 1920x1080 and at 1280x720: the current agenda item and its timer
(before the first item, the whole agenda; during one, the item after it), the open proposal's
live tally and quorum (once it is closed, the decision: its tally as it stood and the outcome),
and the end of the minutes. It only reads: any laptop in the room drives it, through the same
replicated records.

Everything fits the window, whatever is written: when a long agenda, item name or proposal would
not, the type shrinks (to no less than MIN_SCALE of its size), then the agenda says how many items
it leaves out, and the minutes show the newest whole lines that fit; no line is cut in half and the
window never grows past the projector's screen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QFont, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from organiser.core.bus import RecordsChanged
from organiser.services.group import Group
from organiser.services.proposals import Proposal, stored_result
from organiser.ui.bridge import Bridge
from organiser.ui.models.meeting import clock_text
from organiser.ui.overrides import guarded

BACKGROUND, TEXT, ACCENT, WARN = "#000000", "#ffffff", "#ffd60a", "#ff6b6b"
MINUTES_LINES = 9  # the end of the minutes: what was just written
SCALES = (1.0, 0.9, 0.8, 0.7)  # the type shrinks in these steps before the agenda is cut short
MIN_SCALE = SCALES[-1]
MARGINS, SPACING = (48, 32, 48, 32), 8
QWIDGETSIZE_MAX = (1 << 24) - 1
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
        self._agenda_lines: list[str] = []
        self._written: dict[QLabel, str] = {}  # the item's and tally's whole text, which _fit may shorten
        self._minutes_lines: list[str] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(*MARGINS)
        layout.setSpacing(SPACING)
        # _fit gives each label its height from the window's; the labels must not size the window back.
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetNoConstraint)
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
        self.refresh()

    def _label(self, name: str) -> QLabel:
        label = QLabel("")
        label.setAccessibleName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        # Heights are set by _fit, so a long text never makes the window taller than the screen.
        label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
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
            for label in (self.timer_label, self.tally):
                label.setText("")
            self._agenda_lines = ["Esc closes this view. Choose the meeting's event in Events, then press F11 again."]
            self._minutes_lines = []
            self._fit_written()
            return
        meetings = self.group.meetings
        state = meetings.state(self.event_id)
        agenda = meetings.items(self.event_id)
        items = {i.id: i for i in agenda}
        current = items.get(state.current_item or "")
        if current is None:  # not started yet: the room sees what is on the agenda
            self.item.setText(self.group.events.get(self.event_id).title)
            self.timer_label.setText("")
            self._agenda_lines = [f"{n}. {i.title}{f' ({i.minutes} min)' if i.minutes else ''}"
                                  for n, i in enumerate(agenda, 1)]
        else:
            after = agenda[agenda.index(current) + 1:]
            self._agenda_lines = [f"Next: {after[0].title}"] if after else []
            self.item.setText(current.title)
            used = state.seconds_used(current)
            over = bool(current.minutes and used > current.minutes * 60)
            box = f" of {current.minutes}:00" if current.minutes else ""
            self.timer_label.setText(f"{clock_text(used)}{box}{'  OVER TIME' if over else ''}")
            self.timer_label.setStyleSheet(f"color: {WARN if over else ACCENT};")
        self.tally.setText(self._tally_text(current.id if current else None))
        lines = meetings.minutes_text(self.event_id).rstrip("\n").split("\n")
        self._minutes_lines = lines[-MINUTES_LINES:]
        self._fit_written()

    def _fit_written(self) -> None:
        self._written = {label: label.text() for label in (self.item, self.tally)}
        self._fit()

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

    def _size_type(self, scale: float = 1.0) -> None:
        """Type from the window's height: at 720 px the minutes are 26 px, the item 48 px."""
        unit = max(self.height(), 360) / 720 * scale
        for label, size, bold in ((self.item, 48, True), (self.timer_label, 40, True), (self.agenda, 30, False),
                                  (self.tally, 30, False), (self.minutes, 26, False)):
            font = QFont(label.font())
            font.setPixelSize(int(size * unit))
            font.setBold(bold)
            label.setFont(font)
        self.tally.setStyleSheet(f"color: {TEXT}; border-top: 2px solid {ACCENT}; padding-top: 8px;")

    def _fit(self) -> None:
        """The largest type at which the item, timer, agenda and tally fit with room for a line of
        minutes; at the smallest, the agenda leaves items out and says how many. The minutes take
        what is left, in whole lines, newest last."""
        width = self.width() - MARGINS[0] - MARGINS[2]
        room = self.height() - MARGINS[1] - MARGINS[3] - 4 * SPACING
        top = (self.item, self.timer_label, self.agenda, self.tally)
        for label, text in self._written.items():  # whole again: the window may have grown
            label.setText(text)
        for label in (*top, self.minutes):  # a label's height for a width is never less than its minimum
            label.setMinimumHeight(0)
            label.setMaximumHeight(QWIDGETSIZE_MAX)
        for scale in SCALES:
            self._size_type(scale)
            self.agenda.setText("\n".join(self._agenda_lines))
            if sum(_height(label, width) for label in top) + self._minutes_line(width) <= room:
                break
        else:
            self._cut_agenda(room - self._minutes_line(width), width)
        heights = [_height(label, width) for label in top]
        for label, height in zip(top, heights, strict=True):
            label.setFixedHeight(height)
        left = max(0, room - sum(heights))
        self._show_last_minutes(width, left)
        self.minutes.setFixedHeight(left)
        # Laid out now: left to the event loop, the labels kept the places of the size before
        # until the next turn, the minutes below the bottom edge of a window that had shrunk.
        layout = self.layout()
        if layout is not None:
            layout.activate()

    def _minutes_line(self, width: int) -> int:
        self.minutes.setText("\n".join(self._minutes_lines[-1:]))
        return _height(self.minutes, width)

    def _show_last_minutes(self, width: int, height: int) -> None:
        """The newest whole lines of the minutes that fit the height, wrapped at the width."""
        shown: list[str] = []
        for line in reversed(self._minutes_lines):
            self.minutes.setText("\n".join([line, *shown]))
            if _height(self.minutes, width) > height:
                break
            shown.insert(0, line)
        self.minutes.setText("\n".join(shown))

    def _cut_agenda(self, room: int, width: int) -> None:
        """As many agenda items as fit, then how many are left out; found by halving: the view
        refreshes every second, and laying out a 500-item agenda once per item left out took
        seconds each time. Where even the item's name or the tally is more than the wall holds
        at the smallest type, it is shortened with '…'."""
        others = (self.item, self.timer_label, self.tally)
        lines = self._agenda_lines

        above = sum(_height(label, width) for label in others)

        def fits(keep: int) -> bool:
            self.agenda.setText("\n".join([*lines[:keep], f"… and {len(lines) - keep} more"]))
            return above + _height(self.agenda, width) <= room

        fits(_most(fits, len(lines) - 1))
        for label in (self.item, self.tally):
            over = sum(_height(other, width) for other in (*others, self.agenda)) - room
            if over > 0:
                _shorten(label, _height(label, width) - over, width)

    @guarded
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit()

    @guarded
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        self.ticker.stop()
        self.soon.stop()
        super().closeEvent(event)

    @guarded
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_F11):
            self.close()
            return
        super().keyPressEvent(event)


def _counts_line(counts: dict[str, int]) -> str:
    return "   ".join(f"{option}: {count}" for option, count in counts.items())


def _height(label: QLabel, width: int) -> int:
    """The height a label's wrapped text needs at this width (nothing for an empty one)."""
    return label.heightForWidth(width) if label.text() else 0


def _most(fits: Callable[[int], bool], high: int) -> int:
    """The largest n from 0 to `high` for which `fits(n)`, where fitting n means fitting fewer (0 if none)."""
    low = 0
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _shorten(label: QLabel, height: int, width: int) -> None:
    """The start of the label's text, ending in '…', that fits the height at the width."""
    text = label.text()

    def fits(length: int) -> bool:
        label.setText(text[:length].rstrip() + "…")
        return _height(label, width) <= height

    fits(_most(fits, len(text) - 1))
