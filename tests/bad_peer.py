"""A modified client: a real member device's key signing what the app would never write.

Built from the project's own signing code, so every changeset is validly signed and chained
after what the device really wrote: only the checks on receipt can stop it.
"""

from __future__ import annotations

import secrets
from typing import Any

from organiser.core.changeset import GENESIS, MAX_INT, Changeset, Op, sign_changeset
from organiser.services.group import Group


class BadPeer:
    def __init__(self, device: Group) -> None:
        self.device = device
        vector = device.replica.version_vector()
        self.seq = vector.get(device.device_id, 0)
        self.prev = device.replica.hash_at(device.device_id, self.seq) if self.seq else GENESIS

    def sign(self, ops: list[Op], *, hlc: int | None = None, seq: int | None = None,
             prev: str | None = None) -> Changeset:
        """The next changeset of the chain (or, with seq/prev, any one: a fork)."""
        forking = seq is not None
        cs = sign_changeset(self.device.private_key(), self.device.id, self.device.device_id,
                            seq if forking else self.seq + 1, prev if prev is not None else self.prev,
                            hlc if hlc is not None else self.device.replica.clock.now(), ops)
        if not forking:
            self.seq, self.prev = cs.seq, cs.hash
        return cs


def new_member(name: Any = "Good member", **fields: Any) -> list[Op]:
    rid = secrets.token_hex(16)
    return [Op("member", rid, "name", name), *(Op("member", rid, k, v) for k, v in fields.items())]


def admission(public_key: str, name: str) -> Op:
    """An admission of the device with this public key (hex) under `name`, with no invite: what a
    member who may invite signs for a device it lets in."""
    from organiser.core.keys import device_id_for
    from organiser.core.membership import ADMIT, MEMBERSHIP_KIND
    from organiser.core.records import new_id

    return Op(MEMBERSHIP_KIND, new_id(), ADMIT, {"device": device_id_for(public_key), "public_key": public_key,
                                                 "name": name, "invite": ""})


def roles(member_id: str, count: int) -> list[Op]:
    from organiser.core.records import derived_id

    ops: list[Op] = []
    for n in range(count):
        rid = derived_id("member_role", member_id, f"role {n}")
        ops += [Op("member_role", rid, "member", member_id), Op("member_role", rid, "role", f"role {n}"),
                Op("member_role", rid, "deleted", False)]
    return ops


def absurd_ops(member_id: str, event_id: str) -> dict[str, list[Op]]:
    """What a member acting in bad faith sends, one changeset each, by what it breaks."""
    return {
        "name is an object": new_member({"first": "Ana"}),
        "7 MiB name": new_member("A" * (7 * 1024 * 1024)),
        "name 2,000 characters": new_member("A" * 2_000),
        "event start unreadable": _new_event(start="next friday-ish"),
        "existing event start unreadable": [Op("event", event_id, "start", "31/02/2026")],
        "unknown kind": [Op("spaceship", secrets.token_hex(16), "name", "Enterprise")],
        "unknown field": [Op("member", member_id, "favourite_colour", "red")],
        "bool as text": [Op("member", member_id, "consent_email", "yes")],
        "negative capacity": [Op("event", event_id, "capacity", -5)],
        "number as text": [Op("event", event_id, "capacity", "12")],
        "huge number": [Op("task", secrets.token_hex(16), "priority", 2**60)],
        "unknown time zone": [Op("event", event_id, "tz", "Mars/Olympus_Mons")],
        "emails not a list": [Op("member", member_id, "emails", {"a": "b"})],
        "bad email": [Op("member", member_id, "emails", ["not an email"])],
        "unknown status": [Op("event", event_id, "status", "exploded")],
        "required name emptied": [Op("member", member_id, "name", None)],
        "record id not an id": [Op("member", "../../etc/passwd", "name", "Path")],
        "300 roles": roles(member_id, 300),
        "deleted as a number": [Op("member", member_id, "deleted", 1)],
        # dates, times and zones not in the form a local edit stores: the readers' parsers choke
        "event start padded": _new_event(start=" 2026-12-03T19:00"),
        "existing event start ends in a newline": [Op("event", event_id, "start", "2026-12-03T19:00\n")],
        "end with seconds a local edit drops": [Op("event", event_id, "end", "2026-12-03T21:00:00")],
        "consent date as a week day": [Op("member", member_id, "consent_date", "2026-W49-4")],
        "time zone ends in a newline": [Op("event", event_id, "tz", "Europe/Berlin\n")],
        "email ends in a newline": [Op("member", member_id, "emails", ["ana@example.org\n"])],
        "the same phone twice": [Op("member", member_id, "phones", ["+49 30 1234", "+49 30 1234"])],
        # an occurrence no calendar file can carry: .ics export read it and stopped
        "occurrence replaced is not a date": _new_event(start="2026-12-10T19:00", source_uid="x@example.org",
                                                        source_recurrence="next tuesday"),
        "phone types for 60 numbers": [Op("member", member_id, "phone_types",
                                          {f"+49 30 {n:04d}": ["cell"] for n in range(60)})],
        "phone type for a 2,000 character number": [Op("member", member_id, "phone_types", {"1" * 2_000: ["cell"]})],
        "email with 60 types": [Op("member", member_id, "email_types",
                                   {"ana@example.org": [f"x-{n}" for n in range(60)]})],
    }


def let_through_ops(event_id: str) -> dict[str, list[Op]]:
    """What the checks must let through, however odd: only the readers can cope with them,
    and tests/store/test_peer_checks.py runs every reader on them."""
    return {
        # a third device's edit of a record may arrive before the change that made it, so
        # readers must cope with a record lacking what its kind needs
        "event with only a location": [Op("event", secrets.token_hex(16), "location", "Hall B")],
        "task with only a status": [Op("task", secrets.token_hex(16), "status", "doing")],
        "member with only an email": [Op("member", secrets.token_hex(16), "emails", ["ghost@example.org"])],
        "RSVP without its member": _rsvp_without_member(event_id),
        # a real series kept in another calendar for a year, with its exceptions
        "series with 60 exception dates": _new_event(start="2026-01-05T19:00", tz="Europe/Berlin",
                                                     rrule=long_series_rule(60)),
    }


def long_series_rule(exceptions: int) -> str:
    """A weekly series' rule as an import stores it: RRULE then one EXDATE line per skipped week."""
    from datetime import date, timedelta

    first = date(2026, 1, 5)
    lines = ["RRULE:FREQ=WEEKLY;BYDAY=MO"]
    lines += [f"EXDATE:{(first + timedelta(weeks=2 * n)):%Y%m%d}T190000" for n in range(1, exceptions + 1)]
    return "\n".join(lines)


def _rsvp_without_member(event_id: str) -> list[Op]:
    rid = secrets.token_hex(16)
    return [Op("rsvp", rid, "event", event_id), Op("rsvp", rid, "answer", "yes")]


def _new_event(**fields: Any) -> list[Op]:
    rid = secrets.token_hex(16)
    return [Op("event", rid, "title", "Party"), *(Op("event", rid, k, v) for k, v in fields.items())]


def far_future_stamp() -> int:
    """The largest stamp the changeset format takes."""
    return MAX_INT - 1


LET_THROUGH = frozenset(let_through_ops("0" * 32))  # their names
