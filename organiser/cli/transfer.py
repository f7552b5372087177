"""`import` and `export`: iCalendar, vCard, CSV and full JSON backups."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from organiser.cli.common import opened_group, print_json
from organiser.core.errors import NoGroupError, OrganiserError
from organiser.core.gcpause import gc_paused
from organiser.formats.common import EXPORT_FORMATS, FORMATS, detect_format, read_import_file
from organiser.formats.csvfile import SEPARATORS, TARGETS, parse_mapping
from organiser.formats.sealed import is_sealed, open_sealed, seal_backup

if TYPE_CHECKING:  # the transfer service brings the iCalendar and vCard libraries: loaded by the commands here only
    from organiser.services.group import Group
    from organiser.services.transfer import ImportPlan


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import", help="import members, events and tasks from a file, or restore a backup",
        description="Import from an iCalendar (.ics: events and tasks), vCard (.vcf: members) or CSV "
        "(.csv: members) file, or restore a full backup (.json) into an empty data directory. The "
        "format comes from the extension or the content. Everything is written in one transaction; "
        "if any item is invalid nothing is written unless --skip-invalid is given.")
    p.add_argument("file", type=Path, metavar="FILE", help="the file to import")
    p.add_argument("--dry-run", action="store_true",
                   help="show what would be added, updated and skipped; write nothing")
    p.add_argument("--skip-invalid", action="store_true", help="import the valid items and skip the invalid ones")
    p.add_argument("--merge-duplicates", action="store_true",
                   help="merge members that share an email or phone with an existing one "
                   "(default: report them and keep them apart)")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                   help=f"CSV: read COLUMN as FIELD (one of {', '.join(TARGETS)}); repeat for several")
    p.add_argument("--format", choices=FORMATS, help="the file's format, when the extension does not say")
    p.add_argument("--repair-encoding", action="store_true",
                   help="read a file that looks like UTF-8 opened as Windows-1252 and saved again ('ZoÃ«') "
                   "as it was meant ('Zoë'); the import says when a file looks like that")
    p.add_argument("--device-name", default="restored copy", metavar="NAME",
                   help="backup restore: what to call this laptop (default: 'restored copy')")
    p.add_argument("--json", action="store_true", help="print the plan and result as JSON")
    _backup_passphrase_flag(p, "an encrypted backup's passphrase")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser(
        "export", help="export the group to iCalendar, vCard, CSV, .xlsx or a full JSON backup",
        description="Export events and tasks (ics), members (vcf, csv, xlsx) or the whole group with its "
        "signed change log (json, restorable with 'organiser import'). Writes to standard output "
        "unless --out is given.")
    p.add_argument("--format", choices=EXPORT_FORMATS,
                   help="ics, vcf, csv, xlsx or json (default: from --out's extension)")
    p.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--vcard-version", choices=("3.0", "4.0"), default="3.0", help="vCard version (default 3.0)")
    p.add_argument("--separator", choices=tuple(SEPARATORS), default="comma",
                   help="csv: what goes between columns (default comma; semicolon for Excel set to a language "
                   "that writes 1,5 for one and a half, e.g. French or German, which otherwise opens it all "
                   "in column A)")
    p.add_argument("--encrypt", action="store_true",
                   help="json: encrypt the backup with a passphrase (exports are otherwise plain files anyone "
                   "who gets them can read)")
    _backup_passphrase_flag(p, "the passphrase to encrypt the backup with")
    p.set_defaults(handler=cmd_export)


ENV_BACKUP_PASSPHRASE = "ORGANISER_BACKUP_PASSPHRASE"


def _backup_passphrase_flag(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--backup-passphrase-file", type=Path, metavar="FILE",
                   help=f"read {what} from the first line of FILE (else ${ENV_BACKUP_PASSPHRASE}, else a prompt)")


def _backup_passphrase(args: argparse.Namespace, *, new: bool) -> str:
    from organiser.cli.atrest import new_passphrase
    from organiser.core.errors import PassphraseError

    if new:
        chosen = new_passphrase(args, file=args.backup_passphrase_file, env=ENV_BACKUP_PASSPHRASE, optional=False)
        assert chosen is not None
        return chosen
    import getpass
    import os

    from organiser.cli.atrest import _first_line

    if args.backup_passphrase_file:
        return _first_line(args.backup_passphrase_file, "passphrase file")
    if os.environ.get(ENV_BACKUP_PASSPHRASE):
        return os.environ[ENV_BACKUP_PASSPHRASE]
    if sys.stdin.isatty():
        return getpass.getpass("The backup's passphrase: ")
    raise PassphraseError(f"{args.file} is an encrypted backup: give its passphrase with --backup-passphrase-file "
                          f"FILE or ${ENV_BACKUP_PASSPHRASE}.")


def cmd_import(args: argparse.Namespace) -> int:
    with gc_paused(freeze_survivors=True):  # tens of thousands of small objects: no collector passes over them
        return _import(args)


def _import(args: argparse.Namespace) -> int:
    from organiser.cli.main import EXIT_BAD_INPUT
    from organiser.paths import data_dir_of
    from organiser.services import transfer

    source = str(args.file)
    try:
        data = read_import_file(args.file)
        if is_sealed(data):
            data = open_sealed(data, _backup_passphrase(args, new=False), source)
        fmt = args.format or detect_format(args.file, data)
        if fmt == "json":
            return _restore(args, data, source, data_dir_of(args))
        mapping = parse_mapping(args.map)
        with opened_group(args) as group:
            plan = transfer.plan_import(group, data, source, fmt=fmt, merge_duplicates=args.merge_duplicates,
                                        mapping=mapping, repair_encoding=args.repair_encoding)
            blocked = bool(plan.invalid) and not args.skip_invalid
            _write_planned(args, group, plan, blocked)
            if blocked:
                print(f"organiser: {plan.blocked_message()}", file=sys.stderr)
                return EXIT_BAD_INPUT
    except NoGroupError:
        raise
    except OrganiserError as exc:  # a bad file, a bad --map, a backup of a group already here
        print(f"organiser: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _write_planned(args: argparse.Namespace, group: Group, plan: ImportPlan, blocked: bool) -> None:
    """Show the plan (as JSON, or as lines for people) and, unless only planning or blocked, write it."""
    from organiser.services import transfer

    writes = not args.dry_run and not blocked
    if args.json:
        result = transfer.apply_import(group, plan, skip_invalid=args.skip_invalid) if writes else None
        print_json({**plan.to_json(), "dry_run": args.dry_run, "written": result is not None})
        return
    _print_plan(plan, not writes)
    if writes:
        result = transfer.apply_import(group, plan, skip_invalid=args.skip_invalid)
        print(f"Imported: {result.added} added, {result.updated} updated, {result.skipped} skipped"
              + (f", {result.invalid_skipped} invalid skipped" if result.invalid_skipped else "")
              + " (one transaction).")


def _restore(args: argparse.Namespace, data: bytes, source: str, data_dir: Path) -> int:
    from organiser.formats.backup import read_backup
    from organiser.services import transfer
    from organiser.services.transfer import ImportPlan

    backup = read_backup(data, source)
    plan = ImportPlan(source, "json", backup=backup)
    if args.dry_run:
        print_json(backup.to_json()["counts"] | {"group": backup.group["name"], "changes": len(backup.changes)}) \
            if args.json else print(f"Would restore {plan.summary()}")
        return 0
    from organiser.cli.atrest import new_passphrase

    group = transfer.restore_backup(data_dir, data, source, args.device_name, passphrase=new_passphrase(args))
    try:
        status = group.status()
        if args.json:
            print_json(status)
        else:
            print(f"Restored group '{group.name}' ({group.id}) into {group.path}: "
                  + ", ".join(f"{n} {k}s" for k, n in status["counts"].items() if n)
                  + f"; state hash {status['state_hash'][:16]}... matches the backup.")
            print(RESTORED_COPY)
    finally:
        group.close()
    return 0


RESTORED_COPY = (
    "This copy has a new laptop key that the group never admitted: it is not a laptop of the group, and "
    "what is written here reaches no other laptop. To be back in the group, join with an invite code in "
    "another data folder ('organiser --data-dir DIR join CODE'): the group's laptops send everything they "
    "hold, including what was written since this backup. Bring over what only this copy holds with "
    "'organiser export' here and 'organiser import' there.")


def _print_plan(plan: ImportPlan, only_planning: bool) -> None:
    verb = "would be" if only_planning else "to be"
    print(plan.summary())
    if plan.misdecoded is not None and not plan.repaired:
        print(f"Note: {plan.warnings[0]}.")
    for action, title in (("add", "added"), ("update", "updated"), ("skip", "skipped"), ("invalid", "invalid")):
        items = plan.of(action)
        if items:
            heading = f"{len(items)} {title}:" if action == "invalid" else f"{len(items)} {verb} {title}:"
            _print_at_most_50(heading, [f"{i.where}: {i.label}" + (f" ({i.when})" if i.when else "")
                                        + (f" — {i.reason}" if i.reason else "") for i in items])
    if plan.warnings:
        _print_at_most_50("Notes:", plan.warnings)


def _print_at_most_50(heading: str, lines: list[str]) -> None:
    print(heading)
    for line in lines[:50]:
        print(f"  {line}")
    if len(lines) > 50:
        print(f"  ... and {len(lines) - 50} more")


def cmd_export(args: argparse.Namespace) -> int:
    from organiser.cli.main import CliError
    from organiser.services import transfer

    fmt = _export_format(args)
    with opened_group(args) as group:
        if args.encrypt and fmt != "json":
            raise CliError("export: --encrypt is for the full backup (--format json).")
        if args.separator != "comma" and fmt != "csv":
            raise CliError(f"export: --separator is for a CSV (--format csv), not {fmt}.")
        passphrase = _backup_passphrase(args, new=True) if args.encrypt else None
        data = transfer.export_group(group, fmt, vcard_version=args.vcard_version, bom=args.out is not None,
                                     csv_separator=SEPARATORS[args.separator])
    if passphrase is not None:
        data = seal_backup(data, passphrase)
    if args.out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        transfer.write_export(args.out, data)
        print(f"Wrote {args.out} ({len(data)} bytes, {fmt}{', encrypted' if passphrase else ''}).", file=sys.stderr)
    if passphrase is None:
        print(f"Note: this {fmt} export is a plain file: anyone who gets it can read it"
              + (" (encrypt a backup with --encrypt)." if fmt == "json" else "."), file=sys.stderr)
    return 0


def _export_format(args: argparse.Namespace) -> str:
    """--format, else the output file's ending when it names one."""
    from organiser.cli.main import CliError

    if args.format is not None:
        return args.format
    ending = args.out.suffix.lower().lstrip(".") if args.out is not None else ""
    if ending not in EXPORT_FORMATS:
        raise CliError("export: say which format with --format ics|vcf|csv|xlsx|json.")
    return ending
