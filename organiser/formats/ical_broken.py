"""Where a calendar the iCalendar library cannot read breaks: the event, task or time zone that
it stops at when read alone, so the refusal names a line instead of the library's words
("'list' object has no attribute 'strip'", for a time zone with two TZID lines)."""

from __future__ import annotations

import re
import warnings

import icalendar

# What the library raises on text it does not expect, besides ValueError: a parameter given
# twice becomes a list (AttributeError), a zone's rule without FREQ (TypeError), a TZID naming
# a folder of the zone database, "Europe" (IsADirectoryError).
LIBRARY_FAULTS = (ValueError, TypeError, AttributeError, KeyError, IndexError, OSError)

_PART = re.compile(r"^(BEGIN|END):(VEVENT|VTODO|VTIMEZONE)\s*$", re.IGNORECASE)
MOST_PARTS_TRIED = 20_000  # the search is only for a refusal; a bigger file is said without a line


def first_unreadable_part(text: str) -> tuple[str, int] | None:
    """(what it is, its first line) of the first event, task or time zone the library cannot
    read alone, or None when each reads (the trouble is between them, or in the calendar's own
    lines)."""
    lines = text.splitlines()
    start: tuple[int, str] | None = None
    tried = 0
    for number, line in enumerate(lines, start=1):
        found = _PART.match(line)
        if found is None:
            continue
        what, name = found.group(1).upper(), found.group(2).upper()
        if what == "BEGIN" and start is None:
            start = (number, name)
        elif what == "END" and start is not None and start[1] == name:
            tried += 1
            if tried > MOST_PARTS_TRIED:
                return None
            alone = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *lines[start[0] - 1:number], "END:VCALENDAR", ""])
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    icalendar.Calendar.from_ical(alone, multiple=True)
            except LIBRARY_FAULTS:
                return {"VEVENT": "event", "VTODO": "task", "VTIMEZONE": "time zone"}[name], start[0]
            start = None
    return None
