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
    Raise FormatError when the file lists more than MAX_DATES_PER_FILE in all.

    Each property is read as the library reads it, its folded lines joined first: a fold may
    fall inside the name ('EXD' then ' ATE:...'), and the library, joining them, read every date
    of a list the count had not seen. Lines end as the library ends them, at a line feed only
    (a form feed or a lone carriage return inside a list does not end it)."""
    lines = _physical(text)
    counts: dict[tuple[str, int], int] = {}
    where: dict[tuple[str, int], list[int]] = {}  # the physical lines of each item's date lists
    numbers = {"VEVENT": 0, "VTODO": 0}
    item: tuple[str, int] | None = None
    total = 0
    for first, last in _properties(lines):
        whole = _bare(lines[first]) + "".join(_bare(lines[index])[1:] for index in range(first + 1, last))
        if _DATE_LIST.match(whole):
            found = whole.partition(":")[2].count(",") + 1
            total += found
            if item is not None:
                counts[item] = counts.get(item, 0) + found
                where.setdefault(item, []).extend(range(first, last))
        elif whole[:1] in "BEbe" and (match := _ITEM.match(whole)):
            kind = match.group(2).upper()
            if match.group(1).upper() == "BEGIN":
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


def _physical(text: str) -> list[str]:
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _bare(line: str) -> str:
    return line.removesuffix("\n").removesuffix("\r")


def _properties(lines: list[str]) -> list[tuple[int, int]]:
    """Each property's physical lines: [first, last) of `lines`, its folded lines after its
    first; blank lines before a folded line are the library's fold too."""
    found: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(lines) + 1):
        if index == len(lines) or (lines[index][:1] not in (" ", "\t") and _bare(lines[index])):
            found.append((start, index))
            start = index
    return found
