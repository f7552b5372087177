"""`deleted list|restore`: deleted events, tasks and members, and bringing one back."""

from __future__ import annotations

import argparse

from organiser.cli.common import add_json_flag, opened_group, print_json
from organiser.services.deleted import KINDS_BROUGHT_BACK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("deleted", help="list deleted events, tasks and members, and bring one back",
                       description="A delete keeps what the event, task or member held on every laptop, so it "
                       "can be brought back: the list says who deleted what and when (UTC, by the deleting "
                       "laptop's clock); restore undoes the delete everywhere. Forgotten members are gone for "
                       "good and are not listed.")
    actions = p.add_subparsers(dest="deleted_command", metavar="ACTION", required=True, parser_class=type(p))
    q = actions.add_parser("list", help="what was deleted, by which laptop and when, the latest first",
                           description="Deleted events, tasks and members, the latest deleted first.")
    q.add_argument("--kind", choices=KINDS_BROUGHT_BACK, help="only events, tasks or members")
    add_json_flag(q, "the deleted items")
    q.set_defaults(handler=cmd_list)
    q = actions.add_parser("restore", help="bring a deleted event, task or member back on every laptop",
                           description="Undo a delete: the event (with its RSVPs, check-ins, agenda and "
                           "minutes), task or member shows again on every laptop of the group.")
    q.add_argument("id", metavar="ID", help="its id or its first characters, from 'organiser deleted list', "
                   "or its name or title (case and accents aside; two deleted items of one name need the id)")
    q.set_defaults(handler=cmd_restore)


def cmd_list(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        items = group.deleted.list(args.kind)
    if args.json:
        print_json([item.to_json() for item in items])
    elif not items:
        print("(none): nothing deleted" + (f" among the {args.kind}s." if args.kind else "."))
    for item in [] if args.json else items:
        print(item.line())
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        item = group.deleted.bring_back(args.id)
    print(f"Brought back {item.kind} {item.name} ({item.id}).")
    return 0
