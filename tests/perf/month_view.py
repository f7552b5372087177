"""The month view with a peer's event whose recurrence rule is near the field's 200,000-character
limit (a daily series that lists thousands of dates to add and leave out, RDATE/EXDATE): prints
JSON. Run with `python -m tests.perf.month_view` (offscreen Qt; no network).

- first_paint_ms: the month grid shown and painted the first time (what a person waits for on
  opening the month view);
- repaint_ms: each later repaint of the same page (a window uncovered, a day clicked, a tooltip):
  median and max of REPAINTS;
- turning_pages_ms: Page Down to the next month and back, each turn painted.
The grid paints 42 days; each asks the agenda for the events on it (`AgendaModel.events_on`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

from organiser.core.field_rules import MAX_LONGTEXT  # noqa: E402

SERIES_START = datetime(2020, 1, 6, 19, 0)
SHOWN = date(2026, 11, 1)


def long_rule(limit: int = MAX_LONGTEXT - 1_000) -> str:
    """A daily rule, then EXDATEs of every third day and RDATEs at 07:00 on the others, 50 to a
    line, until the text is just under `limit` characters."""
    lines = ["RRULE:FREQ=DAILY"]
    size = len(lines[0])
    day = 0
    while True:
        left_out = [(SERIES_START + timedelta(days=day + 3 * i)).strftime("%Y%m%dT%H%M%S") for i in range(50)]
        added = [(SERIES_START + timedelta(days=day + 3 * i + 1)).replace(hour=7).strftime("%Y%m%dT%H%M%S")
                 for i in range(50)]
        more = ["EXDATE:" + ",".join(left_out), "RDATE:" + ",".join(added)]
        grown = size + sum(len(line) + 1 for line in more)
        if grown > limit:
            return "\n".join(lines)
        lines += more
        size = grown
        day += 150


def measure(repaints: int) -> dict[str, Any]:
    from PySide6.QtCore import QDate, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QTableView

    from organiser.services.group import create_group
    from organiser.ui.events_view import EventCalendar
    from organiser.ui.models.events import AgendaModel

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        group = create_group(Path(tmp) / "data", "Perf", "perf")
        rule = long_rule()
        group.events.add("Daily door rota", SERIES_START.isoformat(timespec="minutes"),
                         end=(SERIES_START + timedelta(hours=2)).isoformat(timespec="minutes"), rrule=rule)
        for n in range(40):  # a group's ordinary events beside it
            group.events.add(f"Meeting {n}", (datetime(2026, 10, 1, 18) + timedelta(days=2 * n)).isoformat())
        agenda = AgendaModel(group, today=SHOWN)
        agenda.load()
        calendar = EventCalendar(agenda)
        calendar.resize(700, 500)
        calendar.setSelectedDate(QDate(SHOWN.year, SHOWN.month, 12))
        grid = calendar.findChild(QTableView, "qt_calendar_calendarview")
        assert grid is not None

        def painted() -> float:
            began = time.perf_counter()
            grid.viewport().repaint()
            return (time.perf_counter() - began) * 1000

        began = time.perf_counter()
        calendar.show()  # nothing painted nor expanded before: the first paint does it
        app.processEvents()
        first = (time.perf_counter() - began) * 1000
        again = [painted() for _ in range(repaints)]
        turns = []
        grid.setFocus()
        for key in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
            QTest.keyClick(grid, key)
            turns.append(painted())
        shown_days = sum(1 for d in range(42) if agenda.events_on(date(2026, 10, 26) + timedelta(days=d)))
        group.close()
    return {"rule_characters": len(rule), "rule_dates": rule.count(",") + rule.count(":") - 1,
            "days_with_events_shown": shown_days, "first_paint_ms": round(first, 1),
            "repaint_ms": {"median": round(statistics.median(again), 1), "max": round(max(again), 1),
                           "repaints": repaints},
            "turning_pages_ms": [round(t, 1) for t in turns]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repaints", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps({"month_view_long_rule": measure(args.repaints)}, indent=2))


if __name__ == "__main__":
    main()
