"""`fork list|keep`: a laptop that signed two versions of one change, and an admin keeping one."""

from __future__ import annotations

import argparse

from organiser.cli.common import add_json_flag, opened_group, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fork", help="see a laptop's forked changes and keep one version (admins)",
                       description="A laptop that signed two different versions of one of its changes (a "
                       "modified app, or its key copied to another laptop) has its changes from then on set "
                       "aside on every laptop, until an admin keeps one version. The version kept is shown "
                       "everywhere; the other is kept as proof.")
    actions = p.add_subparsers(dest="fork_command", metavar="ACTION", required=True, parser_class=type(p))
    q = actions.add_parser("list", help="list the forks this laptop knows of, with their versions",
                           description="Each fork: its id, the laptop, the number of the change, whether it is "
                           "still set aside or which version was kept, and each version with what it writes.")
    add_json_flag(q, "the forks")
    q.set_defaults(handler=cmd_list)
    q = actions.add_parser("keep", help="keep one version of a fork (admins only)",
                           description="Keep one version of a laptop's forked change: a signed decision that "
                           "every laptop of the group applies. That laptop's changes that follow the version "
                           "kept are shown again; the other version is set aside for good, kept as proof.")
    q.add_argument("fork", metavar="ID", help="the fork's id from 'organiser fork list' (or its laptop's name or "
                   "id, when that laptop has one fork)")
    q.add_argument("--branch", metavar="HASH", required=True,
                   help="the version to keep: its hash, or its first characters, from 'organiser fork list'")
    q.set_defaults(handler=cmd_keep)


def cmd_list(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        forks = group.forks.list()
        if args.json:
            print_json([f.to_json() for f in forks])
            return 0
        if not forks:
            print("(none): no laptop of this group has signed two versions of a change.")
        for fork in forks:
            print(f"{fork.id}  {fork.sentence()}")
            for version in fork.versions:
                mark = "kept" if version.hash == fork.kept else ("shown" if version.shown and fork.kept else "")
                print(f"    {version.hash[:12]}  {version.written_at}  {version.summary}"
                      f"{'  (' + mark + ')' if mark else ''}")
    return 0


def cmd_keep(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        fork = group.forks.keep(args.fork, args.branch)
        print(f"Kept version {(fork.kept or '')[:12]} of change {fork.seq} of '{fork.device_name}': every laptop "
              "of the group will show it, and keep the other as proof.")
    return 0
