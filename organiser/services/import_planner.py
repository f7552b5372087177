"""Planning an import: what a file's items would add, update and skip in a group, which are
invalid (with their line or item number) and which look like members the group already has
(same email or phone). A row that carries no email, phone or UID is the member whose whole name
it gives (case and accents aside), when exactly one member is called that: a sheet of names and
working groups updates them, rather than adding each person again. Nothing here writes;
`transfer.apply_import` writes a plan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from organiser.core.device_name import one_line
from organiser.core.errors import ValidationError
from organiser.core.field_rules import CONTROL_CHARACTERS, without_control_characters
from organiser.core.letters import plain
from organiser.core.records import KINDS, derived_id, validate
from organiser.core.words import plural
from organiser.core.working_groups import is_working_group
from organiser.formats import backup as backup_format
from organiser.formats.common import OWN_UID, Misdecoded, ParsedItem, own_uid
from organiser.services.backup import Progress
from organiser.services.group import Group
from organiser.services.import_merging import Person, digits, merge_into, what_merging_adds
from organiser.services.import_names import LookAlikes, name_problem
from organiser.store import queries
from organiser.store.replica import LocalOp

ADD, UPDATE, SKIP, INVALID = "add", "update", "skip", "invalid"
SAME_NAME_NOTE = "a member with the same name already exists: check it is not the same person"


@dataclass
class PlannedItem:
    action: str  # add | update | skip | invalid
    kind: str
    where: str
    label: str
    reason: str = ""
    record_id: str | None = None
    ops: list[LocalOp] = field(default_factory=list, repr=False)
    warnings: list[str] = field(default_factory=list)
    duplicate_of: str | None = None  # a likely duplicate's name, for the report
    when: str = ""  # an event's start or a task's due date, as a person checks it

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "kind": self.kind, "where": self.where, "label": self.label,
                "reason": self.reason, "id": self.record_id, "warnings": self.warnings,
                "duplicate_of": self.duplicate_of, "when": self.when}


@dataclass
class ImportPlan:
    source: str
    format: str
    items: list[PlannedItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    merge_duplicates: bool = False
    backup: backup_format.Backup | None = None
    # The file looks like UTF-8 read as Windows-1252 and saved again ("ZoÃ«"): the right
    # reading, offered to the person; `repaired` when the plan was made from it.
    misdecoded: Misdecoded | None = None
    repaired: bool = False
    # Of `warnings`, those about the whole file rather than one item (a misnamed file, a
    # column left out, a missing last line); the misdecoding sentence is not among them.
    file_notes: list[str] = field(default_factory=list)
    # A spreadsheet's filled columns that no field took, and the note of `file_notes` naming them
    left_out: list[str] = field(default_factory=list)
    left_out_note: str = ""

    def of(self, action: str) -> list[PlannedItem]:
        return [i for i in self.items if i.action == action]

    @property
    def invalid(self) -> list[PlannedItem]:
        return self.of(INVALID)

    @property
    def duplicates(self) -> list[PlannedItem]:
        return [i for i in self.items if i.duplicate_of]

    def counts(self) -> dict[str, int]:
        return {a: len(self.of(a)) for a in (ADD, UPDATE, SKIP, INVALID)}

    def summary(self) -> str:
        if self.backup is not None:
            b = self.backup
            return (f"{self.source}: a backup of group '{b.group['name']}' with {plural(len(b.changes), 'change')} "
                    f"and {plural(sum(1 for r in b.records if not r.get('deleted')), 'record')}.")
        c = self.counts()
        namesakes = sum(1 for i in self.items if i.reason == SAME_NAME_NOTE)
        also = (f" {plural(namesakes, 'line')} to add named like a member already there: check "
                f"{'it is' if namesakes == 1 else 'they are'} not the same person." if namesakes else "")
        return (f"{self.source}: {c[ADD]} to add, {c[UPDATE]} to update, {c[SKIP]} to skip, "
                f"{c[INVALID]} invalid, {plural(len(self.duplicates), 'likely duplicate')}.{also}")

    def blocked_message(self) -> str:
        bad = self.invalid
        first = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        return (f"{self.source}: {first.where}: {first.reason.rstrip('.')}{more}. Nothing was imported; fix the "
                "file or import the rest with --skip-invalid.")

    def to_json(self) -> dict[str, Any]:
        misdecoded = None if self.misdecoded is None else {
            "seen": self.misdecoded.seen, "meant": self.misdecoded.meant, "repaired": self.repaired}
        return {"source": self.source, "format": self.format, "counts": self.counts(),
                "duplicates": len(self.duplicates), "warnings": self.warnings, "misdecoded": misdecoded,
                "items": [i.to_json() for i in self.items]}


# ---- planning -----------------------------------------------------------------------------

class Planner:
    """Works out an ImportPlan from a file's items, item by item (`run`)."""

    def __init__(self, group: Group, plan: ImportPlan, progress: Progress | None) -> None:
        self.group = group
        self.plan = plan
        self.progress = progress
        self.by_email: dict[str, Person] = {}
        self.by_phone: dict[str, Person] = {}
        self.by_uid: dict[str, Person] = {}  # Organiser's own UIDs and remembered ones of other tools
        self.by_name: dict[str, list[Person]] = {}  # the group's members by whole name, case and accents aside
        self.uid_seen: dict[str, str] = {}  # UIDs of members earlier in the file, and where
        self.event_ids: set[str] = set()
        self.people: list[Person] = []  # members this import adds or updates
        self.planned_ids: dict[str, str] = {}  # event/task ids this import already plans, and where
        self.look_alikes = LookAlikes()  # members' names, to tell a name made to pass for one of them

    def run(self, items: list[ParsedItem]) -> None:
        """Plan every item in file order (a later item meets what earlier ones planned), then
        work out the members' writes (merges may have folded later rows into them)."""
        if any(i.kind == "member" for i in items) or any(i.extra.get("assignee_email") for i in items):
            self._index_members()
        total = len(items)
        for done, item in enumerate(items, start=1):
            self._plan_item(item)
            if self.progress is not None and (done % 200 == 0 or done == total):
                self.progress(done, total, "checking")
        for person in self.people:
            self._finish_member(person)

    def _plan_item(self, item: ParsedItem) -> None:
        _leave_out_control_characters(item)
        if item.problems:
            self._add(item, INVALID, reason="; ".join(item.problems))
        elif item.kind == "member":
            self._plan_member(item)
        elif item.kind == "event":
            self._plan_event(item)
        else:
            self._plan_task(item)

    def _add(self, item: ParsedItem, action: str, **kw: Any) -> PlannedItem:
        # a name's text-direction override would reorder the preview's line and the terminal's
        planned = PlannedItem(action, item.kind, item.where, one_line(item.label), warnings=list(item.warnings),
                              when=item.when, **kw)
        self.plan.items.append(planned)
        self.plan.warnings.extend(f"{item.where}: {w}" for w in item.warnings)
        return planned

    # -- members --

    def _index_members(self) -> None:
        for m in self.group.members.list():
            person = Person(m.id, {k: v for k, v in m.to_json().items() if k not in ("id", "roles", "skills")},
                             list(m.roles), list(m.skills))
            self._index(person)
            self.by_name.setdefault(plain(m.name.strip()), []).append(person)
            self.look_alikes.add(m.name)

    def _index(self, person: Person) -> None:
        if person.record_id:
            self.by_uid[own_uid(person.record_id)] = person
        if person.values.get("source_uid"):
            self.by_uid.setdefault(person.values["source_uid"], person)
        for email in person.values.get("emails") or []:
            self.by_email.setdefault(email.casefold(), person)
        for phone in person.values.get("phones") or []:
            if len(digits(phone)) >= 3:
                self.by_phone.setdefault(digits(phone), person)

    def _match(self, values: Mapping[str, Any]) -> tuple[Person | None, str]:
        for email in values.get("emails") or []:
            found = self.by_email.get(str(email).casefold())
            if found:
                return found, f"same email {email}"
        for phone in values.get("phones") or []:
            found = self.by_phone.get(digits(str(phone)))
            if found:
                return found, f"same phone {phone}"
        return None, ""

    def _plan_member(self, item: ParsedItem) -> None:
        """Plan a member: an update of the member its UID names, else an addition, or a skip
        or merge when it looks like a member already there (same email or phone)."""
        roles = list(item.extra.get("roles") or [])
        skills = list(item.extra.get("skills") or [])
        try:  # validate now, so a bad row is reported with its line, and normalise values
            values = validate("member", item.values)
        except ValidationError as exc:
            self._add(item, INVALID, reason=exc.message)
            return
        name = str(values.get("name") or "")
        read_wrong = self.plan.misdecoded is not None and not self.plan.repaired  # the plan says how to read it
        problem, note = name_problem(name, misdecoded=read_wrong), None
        if problem is None:
            problem, note = self.look_alikes.judge(name)
        if problem is not None:
            self._add(item, INVALID, reason=problem)
            return
        if note is not None:
            item.warnings.append(note)
        handled, new_id = self._plan_member_by_uid(item, values, roles, skills)
        if handled:
            return
        match, why = self._match(values)
        if match is None and self._plan_by_name(item, values, roles, skills):
            return
        if match is None:
            self._plan_new_person(item, Person(None, values, roles, skills, new_id=new_id),
                                  reason=self._namesake_note(name))
        elif not self._skip_or_merge(item, match, why, values, roles, skills):
            match_name = match.values.get("name") or ""
            self._plan_new_person(item, Person(None, values, roles, skills, new_id=new_id),
                                  duplicate_of=match_name,
                                  reason=f"likely duplicate of {match_name} ({why}); not merged")

    def _namesake_note(self, name: str) -> str:
        """Why a line added beside a member of the same name deserves a look: a name alone never
        makes a match (two people can share one), but the organiser should check it is not the same
        person with a new email or phone. Empty when no member is called that."""
        return SAME_NAME_NOTE if self.by_name.get(plain(name.strip())) else ""

    def _plan_by_name(self, item: ParsedItem, values: Mapping[str, Any], roles: list[str],
                      skills: list[str]) -> bool:
        """A row with nothing else to know its person by (no email, phone or UID) whose whole name is a
        member's adds to that member what it carries (as a merge does); a name two members share is
        refused, as the row cannot say which. False: no member of that name, or more to go by."""
        if item.extra.get("uid") or values.get("emails") or values.get("phones"):
            return False
        name = str(values.get("name") or "").strip()
        named = self.by_name.get(plain(name), [])
        if len(named) > 1:
            self._add(item, INVALID, reason=f"{len(named)} members are called {name}: add an Email or Phone "
                      "column to say which")
            return True
        if not named:
            return False
        member = named[0]
        known_as = member.values.get("name") or name
        added = what_merging_adds(member, values, roles, skills)
        if not added:
            self._add(item, SKIP, reason=f"already there as {known_as} (same name)", record_id=member.record_id)
            return True
        if member.planned is not None:  # an earlier row of this file named them too
            if member.planned.ops:  # its writes are worked out (a card with their UID): this row's cannot join
                self._add(item, SKIP, reason=f"same member as {member.planned.where} ({known_as})")
                return True
            merge_into(member, values, roles, skills)
            self._add(item, SKIP, reason=f"merged into {known_as} from {member.planned.where} (same name)")
            return True
        merge_into(member, values, roles, skills)
        member.planned = self._add(item, UPDATE, reason=f"{known_as} (same name): adds {added}",
                                   record_id=member.record_id)
        self.people.append(member)
        return True

    def _plan_member_by_uid(self, item: ParsedItem, values: Mapping[str, Any], roles: list[str],
                            skills: list[str]) -> tuple[bool, str | None]:
        """(whether the item's UID settled it, the id a new member takes from its UID). A UID
        seen earlier in the file is skipped, a known one updates its member, one of a member
        deleted here is skipped."""
        uid = item.extra.get("uid")
        if not uid:
            return False, None
        if uid in self.uid_seen:
            self._add(item, SKIP, reason=f"same UID as {self.uid_seen[uid]}")
            return True, None
        self.uid_seen[uid] = item.where
        known = self.by_uid.get(uid)
        if known is not None and known.record_id:
            self._replace_member(item, known, values, roles, skills)
            return True, None
        own = OWN_UID.match(uid)
        new_id = own.group(1) if own else derived_id("member", uid)
        if queries.get_record(self.group.db, new_id) is not None:
            self._add(item, SKIP, reason="this member was deleted here; it is not brought back", record_id=new_id)
            return True, None
        return False, new_id

    def _plan_new_person(self, item: ParsedItem, person: Person, **kw: Any) -> None:
        person.planned = self._add(item, ADD, **kw)
        self._index(person)
        self.look_alikes.add(str(person.values.get("name") or ""))
        self.people.append(person)

    def _skip_or_merge(self, item: ParsedItem, match: Person, why: str, values: Mapping[str, Any],
                       roles: list[str], skills: list[str]) -> bool:
        """For an item that looks like `match`: skip it when it adds nothing, merge it when
        asked to; False when it is to be added beside the likely duplicate."""
        match_name = match.values.get("name") or ""
        new_stuff = bool(what_merging_adds(match, values, roles, skills))
        same_name = str(values.get("name", "")).casefold() == str(match_name).casefold()
        if not new_stuff and same_name:
            self._add(item, SKIP, reason=f"already there as {match_name} ({why})", record_id=match.record_id,
                      duplicate_of=match_name)
            return True
        if not self.plan.merge_duplicates:
            return False
        merge_into(match, values, roles, skills)
        if match.planned is not None:  # merged into a member this same import adds
            self._add(item, SKIP, reason=f"merged into {match_name} from {match.planned.where} ({why})",
                      duplicate_of=match_name)
        elif new_stuff:
            match.planned = self._add(item, UPDATE, reason=f"merged into {match_name} ({why})",
                                      record_id=match.record_id, duplicate_of=match_name)
            self.people.append(match)
        else:
            self._add(item, SKIP, reason=f"nothing new for {match_name} ({why})", record_id=match.record_id,
                      duplicate_of=match_name)
        return True

    def _replace_member(self, item: ParsedItem, known: Person, values: Mapping[str, Any],
                        roles: list[str], skills: list[str]) -> None:
        """A card or row whose UID is a member's: what the file carries replaces the member's
        values (the file wins; nothing is appended), what it cannot carry stays."""
        assert known.record_id is not None
        if known.planned is not None:
            self._add(item, SKIP, reason=f"same member as {known.planned.where}", record_id=known.record_id)
            return
        try:
            ops = self._replacing_ops(item, known, values, roles, skills)
        except ValidationError as exc:
            self._add(item, INVALID, reason=exc.message)
            return
        if not ops:
            self._add(item, SKIP, reason="unchanged", record_id=known.record_id)
            return
        changed = sorted({op.field if op.kind == "member" else op.kind.removeprefix("member_") + "s" for op in ops})
        known.planned = self._add(item, UPDATE, reason=f"changed: {', '.join(changed)}",
                                  record_id=known.record_id, ops=ops)

    def _replacing_ops(self, item: ParsedItem, known: Person, values: Mapping[str, Any],
                       roles: list[str], skills: list[str]) -> list[LocalOp]:
        """The ops that make a known member what the item carries (its other fields stay)."""
        assert known.record_id is not None
        spec = KINDS["member"].by_name
        carried = item.extra.get("carried") or {*values, "roles", "skills"}
        fields = {k: values.get(k, spec[k].default) for k in carried if k in spec}
        fields["name"] = fields.get("name") or known.values.get("name")
        wanted = {k: v for k, v in (("roles", roles), ("skills", skills)) if k in carried}
        if "working_groups" in carried and "roles" not in carried:  # its working groups, the member's other roles
            wanted["roles"] = [r for r in known.roles if not is_working_group(r)] + roles
        members = self.group.members
        return members.build_edit(known.record_id, fields) + members.build_traits_edit(
            known.record_id, wanted, current={"roles": known.roles, "skills": known.skills})

    def _finish_member(self, person: Person) -> None:
        planned = person.planned
        if planned is None or planned.action not in (ADD, UPDATE) or planned.ops:
            return  # nothing to do, or already worked out (a known UID)
        members = self.group.members
        try:
            if planned.action == ADD:
                values = {**person.values, "roles": person.roles, "skills": person.skills}
                planned.record_id, planned.ops = members.build_add(values, record_id=person.new_id)
            else:
                assert person.record_id is not None
                current = members.get(person.record_id)
                fields = {k: v for k, v in person.values.items() if k in KINDS["member"].by_name}
                planned.ops = members.build_edit(person.record_id, fields) + members.build_traits_edit(
                    person.record_id, {"roles": person.roles, "skills": person.skills},
                    current={"roles": current.roles, "skills": current.skills})
        except ValidationError as exc:
            planned.action, planned.reason, planned.ops = INVALID, exc.message, []

    # -- events and tasks --

    def _record_id(self, kind: str, uid: str | None) -> str | None:
        if not uid:
            return None
        own = OWN_UID.match(uid)
        return own.group(1) if own else derived_id(kind, uid)

    def _plan_dated(self, item: ParsedItem, kind: str, values: dict[str, Any],
                    extra_ops: Mapping[str, Any]) -> None:
        """Plan an event or task: an update of the record its UID names, a skip when that
        record was deleted here or the file names it twice, else an addition."""
        record_id = self._record_id(kind, item.extra.get("uid"))
        if record_id and record_id in self.planned_ids:
            self._add(item, SKIP, reason=f"same UID as {self.planned_ids[record_id]}", record_id=record_id)
            return
        found = queries.get_record(self.group.db, record_id) if record_id else None
        try:
            if found is not None and record_id and found.kind == kind and not found.deleted:
                self._plan_dated_update(item, kind, record_id, found.values, values, extra_ops)
            elif found is not None:
                self._add(item, SKIP, reason=f"this {kind} was deleted here; it is not brought back",
                          record_id=record_id)
            else:
                record_id = self._plan_dated_add(item, kind, record_id, values, extra_ops)
        except ValidationError as exc:
            self._add(item, INVALID, reason=exc.message)
            return
        self._remember_planned(item, kind, record_id)

    def _plan_dated_update(self, item: ParsedItem, kind: str, record_id: str, current: Mapping[str, Any],
                           values: Mapping[str, Any], extra_ops: Mapping[str, Any]) -> None:
        """The file's values over a record this group has: only what changes is written."""
        service = self.group.events if kind == "event" else self.group.tasks
        ops = [op for op in service.build_edit(record_id, values, kind) if op.field not in extra_ops]
        ops += [LocalOp(kind, record_id, k, v) for k, v in extra_ops.items() if current.get(k) != v]
        if not ops:
            self._add(item, SKIP, reason="unchanged", record_id=record_id)
        else:
            changed = ", ".join(sorted({op.field for op in ops}))
            self._add(item, UPDATE, reason=f"changed: {changed}", record_id=record_id, ops=ops)

    def _plan_dated_add(self, item: ParsedItem, kind: str, record_id: str | None, values: Mapping[str, Any],
                        extra_ops: Mapping[str, Any]) -> str:
        """A new record, under the id its UID derives when it has one; returns that id."""
        service = self.group.events if kind == "event" else self.group.tasks
        new_id, ops = service.build_add(values)
        record_id = record_id or new_id
        ops = [LocalOp(op.kind, record_id, op.field, extra_ops.get(op.field, op.value)) for op in ops]
        self._add(item, ADD, record_id=record_id, ops=ops)
        return record_id

    def _remember_planned(self, item: ParsedItem, kind: str, record_id: str | None) -> None:
        """What later items of the same file meet: a UID planned twice, a task's related event."""
        if record_id:
            self.planned_ids[record_id] = item.where
        if kind == "event":
            self.event_ids.add(record_id or "")

    def _plan_event(self, item: ParsedItem) -> None:
        self._plan_dated(item, "event", dict(item.values), {})

    def _plan_task(self, item: ParsedItem) -> None:
        values = dict(item.values)
        links: dict[str, Any] = {}
        related = item.extra.get("related_uid")
        if related:
            event_id = self._record_id("event", related)
            if event_id in self.event_ids or (event_id and queries.exists(self.group.db, "event", event_id)):
                links["event"] = event_id
            else:
                item.warnings.append(f"its related event '{related}' is not in this group; the link was dropped")
        email = item.extra.get("assignee_email")
        if email:
            person = self.by_email.get(email.casefold())
            if person is not None and person.record_id:
                values["assignee"] = person.record_id
            else:
                item.warnings.append(f"no member has the email {email}; the task was left unassigned")
        self._plan_dated(item, "task", values, links)


# The free text of an item; a member's name has its own sentence (import_names.name_problem).
FREE_TEXT = ("title", "location", "description", "notes")


def _leave_out_control_characters(item: ParsedItem) -> None:
    """NUL and other control characters in an item's free text are left out, and said so: they
    show as nothing in the app and cut the text short in other tools, and refusing a contact list
    for a byte nobody sees would help nobody."""
    for name in FREE_TEXT:
        value = item.values.get(name)
        if not isinstance(value, str) or not CONTROL_CHARACTERS.search(value):
            continue
        found = CONTROL_CHARACTERS.findall(value)
        codes = ", ".join(sorted({f"U+{ord(c):04X}" for c in found}))
        item.values[name] = without_control_characters(value)
        item.warnings.append(f"its {name} held {plural(len(found), 'control character')} ({codes}), which "
                             f"{'was' if len(found) == 1 else 'were'} left out")

