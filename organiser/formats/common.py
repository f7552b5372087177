"""What every format reader hands back, and the error a person sees for a bad file.

Readers never touch the database: they turn a file into `ParsedItem`s (plain field
values, with the item and line number they came from) and the import service decides
what each one means for the group.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from organiser.core.errors import OrganiserError

FORMATS = ("ics", "vcf", "csv", "json")
SPREADSHEETS = ("xlsx", "xls", "ods")
EXPORT_FORMATS = (*FORMATS, "xlsx")  # .xlsx is written for spreadsheets; a sheet comes back in as CSV


class FormatError(OrganiserError):
    """A file that cannot be read at all; the message names the file and where."""


# What an import reads at most. A group's calendar, contact list or member sheet is a few MB
# (10,000 members: 1-2 MB; a phone's contacts with their photos: tens of MB); reading takes up
# to about 17 times a file's size in memory (a sheet of a million empty cells), so a bigger file
# is refused before it is read, and a pipe or device is read no further than this. A full
# backup is bigger (a year-old group: 130 MB) and read in steps, so it has its own bound.
MAX_IMPORT_MB = 100
MAX_BACKUP_MB = 1024
_MB = 1024 * 1024


def read_import_file(path: str | Path) -> bytes:
    """The bytes of a file to import, or FormatError with one sentence: no such file, a folder,
    unreadable, or bigger than an import reads (said before reading it)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(4096)
            cap = (MAX_BACKUP_MB if _backup_like(head) else MAX_IMPORT_MB) * _MB
            size = os.fstat(f.fileno()).st_size
            if size > cap:  # a regular file says its size: refused without reading it
                raise FormatError(_too_big(path, size, cap))
            data = head + f.read(cap + 1 - len(head))  # a pipe or device: read no further than the bound
    except FileNotFoundError:
        raise FormatError(f"{path}: there is no such file.") from None
    except IsADirectoryError:
        raise FormatError(f"{path} is a folder, not a file.") from None
    except OSError as exc:
        raise FormatError(f"{path} cannot be read ({exc.strerror}).") from None
    if len(data) > cap:
        raise FormatError(_too_big(path, None, cap))
    return data


def write_export(target: Path, data: bytes) -> None:
    """Write an export beside `target` and move it over, so a crash leaves the old file or the new
    one, whole; FormatError with one sentence when it cannot be written. What was written beside
    it is removed then: a member list left as 'members.csv.part' next to a folder named as the
    file stayed there for anyone to read.

    The file is the owner's only (0600), whatever the umask: a desktop session's 022 made every
    member list, backup and set of minutes readable by the other accounts of a shared laptop, which
    cannot open the data folder. It is created so before a byte is written, and a file it replaces
    does not pass its mode on."""
    if target.is_dir():
        raise FormatError(f"{target} is a folder: name a file in it, e.g. {target / 'export'}.")
    part = target.with_name(target.name + ".part")
    made = False  # only a part file this call made is removed: another's (a folder, another account's) is theirs
    try:
        part.unlink(missing_ok=True)  # one left by a crash may be readable by all: never written into
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        made = True
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        part.replace(target)
    except OSError as exc:
        if made:
            with contextlib.suppress(OSError):
                part.unlink(missing_ok=True)
        raise FormatError(f"{target} cannot be written ({exc.strerror}).") from None


def _backup_like(head: bytes) -> bool:
    """A full backup (plain or encrypted) is JSON: an object from its first character."""
    return head.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"{")


def _too_big(path: Path, size: int | None, cap: int) -> str:
    """`size`: None for a pipe or device, which says no size."""
    what = "a backup" if cap > MAX_IMPORT_MB * _MB else "a calendar, contact list or member sheet"
    held = f"is {size / _MB:,.0f} MB," if size is not None else "holds"
    return (f"{path} {held} more than the {cap // _MB:,} MB an import reads for {what}; "
            "nothing was imported. Is it the file you meant?")


@dataclass
class ParsedItem:
    """One member, event or task read from a file, not yet checked against the group."""

    kind: str  # member | event | task
    number: int  # 1-based position among the file's items of this kind
    line: int | None  # where it starts in the file, when the format has lines
    values: dict[str, Any]
    # What a record does not hold but the import needs: the item's UID, roles, the UID
    # of a related event, an assignee's email address.
    extra: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # why it cannot be imported
    warnings: list[str] = field(default_factory=list)  # what was dropped or guessed
    unit: str = ""  # what the file calls an item: "row", "contact", "event", "task"

    @property
    def where(self) -> str:
        """Where a person finds the item in the file, e.g. "line 12" or "contact 3 (line 40)"."""
        if self.unit == "row":
            return f"line {self.line}"
        noun = self.unit or {"member": "contact"}.get(self.kind, self.kind)
        at = f" (line {self.line})" if self.line else ""
        return f"{noun} {self.number}{at}"

    @property
    def label(self) -> str:
        values = self.values
        return str(values.get("name") or values.get("title") or "(no name)")

    @property
    def when(self) -> str:
        """When an event or task is, as a person checks it: "Thu 3 Dec 2026 19:00, repeats"."""
        values = self.values
        try:
            if self.kind == "event" and values.get("start"):
                start = datetime.fromisoformat(values["start"])
                text = f"{start:%a %-d %b %Y}" + (", all day" if values.get("all_day") else f" {start:%H:%M}")
                text += ", repeats" if values.get("rrule") else ""
                return text + (", cancelled" if values.get("status") == "cancelled" else "")
            if self.kind == "task" and values.get("due"):
                return f"due {date.fromisoformat(str(values['due'])[:10]):%a %-d %b %Y}"
        except (TypeError, ValueError):
            pass
        return ""


@dataclass
class ParsedFile:
    source: str
    format: str
    items: list[ParsedItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # about the file as a whole
    # The headings of filled columns no field took, and the warning that names them (in the
    # command line's words: the app says it in its own)
    left_out: list[str] = field(default_factory=list)
    left_out_note: str = ""


OWN_UID = re.compile(r"^([0-9a-f]{32})@organiser$")


_GOOGLE_SYSTEM_GROUPS = {"mycontacts", "starred"}


def google_system_group(label: str) -> bool:
    """Google Contacts' own groups ("* myContacts", "starred"), which it writes beside a
    contact's labels in CSV and vCard alike: not a role anyone gave."""
    return label.lstrip("* ").casefold() in _GOOGLE_SYSTEM_GROUPS


def own_uid(record_id: str) -> str:
    """The UID a record Organiser made is exported with; a record from another tool keeps its own."""
    return f"{record_id}@organiser"


# A calendar or vCard line folded in the middle of a character's UTF-8 bytes (Outlook and
# others fold at 75 bytes, whatever they split): the lead byte(s), the fold, the rest.
_SPLIT_BY_A_FOLD = re.compile(rb"([\xc2-\xf4][\x80-\xbf]{0,2})(\r?\n[ \t])([\x80-\xbf]{1,3})")


def decode_text(data: bytes, source: str, *, folded: bool = False) -> str:
    """Text of a file saved by any common tool: UTF-8 with or without BOM, UTF-16 with a
    BOM (Excel's "Unicode text") or without, else Windows-1252 (Excel's "CSV" on Windows).
    `folded`: a calendar or vCard, whose lines may be folded inside a character (RFC 5545
    3.1 asks readers to put it back together): the file was read as Windows-1252 for it,
    every accent garbled ('Ãœberseestraße'). The character is made whole before the fold, so
    each line keeps its number."""
    if folded and _SPLIT_BY_A_FOLD.search(data):  # unfolded, the text is the same
        data = _SPLIT_BY_A_FOLD.sub(rb"\1\3\2", data)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise FormatError(f"{source}: the file says it is UTF-16 but is not.") from None
    bare = utf16_without_bom(data)
    if bare is not None:
        return data.decode(bare)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):  # a character cut or damaged somewhere: the rest is UTF-8 (see not_utf8_lines)
        return data.decode("utf-8-sig", errors="replace")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# A character's UTF-8 bytes: a file of Windows-1252 text hardly ever holds one.
_UTF8_CHARACTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _mostly_utf8(data: bytes) -> bool:
    """UTF-8 text with a few bytes that are not (a cell Excel cut inside a character, a copy cut
    short): read as Windows-1252 for them, every other accent in the file came out garbled."""
    bad = data.decode("utf-8", errors="replace").count("\ufffd")
    return bad > 0 and len(_UTF8_CHARACTER.findall(data)) >= 2 * bad


def not_utf8_lines(data: bytes) -> list[int]:
    """The lines holding bytes that are not UTF-8, in a file read as UTF-8 for the rest."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or utf16_without_bom(data) is not None:
        return []
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return []
    if not _mostly_utf8(data):
        return []
    return [number for number, line in enumerate(data.splitlines(), start=1)
            if "\ufffd" in line.decode("utf-8", errors="replace")]


def detect_format(path: str | Path, data: bytes) -> str:
    """The format of a file, from its extension, else from what it starts with."""
    suffix = Path(path).suffix.lower().lstrip(".")
    aliases = {"ical": "ics", "ifb": "ics", "icalendar": "ics", "vcard": "vcf", "txt": "",
               "tsv": "csv"}
    suffix = aliases.get(suffix, suffix)
    if suffix in SPREADSHEETS or data.startswith(b"PK\x03\x04"):  # .xlsx and .ods are zip files
        raise FormatError(f"{path}: this is a spreadsheet file, which import does not read; save it as CSV "
                          "(in LibreOffice or Excel: Save as, CSV UTF-8) and import that.")
    if not data.strip():
        raise FormatError(f"{path}: the file is empty.")
    by_content = format_by_content(data, str(path))
    if by_content is not None:  # a calendar or cards saved under another tool's name, or with a stray NUL
        return by_content
    if _binary(data):
        raise FormatError(f"{path}: this is not a text file (a picture, PDF or other binary file); import reads "
                          "calendars (.ics), contacts (.vcf) and CSV spreadsheets (.csv).")
    if suffix in FORMATS:
        return suffix
    head = decode_text(data[:4096], str(path)).lstrip().upper()
    if head.startswith("{"):
        return "json"
    if head:
        return "csv"
    raise FormatError(f"{path}: the file is empty.")


def utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" for UTF-16 text without a byte order mark (some tools write
    it so: a NUL beside every Latin letter, always on the same side), else None."""
    head = data[:4096]
    if len(data) % 2 or len(head) < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    side = "utf-16-le" if odd and not even else "utf-16-be" if even and not odd else None
    if side is None or max(even, odd) < len(head) // 8:  # a few NULs in a binary file are not text
        return None
    try:
        data.decode(side)
    except UnicodeDecodeError:
        return None
    return side


def _binary(data: bytes) -> bool:
    """A PDF, or bytes no text file holds (NUL) in a file that is not UTF-16."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or utf16_without_bom(data) is not None:
        return False
    return data.startswith(b"%PDF") or b"\x00" in data[:4096]


def format_by_content(data: bytes, source: str) -> str | None:
    """"ics" or "vcf" when the file begins as a calendar or a vCard does, whatever its name."""
    head = decode_text(data[:4096], source).lstrip().upper()
    if head.startswith("BEGIN:VCALENDAR"):
        return "ics"
    if head.startswith("BEGIN:VCARD"):
        return "vcf"
    return None


def misnamed(path: str | Path, fmt: str) -> str | None:
    """A sentence for a file read as `fmt` whose name says another format, else None."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in ("ics", "vcf", "csv") or suffix == fmt:
        return None
    what = {"ics": "an iCalendar calendar", "vcf": "vCard contacts", "csv": "a CSV sheet"}[fmt]
    return f"{path} holds {what}, not what its name says; it was read as {FORMAT_NAMES.get(fmt, fmt)}"


FORMAT_NAMES = {"ics": "iCalendar", "vcf": "vCard", "csv": "CSV"}


# A UTF-8 lead byte read as Windows-1252 (Ã, Â, Ä, æ, ...) followed by what a continuation
# byte (0x80-0xBF) reads as in Windows-1252 or Latin-1: "Zoë" saved as UTF-8, opened as
# Windows-1252 and saved again reads "ZoÃ«".
_MISDECODED = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")


def _bytes_below_256(error: UnicodeError) -> tuple[bytes, int]:
    """Windows-1252 leaves five bytes undefined; a tool that read them as Latin-1 wrote U+0081..."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chunk = error.object[error.start:error.end]
    if any(ord(c) > 255 for c in chunk):
        raise error
    return bytes(ord(c) for c in chunk), error.end


codecs.register_error("organiser-latin1", _bytes_below_256)


def _ends_word(char: str) -> bool:
    return char.isspace() or char in ",;\"<>:="


@dataclass(frozen=True)
class Misdecoded:
    """A file whose text looks like UTF-8 that was read as Windows-1252 and saved again."""

    data: bytes  # the right reading, as UTF-8
    seen: str  # a word as the file has it, e.g. "ZoÃ«"
    meant: str  # the same word read right, "Zoë"

    def sentence(self, source: str) -> str:
        return (f"{source} looks like UTF-8 text that was read as Windows-1252 and saved again "
                f"('{self.seen}' would read '{self.meant}')")


def find_misdecoding(data: bytes, source: str) -> Misdecoded | None:
    """The right reading of a doubly encoded file, or None when the text reads as it should."""
    text = decode_text(data, source)
    found = _MISDECODED.search(text)  # one pass in C; a pattern with \S* around it would backtrack for seconds
    if found is None:
        return None
    try:
        fixed = text.encode("cp1252", errors="organiser-latin1").decode("utf-8")
    except UnicodeError:  # characters no single-byte reading made: the text is not (all) double-encoded
        return None
    fixed = fixed.removeprefix("\ufeff")
    start, end = found.start(), found.end()  # the word it is in, to show a person
    while start > 0 and not _ends_word(text[start - 1]) and found.start() - start < 40:
        start -= 1
    while end < len(text) and not _ends_word(text[end]) and end - found.end() < 40:
        end += 1
    seen = text[start:end]
    meant = seen.encode("cp1252", errors="organiser-latin1").decode("utf-8", errors="replace")
    return Misdecoded(fixed.encode("utf-8"), seen, meant)
