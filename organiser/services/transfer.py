"""Import and export: files in, plans shown, one transaction written; the group out.

`plan_import` reads a file and works out, without writing anything, what it would add,
update and skip, which items are invalid (with their line or item number) and which look
like members the group already has (same email or phone; a row with neither, the member of
its whole name: see import_planner.py).
`apply_import` writes a plan as one SQLite transaction, or refuses while it has invalid
items unless asked to skip them. Full backups are restored by `restore_backup`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from organiser.core.errors import OrganiserError
from organiser.core.field_rules import without_control_characters
from organiser.formats import backup as backup_format
from organiser.formats.common import (
    FormatError,
    ParsedFile,
    detect_format,
    find_misdecoding,
    misnamed,
    not_utf8_lines,
    write_export,
)
from organiser.formats.csvfile import read_members_csv, write_members_csv
from organiser.formats.ical import read_calendar, write_calendar
from organiser.formats.vcard import read_vcards, write_vcards
from organiser.formats.xlsx import write_members_xlsx
from organiser.services import clock
from organiser.services.backup import Progress, build_backup, restore_backup
from organiser.services.group import Group
from organiser.services.import_planner import ADD, INVALID, SKIP, UPDATE, ImportPlan, PlannedItem, Planner
from organiser.store import queries

__all__ = ["ImportBlocked", "write_export", "ImportPlan", "ImportResult", "PlannedItem", "Progress", "apply_import",
           "build_backup", "export_group", "plan_import", "read_file", "restore_backup"]


class ImportBlocked(OrganiserError):
    """The file has invalid items and skipping them was not asked for; nothing was written."""


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    skipped: int
    invalid_skipped: int
    changesets: int


# ---- reading ------------------------------------------------------------------------------

def read_file(data: bytes, source: str, fmt: str | None = None,
              mapping: Mapping[str, str] | None = None) -> ParsedFile:
    fmt = fmt or detect_format(source, data)
    if fmt == "ics":
        return read_calendar(data, source, _laptop_zone())
    if fmt == "vcf":
        return read_vcards(data, source)
    if fmt == "csv":
        return read_members_csv(data, source, mapping)
    raise FormatError(f"{source}: '{fmt}' files cannot be imported into a group; use ics, vcf or csv.")


_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"})


def _laptop_zone() -> ZoneInfo | None:
    """This laptop's zone, for a calendar's UTC times when it names none; None for UTC itself."""
    name = clock.local_tz_name()
    try:
        return None if name in _UTC_NAMES else ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return None


def plan_import(group: Group, data: bytes, source: str, *, fmt: str | None = None,
                merge_duplicates: bool = False, mapping: Mapping[str, str] | None = None,
                progress: Progress | None = None, repair_encoding: bool = False) -> ImportPlan:
    """What importing `data` would do to `group`; writes nothing. `repair_encoding` reads a
    file that looks doubly encoded ("ZoÃ«") the right way ("Zoë")."""
    fmt = fmt or detect_format(source, data)
    if fmt == "json":
        plan = ImportPlan(source, "json", backup=backup_format.read_backup(data, source))
        if plan.backup is not None and plan.backup.group["id"] == group.id:
            raise OrganiserError(f"{source} is a backup of this very group; restore it into an empty "
                                 "data directory instead (organiser --data-dir DIR import FILE).")
        raise OrganiserError(f"{source} is a full backup of group '{plan.backup.group['name']}'; restore it "
                             "into an empty data directory (organiser --data-dir DIR import FILE).")
    misdecoded = find_misdecoding(data, source)
    repaired = misdecoded is not None and repair_encoding
    parsed = read_file(misdecoded.data if misdecoded is not None and repaired else data, source, fmt, mapping)
    plan = ImportPlan(source, fmt, warnings=list(parsed.warnings), merge_duplicates=merge_duplicates,
                      misdecoded=misdecoded, repaired=repaired, left_out=parsed.left_out,
                      left_out_note=parsed.left_out_note)
    name_note = misnamed(source, fmt)
    if name_note:
        plan.warnings.insert(0, name_note)
    damaged = not_utf8_lines(data)
    if damaged:
        lines = ", ".join(map(str, damaged[:5])) + (f" and {len(damaged) - 5:,} more" if len(damaged) > 5 else "")
        many = len(damaged) > 1
        plan.warnings.append(f"{source}: line{'s' if many else ''} {lines} hold{'' if many else 's'} bytes that are "
                             "not UTF-8 (a character cut or damaged), shown as �; the rest of the file is UTF-8 and "
                             "was read so")
    plan.file_notes = list(plan.warnings)
    if misdecoded is not None:
        plan.warnings.insert(0, misdecoded.sentence(source) + (
            "; it was read that way" if repaired else "; to read it that way, import with --repair-encoding "
            "(in the app: tick 'Read it as UTF-8')"))
    planner = Planner(group, plan, progress)
    planner.run(parsed.items)
    return plan


# ---- writing ------------------------------------------------------------------------------

def apply_import(group: Group, plan: ImportPlan, *, skip_invalid: bool = False,
                 progress: Progress | None = None) -> ImportResult:
    """Write the plan's additions and updates as ONE transaction, or nothing at all."""
    if plan.backup is not None:
        raise OrganiserError(f"{plan.source} is a full backup; restore it with restore_backup.")
    if plan.invalid and not skip_invalid:
        raise ImportBlocked(plan.blocked_message())
    groups = [item.ops for item in plan.items if item.action in (ADD, UPDATE) and item.ops]
    if progress is not None:  # one transaction: no steps to count, so "busy" (total 0)
        progress(0, 0, f"writing {len(groups):,} records in one step")
    if groups:
        group.replica.commit_batch(groups)
    if progress is not None:
        progress(len(groups), len(groups), "writing")
    counts = plan.counts()
    return ImportResult(counts[ADD], counts[UPDATE], counts[SKIP], counts[INVALID], len(groups))


# ---- export -------------------------------------------------------------------------------

def export_group(group: Group, fmt: str, *, vcard_version: str = "3.0", bom: bool = True,
                 csv_separator: str = ",") -> bytes:
    """The group's events and tasks (ics), members (vcf, csv, xlsx), or everything (json).
    `vcard_version`: "2.1", "3.0" or "4.0"; `bom`: start a CSV with a byte-order mark (Excel
    needs it to read UTF-8); `csv_separator`: "," or ";". Raises `FormatError` for another format."""
    if fmt == "ics":
        return _calendar_of(group)
    if fmt == "json":
        return backup_format.write_backup(build_backup(group))
    writers: dict[str, Callable[[list[dict[str, Any]]], bytes]] = {
        "vcf": lambda members: write_vcards(members, vcard_version),
        "csv": lambda members: write_members_csv(members, bom=bom, separator=csv_separator),
        "xlsx": write_members_xlsx,
    }
    if fmt not in writers:
        raise FormatError(f"'{fmt}' is not an export format; use ics, vcf, csv, xlsx or json.")
    return writers[fmt]([_without_controls(m.to_json()) for m in group.members.list()])


def _without_controls(record: dict[str, Any]) -> dict[str, Any]:
    """A record's text without control characters (a NUL a peer or an older version stored):
    another tool cuts a note short at one, or refuses the file. A backup keeps them, as signed."""
    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return without_control_characters(value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value
    return {k: clean(v) for k, v in record.items()}


def _calendar_of(group: Group) -> bytes:
    """Events and tasks as one iCalendar file, assignees named with their first email."""
    members = {m.id: (m.name, m.emails[0] if m.emails else "") for m in group.members.list()}
    events = [_without_controls({"id": rid, **v}) for rid, v in queries.list_records(group.db, "event")]
    tasks = [_without_controls({"id": rid, **v}) for rid, v in queries.list_records(group.db, "task")]
    return write_calendar(events, tasks, name=group.name, member_emails=members)
