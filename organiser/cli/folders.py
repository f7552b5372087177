"""`folder add|sync|status|remove|compact`: syncing through a shared folder."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from organiser.cli.common import opened_group, print_json, print_table
from organiser.core.words import plural
from organiser.services.group import Group

if TYPE_CHECKING:
    from organiser.services.folders import Folders


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("folder", help="sync through a shared folder (Syncthing, Nextcloud, a USB stick)",
                       description="Carry the group's changes through a folder another tool syncs. Each laptop "
                       "writes only its own encrypted segments there; 'organiser serve' and the app pass over "
                       "every folder every second, and at once after an edit.")
    folder = p.add_subparsers(dest="folder_command", metavar="ACTION", required=True)

    q = folder.add_parser("add", help="attach a shared folder to this group",
                          description="Attach a folder; the next pass writes this laptop's changes there.")
    q.add_argument("path", metavar="PATH", help="the shared folder (its path on this laptop)")
    q.set_defaults(handler=cmd_add)

    q = folder.add_parser("sync", help="one pass over a folder (or every folder), then exit",
                          description="Read what other laptops left in the folder, write what it lacks, and "
                          "exit: for USB sticks and cron.")
    q.add_argument("path", metavar="PATH", nargs="?", help="the folder (default: every folder of the group)")
    q.add_argument("--json", action="store_true", help="print what the pass did as JSON")
    q.set_defaults(handler=cmd_sync)

    q = folder.add_parser("status", help="per laptop, how far each folder has it",
                          description="For each folder (or the one given): per laptop, the last of its "
                          "changes the folder holds and whether it has read everything there; files ignored "
                          "or refused, with why.")
    q.add_argument("path", metavar="PATH", nargs="?", help="the folder (default: every folder of the group)")
    q.add_argument("--json", action="store_true", help="print the status as JSON")
    q.set_defaults(handler=cmd_status)

    q = folder.add_parser("remove", help="stop syncing through a folder",
                          description="Stop syncing through the folder; what is in it stays for the others.")
    q.add_argument("path", metavar="PATH", help="the shared folder (its path on this laptop)")
    q.set_defaults(handler=cmd_remove)

    q = folder.add_parser("compact", help="admin: merge segments every member has applied",
                          description="Merge the segments every current member has applied into a few new "
                          "ones, and delete the old ones.")
    q.add_argument("path", metavar="PATH", help="the shared folder (its path on this laptop)")
    q.set_defaults(handler=cmd_compact)


@contextmanager
def _folders(args: argparse.Namespace) -> Iterator[tuple[Group, Folders]]:
    from organiser.services.folders import Folders

    with opened_group(args) as group:
        yield group, Folders(group.replica)


def cmd_add(args: argparse.Namespace) -> int:
    with _folders(args) as (group, folders):
        info = folders.add(args.path)
        print(f"Syncing group '{group.name}' through {info.path}. 'organiser serve' or the app passes over it "
              "every second; 'organiser folder sync' makes one pass now.")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    with _folders(args) as (group, folders):
        reports = folders.sync(args.path)
        if args.json:
            print_json([r.to_json() for r in reports])
            return 0
        if not reports:
            print("This group syncs through no folder yet; see 'organiser folder add'.")
        for r in reports:
            print(f"{r.folder}: wrote {plural(r.written, 'changeset')}, read {r.read} "
                  f"({r.applied} new, {r.refused} refused).")
            for problem in r.problems:
                print(f"  {problem['path']}: {problem['why']}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with _folders(args) as (group, folders):
        chosen = [folders.find(args.path)] if args.path else folders.list()
        statuses = [folders.status(info.path) for info in chosen]
        if args.json:
            print_json(statuses)
            return 0
        if not statuses:
            print("This group syncs through no folder yet; see 'organiser folder add'.")
        for st in statuses:
            _print_status(st)
    return 0


def _print_status(st: dict[str, Any]) -> None:
    """One folder: its size and last pass, a line per laptop, and the files it ignored."""
    when = (dt.datetime.fromtimestamp(st["last_pass_at"]).strftime("%Y-%m-%d %H:%M:%S")
            if st["last_pass_at"] else "never")
    print(f"{st['path']}: {plural(st['segments'], 'segment')}, {st['bytes']} bytes; last pass {when}"
          + ("" if st["reachable"] else " (not reachable now)")
          + (f"; {st['last_error']}" if st["last_error"] else ""))
    from organiser.services.folder_trouble import waiting_to_be_admitted

    waiting = waiting_to_be_admitted(st)
    if waiting:
        print(waiting)
    print_table([_device_row(d) for d in st["devices"]], ["device", "in folder", "here", "has read all"])
    for problem in st["problems"]:
        print(f"  ignored {problem['path']}: {problem['why']}")


def _device_row(d: dict[str, Any]) -> tuple[str, int, int, str]:
    name = d["name"] + (" (this laptop)" if d["this_device"] else "") + (" (removed)" if d["removed"] else "")
    has_read = "yes" if d["caught_up"] else ("no" if d["reads_folder"] else "not yet seen")
    return name, d["in_folder"], d["here"], has_read


def cmd_remove(args: argparse.Namespace) -> int:
    with _folders(args) as (group, folders):
        info = folders.remove(args.path)
        print(f"No longer syncing through {info.path}; what is there stays for the other laptops.")
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    with _folders(args) as (group, folders):
        result = folders.compact(args.path)
        print(f"Compacted {plural(result['segments_before'], 'segment')} into {result['segments_after']} "
              f"({plural(result['changesets'], 'changeset')}).")
        for said in ("kept", "dropped"):  # segments left in place, and forged versions deleted with theirs
            for problem in result[said]:
                print(f"  {problem['path']}: {problem['why']}")
    return 0
