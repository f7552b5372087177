"""The member directory: people, their contact details, consent, roles and skills."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from organiser.core.errors import ValidationError
from organiser.core.records import DELETED, KINDS, MAX_TEXT, derived_id
from organiser.services.base import RecordService, built
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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_values(cls, member_id: str, values: Mapping[str, Any],
                    roles: Sequence[str] = (), skills: Sequence[str] = ()) -> Member:
        return built(
            cls, id=member_id, name=values.get("name") or "", emails=list(values.get("emails") or []),
            phones=list(values.get("phones") or []), roles=list(roles), skills=list(skills),
            notes=values.get("notes") or "", consent_email=bool(values.get("consent_email")),
            consent_phone=bool(values.get("consent_phone")),
            consent_date=values.get("consent_date"), joined=values.get("joined"),
        )


def _clean_traits(values: Iterable[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or ():
        value = value.strip()
        if len(value) > MAX_TEXT:  # the cap every device checks what it receives against
            raise ValidationError("roles", f"roles and skills: '{value[:40]}…' is longer than {MAX_TEXT:,} characters.")
        if value and value.casefold() not in {v.casefold() for v in out}:
            out.append(value)
    return out


class Members(RecordService):
    kind = "member"

    def add(self, name: str, *, roles: Iterable[str] = (), skills: Iterable[str] = (),
            **fields: Any) -> Member:
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

    def build_add(self, values: Mapping[str, Any]) -> tuple[str, list[LocalOp]]:
        """(id, ops) for a new member, roles and skills included, without writing."""
        values = dict(values)
        traits = {"roles": values.pop("roles", ()) or (), "skills": values.pop("skills", ()) or ()}
        record_id, ops = self._create_ops(values)
        if traits["roles"] or traits["skills"]:
            ops += self._trait_ops(record_id, traits, current={})
        return record_id, ops

    def edit(self, member_id: str, *, roles: Iterable[str] | None = None,
             skills: Iterable[str] | None = None, **fields: Any) -> Member:
        ops = self._edit_ops(member_id, fields) if fields else []
        self._current(member_id)
        wanted = {k: v for k, v in (("roles", roles), ("skills", skills)) if v is not None}
        if wanted:
            current = self.get(member_id)
            ops += self._trait_ops(member_id, wanted,
                                   current={"roles": current.roles, "skills": current.skills})
        if ops:
            self.replica.commit(ops)
        return self.get(member_id)

    def _trait_ops(self, member_id: str, wanted: Mapping[str, Iterable[str] | None],
                   current: Mapping[str, Sequence[str]]) -> list[LocalOp]:
        """Roles and skills are records of their own, one per value, with a stable id."""
        kept = sum(len(current.get(attr, ())) for attr in TRAITS if attr not in wanted)
        if kept + sum(len(_clean_traits(values)) for values in wanted.values()) > MAX_TRAITS:
            raise ValidationError("roles", f"roles and skills: a member can have at most {MAX_TRAITS} in all.")
        ops: list[LocalOp] = []
        for attr, values in wanted.items():
            kind, fieldname = TRAITS[attr]
            new = _clean_traits(values)
            old = list(current.get(attr, ()))
            old_folded = {v.casefold() for v in old}
            new_folded = {v.casefold() for v in new}
            for value in new:
                if value.casefold() not in old_folded:
                    rid = derived_id(kind, member_id, value.casefold())
                    ops += [LocalOp(kind, rid, "member", member_id),
                            LocalOp(kind, rid, fieldname, value), LocalOp(kind, rid, DELETED, False)]
            for value in old:
                if value.casefold() not in new_folded:
                    ops.append(LocalOp(kind, derived_id(kind, member_id, value.casefold()), DELETED, True))
        return ops

    def get(self, member_id: str) -> Member:
        values = self._current(member_id)
        traits = {attr: queries.traits_by_member(self.db, kind, name, [member_id]).get(member_id, [])
                  for attr, (kind, name) in TRAITS.items()}
        return Member.from_values(member_id, values, traits["roles"], traits["skills"])

    def list(self, search: str | None = None, *, role: str | None = None,
             limit: int | None = None) -> list[Member]:
        rows = queries.list_records(self.db, "member", search=search or None, limit=limit)
        roles = queries.traits_by_member(self.db, "member_role", "role")
        skills = queries.traits_by_member(self.db, "member_skill", "skill")
        members = [Member.from_values(rid, v, roles.get(rid, ()), skills.get(rid, ()))
                   for rid, v in rows]
        if role:
            folded = role.casefold()
            members = [m for m in members if folded in {r.casefold() for r in m.roles}]
        if not search:
            members.sort(key=lambda m: m.name.casefold())
        return members

    def all_roles(self) -> list[str]:
        seen = {v for vals in queries.traits_by_member(self.db, "member_role", "role").values() for v in vals}
        return sorted(seen, key=str.casefold)

    @staticmethod
    def field_names() -> list[str]:
        return [f.name for f in KINDS["member"].fields]
