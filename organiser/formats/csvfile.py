"""Members <-> CSV, with the standard `csv` module.

A spreadsheet's header row is mapped to member fields: the column names of Google
Contacts, Outlook and LibreOffice-style sheets ("Name", "E-mail", "Phone") are recognised,
and `--map COLUMN=field` names the rest. Text may be UTF-8 with or without BOM (or
Windows-1252, as Excel saves "CSV" on Windows), fields separated by commas, semicolons or
tabs (found with `csv.Sniffer`), lines ended any way.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from organiser.core.working_groups import working_group_role
from organiser.formats.common import (
    OWN_UID,
    FormatError,
    ParsedFile,
    ParsedItem,
    decode_text,
    google_system_group,
    own_uid,
)
from organiser.formats.sheet_dates import DATE_FIELDS, day_comes_first, iso_date

# Targets a column can map to; "given", "middle" and "family" are also joined into the name
# when the file has no name column. Each name part is kept as the member's structured name.
TARGETS = ("name", "given", "middle", "family", "prefix", "suffix", "emails", "phones", "roles", "working_groups",
           "skills",
           "notes", "consent_email", "consent_phone", "consent_date", "joined", "phone_types", "email_types",
           "uid", "ignore")
NAME_TARGETS = {"family": "family_name", "given": "given_name", "middle": "additional_names",
                "prefix": "name_prefix", "suffix": "name_suffix"}
TARGET_ALIASES = {
    "first_name": "given", "given_name": "given", "firstname": "given", "middle_name": "middle",
    "last_name": "family", "family_name": "family", "surname": "family", "lastname": "family",
    "email": "emails", "e-mail": "emails", "phone": "phones", "role": "roles", "categories": "roles",
    "working_group": "working_groups", "working group": "working_groups", "working groups": "working_groups",
    "skill": "skills", "note": "notes", "-": "ignore", "skip": "ignore", "none": "ignore",
}
# Whole column names (normalised: lower case, words split on anything not a letter/digit).
EXACT = {
    "name": "name", "full name": "name", "display name": "name", "contact name": "name",
    "member": "name", "member name": "name", "fn": "name", "nom": "name", "nombre": "name",
    "first name": "given", "given name": "given", "firstname": "given", "forename": "given",
    "vorname": "given", "prenom": "given", "middle name": "middle", "additional name": "middle",
    "last name": "family", "family name": "family", "surname": "family", "lastname": "family",
    "nachname": "family", "additional names": "middle", "name prefix": "prefix", "prefix": "prefix",
    "name suffix": "suffix", "suffix": "suffix", "phone types": "phone_types", "email types": "email_types",
    "uid": "uid",
    "roles": "roles", "role": "roles", "categories": "roles", "category": "roles",
    "labels": "roles", "group membership": "roles", "groups": "roles", "tags": "roles",
    "working group": "working_groups", "working groups": "working_groups",
    "skills": "skills", "skill": "skills",
    "notes": "notes", "note": "notes", "comments": "notes", "comment": "notes", "remarks": "notes",
    "consent to email": "consent_email", "consent email": "consent_email",
    "email consent": "consent_email", "consent to phone": "consent_phone",
    "consent phone": "consent_phone", "phone consent": "consent_phone",
    "consent date": "consent_date", "joined": "joined", "joined date": "joined",
    "join date": "joined", "joined on": "joined", "member since": "joined",
    "id": "ignore",
    # other languages' sheets: a lone "Nom", "Name" or "Nome" beside "Prénom" is the family name
    # (see _halves_of_the_name)
    "nom de famille": "family", "nom complet": "name", "nazwisko": "family", "imie": "given",
    "imie i nazwisko": "name", "ad": "given", "soyad": "family", "ad soyad": "name", "isim": "given",
    "cognome": "family", "nome": "name", "nome e cognome": "name", "apellido": "family",
    "apellidos": "family", "naam": "name", "achternaam": "family", "voornaam": "given",
    "adhesion": "joined", "date d adhesion": "joined", "date adhesion": "joined", "mitglied seit": "joined",
    "eintritt": "joined", "eintrittsdatum": "joined", "data przystapienia": "joined",
    "data dolaczenia": "joined", "uyelik tarihi": "joined", "kayit tarihi": "joined",
}
_NOT_A_VALUE = ("type", "label", "display", "kind")
_PHONE_WORDS = ("phone", "mobile", "cell", "telephone", "tel", "handy", "telefon", "telefono", "mobil", "mobiel",
                "cellulare", "portable", "gsm", "telefoon", "movil", "mobilnummer", "mobiltelefon",
                "telefonnummer", "handynummer")
_WORD = re.compile(r"[^0-9a-z]+")


def normalise_header(text: str) -> str:
    # accents off, so "Téléphone" and "Móvil" read as the words they are
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.strip().casefold()) if not unicodedata.combining(c))
    return " ".join(w for w in _WORD.split(folded) if w)


def guess_target(header: str) -> str | None:
    """The member field a column name means, or None when it is not recognised."""
    key = normalise_header(header)
    if key in EXACT:
        return EXACT[key]
    words = key.split()
    if any(w in _NOT_A_VALUE for w in words):
        return None
    if "mail" in key and "consent" not in words:
        return "emails"  # E-mail, E-mail 2 Address, E-mail 1 - Value, Work email
    if any(w in _PHONE_WORDS for w in words) and "fax" not in words:
        return "phones"  # Mobile Phone, Phone 1 - Value, Home Phone 2
    return None


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """`--map COLUMN=field` options as {column: target}; raise FormatError on a bad one."""
    out: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.rpartition("=")
        column, target = column.strip(), target.strip().lower().replace(" ", "_")
        target = TARGET_ALIASES.get(target, target)
        if not sep or not column:
            raise FormatError(f"--map '{pair}': write it as COLUMN=field, e.g. 'Mobile=phone'.")
        if target not in TARGETS:
            raise FormatError(f"--map '{pair}': '{target}' is not a member field; use one of "
                              f"{', '.join(TARGETS)}.")
        out[column] = target
    return out


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: what `csv.Sniffer` finds, unless the header row (the
    surer witness, as cells below may hold any punctuation) clearly says otherwise."""
    # The sniffer's regular expressions grow much worse than linearly with the sample
    # (and hold the GIL while they run), so it sees the first lines only.
    sample = "\n".join(text[:16384].splitlines()[:30])
    header = sample.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    best = max(",;\t", key=header.count)
    if header.count(best) > header.count(delimiter):
        delimiter = best
    return delimiter


def _split_escaped(value: str) -> list[str]:
    """Values separated by ";" where a value's own ";" and "\\" are written "\\;" and "\\\\"."""
    parts, current, index = [], [], 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            current.append(value[index + 1])
            index += 2
            continue
        if char == ";":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _join_escaped(values: Iterable[str]) -> str:
    return "; ".join(v.replace("\\", "\\\\").replace(";", "\\;") for v in values)


# A long number as Excel shows and saves it when a phone column is formatted as a number:
# "4,91701E+12" (a decimal comma in much of Europe), "4.91701E+12".
_SHORTENED = re.compile(r"^\d+(?:[.,]\d+)?E\+\d+$", re.IGNORECASE)


def _split(value: str, target: str) -> list[str]:
    if target == "phones" and _SHORTENED.match(value.strip()):
        return [value.strip()]  # one number, its comma a decimal comma
    chunks = value.split(" ::: ")  # as Google writes several labels
    parts = (part.strip() for chunk in chunks for part in _pieces(chunk, target))
    return [part for part in parts if part and not (target == "roles" and google_system_group(part))]


def _pieces(chunk: str, target: str) -> list[str]:
    """Roles and skills are split at ";" (a "\\;" kept in the value); emails and phones at ";" or ","."""
    if target not in ("roles", "working_groups", "skills"):
        return re.split(r"[;,]", chunk)
    return _split_escaped(chunk) if "\\" in chunk else chunk.split(";")


_SEP_LINE = re.compile(r"^sep=([^\r\n])[ ]*(?:\r\n|\n|\r)", re.IGNORECASE)


def read_members_csv(data: bytes, source: str, mapping: Mapping[str, str] | None = None) -> ParsedFile:
    text = decode_text(data, source)
    if not text.strip():
        raise FormatError(f"{source}: the file is empty.")
    hint = _SEP_LINE.match(text)  # Excel's "sep=;" first line names the separator
    delimiter = hint.group(1) if hint else sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        if hint:
            next(reader)
        header = next(reader)
    except csv.Error as exc:
        raise FormatError(f"{source}: line 1 cannot be read as CSV ({exc}).") from None
    except StopIteration:  # Excel's "sep=;" line and nothing after it
        raise FormatError(f"{source}: the file is empty (it names its separator, and has no rows).") from None
    targets = _targets(header, mapping or {}, source)
    carried = _carried(targets)
    parsed = ParsedFile(source, "csv")
    filled: set[int] = set()  # columns with something in them, to tell people what was left out
    start = 1
    for number, (start, row) in enumerate(_filled_rows(reader, source), start=1):
        filled.update(i for i, cell in enumerate(row) if cell.strip())
        parsed.items.append(_row_item(row, targets, number, start, carried))
    _dates_as_iso(parsed, delimiter)
    if _ends_inside_quotes(text, delimiter):
        raise FormatError(f"{source}: line {start}: a cell starts with a quote mark (\") that is never closed, "
                          "so the rest of the file would be read as that one cell; add the closing quote "
                          "or remove the opening one, and import again.")
    _warn_unused(parsed, header, targets, filled)
    return parsed


def _dates_as_iso(parsed: ParsedFile, delimiter: str) -> None:
    """Joined and consent dates written as the sheet's country writes them, as 2026-01-15."""
    for name in DATE_FIELDS:
        cells = [item.values[name] for item in parsed.items if isinstance(item.values.get(name), str)]
        if not cells:
            continue
        day_first = day_comes_first(cells, delimiter)
        for item in parsed.items:
            if isinstance(item.values.get(name), str):
                item.values[name] = iso_date(item.values[name], day_first)


def _ends_inside_quotes(text: str, delimiter: str) -> bool:
    """The csv module reads a quote never closed to the end of the file as one cell. Quote marks
    come in pairs in any well-formed sheet, so only a file with an odd number of them is walked
    again, quote by quote, as the csv module reads it: a quote opens a cell only at the cell's
    start (`"Anna" Smith` is one cell, its quotes a pair), and two in a row inside it are one
    quote mark. (The strict reader stopped at the first stray quote, and missed a cut-off after it.)"""
    if text.count('"') % 2 == 0:
        return False
    quoted = False
    cell_starts = 0  # where the current cell begins
    closed_at = -2  # where the last quote that closed a cell was
    for mark in re.finditer(f'["\r\n{re.escape(delimiter)}]', text):
        at, char = mark.start(), mark.group()
        if quoted:
            if char == '"':
                quoted, closed_at = False, at
        elif char == '"':
            quoted = at in (cell_starts, closed_at + 1)  # a cell's opening quote, or "" inside a quoted cell
        else:
            cell_starts = at + 1
    return quoted


def _carried(targets: list[str | None]) -> frozenset[str]:
    """The member fields this file's columns carry: a row with a known UID replaces these."""
    return frozenset({CARRIES.get(t, t) for t in targets if t} | (
        {"name"} if {"given", "middle", "family"} & set(targets) else set()))


SHOWN_COLUMNS = 10
SHOWN_HEADING = 80


def some_columns(headings: list[str]) -> str:
    """The first few headings, each cut short, and how many more: a sheet of a million columns,
    or a heading of 100,000 characters, made a note of megabytes, which the import window then
    laid out on its thread."""
    shown = ", ".join(repr(short_heading(h)) for h in headings[:SHOWN_COLUMNS])
    more = len(headings) - SHOWN_COLUMNS
    return shown + (f" and {more:,} more" if more > 0 else "")


def short_heading(heading: str) -> str:
    return heading if len(heading) <= SHOWN_HEADING else heading[:SHOWN_HEADING] + "…"


def _warn_unused(parsed: ParsedFile, header: list[str], targets: list[str | None], filled: set[int]) -> None:
    """Tell people which filled columns were left out, and how to import one."""
    unused = [h for i, (h, t) in enumerate(zip(header, targets, strict=True))
              if t is None and h.strip() and i in filled]
    if unused:
        parsed.left_out = unused
        parsed.left_out_note = (
            f"{parsed.source}: column{'s' if len(unused) > 1 else ''} {some_columns(unused)} "
            "not imported (use --map 'COLUMN=field' to import one)")
        parsed.warnings.append(parsed.left_out_note)


def _filled_rows(reader: Any, source: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of each row with something in it; a row the csv module cannot
    read is refused with its line."""
    last_line = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FormatError(f"{source}: line {last_line + 1} cannot be read as CSV ({exc}).") from None
        start, last_line = last_line + 1, reader.line_num
        if any(cell.strip() for cell in row):
            yield start, row


def _targets(header: list[str], mapping: Mapping[str, str], source: str) -> list[str | None]:
    by_key = {normalise_header(h): i for i, h in enumerate(header)}
    targets = _halves_of_the_name([guess_target(h) for h in header])
    for column, target in mapping.items():
        index = header.index(column) if column in header else by_key.get(normalise_header(column))
        if index is None:
            raise FormatError(f"{source}: --map names column '{column}', but the file's columns are "
                              f"{', '.join(repr(h) for h in header)}.")
        targets[index] = None if target == "ignore" else target
    if not {"name", "given", "family", "emails"} & set(targets):
        raise FormatError(f"{source}: no column holds names or email addresses (columns: "
                          f"{', '.join(repr(h) for h in header)}); name one with --map 'COLUMN=name'.")
    return targets


def _halves_of_the_name(targets: list[str | None]) -> list[str | None]:
    """A lone name column beside a given-name column is the family name ("Nom;Prénom",
    "Name;Vorname", "Nazwisko;Imię"), and beside a family-name column the given name
    ("Nombre;Apellidos", "Nome;Cognome"): else the name would be half of it."""
    if targets.count("name") != 1:
        return targets
    other_half = {"given": "family", "family": "given"}
    present = [half for half in other_half if half in targets]
    if len(present) != 1:
        return targets
    return [other_half[present[0]] if t == "name" else t for t in targets]


def _row_item(row: list[str], targets: list[str | None], number: int, line: int,
              carried: frozenset[str]) -> ParsedItem:
    item = ParsedItem("member", number, line, {}, unit="row")
    found = _cells_by_target(row, targets)
    values = item.values
    values["name"] = _row_name(found, item)
    values["emails"] = found.get("emails", [])
    values["phones"] = [p for p in found.get("phones", []) if not _SHORTENED.match(p)]
    item.problems.extend(f"phone '{p}' is a number Excel shortened, and its last digits are lost; in Excel, "
                         "format the column as Text, type the numbers again and save"
                         for p in found.get("phones", []) if _SHORTENED.match(p))
    values["notes"] = "\n".join(found.get("notes", []))
    for key in ("consent_email", "consent_phone", "consent_date", "joined"):
        if found.get(key):
            values[key] = found[key][0]
    for target, field_name in NAME_TARGETS.items():
        if found.get(target):
            values[field_name] = " ".join(found[target])
    _read_types(found, values)
    if found.get("uid"):
        item.extra["uid"] = found["uid"][0]
        if not OWN_UID.match(found["uid"][0]):
            values["source_uid"] = found["uid"][0]
    item.extra["roles"] = found.get("roles", []) + [working_group_role(g) for g in found.get("working_groups", [])]
    item.extra["skills"] = found.get("skills", [])
    item.extra["carried"] = carried
    if not values["name"]:
        item.problems.append("it has no name, email address or phone number")
    return item


def _cells_by_target(row: list[str], targets: list[str | None]) -> dict[str, list[str]]:
    """{field or name part: the values the row's cells give it}, lists split, cells unprotected."""
    found: dict[str, list[str]] = {}
    for cell, target in zip(row, targets, strict=False):
        if cell[:1] == "'":
            cell = unprotect(cell)
        if target is None or not cell.strip():
            continue
        cell = cell.replace("\r\n", "\n").replace("\r", "\n")
        if target in ("emails", "phones", "roles", "working_groups", "skills"):
            found.setdefault(target, []).extend(_split(cell, target))
        elif target in ("phone_types", "email_types"):
            found.setdefault(target, []).extend(cell.split(";"))
        else:
            found.setdefault(target, []).append(cell if target == "notes" else cell.strip())
    return found


def _row_name(found: Mapping[str, list[str]], item: ParsedItem) -> str:
    """The name column as written, else the name parts joined (spaces tidied), else the first
    email or phone, with a warning."""
    name = " ".join(found.get("name", [])) or " ".join(
        " ".join(found.get(part, [])) for part in ("given", "middle", "family") if found.get(part))
    if not name.strip():
        fallback = (found.get("emails") or found.get("phones") or [""])[0]
        if fallback:
            item.warnings.append(f"it has no name; it was called '{fallback}'")
        name = fallback
    return name.strip() if found.get("name") else " ".join(name.split())


def _read_types(found: Mapping[str, list[str]], values: dict[str, Any]) -> None:
    """Phone and email types, given in the same order as the phones and emails."""
    for key, listed in (("phone_types", "phones"), ("email_types", "emails")):
        types = {value: [t for t in kinds.split(",") if t.strip()]
                 for value, kinds in zip(values[listed], found.get(key, []), strict=False)}
        if any(types.values()):
            values[key] = {k: v for k, v in types.items() if v}


# Which member field a column fills, where the two names differ.
CARRIES = {**NAME_TARGETS, "uid": "source_uid"}


# ---- writing ------------------------------------------------------------------------------

COLUMNS = ("Name", "Email", "Phone", "Roles", "Skills", "Notes", "Consent to email",
           "Consent to phone", "Consent date", "Joined", "Family name", "Given name", "Additional names",
           "Name prefix", "Name suffix", "Phone types", "Email types", "UID")

# What a spreadsheet would run as a formula (OWASP's list: = + - @, tab, CR), our own escape
# character, or read as a number or date and rewrite (07700 900123 -> 7700900123, +44... -> 44...).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
_NUMBER_LIKE = re.compile(r"^[0-9.,:/%()eE +-]*[0-9][0-9.,:/%()eE +-]*$")


_MAY_NEED = frozenset("=+-@\t\r'0123456789.,:/%()eE ")  # first characters worth a closer look


def needs_protection(text: str) -> bool:
    if not text or text[0] not in _MAY_NEED:
        return False
    return text.startswith(_FORMULA_START) or bool(_NUMBER_LIKE.match(text))


def protect(text: str) -> str:
    """The cell as written to CSV: an apostrophe before anything a spreadsheet would evaluate
    or turn into a number. LibreOffice and Excel then keep the cell as text, apostrophe
    included, and reading the file back takes exactly that one apostrophe off again."""
    return "'" + text if needs_protection(text) else text


def unprotect(text: str) -> str:
    return text[1:] if text.startswith("'") and needs_protection(text[1:]) else text


def member_row(m: Mapping[str, Any]) -> list[str]:
    """A member as the cells of a spreadsheet row (COLUMNS), before any CSV protection."""
    text = {f: m.get(f) or "" for f in ("notes", "consent_date", "joined", *NAME_TARGETS.values())}
    lists = {f: m.get(f) or [] for f in ("phones", "emails", "roles", "skills")}
    types = {f: m.get(f) or {} for f in ("phone_types", "email_types")}
    return [
        m["name"], "; ".join(lists["emails"]), "; ".join(lists["phones"]),
        _join_escaped(lists["roles"]), _join_escaped(lists["skills"]), text["notes"],
        _yes_no(m.get("consent_email")), _yes_no(m.get("consent_phone")), text["consent_date"], text["joined"],
        *(text[f] for f in NAME_TARGETS.values()),
        _types_cell(lists["phones"], types["phone_types"]), _types_cell(lists["emails"], types["email_types"]),
        m.get("source_uid") or own_uid(m["id"]),
    ]


def _types_cell(values: list[str], types: Mapping[str, list[str]]) -> str:
    """Types of each value, in the same order, e.g. "cell,pref; work"; empty when none has any."""
    if not any(types.get(v) for v in values):
        return ""
    return "; ".join(",".join(types.get(v) or []) for v in values)


SEPARATORS = {"comma": ",", "semicolon": ";"}


def write_members_csv(members: Iterable[Mapping[str, Any]], *, bom: bool = True, separator: str = ",") -> bytes:
    """A CSV that Excel and LibreOffice open as UTF-8 (BOM, CRLF), that runs no formula
    and loses no leading 0 or + there (see `protect`), and that reads back in. Several
    values in one cell are separated by "; " (a role's own ";" written "\\;").
    `separator` ";" is for Excel set to a language that writes 1,5 for one and a half: it
    splits a double-clicked file at the list separator of Windows' region, ";" there."""
    if separator not in SEPARATORS.values():
        raise FormatError(f"'{separator}' is not a CSV separator; use ',' or ';'.")
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=separator)
    writer.writerow(COLUMNS)
    for m in members:
        writer.writerow([protect(cell) for cell in member_row(m)])
    text = out.getvalue()
    return ("\ufeff" + text if bom else text).encode("utf-8")


def _yes_no(value: Any) -> str:
    return "" if value is None else "yes" if value else "no"
