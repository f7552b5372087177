"""Members -> .xlsx (`openpyxl`), for people who live in Excel or LibreOffice.

Every cell is a text cell (type "s", format "@"): a name beginning with "=" stays a name
and a phone keeps its leading 0 or +, with no apostrophe needed as in the CSV. The columns
are the CSV export's, so a sheet saved as CSV imports back.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from organiser.formats.csvfile import COLUMNS, member_row, unprotect


def write_members_xlsx(members: Iterable[Mapping[str, Any]]) -> bytes:
    # imported here: openpyxl takes a fifth of a second to import, and every command would pay it
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Members")
    sheet.append(list(COLUMNS))
    for member in members:
        sheet.append([_text_cell(sheet, value) for value in member_row(member)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text_cell(sheet: Any, value: str) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import TYPE_STRING

    cell = WriteOnlyCell(sheet, value=None)
    # set directly: assigning a str that starts with "=" would make openpyxl write a formula
    cell._value = _kept_through_csv(_legal(value))
    cell.data_type = TYPE_STRING
    cell.number_format = "@"
    return cell


def _kept_through_csv(text: str) -> str:
    """A sheet saved as CSV writes each cell's text as it is, and the CSV import takes one
    apostrophe off a cell like "'0" (the CSV export's protection). Text that really begins
    that way gets one more apostrophe here, so it comes back whole."""
    return "'" + text if unprotect(text) != text else text


def _legal(value: str) -> str:
    """XML 1.0 cannot hold most control characters; a spreadsheet cell never shows them."""
    return "".join(c for c in value if c in "\t\n\r" or ord(c) >= 32)
