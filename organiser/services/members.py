"""The member directory: people, their contact details, consent, roles and skills."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from organiser.core.errors import ValidationError
from organiser.core.field_rules import MAX_TEXT
from organiser.core.letters import plain
from organiser.core.records import DELETED, KINDS, derived_id, require_complete
from organiser.services.base import RecordService
from organiser.store import queries
from organiser.store.checks import MAX_TRAITS
from organiser.store.replica import LocalOp

TRAITS = {"roles": ("member_role", "role"), "skills": ("member_skill", "skill")}


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    notes: str = ""
    consent_email: bool = False
    consent_phone: bool = False
    consent_date: str | None = None
    joined: str | None = None
    family_name: str = ""
    given_name: str = ""
    additional_names: str = ""
    name_prefix: str = ""
    name_suffix: str = ""
    phone_types: dict[str, list[str]] = field(default_factory=dict)
    email_types: dict[str, list[str]] = field(default_factory=dict)
    source_uid: str = ""

    @property
    def sort_key(self) -> tuple[str, str, str]:
        """By surname where the structured name gives one, else by the display name as written,
        case and accents aside (Éléonore among the E's, Łukasz among the L's: core/letters.py)."""
        return (plain(self.family_name or self.name), plain(self.given_name), self.name.casefold())

    def to_json(self) -> dict[str, Any]:
        # not asdict(), which deep-copies field by field: an export is mostly this call
        # (`python -m tests.perf.transfer`, export_csv_s and export_vcf_s)
        return {k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
                for k, v in self.__dict__.items()}

    @classmethod
    def from_values(cls, member_id: str, values: Mapping[str, Any],
                    roles: Sequence[str] = (), skills: Sequence[str] = ()) -> Member:
        texts = {name: values.get(name) or "" for name in _TEXT_FIELDS}
        lists = {name: list(values.get(name) or []) for name in ("emails", "phones")}
        types = {name: dict(values.get(name) or {}) for name in ("phone_types", "email_types")}
        return cls(
            id=member_id, **texts, **lists, **types, roles=list(roles), skills=list(skills),
            consent_email=bool(values.get("consent_email")), consent_phone=bool(values.get("consent_phone")),
            consent_date=values.get("consent_date"), joined=values.get("joined"),
        )


# A member's text fields: absent or empty, they read as "".
_TEXT_FIELDS = ("name", "notes", "family_name", "given_name", "additional_names", "name_prefix", "name_suffix",
                "source_uid")


def _clean_traits(values: Iterable[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or ():
        value = value.strip()
        if len(value) > MAX_TEXT:  # the cap every device checks what it receives against
            raise ValidationError("roles", f"roles and skills: '{value[:40]}…' is longer than {MAX_TEXT:,} characters.")
        if value and value.casefold() not in {v.casefold() for v in out}:
            out.append(value)
    return out


def _trait_ops(attr: str, member_id: str, new: list[str], old: list[str]) -> list[LocalOp]:
    """The ops that add the values of `new` not in `old` and delete those of `old` not in `new`
    (compared without case), for one of TRAITS."""
    kind, fieldname = TRAITS[attr]
    old_folded = {v.casefold() for v in old}
    new_folded = {v.casefold() for v in new}
    ops: list[LocalOp] = []
    for value in new:
        if value.casefold() not in old_folded:
            rid = derived_id(kind, member_id, value.casefold())
            ops += [LocalOp(kind, rid, "member", member_id),
                    LocalOp(kind, rid, fieldname, value), LocalOp(kind, rid, DELETED, False)]
    for value in old:
        if value.casefold() not in new_folded:
            ops.append(LocalOp(kind, derived_id(kind, member_id, value.casefold()), DELETED, True))
    return ops


class Members(RecordService):
    """The member directory.

    Fields a member takes (`add` and `edit`, by keyword): `name` (the display name,
    required), `emails` and `phones` (lists, up to 50 each; each must be an address or a
    number), `notes`, `consent_email` and `consent_phone` (bool), `consent_date` and `joined`
    (ISO dates), the name's parts `family_name`, `given_name`, `additional_names`,
    `name_prefix`, `name_suffix`, `phone_types` and `email_types` ({number or address: ["cell",
    "work", ...]}), `source_uid` (the UID in the file it came from); and `roles` and `skills`
    (lists of text, 200 in all). A bad value raises `ValidationError` naming the field; an
    unknown id, `NotFoundError`.
    """

    kind = "member"

    def add(self, name: str, *, roles: Iterable[str] = (), skills: Iterable[str] = (),
            **fields: Any) -> Member:
        """Add a member and return them. `fields`: any of the member fields above."""
        record_id, ops = self.build_add({"name": name, "roles": roles, "skills": skills, **fields})
        # a new member's id, and its roles' and skills' ids derived from it, are all new
        self.replica.commit(ops, fresh={op.record for op in ops})
        # the member as just written, without reading it back
        traits: dict[str, list[str]] = {"role": [], "skill": []}
        values: dict[str, Any] = {}
        for _kind, record, field_name, value, _resolves in ops:
            if record == record_id:
                values[field_name] = value
            elif field_name in traits:  # a role's or skill's value (its other ops link and undelete it)
                traits[field_name].append(value)
        return Member.from_values(record_id, values, sorted(traits["role"], key=str.casefold),
                                  sorted(traits["skill"], key=str.casefold))

    def add_walk_in(self, event: str, name: str, *, someone_else: bool = False, **fields: Any) -> Member:
        """Someone registered at the door of `event`. Two door laptops registering the same name
        at once, before they have synced, make one member, not two (counted twice at the door):
        the id comes from the event and the name, and only what was typed is written, so one
        door's empty contact field does not overwrite what the other typed. A member of that id
        deleted since is not brought back, nor is a record of another kind written to: the
        walk-in is then a new member. `someone_else`: the door knows the member of that name here
        is another person (two people of one name at one event), so this one is a new member."""
        # the name as it looks: "é" typed as one character or as "e" and an accent is one name
        record_id = derived_id("member", "walk-in", event,
                               " ".join(unicodedata.normalize("NFKC", name).split()).casefold())
        found = queries.get_record(self.db, record_id)
        if found is not None and (someone_else or found.deleted or found.kind != "member"):
            record_id = None  # another person, deleted since, or a record a member planted there
        typed = {k: v for k, v in fields.items() if v not in (None, "", [], False)}
        record_id, ops = self.build_add({"name": name, **typed}, record_id=record_id)
        defaults = KINDS["member"].by_name
        self.replica.commit([op for op in ops if op.kind != "member" or op.field == "name"
                             or op.value != defaults[op.field].default])  # roles and skills are records of their own
        return self.get(record_id)  # the other door's registration may have arrived meanwhile

    def build_add(self, values: Mapping[str, Any], record_id: str | None = None) -> tuple[str, list[LocalOp]]:
        """(id, ops) for a new member, roles and skills included, without writing. `record_id`
        is for an import that derives the id from a file's UID (two laptops importing the same
        card make the same member)."""
        values = dict(values)
        traits = {"roles": values.pop("roles", ()) or (), "skills": values.pop("skills", ()) or ()}
        record_id, ops = self._create_ops(values, record_id=record_id)
        if traits["roles"] or traits["skills"]:
            ops += self.build_traits_edit(record_id, traits, current={})
        return record_id, ops

    def edit(self, member_id: str, *, roles: Iterable[str] | None = None,
             skills: Iterable[str] | None = None, **fields: Any) -> Member:
        """Change the given fields; `roles` or `skills`, when given, replace the member's
        (None leaves them as they are). Returns the member as now stored."""
        ops = self.build_edit(member_id, fields) if fields else []
        self._current(member_id)
        wanted = {k: v for k, v in (("roles", roles), ("skills", skills)) if v is not None}
        if wanted:
            current = self.get(member_id)
            ops += self.build_traits_edit(member_id, wanted,
                                          current={"roles": current.roles, "skills": current.skills})
        if ops:
            self.replica.commit(ops)
        return self.get(member_id)

    def build_traits_edit(self, member_id: str, wanted: Mapping[str, Iterable[str] | None],
                          current: Mapping[str, Sequence[str]]) -> list[LocalOp]:
        """The ops that make a member's roles and/or skills (`wanted`: {"roles": [...],
        "skills": [...]}, either may be left out) what is asked, from `current` (the same keys),
        without writing. Roles and skills are records of their own, one per value, with a
        stable id. Raises `ValidationError` for a value too long or more than MAX_TRAITS in all."""
        kept = sum(len(current.get(attr, ())) for attr in TRAITS if attr not in wanted)
        if kept + sum(len(_clean_traits(values)) for values in wanted.values()) > MAX_TRAITS:
            raise ValidationError("roles", f"roles and skills: a member can have at most {MAX_TRAITS} in all.")
        ops: list[LocalOp] = []
        for attr, values in wanted.items():
            ops += _trait_ops(attr, member_id, _clean_traits(values), list(current.get(attr, ())))
        return ops

    def names_of(self, member_ids: Iterable[str]) -> dict[str, str]:
        """{id: name} of the given members still in the directory (one read, for a listing)."""
        found = queries.rows_by_ids(self.db, member_ids)
        return {rid: str(values.get("name") or "") for rid, (_rowid, kind, values, deleted) in found.items()
                if kind == "member" and not deleted}

    def get(self, member_id: str) -> Member:
        """The member with this id; `NotFoundError` if there is none (or they were deleted)."""
        values = require_complete("member", member_id, self._current(member_id))
        traits = {attr: queries.traits_by_member(self.db, kind, name, [member_id]).get(member_id, [])
                  for attr, (kind, name) in TRAITS.items()}
        return Member.from_values(member_id, values, traits["roles"], traits["skills"])

    def list(self, search: str | None = None, *, role: str | None = None,
             limit: int | None = None) -> list[Member]:
        """Members by surname, or best match first for a `search` (words matched as prefixes
        in names, emails, phones and notes); only those with `role` when given."""
        rows = queries.list_records(self.db, "member", search=search or None, limit=limit)
        roles = queries.traits_by_member(self.db, "member_role", "role")
        skills = queries.traits_by_member(self.db, "member_skill", "skill")
        members = [Member.from_values(rid, v, roles.get(rid, ()), skills.get(rid, ()))
                   for rid, v in rows]
        if role:
            folded = role.casefold()
            members = [m for m in members if folded in {r.casefold() for r in m.roles}]
        if not search:
            members.sort(key=lambda m: m.sort_key)
        return members

    def all_roles(self) -> list[str]:
        """Every role someone holds, alphabetically."""
        seen = {v for vals in queries.traits_by_member(self.db, "member_role", "role").values() for v in vals}
        return sorted(seen, key=str.casefold)

    @staticmethod
    def field_names() -> list[str]:
        return [f.name for f in KINDS["member"].fields]
