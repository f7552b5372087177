"""What people see as now or today comes from organiser.services.clock, the one clock the tests
freeze: a module that asks Python or Qt for the local date itself shows the machine's day beside
the app's, and its tests pass or fail with the day the suite runs. Instants in UTC (stamps,
certificates, expiries) are not days shown and may read the system clock."""

from __future__ import annotations

import ast
from pathlib import Path

import organiser

PACKAGE = Path(organiser.__file__).parent
THE_CLOCK = PACKAGE / "services" / "clock.py"
QT_NOW = {"currentDate", "currentDateTime", "currentTime"}


def local_clock_reads(source: str) -> list[str]:
    """The calls in `source` that read the local date or time past the clock service:
    date.today(), datetime.now() without a time zone, and Qt's QDate/QDateTime/QTime.current*()."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name, of = node.func.attr, ast.unparse(node.func.value)
        if (name in QT_NOW or (name == "today" and of.endswith(("date", "datetime")))
                or (name == "now" and of.endswith("datetime") and not node.args and not node.keywords)):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_the_check_finds_each_way_of_reading_the_local_day() -> None:
    source = ("from datetime import UTC, date, datetime\nimport datetime as dt\n"
              "a = date.today()\nb = datetime.now()\nc = dt.datetime.now()\nd = QDate.currentDate()\n"
              "e = QDateTime.currentDateTime()\nf = datetime.now(UTC)\ng = clock.today()\nh = replica.clock.now()\n"
              "i = datetime.today()\n")
    assert local_clock_reads(source) == [
        "line 3: date.today()", "line 4: datetime.now()", "line 5: dt.datetime.now()",
        "line 6: QDate.currentDate()", "line 7: QDateTime.currentDateTime()", "line 11: datetime.today()"]


def test_only_the_clock_service_reads_the_local_day() -> None:
    readers = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == THE_CLOCK:
            continue
        found = local_clock_reads(path.read_text(encoding="utf-8"))
        if found:
            readers[str(path.relative_to(PACKAGE.parent))] = found
    assert readers == {}, "read today or now through organiser.services.clock (tests freeze it)"
