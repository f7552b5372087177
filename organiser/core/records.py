"""The kinds of record a group keeps, their fields, and the rules a value must follow."""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from organiser.core.errors import NotFoundError, ValidationError
from organiser.core.field_rules import (
    RefExists,
    a_,
    normalise,
    parse_datetime,
    the_kind,
)
from organiser.core.meeting_rules import PROPOSAL_METHODS, VOTERS, check_proposal

DELETED = "deleted"  # the tombstone field every kind carries


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    # text | longtext | list:email | list:phone | list:text | labels | bool | date | datetime | tz | int
    # | ref:KIND | choice | yupdate (a minutes CRDT update, base64) | icaltime (20261203 or 20261203T190000)
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None
    searchable: bool = False
    # Written only when given: a new record without it costs no op in its changeset, so the
    # fields most members never have (name parts, a file's UID, phone types) add nothing to
    # the door laptop's writes or the first sync.
    sparse: bool = False


@dataclass(frozen=True)
class KindSpec:
    name: str
    label: str
    fields: tuple[FieldSpec, ...]
    # For kinds identified by what they link (one RSVP per event and member), the fields
    # that make up the id, so two laptops creating "the same" record at once converge.
    identity: tuple[str, ...] = ()
    by_name: dict[str, FieldSpec] = field(init=False, repr=False, compare=False)
    required: tuple[FieldSpec, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        object.__setattr__(self, "required", tuple(f for f in self.fields if f.required))

    @property
    def searchable(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.searchable)


def _f(name: str, type_: str, label: str | None = None, **kw: Any) -> FieldSpec:
    return FieldSpec(name, label or name.replace("_", " "), type_, **kw)


MEMBER = KindSpec("member", "member", (
    _f("name", "text", "display name", required=True, searchable=True),
    _f("emails", "list:email", "email", default=[], searchable=True),
    _f("phones", "list:phone", "phone", default=[], searchable=True),
    _f("notes", "longtext", searchable=True, default=""),
    _f("consent_email", "bool", "consent to email", default=False),
    _f("consent_phone", "bool", "consent to phone", default=False),
    _f("consent_date", "date", "consent date"),
    _f("joined", "date", "joined date"),
    # The structure of the name, as vCard's N keeps it, beside the display name. Never
    # guessed by splitting the display name at a space: "Ñúñez García" is one family name.
    _f("family_name", "text", "family name", default="", sparse=True),
    _f("given_name", "text", "given name", default="", sparse=True),
    _f("additional_names", "text", "additional names", default="", sparse=True),
    _f("name_prefix", "text", "name prefix", default="", sparse=True),
    _f("name_suffix", "text", "name suffix", default="", sparse=True),
    # {phone or email: ["cell", "pref"]}: keyed by the value, not its position, so an edit of
    # the list on one laptop and of the types on another still fit together.
    _f("phone_types", "labels", "phone types", default={}, sparse=True),
    _f("email_types", "labels", "email types", default={}, sparse=True),
    _f("source_uid", "text", "UID in the file it came from", default="", sparse=True),
))
# Multi-valued attributes are records of their own, one per value, so two people adding
# different roles at once both win. Their id is derived from (member, value).
MEMBER_ROLE = KindSpec("member_role", "role", (
    _f("member", "ref:member", required=True),
    _f("role", "text", "role", required=True),
), identity=("member", "role"))
MEMBER_SKILL = KindSpec("member_skill", "skill", (
    _f("member", "ref:member", required=True),
    _f("skill", "text", "skill", required=True),
), identity=("member", "skill"))
EVENT = KindSpec("event", "event", (
    _f("title", "text", required=True, searchable=True),
    _f("description", "longtext", default="", searchable=True),
    _f("start", "datetime", required=True),
    _f("end", "datetime"),
    _f("tz", "tz", "time zone"),
    _f("location", "text", default="", searchable=True),
    _f("capacity", "int"),
    _f("status", "choice", choices=("scheduled", "cancelled"), default="scheduled"),
    # longtext: the RRULE and one EXDATE line per skipped or moved occurrence (a series kept
    # for years in another calendar has hundreds), so a one-line field's cap does not fit
    _f("rrule", "longtext", "recurrence rule", default=""),
    _f("all_day", "bool", "all day", default=False),  # start/end are dates (times 00:00)
    _f("source_uid", "text", "UID in the file it came from", default="", sparse=True),
    # A changed occurrence of another tool's repeating event: which occurrence (RECURRENCE-ID,
    # as written in the event's zone), so it is exported back under the series' UID.
    _f("source_recurrence", "icaltime", "occurrence it replaces", default="", sparse=True),
))
TASK = KindSpec("task", "task", (
    _f("title", "text", required=True, searchable=True),
    _f("description", "longtext", default="", searchable=True),
    _f("status", "choice", choices=("todo", "doing", "done"), default="todo"),
    _f("assignee", "ref:member"),
    _f("due", "date", "due date"),
    _f("priority", "int", default=0),
    _f("event", "ref:event", "linked event"),
    _f("source_uid", "text", "UID in the file it came from", default="", sparse=True),
    _f("agenda_item", "ref:agenda_item", "agenda item"),  # an action item made in a meeting
))
RSVP = KindSpec("rsvp", "RSVP", (
    _f("event", "ref:event", required=True),
    _f("member", "ref:member", required=True),
    _f("answer", "choice", choices=("yes", "no", "maybe")),
    _f("checked_in_at", "datetime", "check-in time"),
), identity=("event", "member"))
DEVICE = KindSpec("device", "device", (
    _f("name", "text", "laptop name", required=True),
    _f("public_key", "text", "public key", required=True),
    _f("invited_by", "text", "invited by"),
    _f("certificate", "longtext", default=""),
))
# Replicated so any member device can redeem a code once; only the token's hash is kept.
INVITE = KindSpec("invite", "invite", (
    _f("token_hash", "text", "token hash", required=True),
    _f("expires_at", "int", "expires at"),
    _f("created_by", "text", "created by"),
    _f("used_by", "text", "used by"),
))


# ---- meetings (docs/meetings.md) ------------------------------------------------------------
AGENDA_ITEM = KindSpec("agenda_item", "agenda item", (
    _f("event", "ref:event", required=True),
    _f("title", "text", required=True, searchable=True),
    _f("presenter", "ref:member"),
    _f("minutes", "int", "time box"),  # minutes planned for the item
    _f("notes", "longtext", default="", searchable=True),
    _f("position", "int", default=0),  # order within the agenda; gaps so a move writes one field
    _f("used_seconds", "int", "time used", default=0),  # time spent on it before it last became current
))
# The state of a running meeting, one per event (id derived from it) so any laptop can advance it.
MEETING = KindSpec("meeting", "meeting", (
    _f("event", "ref:event", required=True),
    _f("current_item", "ref:agenda_item", "current item"),
    _f("item_since", "datetime", "current item since"),
), identity=("event",))
PROPOSAL = KindSpec("proposal", "proposal", (
    _f("event", "ref:event", required=True),
    _f("agenda_item", "ref:agenda_item", "agenda item"),
    _f("title", "text", required=True, searchable=True),
    _f("details", "longtext", default="", searchable=True),
    _f("method", "choice", "kind", choices=PROPOSAL_METHODS, required=True),
    _f("options", "list:text", default=[]),  # for a vote between options and a show of hands
    _f("voters", "choice", "who may vote", choices=VOTERS, default="checked-in"),
    _f("voter_role", "text", "voters' role", default=""),
    _f("quorum_count", "int", "quorum"),
    _f("quorum_percent", "int", "quorum share"),
    _f("status", "choice", choices=("open", "closed"), default="open"),
    _f("outcome", "longtext", default="", searchable=True),  # "the assembly that decided X", a year on
    _f("closed_at", "datetime", "closed at"),
    _f("result", "longtext", "result at closing", default=""),  # JSON: tally, eligible, quorum, blocks
))
# One vote per member per proposal: the id is derived from both, so two laptops recording a
# vote for the same person at once write the same record (last writer wins, the other kept).
VOTE = KindSpec("vote", "vote", (
    _f("proposal", "ref:proposal", required=True),
    _f("member", "ref:member", required=True),
    _f("choice", "text", required=True),
), identity=("proposal", "member"))
# A show of hands, for people without laptops: one count per option, recorded by the host.
HAND_COUNT = KindSpec("hand_count", "show of hands", (
    _f("proposal", "ref:proposal", required=True),
    _f("option", "text", required=True),
    _f("count", "int", required=True),
), identity=("proposal", "option"))
# Minutes: the op's record is the event whose minutes they are; its value is a CRDT update
# merged by pycrdt (store/minutes.py), never last-writer-wins.
MINUTES = KindSpec("minutes", "minutes", (
    _f("update", "yupdate", "minutes update", required=True),
))
MEETING_KINDS = (AGENDA_ITEM, MEETING, PROPOSAL, VOTE, HAND_COUNT, MINUTES)

KINDS: dict[str, KindSpec] = {k.name: k for k in (
    MEMBER, MEMBER_ROLE, MEMBER_SKILL, EVENT, TASK, RSVP, DEVICE, INVITE, *MEETING_KINDS)}
# Kinds people see and count; roles and skills are folded into members.
MAIN_KINDS = ("member", "event", "task", "rsvp", "device")


_ID_POOL = bytearray()
_ID_POOL_LOCK = threading.Lock()
_ID_POOL_PID = 0


def new_id() -> str:
    """A random 128-bit record id, as 32 hex characters.

    The bytes come from the system's random source 4 KiB at a time: asking it for 16 bytes
    per id (an import makes thousands in a loop) let go of the GIL and took it back so often
    that the window's thread could hardly get it (`python -m tests.perf.transfer`, the
    longest stall of an import's heartbeat)."""
    global _ID_POOL_PID
    with _ID_POOL_LOCK:
        if _ID_POOL_PID != os.getpid():  # a forked child must not repeat its parent's ids
            _ID_POOL.clear()
            _ID_POOL_PID = os.getpid()
        if len(_ID_POOL) < 16:
            _ID_POOL.extend(secrets.token_bytes(4096))
        chunk = bytes(_ID_POOL[:16])
        del _ID_POOL[:16]
    return chunk.hex()


def derived_id(kind: str, *parts: str) -> str:
    """A stable id for kinds identified by what they link (RSVP, role, skill)."""
    digest = hashlib.sha256("\x1f".join((kind, *parts)).encode()).hexdigest()
    return digest[:32]


def identity_id(spec: KindSpec, values: Mapping[str, Any]) -> str:
    return derived_id(spec.name, *(str(values[f]) for f in spec.identity))


def normalise_value(spec: FieldSpec, value: Any, kind_label: str) -> Any:
    """The stored form of one value, or ValidationError: the rules alone, no lookups
    (what a peer's changeset is checked against, where a reference may arrive later)."""
    return normalise(spec, value, kind_label, None)


def validate(
    kind: str,
    values: Mapping[str, Any],
    *,
    current: Mapping[str, Any] | None = None,
    exists: RefExists | None = None,
) -> dict[str, Any]:
    """Check and normalise the given fields of a record.

    `current` is the record as stored (for an edit), so whole-record rules such as
    "end after start" see the result of the edit. Returns only the fields given.
    """
    spec = KINDS[kind]
    out: dict[str, Any] = {}
    for name, value in values.items():
        fspec = spec.by_name.get(name)
        if fspec is None:
            raise ValidationError(name, f"{name}: {the_kind(spec.label, 'has')} no field called '{name}'.")
        out[name] = normalise(fspec, value, spec.label, exists)
    if current is None:
        for fspec in spec.required:
            if fspec.name not in out:
                raise ValidationError(fspec.name, f"{fspec.label}: {the_kind(spec.label, 'needs')} {a_(fspec.label)}.")
    if kind == "event":
        _check_event({**(current or {}), **out})
    elif kind == "proposal":
        check_proposal({**(current or {}), **out})
    return out


def complete(kind: str, values: Mapping[str, Any]) -> bool:
    """Whether a record holds every field its kind needs. A peer's edit of a record can
    arrive before the change that made it (from a third device), so a stored record may
    lack them for a while; readers skip such a record until the rest arrives."""
    spec = KINDS.get(kind)
    if spec is None:
        return True
    for fspec in spec.required:
        found = values.get(fspec.name)
        if found is None or found == "":
            return False
    return True


def require_complete(kind: str, record_id: str, values: Mapping[str, Any]) -> Mapping[str, Any]:
    """The record's values, or NotFoundError while it lacks a field its kind needs (`complete`)."""
    if not complete(kind, values):
        raise NotFoundError(f"there is no {KINDS[kind].label} with id '{record_id}' yet: only a later change "
                            "to it has arrived from another laptop.")
    return values


def _naive(text: str) -> datetime:
    return parse_datetime(text).replace(tzinfo=None)


def _check_event(event: Mapping[str, Any]) -> None:
    start, end = event.get("start"), event.get("end")
    if start and end and _naive(end) < _naive(start):
        raise ValidationError("end", f"end: the event ends ({end}) before it starts ({start}).")
