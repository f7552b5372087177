"""Calendars that list many dates to add or leave out (RDATE/EXDATE): prints JSON.
Run with `python -m tests.perf.date_lists`.

Each case is `organiser import FILE` run as a person runs it (a new process, a fresh group), and
reports the wall-clock seconds, the exit code and the first line of what it said:
- one_event_million: one hourly event with 1,000,000 EXDATE values, 1,000 to a line (17 MB):
  refused (exit 2);
- one_event_at_bound: one event with as many as an event may list (MAX_DATES_PER_EVENT): read;
- file_at_bound: ten such events, as many as a calendar may list (MAX_DATES_PER_FILE): read;
- file_over_bound: one date more than that: refused before a date is read.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from organiser.formats.ical_dates import MAX_DATES_PER_EVENT, MAX_DATES_PER_FILE

START = datetime(2000, 1, 1, 19)


def calendar(events: list[int]) -> str:
    """A calendar of weekly events, each leaving out the given number of its hours
    (an hourly rule, so every date left out is one of its occurrences)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//perf//date lists//EN"]
    for number, dates in enumerate(events):
        lines += ["BEGIN:VEVENT", f"UID:{number}@perf", "DTSTART:20000101T190000Z", "DTEND:20000101T200000Z",
                  f"SUMMARY:Series {number}", "RRULE:FREQ=HOURLY"]
        stamps = [(START + timedelta(hours=i)).strftime("%Y%m%dT%H%M%SZ") for i in range(dates)]
        lines += ["EXDATE:" + ",".join(stamps[i:i + 1000]) for i in range(0, dates, 1000)]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "organiser", *args], capture_output=True, text=True, timeout=600)


def case(folder: Path, name: str, events: list[int]) -> dict[str, Any]:
    path = folder / f"{name}.ics"
    path.write_text(calendar(events), encoding="utf-8")
    data = folder / f"data-{name}"
    run(["--data-dir", str(data), "init", "--group", "Perf", "--device-name", "perf"])
    began = time.perf_counter()
    done = run(["--data-dir", str(data), "import", str(path)])
    seconds = time.perf_counter() - began
    said = (done.stderr.strip() or done.stdout.strip()).splitlines()
    return {"dates": sum(events), "mb": round(path.stat().st_size / 1e6, 1), "seconds": round(seconds, 2),
            "exit": done.returncode, "said": said[-1][:300] if said else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run one case")
    options = parser.parse_args()
    per_file = MAX_DATES_PER_FILE // MAX_DATES_PER_EVENT
    cases = {"one_event_million": [1_000_000], "one_event_at_bound": [MAX_DATES_PER_EVENT],
             "file_at_bound": [MAX_DATES_PER_EVENT] * per_file,
             "file_over_bound": [MAX_DATES_PER_EVENT] * per_file + [1]}
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, events in cases.items():
            if options.only in (None, name):
                out[name] = case(Path(folder), name, events)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
