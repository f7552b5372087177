"""iCalendar, vCard, CSV and backup JSON in and out. Pure: no Qt, no sockets, no SQL.

Readers turn bytes into `ParsedItem`s; writers turn plain field values into bytes. The
import and export use cases live in `organiser.services.transfer`.
"""

from organiser.formats.common import FORMATS, FormatError, ParsedFile, ParsedItem, detect_format
from organiser.formats.recurrence import Occurrence, occurrences

__all__ = ["FORMATS", "FormatError", "Occurrence", "ParsedFile", "ParsedItem", "detect_format", "occurrences"]
