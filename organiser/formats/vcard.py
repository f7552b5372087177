"""Members <-> vCard (2.1, 3.0 and 4.0 in; 3.0 or 4.0 out), parsed by `vobject`.

`vobject` alone refuses many real files: vCard 2.1 from Android and Outlook wraps
quoted-printable values with soft line breaks (a line ending in "=" continued on the next
line, unindented), iPhones write CR CR LF line ends around huge photos, Lotus Notes adds
a PROFILE line. So the text is normalised first: line ends unified, folded and soft-broken
lines joined, and only the properties a member keeps passed on, one card at a time, so
one broken card is reported without losing the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import vobject

from organiser.core.field_rules import LABEL_RE, is_email, is_phone
from organiser.core.words import plural
from organiser.formats.common import (
    OWN_UID,
    FormatError,
    ParsedFile,
    ParsedItem,
    decode_text,
    google_system_group,
    own_uid,
)
from organiser.formats.vcard_encoded import decoded

# What a member keeps; everything else (PHOTO, ADR, BDAY, X-ABLabel, ...) is skipped.
KEPT = {"BEGIN", "END", "VERSION", "FN", "N", "ORG", "EMAIL", "TEL", "CATEGORIES", "NOTE", "UID", "X-ABLABEL"}
# Apple's (and Google's) label for the line of the same group ("item2.TEL" and
# "item2.X-ABLabel:Hausmeister"); its own labels are written "_$!<Mobile>!$_".
_APPLE_LABEL = re.compile(r"^_\$!<(.+)>!\$_$")
_APPLE_TYPES = {"mobile": "cell", "homefax": "fax", "workfax": "fax", "otherfax": "fax"}
OWN_PREFIX = "X-ORGANISER-"
_NAME = re.compile(r"^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)")
_QP = re.compile(r"QUOTED-PRINTABLE", re.IGNORECASE)
_BARE_QP = re.compile(r";QUOTED-PRINTABLE(?=[;:])", re.IGNORECASE)
_CHARSET = re.compile(r";CHARSET=([^;:]+)", re.IGNORECASE)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first physical line number, unfolded line), with QP soft line breaks joined."""
    physical = re.sub(r"\r*\n|\r", "\n", text).split("\n")
    out: list[tuple[int, str]] = []
    index = 0
    while index < len(physical):
        number, line = index + 1, physical[index]
        index += 1
        if line[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + line[1:])
            continue
        head = line.split(":", 1)[0]
        if _QP.search(head):
            while line.endswith("=") and index < len(physical):
                line = line[:-1] + physical[index]
                index += 1
        if line.strip():
            out.append((number, line))
    return out


def _property_name(line: str) -> str:
    found = _NAME.match(line)
    return found.group(1).upper() if found else ""


# Properties of one text value. vobject reads a comma in them as a list separator and keeps
# the first entry; vCard 2.1 has no escaped comma, and many 3.0 writers leave it bare, so
# 'FN:Doe, Jane' and 'NOTE:Call after 6, not before' lost all after the comma.
_ONE_TEXT = {"FN", "NOTE"}
_ESCAPE_OR_COMMA = re.compile(r"(\\.)|,")


def _clean(line: str, name: str) -> str:
    head, sep, value = decoded(line, name).partition(":")
    head = _BARE_QP.sub(";ENCODING=QUOTED-PRINTABLE", head)
    if not _QP.search(head):
        # The file's text is already decoded; a CHARSET left on a plain value only
        # makes vobject try to decode it again.
        head = _CHARSET.sub("", head)
    if name in _ONE_TEXT and "," in value:
        value = _ESCAPE_OR_COMMA.sub(lambda found: found.group(1) or "\\,", value)
    return head + sep + value


# What phones and address books hold that a member does not keep: said once for the file.
NOT_KEPT = {"ADR": "addresses", "BDAY": "birthdays", "PHOTO": "photos", "TITLE": "job titles",
            "URL": "web addresses", "NICKNAME": "nicknames", "ANNIVERSARY": "anniversaries"}


def split_cards(text: str, left_out: dict[str, int] | None = None) -> list[tuple[int, list[str]]]:
    """Each card's starting line and the lines to hand to vobject; a card lacks its END:VCARD
    when the file ends inside it, or the next card begins inside it. `left_out` counts the cards
    with each NOT_KEPT property."""
    cards: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    start = 0
    seen: set[str] = set()
    for number, line in _logical_lines(text):
        name = _property_name(line)
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            if current is not None:  # the card before never ended: kept, to be shown cut off
                cards.append((start, current))
            current, start = [line.strip()], number
            seen = set()
            continue
        if current is None:
            continue
        if upper == "END:VCARD":
            current.append("END:VCARD")
            cards.append((start, current))
            current = None
        elif name in KEPT or name.startswith(OWN_PREFIX):
            current.append(_clean(line, name))
        elif name in NOT_KEPT and left_out is not None and name not in seen and line.partition(":")[2].strip(" ;"):
            seen.add(name)
            left_out[name] = left_out.get(name, 0) + 1
    if current is not None:  # the file ends inside a card: kept without its END:VCARD, to be shown cut off
        cards.append((start, current))
    return cards


def read_vcards(data: bytes, source: str) -> ParsedFile:
    text = decode_text(data, source, folded=True)
    left_out: dict[str, int] = {}
    cards = split_cards(text, left_out)
    if not cards:
        raise FormatError(f"{source}: this is not a vCard file (no BEGIN:VCARD ... END:VCARD).")
    parsed = ParsedFile(source, "vcf")
    if left_out:
        parsed.warnings.append(_left_out_note(source, left_out))
    for number, (line, lines) in enumerate(cards, start=1):
        item = ParsedItem("member", number, line, {}, unit="contact")
        cut_off = lines[-1] != "END:VCARD"
        card = _parse_card([*lines, "END:VCARD"] if cut_off else lines, item)
        if card is not None:
            _read_card(card, item)
        if cut_off:
            item.problems = ["the file ends inside it (no END:VCARD): the file looks cut off"
                             if number == len(cards) else
                             "the next contact begins inside it (no END:VCARD): the file looks cut off there"]
            item.warnings = []  # what it lacks is what was cut off
        parsed.items.append(item)
    return parsed


def _left_out_note(source: str, left_out: dict[str, int]) -> str:
    """"x.vcf: the addresses (ADR) and photos (PHOTO) of 3 contacts were not imported; ..."."""
    names = [f"{NOT_KEPT[n]} ({n})" for n in NOT_KEPT if n in left_out]
    what = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    most = max(left_out.values())
    return (f"{source}: the {what} of {plural(most, 'contact')} were not imported; "
            "a member does not keep them")


def _parse_card(lines: list[str], item: ParsedItem) -> Any:
    """The vobject card; a line vobject refuses (say, quoted-printable that is not valid
    UTF-8) is skipped with a warning rather than losing the whole contact."""
    try:
        return vobject.readOne("\r\n".join(lines) + "\r\n")
    except Exception:  # vobject raises many types; find the culprit line below
        pass
    kept = [lines[0], lines[1]] if len(lines) > 1 and lines[1].upper().startswith("VERSION") else [lines[0]]
    for line in lines[len(kept):-1]:
        try:
            vobject.readOne("\r\n".join([*kept, line, "END:VCARD"]) + "\r\n")
        except Exception as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            item.warnings.append(f"its {_property_name(line)} line cannot be read and was skipped ({reason})")
        else:
            kept.append(line)
    try:
        return vobject.readOne("\r\n".join([*kept, "END:VCARD"]) + "\r\n")
    except Exception as exc:
        item.problems.append(f"it cannot be read ({str(exc).splitlines()[0] if str(exc) else exc!r})")
        return None


def _values(card: Any, name: str) -> list[Any]:
    return [c.value for c in card.contents.get(name.lower(), [])]


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value or "").strip()


def _name_of(card: Any) -> str:
    """The display name (FN), else the structured name (N) in reading order, else the organisation (ORG)."""
    for read in (_display_name, _structured_name, _organisation):
        name = read(card)
        if name:
            return name
    return ""


def _display_name(card: Any) -> str:
    # as written: a display name may hold a line break or two spaces
    return next((_text(fn) for fn in _values(card, "FN") if _text(fn)), "")


def _structured_name(card: Any) -> str:
    for n in _values(card, "N"):
        parts = [_text(getattr(n, a, "")) for a in ("prefix", "given", "additional", "family", "suffix")]
        joined = " ".join(p for p in parts if p)
        if joined:
            return " ".join(joined.split())
    return ""


def _organisation(card: Any) -> str:
    firsts = (org[0] if isinstance(org, list) and org else org for org in _values(card, "ORG"))
    return next((_text(first) for first in firsts if _text(first)), "")


# vCard's N components, in order, and the member fields that keep them.
NAME_FIELDS = (("family", "family_name"), ("given", "given_name"), ("additional", "additional_names"),
               ("prefix", "name_prefix"), ("suffix", "name_suffix"))
# The fields a card always carries; a re-import of a known UID replaces exactly these (and
# the X-ORGANISER-* ones only when the card has them: another tool may drop unknown lines).
CARRIED = ("name", "emails", "phones", "notes", "phone_types", "email_types", "roles",
           *(f for _c, f in NAME_FIELDS))


def _name_parts(card: Any) -> dict[str, str]:
    """The structured name from N, as written: several values of one component (N's commas)
    are kept as one text joined by ", "."""
    for n in _values(card, "N"):
        parts = {f: _text(getattr(n, c, "")) for c, f in NAME_FIELDS}
        if any(parts.values()):
            return parts
    return {f: "" for _c, f in NAME_FIELDS}


def _apple_labels(card: Any) -> dict[str, str]:
    """{group: label} of a card's X-ABLabel lines, as vCard types: "_$!<Mobile>!$_" is "cell",
    "Hausmeister" is "hausmeister"; a label no type can spell is left out."""
    labels: dict[str, str] = {}
    for line in card.contents.get("x-ablabel", []):
        text = str(line.value).strip()
        found = _APPLE_LABEL.match(text)
        word = (found.group(1) if found else text).casefold().replace(" ", "-")
        word = _APPLE_TYPES.get(word, word)
        if line.group and LABEL_RE.match(word):
            labels[str(line.group).casefold()] = word
    return labels


def _types_of(line: Any, drop: tuple[str, ...] = (), labels: Mapping[str, str] | None = None) -> list[str]:
    """TYPE values (vCard 3.0/4.0 `TYPE=cell,pref`, 2.1 bare `;CELL;PREF`), PREF=n as "pref",
    and the line's Apple label."""
    words = [*line.params.get("TYPE", []), *getattr(line, "singletonparams", [])]
    if labels and line.group and str(line.group).casefold() in labels:
        words.append(labels[str(line.group).casefold()])
    if line.params.get("PREF"):
        words.append("pref")
    out: list[str] = []
    for word in words:
        for one in str(word).split(","):
            one = one.strip().lower()
            if LABEL_RE.match(one) and one not in drop and one not in out:
                out.append(one)
    return sorted(out)


def _phone(value: str) -> tuple[str, str]:
    """(phone, leftover) from a TEL value, which vCard 4.0 writes as a tel: URI."""
    value = value.strip()
    if value.lower().startswith("tel:"):
        value = value[4:]
    number, _sep, rest = value.partition(";")
    extension = rest.split("ext=", 1)[1] if "ext=" in rest else ""
    return number.strip(), extension.strip()


def _read_card(card: Any, item: ParsedItem) -> None:
    """A card's member: name, emails, phones, notes, roles, and what Organiser itself wrote
    (UID, skills, consent). What is not a valid address or number is kept in the notes."""
    values = item.values
    for line in card.getChildren():  # base64 text (FN;ENCODING=b, as old Nokia phones write names): bytes
        if isinstance(line.value, bytes):
            line.value = _bytes_as_text(line.value)
    # as written: notes keep their spaces; line ends as the app and CSV keep them (Android's
    # quoted-printable =0D=0A is CR LF, which read back from our own export as a change)
    notes = [_line_ends(str(n)) for n in _values(card, "NOTE") if _text(n)]
    types: dict[str, dict[str, list[str]]] = {"email_types": {}, "phone_types": {}}
    labels = _apple_labels(card)
    emails = _read_emails(card, item, notes, types["email_types"], labels)
    phones = _read_phones(card, item, notes, types["phone_types"], labels)
    name = _name_of(card) or (emails[0] if emails else phones[0] if phones else "")
    if not name:
        item.problems.append("it has no name, email address or phone number")
    values["name"] = name
    values["emails"] = emails
    values["phones"] = phones
    values["notes"] = "\n\n".join(notes)
    # only what the card has, so a plain card reads as plainly as before (absent = empty)
    values.update({k: v for k, v in (*_name_parts(card).items(), *types.items()) if v})
    item.extra["roles"] = _read_roles(card)
    item.extra["carried"] = _read_organiser_lines(card, item)


def _bytes_as_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _line_ends(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_emails(card: Any, item: ParsedItem, notes: list[str], email_types: dict[str, list[str]],
                 labels: Mapping[str, str]) -> list[str]:
    emails: list[str] = []
    for line in card.contents.get("email", []):
        email = _text(line.value).removeprefix("mailto:")
        if is_email(email):
            emails.append(email)
            if _types_of(line, ("internet",), labels):
                email_types[email] = _types_of(line, ("internet",), labels)
        elif email:
            item.warnings.append(f"'{email}' is not an email address; it was kept in the notes")
            notes.append(f"Email (not a valid address): {email}")
    return emails


def _read_phones(card: Any, item: ParsedItem, notes: list[str], phone_types: dict[str, list[str]],
                 labels: Mapping[str, str]) -> list[str]:
    phones: list[str] = []
    for line in card.contents.get("tel", []):
        phone, extension = _phone(_text(line.value))
        if is_phone(phone):
            phones.append(phone)
            if _types_of(line, labels=labels):
                phone_types[phone] = _types_of(line, labels=labels)
            if extension:
                notes.append(f"Phone {phone} extension {extension}")
        elif phone:
            item.warnings.append(f"'{phone}' is not a phone number; it was kept in the notes")
            notes.append(f"Phone (not a valid number): {phone}")
    return phones


def _read_roles(card: Any) -> list[str]:
    """CATEGORIES, as one list of comma-separated values or several."""
    roles: list[str] = []
    for raw in _values(card, "CATEGORIES"):
        for role in raw if isinstance(raw, list) else str(raw).split(","):
            if str(role).strip() and not google_system_group(str(role).strip()):
                roles.append(str(role).strip())
    return roles


def _read_organiser_lines(card: Any, item: ParsedItem) -> set[str]:
    """The UID, and the X-ORGANISER-* lines Organiser writes (skills, consent, joined);
    returns the fields this card carries (a re-import replaces exactly those)."""
    values = item.values
    uid = _values(card, "UID")
    item.extra["uid"] = str(uid[0]).strip() or None if uid else None
    carried = set(CARRIED)
    if item.extra["uid"] and not OWN_UID.match(item.extra["uid"]):
        values["source_uid"] = item.extra["uid"]  # kept, to be written back as this card's UID
        carried.add("source_uid")
    skills = _read_skills(card)
    if skills is not None:
        item.extra["skills"] = skills
        carried.add("skills")
    for key in ("consent-email", "consent-phone", "consent-date", "joined"):
        lines = card.contents.get(f"x-organiser-{key}")
        if lines:
            values[key.replace("-", "_")] = _text(lines[0].value) or None
            carried.add(key.replace("-", "_"))
    return carried


def _read_skills(card: Any) -> list[str] | None:
    """X-ORGANISER-SKILL lines (or the older comma-separated X-ORGANISER-SKILLS); None when
    the card has neither, so a card from another tool leaves a member's skills alone."""
    if "x-organiser-skill" not in card.contents and "x-organiser-skills" not in card.contents:
        return None
    skills = [str(line.value).strip() for line in card.contents.get("x-organiser-skill", [])]
    for line in card.contents.get("x-organiser-skills", []):  # as Organiser wrote skills before
        skills += [s.strip() for s in str(line.value).split(",")]
    return [s for s in skills if s]


# ---- writing ------------------------------------------------------------------------------

def write_vcards(members: Iterable[Mapping[str, Any]], version: str = "3.0") -> bytes:
    """A vCard per member: name, emails, phones, roles as CATEGORIES, notes, and the
    fields vCard has no property for (skills, consent, joined) as X-ORGANISER-*."""
    if version not in ("3.0", "4.0"):
        raise FormatError(f"vCard version {version} cannot be written; use 3.0 or 4.0.")
    chunks: list[str] = []
    for member in members:
        text = _card_of(member, version).serialize()
        if version == "4.0":
            text = text.replace("VERSION:3.0", "VERSION:4.0", 1)
        chunks.append(text)
    return "".join(chunks).encode("utf-8")


def _card_of(member: Mapping[str, Any], version: str) -> Any:
    card = vobject.vCard()
    card.add("fn").value = member["name"]
    # N as the member's structured name; empty components when it is not known (3.0
    # requires N), never a guess from the display name.
    card.add("n").value = vobject.vcard.Name(**{c: member.get(f) or "" for c, f in NAME_FIELDS})
    _add_contacts(card, member, version)
    if member.get("roles"):
        card.add("categories").value = list(member["roles"])
    if member.get("notes"):
        card.add("note").value = member["notes"]
    card.add("uid").value = member.get("source_uid") or own_uid(member["id"])
    _add_organiser_lines(card, member)
    return card


def _add_contacts(card: Any, member: Mapping[str, Any], version: str) -> None:
    """EMAIL and TEL lines, each with its types."""
    for email in member.get("emails") or []:
        _typed(card.add("email"), email, (member.get("email_types") or {}).get(email, []), version,
               ["internet"] if version == "3.0" else [])
    for phone in member.get("phones") or []:
        _typed(card.add("tel"), phone, (member.get("phone_types") or {}).get(phone, []), version, [])


def _add_organiser_lines(card: Any, member: Mapping[str, Any]) -> None:
    """X-ORGANISER-* lines for what vCard has no property for: skills, consent, joined."""
    for skill in member.get("skills") or []:  # one line each: a skill may hold a comma
        card.add("x-organiser-skill").value = skill
    for key in ("consent_email", "consent_phone"):
        if member.get(key) is not None:
            card.add(f"x-organiser-{key.replace('_', '-')}").value = "yes" if member[key] else "no"
    for key in ("consent_date", "joined"):
        if member.get(key):
            card.add(f"x-organiser-{key.replace('_', '-')}").value = member[key]


def _typed(line: Any, value: str, types: list[str], version: str, always: list[str]) -> None:
    """An EMAIL or TEL line with its types; the preferred one is TYPE=pref in 3.0 and PREF=1 in 4.0."""
    line.value = value
    words = [*always, *(t for t in types if t not in always and (version == "3.0" or t != "pref"))]
    if words:
        line.params["TYPE"] = words
    if version == "4.0" and "pref" in types:
        line.params["PREF"] = ["1"]
