"""Members an import merges: a member as the plan will leave it, and how an imported row folds
into a likely duplicate (lists joined, empty fields filled, notes appended) for
services/import_planner.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from organiser.core.working_groups import is_working_group, working_group_name

if TYPE_CHECKING:
    from organiser.services.import_planner import PlannedItem


def digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


@dataclass
class Person:
    """A member as the plan will leave it: an existing one, or one this import adds."""

    record_id: str | None
    values: dict[str, Any]
    roles: list[str]
    skills: list[str]
    planned: PlannedItem | None = None
    new_id: str | None = None  # for a member added from a card with another tool's UID: derived from it


def what_merging_adds(match: Person, values: Mapping[str, Any], roles: list[str], skills: list[str]) -> str:
    """What merging would add to `match`, in the import's report: "working group Housing, phones"."""
    probe = Person(match.record_id, {k: (list(v) if isinstance(v, list) else v) for k, v in match.values.items()},
                   list(match.roles), list(match.skills))
    merge_into(probe, values, roles, skills)
    said = [f"working group {working_group_name(r)}" if is_working_group(r) else f"role {r}"
            for r in probe.roles if r not in match.roles]
    said += [f"skill {s}" for s in probe.skills if s not in match.skills]
    said += [k.replace("_", " ") for k in sorted(probe.values) if probe.values[k] != match.values.get(k)]
    return ", ".join(said)


def merge_into(person: Person, values: Mapping[str, Any], roles: list[str], skills: list[str]) -> None:
    """Fold an imported member into a likely duplicate: lists are joined, empty fields
    filled, notes appended; the name and other set fields are kept."""
    for key in ("emails", "phones"):
        _join_contacts(person.values.setdefault(key, []), values.get(key) or [], key)
    for target, new in ((person.roles, roles), (person.skills, skills)):
        _join_traits(target, new)
    _append_notes(person.values, str(values.get("notes") or "").strip())
    _fill_empty(person.values, values)


def _join_traits(have: list[str], new: list[str]) -> None:
    """Add the roles (or skills) not already there, whatever their case."""
    for value in new:
        if value.casefold() not in {v.casefold() for v in have}:
            have.append(value)


def _append_notes(have: dict[str, Any], notes: str) -> None:
    """The imported notes after the member's, unless already in them."""
    if notes and notes not in str(have.get("notes") or ""):
        have["notes"] = "\n\n".join(n for n in (have.get("notes"), notes) if n)


def _join_contacts(have: list[str], new: list[str], key: str) -> None:
    """Add the emails (or phones) not already there, compared as people mean them."""
    folded = {_fold(key, v) for v in have}
    for value in new:
        if _fold(key, value) not in folded:
            have.append(value)
            folded.add(_fold(key, value))


def _fill_empty(have: dict[str, Any], values: Mapping[str, Any]) -> None:
    """Fields the member has empty take the imported value; set ones are kept."""
    for key, value in values.items():
        if key not in ("emails", "phones", "notes", "name") and value not in (None, "", []) \
                and have.get(key) in (None, "", [], False):
            have[key] = value


def _fold(key: str, value: str) -> str:
    return value.casefold() if key == "emails" else digits(value)
