"""The rules a field's value follows, one normaliser per field type: text, lists of emails or
phones, dates, time zones, choices, references... `normalise` returns a value's stored form or
raises ValidationError naming the field. The vCard reader asks `is_email` and `is_phone` too,
so a card's addresses are kept or refused by the same rules as a typed one."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from organiser.core.errors import ValidationError
from organiser.core.meeting_rules import check_minutes_update

if TYPE_CHECKING:
    from organiser.core.records import FieldSpec

EMAIL_RE = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\"]+$")
MAX_WHOLE_NUMBER = 2**53  # what every JSON reader holds exactly
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{3,}$")
ICAL_TIME_RE = re.compile(r"^[0-9]{8}(T[0-9]{6}Z?)?\Z")  # an iCalendar DATE or DATE-TIME value
LABEL_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")  # a vCard TYPE value: cell, work, pref, x-mobile
# Size caps no organiser meets (a name, a whole evening's minutes, everyone's emails), the
# same for what a person types and what a peer sends: docs/replication.md, "Checks on receipt".
MAX_TEXT = 1_000  # characters of a one-line field: a name, a title, a location
MAX_LONGTEXT = 200_000  # characters of notes or a description
MAX_LIST_ITEMS = 50  # emails or phone numbers of one member
MAX_ITEM = 320  # characters of one email address or phone number
# Control characters no text a person writes holds (tab and line breaks aside): a NUL from an old
# phone's export or a broken copy shows as nothing, or a box, and cut the text short in other tools.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_control_characters(text: str) -> str:
    """`text` without CONTROL_CHARACTERS, as an import, the editors and an export keep it."""
    return CONTROL_CHARACTERS.sub("", text)


def _known_zones() -> set[str]:
    return available_timezones()


def parse_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value


def check_tz(name: str) -> str:
    if not name or name not in _zone_cache():
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValidationError(
                "tz", f"time zone: '{name}' is not a known IANA time zone (e.g. Europe/Berlin)."
            ) from None
    return name


_ZONES: set[str] | None = None


def known_zone(name: str) -> bool:
    """Whether a time zone name is one a local edit accepts."""
    try:
        return check_tz(name) == name
    except ValidationError:
        return False


def _zone_cache() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = _known_zones()
    return _ZONES


RefExists = Callable[[str, str], bool]


def a_(noun: str) -> str:
    """'an event', 'an RSVP', 'a task': messages people read should read right."""
    vowel_sound = noun[:1] in "aeiou" or (noun.isupper() and noun[:1] in "AEFHILMNORSX")
    return f"{'an' if vowel_sound else 'a'} {noun}"


# Kinds named by a plural noun: "the minutes need a minutes update", never "a minutes needs".
PLURAL_KINDS = frozenset({"minutes"})
_PLURAL_VERBS = {"needs": "need", "has": "have", "does": "do"}


def the_kind(kind_label: str, verb: str) -> str:
    """'an event needs', 'the minutes need': a kind and its verb, agreeing."""
    if kind_label in PLURAL_KINDS:
        return f"the {kind_label} {_PLURAL_VERBS.get(verb, verb)}"
    return f"{a_(kind_label)} {verb}"


def kinds_field(kind_label: str, field_label: str) -> str:
    """'an event's start', 'a minutes update' (not "a minutes's minutes update"), 'the minutes' deleted'."""
    if field_label.startswith(f"{kind_label} "):
        return a_(field_label)
    if kind_label in PLURAL_KINDS:
        return f"the {kind_label}' {field_label}"
    return f"{a_(kind_label)}'s {field_label}"


def is_email(text: str) -> bool:
    """Whether `text` is an email address the directory keeps (the vCard reader asks too)."""
    return EMAIL_RE.match(text) is not None


def is_phone(text: str) -> bool:
    """Whether `text` is a phone number the directory keeps: digits and the punctuation
    people write them with, three digits at least (the vCard reader asks too)."""
    return PHONE_RE.match(text) is not None and sum(map(str.isdigit, text)) >= 3


# The rule each kind of list entry follows, and how a refusal reads.
_LIST_ITEM_RULES: dict[str, tuple[Callable[[str], bool], str]] = {
    "email": (is_email, "is not a valid email address"),
    "phone": (is_phone, "is not a valid phone number"),
}

# Field types for which "" is a value in its own right rather than "not given".
_EMPTY_IS_A_VALUE = frozenset({"text", "longtext", "icaltime"})


def normalise(spec: FieldSpec, value: Any, kind: str, exists: RefExists | None) -> Any:
    """Return the stored form of one value, or raise ValidationError naming the field."""
    t = spec.type
    if value is None or (value == "" and t not in _EMPTY_IS_A_VALUE):
        return _absent(spec, kind)
    family = t.partition(":")[0]  # list:email -> list, ref:event -> ref
    return _NORMALISERS[family](spec, value, kind, exists)


def _absent(spec: FieldSpec, kind: str) -> Any:
    if spec.required:
        raise ValidationError(spec.name, f"{spec.label}: {the_kind(kind, 'needs')} {a_(spec.label)}.")
    return [] if spec.type.startswith("list") else {} if spec.type == "labels" else None


def _text_value(spec: FieldSpec, value: Any, kind: str, _exists: RefExists | None) -> str:
    name, label, one_line = spec.name, spec.label, spec.type == "text"
    if not isinstance(value, str):
        raise ValidationError(name, f"{label}: expected text, got {type(value).__name__}.")
    value = value.strip() if one_line else value
    cap = MAX_TEXT if one_line else MAX_LONGTEXT
    if len(value) > cap:
        raise ValidationError(name, f"{label}: {len(value):,} characters is more than the {cap:,} allowed.")
    if spec.required and not value.strip():
        raise ValidationError(name, f"{label}: {the_kind(kind, 'needs')} {a_(label)}; it cannot be empty.")
    return value


def _list_value(spec: FieldSpec, value: Any, _kind: str, _exists: RefExists | None) -> list[str]:
    name, label = spec.name, spec.label
    items = [value] if isinstance(value, str) else list(value)
    if len(items) > MAX_LIST_ITEMS:
        raise ValidationError(name, f"{label}: {len(items)} entries is more than the {MAX_LIST_ITEMS} allowed.")
    rule = _LIST_ITEM_RULES.get(spec.type.partition(":")[2])
    out: list[str] = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        if len(item) > MAX_ITEM:
            raise ValidationError(name, f"{label}: an entry of {len(item):,} characters is too long.")
        if rule is not None and not rule[0](item):
            raise ValidationError(name, f"{label}: '{item}' {rule[1]}.")
        if item not in out:
            out.append(item)
    return out


def _bool_value(spec: FieldSpec, value: Any, _kind: str, _exists: RefExists | None) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "on"):
        return True
    if text in ("0", "false", "no", "n", "off"):
        return False
    raise ValidationError(spec.name, f"{spec.label}: '{value}' is not yes or no.")


def _date_value(spec: FieldSpec, value: Any, _kind: str, _exists: RefExists | None) -> str:
    try:
        return date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        raise ValidationError(spec.name, f"{spec.label}: '{value}' is not a date like 2026-12-31.") from None


def _datetime_value(spec: FieldSpec, value: Any, _kind: str, _exists: RefExists | None) -> str:
    try:
        parsed = parse_datetime(str(value))
    except ValueError:
        raise ValidationError(
            spec.name, f"{spec.label}: '{value}' is not a date and time like 2026-12-31T18:30."
        ) from None
    return stored_datetime(parsed)


def _int_value(spec: FieldSpec, value: Any, _kind: str, _exists: RefExists | None) -> int:
    name, label = spec.name, spec.label
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(name, f"{label}: '{value}' is not a whole number.") from None
    if abs(number) > MAX_WHOLE_NUMBER:
        raise ValidationError(name, f"{label}: {number} is too large.")
    if name == "capacity" and number < 0:
        raise ValidationError(name, f"{label}: capacity cannot be below zero (got {number}).")
    return number


def _choice_value(spec: FieldSpec, value: Any, _kind: str, _exists: RefExists | None) -> str:
    text = str(value).strip().lower()
    if text not in spec.choices:
        raise ValidationError(spec.name, f"{spec.label}: '{value}' is not one of {', '.join(spec.choices)}.")
    return text


def _ref_value(spec: FieldSpec, value: Any, _kind: str, exists: RefExists | None) -> str:
    target = spec.type.partition(":")[2]
    ref = str(value).strip()
    if exists is not None and not exists(target, ref):
        raise ValidationError(spec.name, f"{spec.label}: there is no {target} with id '{ref}'.")
    return ref


_Normaliser = Callable[["FieldSpec", Any, str, "RefExists | None"], Any]

# One normaliser per field type (FieldSpec.type before any ":"); every type a kind uses is here.
_NORMALISERS: dict[str, _Normaliser] = {
    "text": _text_value,
    "longtext": _text_value,
    "list": _list_value,
    "labels": lambda spec, value, _kind, _exists: _labels(spec.name, spec.label, value),
    "icaltime": lambda spec, value, _kind, _exists: _ical_time(spec.name, spec.label, value),
    "bool": _bool_value,
    "date": _date_value,
    "datetime": _datetime_value,
    "tz": lambda _spec, value, _kind, _exists: check_tz(str(value).strip()),
    "int": _int_value,
    "choice": _choice_value,
    "yupdate": lambda spec, value, _kind, _exists: check_minutes_update(spec.name, spec.label, value),
    "ref": _ref_value,
}


def stored_datetime(value: datetime) -> str:
    """As stored: to the minute without a zone (as people type it), in full with an offset."""
    return value.isoformat(timespec="minutes") if value.tzinfo is None else value.isoformat()


def _ical_time(name: str, label: str, value: Any) -> str:
    """An iCalendar DATE or DATE-TIME as a calendar file writes it (a RECURRENCE-ID)."""
    text = value.strip() if isinstance(value, str) else ""
    try:
        if not ICAL_TIME_RE.match(text):
            raise ValueError(text)
        datetime.strptime(text[:15], "%Y%m%dT%H%M%S" if len(text) > 8 else "%Y%m%d")
    except ValueError:
        raise ValidationError(name, f"{label}: '{str(value)[:40]}' is not an iCalendar date or date and time "
                              "like 20261203 or 20261203T190000.") from None
    return text


def _labels(name: str, label: str, value: Any) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        raise ValidationError(name, f"{label}: expected a mapping of value to types, got {type(value).__name__}.")
    # keyed by a phone number or email address: the same caps as the lists they label
    if len(value) > MAX_LIST_ITEMS:
        raise ValidationError(name, f"{label}: {len(value)} entries is more than the {MAX_LIST_ITEMS} allowed.")
    out: dict[str, list[str]] = {}
    for key, types in value.items():
        if not isinstance(key, str) or not key.strip():
            raise ValidationError(name, f"{label}: a type is given for an empty value.")
        if len(key.strip()) > MAX_ITEM:
            raise ValidationError(name, f"{label}: an entry of {len(key.strip()):,} characters is too long.")
        clean = _types(name, label, types)
        if clean:
            out[key.strip()] = clean
    return out


def _types(name: str, label: str, types: Any) -> list[str]:
    """The types of one value ("cell,pref" or a list), lower case, each once, sorted."""
    items = types.split(",") if isinstance(types, str) else list(types or ())
    if len(items) > MAX_LIST_ITEMS:
        raise ValidationError(name, f"{label}: {len(items)} types of one entry is more than the "
                              f"{MAX_LIST_ITEMS} allowed.")
    clean: set[str] = set()
    for item in items:
        word = str(item).strip().lower()
        if word and not LABEL_RE.match(word):
            raise ValidationError(name, f"{label}: '{item}' is not a type like cell, work, home or pref.")
        if word:
            clean.add(word)
    return sorted(clean)
