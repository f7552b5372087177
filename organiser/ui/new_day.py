"""The day changing while the app is open: "due today" becomes "overdue" at midnight."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from PySide6.QtCore import QObject, QTimer, Signal

from organiser.services import clock

# A timer counts the time the laptop is awake: one set at noon for midnight, on a laptop asleep
# overnight, would ring the next afternoon. So it looks again at least every ten minutes; and
# not more often than every second, as a timer may ring a moment before midnight.
LONGEST_MS, SHORTEST_MS = 10 * 60_000, 1_000


class NewDay(QObject):
    """`came` when the laptop's day (services/clock.py) is another than when it last looked."""

    came = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._day = clock.today()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.look)
        self._arm()

    def look(self) -> None:
        """Emit `came` if the day has changed since the last look; look again at midnight."""
        today = clock.today()
        if today != self._day:
            self._day = today
            self.came.emit()
        self._arm()

    def _arm(self) -> None:
        now = clock.now()
        midnight = datetime.combine(now.date() + timedelta(days=1), time())
        wait_ms = int((midnight - now).total_seconds() * 1000) + 100
        self._timer.start(max(SHORTEST_MS, min(wait_ms, LONGEST_MS)))
