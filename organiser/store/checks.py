"""Checking a peer's changesets like a person's edit, after their signatures were verified.

Every field value a peer sends must be one a local edit could have stored: a known kind
and field, the field's type in its stored form, the rules of `core.records` (choices, dates,
time zones, emails...) and the same size caps. On top, caps per changeset (bytes, ops), on
roles and skills per member, and the clock bound: a stamp more than 24 hours ahead of this
device's clock is refused, so no stamp can drag the group's clocks to the format's limit.

Checking runs on verified changesets only, so a refusal blames the device that signed it.
Checks that need no database come first, as one table lookup and one small function per
op: a first sync checks hundreds of thousands of ops (see tests/perf/store.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlite_utils import Database

from organiser.core.changeset import Changeset, Op
from organiser.core.device_name import device_name_problem, one_line
from organiser.core.erasure import ERASURE_KIND, ORDER_FIELD, parse_order
from organiser.core.errors import ValidationError
from organiser.core.field_rules import (
    EMAIL_RE,
    MAX_ITEM,
    MAX_LIST_ITEMS,
    MAX_LONGTEXT,
    MAX_TEXT,
    MAX_WHOLE_NUMBER,
    PHONE_RE,
    a_,
    kinds_field,
    known_zone,
    parse_datetime,
    stored_datetime,
    the_kind,
)
from organiser.core.hlc import COUNTER_BITS, LIMIT_MS
from organiser.core.keys import is_public_key_hex
from organiser.core.membership import ACTIONS, ADMIT, MEMBERSHIP_KIND, POLICY
from organiser.core.membership_limits import limits_problem
from organiser.core.records import DELETED, KINDS, FieldSpec, normalise_value
from organiser.store.database import in_chunks
from organiser.store.verify import Refusal

MAX_CHANGESET_BYTES = 1024 * 1024  # one signed body; a member with long notes is ~200 KB
MAX_OPS = 5_000  # field writes in one changeset; a local edit writes a few dozen
MAX_TRAITS = 200  # roles and skills of one member (a long-standing member has a dozen)
MAX_RESOLVES = 100  # conflict losers one write settles
CLOCK_LIMIT_MS = LIMIT_MS  # a stamp further ahead of our clock than 24 h is refused

# Refusal codes: the incidents table keeps one row per (device, code), so the codes must
# be a fixed, small set. What each means for people: organiser/store/incidents.py.
VALUE, SIZE, UNKNOWN, CLOCK, ENTRIES = "value", "size", "unknown", "clock", "entries"

Check = Callable[[Any], bool]  # True when a non-null value is in the stored form


def _text(limit: int, required: bool) -> Check:
    if required:
        return lambda v: type(v) is str and len(v) <= limit and not v.isspace() and v != ""
    return lambda v: type(v) is str and len(v) <= limit


def _items(pattern: re.Pattern[str], digits: bool) -> Check:
    def check(v: Any) -> bool:
        if type(v) is not list or len(v) > MAX_LIST_ITEMS:
            return False
        for item in v:
            # stripped, as a local edit stores it ("$" of the patterns lets a trailing newline by)
            if type(item) is not str or len(item) > MAX_ITEM or not pattern.match(item) or item != item.strip():
                return False
            if digits and sum(map(str.isdigit, item)) < 3:
                return False
        return len(set(v)) == len(v)  # a local edit keeps each once
    return check


# Dates, times and zones in exactly the form a local edit stores: readers parse them with
# datetime.fromisoformat and compare them as text, so " 2026-12-03T19:00", a trailing
# newline or 2026-W49-4 (which the parsers here would accept) must not get in.
def _date(v: Any) -> bool:
    if type(v) is not str or len(v) != 10:
        return False
    try:
        return date.fromisoformat(v).isoformat() == v
    except ValueError:
        return False


def _datetime(v: Any) -> bool:
    if type(v) is not str or len(v) > 40 or v != v.strip():
        return False
    try:
        return stored_datetime(parse_datetime(v)) == v
    except ValueError:
        return False


def _tz(v: Any) -> bool:
    return type(v) is str and v == v.strip() and known_zone(v)


def _int(non_negative: bool) -> Check:
    low = 0 if non_negative else -MAX_WHOLE_NUMBER
    return lambda v: type(v) is int and low <= v <= MAX_WHOLE_NUMBER


def _ref(v: Any) -> bool:
    return type(v) is str and 0 < len(v) <= 64 and v.isalnum() and v.isascii()


def _bool(v: Any) -> bool:
    return type(v) is bool


def check_for(spec: FieldSpec) -> Check:
    """The stored-form check of one field, from its type (the table `field_rules.normalise` follows)."""
    t = spec.type
    if t in ("text", "longtext"):
        return _text(MAX_TEXT if t == "text" else MAX_LONGTEXT, spec.required)
    if t == "list:email":
        return _items(EMAIL_RE, False)
    if t == "list:phone":
        return _items(PHONE_RE, True)
    if t == "choice":
        choices = frozenset(spec.choices)
        return lambda v: type(v) is str and v in choices
    if t.startswith("ref:"):
        return _ref
    simple: dict[str, Check] = {
        "bool": _bool, "date": _date, "datetime": _datetime, "tz": _tz,
        "int": _int(spec.name == "capacity"),
    }
    if t in simple:
        return simple[t]

    def by_the_rules(v: Any) -> bool:  # a field type added later: its rules, in full
        if v is None:
            return False
        try:
            return normalise_value(spec, v, "record") == v
        except (ValidationError, TypeError, ValueError):
            return False
    return by_the_rules


def field_check(spec: FieldSpec) -> Check:
    """A field's check with null included: None passes where a local edit may empty the field."""
    check = check_for(spec)
    if spec.required:
        return check  # None is in no stored form
    return lambda v: v is None or check(v)


MAX_ENTRY_KEYS = 16  # a membership entry names a device, its key, a name, an invite, a kept number...
# What a membership entry's values may be, by type: short texts, whole numbers, flags, nothing.
_ENTRY_VALUES: dict[type, Check] = {
    str: lambda v: len(v) <= MAX_TEXT,
    int: lambda v: abs(v) <= MAX_WHOLE_NUMBER,
    bool: lambda v: True,
    type(None): lambda v: True,
}


def _membership_entry(v: Any) -> bool:
    """A membership entry's value: a small flat object of short texts, numbers and flags. What
    it means is the membership rules' business (an entry they cannot use has no effect)."""
    return type(v) is dict and len(v) <= MAX_ENTRY_KEYS and all(
        type(key) is str and len(key) <= 40 and _entry_value(item) for key, item in v.items())


def _entry_value(item: Any) -> bool:
    rule = _ENTRY_VALUES.get(type(item))
    return rule is not None and rule(item)


def _policy_entry(v: Any) -> bool:
    """A policy entry: flat too, but for the closing's `seen` (device id -> changeset number),
    whose contents `_entries_problem` checks, to say what is wrong with them."""
    return type(v) is dict and _membership_entry({key: item for key, item in v.items()
                                                  if not (key == "seen" and type(item) is dict)})


# kind -> field -> how to check it; membership entries are ops whose field is the action
FIELDS: dict[str, dict[str, Check]] = {
    kind: {**{f.name: field_check(f) for f in spec.fields}, DELETED: _bool} for kind, spec in KINDS.items()
}
FIELDS[MEMBERSHIP_KIND] = {action: _membership_entry for action in ACTIONS}
FIELDS[MEMBERSHIP_KIND][POLICY] = _policy_entry
# An erasure order (core/erasure.py); whether its author may order it: store/erasure.py `refusals`.
FIELDS[ERASURE_KIND] = {ORDER_FIELD: lambda v: parse_order(v) is not None}
TRAIT_KINDS = ("member_role", "member_skill")

Problem = tuple[str, str]  # (refusal code, sentence)


def why_refused(cs: Changeset, now_ms: int) -> Problem | None:
    """(code, sentence) when a verified changeset breaks a rule a local edit follows, else None."""
    return _problem(cs, now_ms, [])


def _too_large(cs: Changeset, now_ms: int) -> Problem | None:
    if len(cs.body) > MAX_CHANGESET_BYTES or len(cs.ops) > MAX_OPS:
        return SIZE, (f"a changeset of {len(cs.body):,} bytes and {len(cs.ops):,} field writes is larger than "
                      f"allowed ({MAX_CHANGESET_BYTES:,} bytes, {MAX_OPS:,} writes)")
    return None


def _stamped_too_far_ahead(cs: Changeset, now_ms: int) -> Problem | None:
    ahead = (cs.hlc >> COUNTER_BITS) - now_ms
    if ahead > CLOCK_LIMIT_MS:
        return CLOCK, f"its clock stamp is {describe_ahead(ahead / 1000)} ahead of this laptop's clock"
    return None


# Rules on a changeset as a whole, checked before its field writes, in this order.
CHANGESET_RULES: tuple[Callable[[Changeset, int], Problem | None], ...] = (_too_large, _stamped_too_far_ahead)


def _record_and_kind(op: Op) -> tuple[str, str]:
    return op[1], op[0]


def _problem(cs: Changeset, now_ms: int, trait_writers: list[Changeset]) -> Problem | None:
    """why_refused, noting in `trait_writers` a changeset that writes roles or skills."""
    for rule in CHANGESET_RULES:
        problem = rule(cs, now_ms)
        if problem is not None:
            return problem
    return _ops_problem(cs, trait_writers)


def _entries_problem(cs: Changeset) -> Problem | None:
    """A membership entry whose `seen` (what its author had seen) is malformed or a lie, or
    whose device name no laptop would let a person type."""
    for kind, _record, action, value, _base, _resolves in cs.ops:
        if kind == MEMBERSHIP_KIND:
            why = (limits_problem(cs.author, cs.seq, action, value) or _admitted_key_problem(action, value)
                   or _named_problem(action, value))
            if why is not None:
                return VALUE, f"{action}: {why}"
    return None


def _admitted_key_problem(action: str, value: dict[str, Any]) -> str | None:
    """An admission's key must be one every laptop can load: 64 characters that read as fewer
    bytes were admitted, and each later batch naming that device as author then raised on every
    laptop, taking the honest changesets in it down too."""
    key = value.get("public_key") if action == ADMIT else None
    if key is None or is_public_key_hex(key):
        return None
    return "the admitted laptop's key must be 64 hex digits (an Ed25519 public key)"


def _named_problem(action: str, value: dict[str, Any]) -> str | None:
    """An admission names a device, and every laptop shows that name in its
    lists, dialogs and terminal output: held to the rules of a name typed here, so a line break
    or a direction override cannot fake a verification code or an admin's name on screen.
    An absent or empty name (an old roster's device restated) shows the device's id instead."""
    # Not a founding entry's: the founder's first changeset is where every member's discovery key
    # starts, and one written before names were checked must still reach newcomers (its name is
    # shown with such characters as codes: core/membership.py).
    name = value.get("name") if action == ADMIT else None
    if type(name) is not str:
        return None
    problem = device_name_problem(name)
    return None if problem is None else f"the laptop's name must be {problem}"


def _ops_problem(cs: Changeset, trait_writers: list[Changeset]) -> Problem | None:
    """The first field write a local edit could not have made. The hot loop of checking a
    first sync: a changeset lists each record's ops together, so the record's kind and id
    are checked once per record, then each op's field and value with one call."""
    fields: dict[str, Check] = {}
    last_record = last_kind = None
    entries = False  # membership entries, whose `seen` is checked against the changeset after
    for kind, record, field_name, value, _base, resolves in cs.ops:
        if record != last_record or kind != last_kind:
            problem = _record_problem(kind, record)
            if problem is not None:
                return problem
            if kind in TRAIT_KINDS:
                _note_trait_writer(cs, trait_writers)
            elif kind == MEMBERSHIP_KIND:
                entries = True
            fields, last_record, last_kind = FIELDS[kind], record, kind
        fits = fields.get(field_name)
        if fits is None:
            return UNKNOWN, f"it writes a field {the_kind(_label(kind), 'does')} not have"  # not named: a peer's text
        if not fits(value):
            return VALUE, _value_sentence(kind, field_name, value)
        if resolves and len(resolves) > MAX_RESOLVES:
            return SIZE, f"one field write settles {len(resolves)} conflicts (at most {MAX_RESOLVES})"
    return _entries_problem(cs) if entries else None


def _note_trait_writer(cs: Changeset, trait_writers: list[Changeset]) -> None:
    """Roles and skills per member are capped over the whole batch, after (see _cap_traits)."""
    if not trait_writers or trait_writers[-1] is not cs:
        trait_writers.append(cs)


def _record_problem(kind: str, record: str) -> Problem | None:
    """A kind this device knows, and an id of the form this app makes."""
    if kind not in FIELDS:
        return UNKNOWN, "it writes a kind of record this laptop does not know"  # its name is the peer's text
    # ids are 32 hex digits; any short run of ASCII letters and digits is harmless
    if len(record) > 64 or not record.isalnum() or not record.isascii():
        return VALUE, "it names a record by an id that is not one this app makes"
    return None


# What each field type holds as a local edit stores it: refusals say this, never the value refused.
STORED_FORM: dict[str, str] = {
    "text": f"a text of at most {MAX_TEXT:,} characters",
    "longtext": f"a text of at most {MAX_LONGTEXT:,} characters",
    "list:email": f"a list of at most {MAX_LIST_ITEMS} different email addresses, as a local edit writes them",
    "list:phone": f"a list of at most {MAX_LIST_ITEMS} different phone numbers, as a local edit writes them",
    "list:text": f"a list of at most {MAX_LIST_ITEMS} short texts",
    "labels": f"a label for each of at most {MAX_LIST_ITEMS} entries",
    "bool": "yes or no",
    "date": "a date like 2026-12-31",
    "datetime": "a date and time like 2026-12-31T18:30",
    "tz": "a known time zone",
    "int": "a whole number in range",
    "choice": "one of its choices",
    "yupdate": "an update of minutes written together",
    "icaltime": "an iCalendar date",
}


# Field types whose rules say what is wrong without quoting the value: their own sentence is kept.
RULES_QUOTE_NOTHING = frozenset({"yupdate"})


def _label(kind: str) -> str:
    """What people call a kind ("show of hands", not "hand_count")."""
    return KINDS[kind].label if kind in KINDS else kind


def _shape(value: Any) -> str:
    """What a value is, without what it says: 'a text of 2,000 characters', 'a list of 3 entries'."""
    if type(value) is str:
        return f"a text of {len(value):,} character{'' if len(value) == 1 else 's'}"
    if type(value) is list:
        return f"a list of {len(value):,} entr{'y' if len(value) == 1 else 'ies'}"
    words = {bool: "a yes or no", int: "a whole number", float: "a number with a fraction", dict: "an object"}
    return words.get(type(value), "a value of another type")


def _value_sentence(kind: str, field_name: str, value: Any) -> str:
    """Which field of which kind was refused and why, in words that quote nothing of the value:
    the sentence goes to the log (kept on the disk outside the encrypted store), the incidents
    list and a shared folder's status, and a value refused may hold a member's name or phone
    (put there by a member in bad faith, or written by a newer app)."""
    if value is None:
        return f"{field_name}: it empties a field {the_kind(_label(kind), 'needs')}"
    if kind == ERASURE_KIND:
        return f"{field_name}: not an erasure order this app could have written"
    if kind not in KINDS:  # a membership entry
        return f"{field_name}: not a membership entry this app could have written"
    spec = KINDS[kind].by_name.get(field_name)  # None for `deleted`, which every kind has
    if spec is not None and spec.type in RULES_QUOTE_NOTHING:
        try:
            normalise_value(spec, value, KINDS[kind].label)
        except ValidationError as exc:
            return str(exc)[:300]
        except (TypeError, ValueError):
            pass
    label = spec.label if spec is not None else field_name
    kind_type = spec.type if spec is not None else "bool"
    stored = (f"the id of {a_(kind_type[4:].replace('_', ' '))}" if kind_type.startswith("ref:")
              else STORED_FORM.get(kind_type, "its stored form"))
    return f"{label}: {_shape(value)} is not how {kinds_field(KINDS[kind].label, label)} is stored ({stored})"


def describe_ahead(seconds: float) -> str:
    """'3 days', '5 hours', '3 years': how far a clock is ahead, for people."""
    for unit, size in (("year", 365 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= 0.99 * size:  # a clock set a year ahead reads "1 year", not "364 days"
            count = max(1, round(seconds / size))
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{int(seconds)} seconds"


def screen(db: Database, batch: list[Changeset], now_ms: int) -> tuple[list[Changeset], list[Refusal]]:
    """Split verified changesets into those a local edit could have made and refusals."""
    good: list[Changeset] = []
    refused: list[Refusal] = []
    trait_writers: list[Changeset] = []
    for cs in batch:
        problem = _problem(cs, now_ms, trait_writers)
        if problem is None:
            good.append(cs)
        else:
            ahead = describe_ahead(((cs.hlc >> COUNTER_BITS) - now_ms) / 1000) if problem[0] == CLOCK else ""
            # one line, whatever the sentence quotes of what the peer wrote
            refused.append(Refusal(cs.author, cs.seq, one_line(problem[1]), problem[0], ahead))
    if trait_writers:
        good, over = _cap_traits(db, good)
        refused.extend(over)
    return good, refused


def _cap_traits(db: Database, batch: list[Changeset]) -> tuple[list[Changeset], list[Refusal]]:
    """Refuse changesets that give one member more than MAX_TRAITS roles and skills."""
    given_to = {member for cs in batch for member in _traits_given(cs)}
    totals = _traits_held(db, sorted(given_to))  # member -> their trait records, counting those let in
    good: list[Changeset] = []
    refused: list[Refusal] = []
    for cs in batch:
        given = _traits_given(cs)
        if any(len(totals[m] | records) > MAX_TRAITS for m, records in given.items()):
            refused.append(Refusal(cs.author, cs.seq, f"it gives one member more than {MAX_TRAITS} roles and skills",
                                   ENTRIES))
            continue
        good.append(cs)
        for member, records in given.items():
            totals[member] |= records
    return good, refused


def _traits_given(cs: Changeset) -> dict[str, set[str]]:
    """member -> the role and skill records this changeset gives them."""
    given: dict[str, set[str]] = {}
    for op in cs.ops:
        if op.kind in TRAIT_KINDS and op.field == "member" and type(op.value) is str:
            given.setdefault(op.value, set()).add(op.record)
    return given


def _traits_held(db: Database, members: list[str]) -> dict[str, set[str]]:
    """member -> the role and skill records stored for them (an empty set for those with none)."""
    held: dict[str, set[str]] = {member: set() for member in members}
    for chunk, marks in in_chunks(members):
        for member, rid in db.execute(
            f"SELECT link1, id FROM records WHERE link1 IN ({marks}) AND +kind IN ('member_role', 'member_skill')",
            chunk,
        ):
            held[member].add(rid)
    return held
