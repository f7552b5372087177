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
from collections.abc import Iterable, Mapping
from typing import Any

from organiser.formats.common import FormatError, ParsedFile, ParsedItem, decode_text

# Targets a column can map to; "given", "middle" and "family" are joined into the name.
TARGETS = ("name", "given", "middle", "family", "emails", "phones", "roles", "skills", "notes",
           "consent_email", "consent_phone", "consent_date", "joined", "ignore")
TARGET_ALIASES = {
    "first_name": "given", "given_name": "given", "firstname": "given", "middle_name": "middle",
    "last_name": "family", "family_name": "family", "surname": "family", "lastname": "family",
    "email": "emails", "e-mail": "emails", "phone": "phones", "role": "roles", "categories": "roles",
    "skill": "skills", "note": "notes", "-": "ignore", "skip": "ignore", "none": "ignore",
}
# Whole column names (normalised: lower case, words split on anything not a letter/digit).
EXACT = {
    "name": "name", "full name": "name", "display name": "name", "contact name": "name",
    "member": "name", "member name": "name", "fn": "name", "nom": "name", "nombre": "name",
    "first name": "given", "given name": "given", "firstname": "given", "forename": "given",
    "vorname": "given", "prenom": "given", "middle name": "middle", "additional name": "middle",
    "last name": "family", "family name": "family", "surname": "family", "lastname": "family",
    "nachname": "family",
    "roles": "roles", "role": "roles", "categories": "roles", "category": "roles",
    "labels": "roles", "group membership": "roles", "groups": "roles", "working group": "roles",
    "working groups": "roles", "tags": "roles",
    "skills": "skills", "skill": "skills",
    "notes": "notes", "note": "notes", "comments": "notes", "comment": "notes", "remarks": "notes",
    "consent to email": "consent_email", "consent email": "consent_email",
    "email consent": "consent_email", "consent to phone": "consent_phone",
    "consent phone": "consent_phone", "phone consent": "consent_phone",
    "consent date": "consent_date", "joined": "joined", "joined date": "joined",
    "join date": "joined", "joined on": "joined", "member since": "joined",
    "id": "ignore",
}
_NOT_A_VALUE = ("type", "label", "display", "kind")
_PHONE_WORDS = ("phone", "mobile", "cell", "telephone", "tel", "handy", "telefon", "telefono")
_WORD = re.compile(r"[^0-9a-z]+")
_GOOGLE_SYSTEM_GROUPS = {"mycontacts", "starred"}


def normalise_header(text: str) -> str:
    folded = text.strip().casefold().replace("é", "e").replace("è", "e")
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


def _split(value: str, target: str) -> list[str]:
    parts = [p for chunk in value.split(":::") for p in re.split(r";" if target in ("roles", "skills")
                                                                   else r"[;,]", chunk)]
    out = []
    for part in parts:
        part = part.strip().lstrip("*").strip()
        if part and not (target == "roles" and part.casefold() in _GOOGLE_SYSTEM_GROUPS):
            out.append(part)
    return out


def read_members_csv(data: bytes, source: str, mapping: Mapping[str, str] | None = None) -> ParsedFile:
    text = decode_text(data, source)
    if not text.strip():
        raise FormatError(f"{source}: the file is empty.")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise FormatError(f"{source}: line 1 cannot be read as CSV ({exc}).") from None
    targets = _targets(header, mapping or {}, source)
    parsed = ParsedFile(source, "csv")
    filled: set[int] = set()  # columns with something in them, to tell people what was left out
    number = 0
    last_line = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise FormatError(f"{source}: line {last_line + 1} cannot be read as CSV ({exc}).") from None
        start, last_line = last_line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        number += 1
        filled.update(i for i, cell in enumerate(row) if cell.strip())
        parsed.items.append(_row_item(row, targets, number, start))
    unused = [h for i, (h, t) in enumerate(zip(header, targets, strict=True))
              if t is None and h.strip() and i in filled]
    if unused:
        parsed.warnings.append(
            f"{source}: column{'s' if len(unused) > 1 else ''} {', '.join(repr(u) for u in unused)} "
            "not imported (use --map 'COLUMN=field' to import one)")
    return parsed


def _targets(header: list[str], mapping: Mapping[str, str], source: str) -> list[str | None]:
    by_key = {normalise_header(h): i for i, h in enumerate(header)}
    targets: list[str | None] = [guess_target(h) for h in header]
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


def _row_item(row: list[str], targets: list[str | None], number: int, line: int) -> ParsedItem:
    item = ParsedItem("member", number, line, {}, unit="row")
    found: dict[str, list[str]] = {}
    for cell, target in zip(row, targets, strict=False):
        if target is None or not cell.strip():
            continue
        cell = cell.replace("\r\n", "\n").replace("\r", "\n")
        if target in ("emails", "phones", "roles", "skills"):
            found.setdefault(target, []).extend(_split(cell, target))
        else:
            found.setdefault(target, []).append(cell.strip())
    values = item.values
    name = " ".join(found.get("name", [])) or " ".join(
        " ".join(found.get(part, [])) for part in ("given", "middle", "family") if found.get(part))
    if not name.strip():
        fallback = (found.get("emails") or found.get("phones") or [""])[0]
        if fallback:
            item.warnings.append(f"it has no name; it was called '{fallback}'")
        name = fallback
    values["name"] = " ".join(name.split())
    values["emails"] = found.get("emails", [])
    values["phones"] = found.get("phones", [])
    values["notes"] = "\n".join(found.get("notes", []))
    for key in ("consent_email", "consent_phone", "consent_date", "joined"):
        if found.get(key):
            values[key] = found[key][0]
    item.extra["roles"] = found.get("roles", [])
    item.extra["skills"] = found.get("skills", [])
    if not values["name"]:
        item.problems.append("it has no name, email address or phone number")
    return item


# ---- writing ------------------------------------------------------------------------------

COLUMNS = ("Name", "Email", "Phone", "Roles", "Skills", "Notes", "Consent to email",
           "Consent to phone", "Consent date", "Joined")


def write_members_csv(members: Iterable[Mapping[str, Any]], *, bom: bool = True) -> bytes:
    """A CSV that Excel and LibreOffice open as UTF-8 (BOM, CRLF) and that reads back in.
    Several values in one cell are separated by "; "."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for m in members:
        writer.writerow([
            m["name"], "; ".join(m.get("emails") or []), "; ".join(m.get("phones") or []),
            "; ".join(m.get("roles") or []), "; ".join(m.get("skills") or []), m.get("notes") or "",
            _yes_no(m.get("consent_email")), _yes_no(m.get("consent_phone")),
            m.get("consent_date") or "", m.get("joined") or "",
        ])
    text = out.getvalue()
    return ("\ufeff" + text if bom else text).encode("utf-8")


def _yes_no(value: Any) -> str:
    return "" if value is None else "yes" if value else "no"
