"""How many dates a calendar lists to add to or leave out of its series (RDATE and EXDATE), counted
on the text before the library reads it.

A file whose event listed a million dates to leave out took 47 s to import before it was refused
for the size of its recurrence: the library reads each date, then the rule was checked date by
date. No calendar a group keeps lists that many (a daily meeting for 25 years has 9,000 days), so
an event or task that lists more than MAX_DATES_PER_EVENT is set aside with a sentence and its
dates never read, and a file that lists more than MAX_DATES_PER_FILE in all is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from organiser.formats.common import FormatError

__all__ = ["MAX_DATES_PER_EVENT", "MAX_DATES_PER_FILE", "DateLists", "bound_date_lists", "too_many_dates"]

# The app writes a date as 15 characters and a comma: 10,000 fit in the 200,000 characters a
# recurrence may hold.
MAX_DATES_PER_EVENT = 10_000
# A big shared calendar (2,000 series with 20 exceptions each) lists 40,000.
MAX_DATES_PER_FILE = 100_000

_DATE_LIST = re.compile(r"^(?:RDATE|EXDATE)[;:]", re.IGNORECASE)
_ITEM = re.compile(r"^(BEGIN|END):(VEVENT|VTODO)\s*$", re.IGNORECASE)


@dataclass
class DateLists:
    """The text for the library, with the date lines of events and tasks over the bound
    emptied (each line stays, so every line keeps its number), and how many dates each of
    those listed: {(VEVENT or VTODO, 0-based index among its kind): dates}."""

    text: str
    over: dict[tuple[str, int], int] = field(default_factory=dict)


def too_many_dates(count: int) -> str:
    """Why an event or task is set aside: a problem sentence for the person importing."""
    return (f"it lists {count:,} dates to add or leave out (RDATE/EXDATE), more than the "
            f"{MAX_DATES_PER_EVENT:,} an event may list; its dates were not read")


def bound_date_lists(text: str, source: str) -> DateLists:
    """Count each event's and task's RDATE and EXDATE values, without parsing a date.
    Raise FormatError when the file lists more than MAX_DATES_PER_FILE in all."""
    lines = text.splitlines(keepends=True)
    counts: dict[tuple[str, int], int] = {}
    where: dict[tuple[str, int], list[int]] = {}  # the physical lines of each item's date lists
    numbers = {"VEVENT": 0, "VTODO": 0}
    item: tuple[str, int] | None = None
    in_dates = False  # the property being read is a date list (its folded lines are too)
    total = 0
    for index, line in enumerate(lines):
        if line[:1] in (" ", "\t"):
            if in_dates:
                total += _count_here(line, counts, where, item, index, continued=True)
            continue
        in_dates = bool(_DATE_LIST.match(line))
        if in_dates:
            total += _count_here(line, counts, where, item, index, continued=False)
        elif line[:1] in "BEbe" and (found := _ITEM.match(line)):
            kind = found.group(2).upper()
            if found.group(1).upper() == "BEGIN":
                item = (kind, numbers[kind])
                numbers[kind] += 1
            else:
                item = None
    over = {key: count for key, count in counts.items() if count > MAX_DATES_PER_EVENT}
    kept = total - sum(over.values())
    if kept > MAX_DATES_PER_FILE:
        raise FormatError(f"{source}: its events list {kept:,} dates to add or leave out (RDATE/EXDATE) in all, "
                          f"more than the {MAX_DATES_PER_FILE:,} a calendar may list; nothing was imported.")
    for key in over:
        for index in where[key]:
            lines[index] = "\r\n" if lines[index].endswith("\n") else ""
    return DateLists("".join(lines) if over else text, over)


def _count_here(line: str, counts: dict[tuple[str, int], int], where: dict[tuple[str, int], list[int]],
                item: tuple[str, int] | None, index: int, *, continued: bool) -> int:
    """The dates a date-list line adds: one per comma, and one for the property's first value."""
    value = line if continued else line.partition(":")[2]
    found = value.count(",") + (0 if continued else 1)
    if item is not None:
        counts[item] = counts.get(item, 0) + found
        where.setdefault(item, []).append(index)
    return found
