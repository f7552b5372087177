"""Dates as European spreadsheets write them: 15.01.2026, 03/09/2025, 3-9-2025.

A member's joined and consent dates are stored as 2026-01-15. Dots are always day first
(German, Polish, Turkish, Scandinavian sheets). With slashes or dashes, the day may come
first (Europe) or the month (the United States): a column's own cells decide where one of
them has a number above 12 in either place; else a sheet separated by semicolons (what
Excel and LibreOffice save in a country that writes decimal commas) is read day first.
A date still in doubt is left as written, and refused with the field's own sentence."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

_NUMERIC = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4})")
DATE_FIELDS = ("joined", "consent_date")


def day_comes_first(cells: Iterable[str], delimiter: str) -> bool | None:
    """Whether the column's dates put the day first: True, False, or None when nothing tells."""
    for cell in cells:
        found = _NUMERIC.fullmatch(cell.strip())
        if not found:
            continue
        first, second = int(found.group(1)), int(found.group(3))
        if first > 12 >= second:
            return True
        if second > 12 >= first:
            return False
    return True if delimiter == ";" else None


def iso_date(cell: str, day_first: bool | None) -> str:
    """The cell as 2026-01-15 when it is such a date and its order is known, else as it is."""
    found = _NUMERIC.fullmatch(cell.strip())
    if not found:
        return cell
    first, mark, second, year = int(found.group(1)), found.group(2), int(found.group(3)), int(found.group(4))
    if mark != ".":
        if day_first is None:
            return cell
        if not day_first:
            first, second = second, first
    try:
        return date(year, second, first).isoformat()
    except ValueError:
        return cell  # 31.02.2026: refused with the field's sentence
