"""`init`, `status`, `conflicts`, `resolve`: the group as a whole."""

from __future__ import annotations

import argparse
from typing import Any

from organiser.cli.common import (
    add_json_flag,
    opened_group,
    print_fields,
    print_json,
    print_table,
    say_other_groups,
    short,
)
from organiser.core.words import file_size, plural
from organiser.services.group import create_group
from organiser.services.removed_here import WHAT_IT_MEANS, removed_here
from organiser.services.removed_nearby import removed_nearby


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create a new group on this laptop",
                       description="Create a new group, with this laptop as its first member laptop.")
    p.add_argument("--group", dest="group_name", required=True, metavar="NAME", help="the group's name")
    p.add_argument("--device-name", metavar="NAME",
                   help="what to call this laptop, e.g. 'door laptop' (default: device_name in the config "
                   "files, else this computer's name)")
    add_json_flag(p, "the new group's status")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("status", help="show this laptop, its group and what it holds",
                       description="Show the laptop, the group, record counts, version vector and state hash.")
    add_json_flag(p, "the status")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("conflicts", help="list values that lost to a concurrent edit",
                       description="List recorded conflicts: values that lost to a concurrent edit on "
                       "another laptop. Restore one with 'organiser resolve ID --use-losing'.")
    add_json_flag(p, "the conflicts")
    p.set_defaults(handler=cmd_conflicts)

    p = sub.add_parser("resolve", help="settle a recorded conflict",
                       description="Settle a conflict: restore the value that lost (--use-losing) or "
                       "keep the current one (--keep-current).")
    p.add_argument("conflict", type=int, metavar="ID", help="the conflict number from 'organiser conflicts'")
    choice = p.add_mutually_exclusive_group(required=True)
    choice.add_argument("--use-losing", action="store_true", help="use the value that lost")
    choice.add_argument("--keep-current", action="store_true", help="keep the current value")
    p.set_defaults(handler=cmd_resolve)


def cmd_init(args: argparse.Namespace) -> int:
    from organiser.cli.atrest import new_passphrase
    from organiser.config import settings
    from organiser.paths import data_dir_of

    device_name = args.device_name or settings().device_name_for_this_device()
    passphrase = new_passphrase(args)
    group = create_group(data_dir_of(args), args.group_name, device_name, passphrase=passphrase)
    try:
        if args.json:
            print_json(group.status())
        else:
            print(f"Created group '{group.name}' ({group.id}) with this laptop '{group.device_name}'"
                  + (", encrypted with its passphrase." if passphrase else
                     "; its data is not encrypted (encrypt it with 'organiser encrypt')."))
            print("Next: add members with 'organiser member add --name NAME', or invite another "
                  "laptop with 'organiser invite' (on this network) or 'organiser invite --folder PATH' "
                  "(through a shared folder or a USB stick).")
            say_other_groups(group)
    finally:
        group.close()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        status = group.status()
        from organiser.net.outdated import messages_for
        from organiser.net.peerbook import peer_status

        status["peers"] = peer_status(group)
        status["outdated_peers"] = messages_for(group)
        from organiser.net.link import NOT_ON_A_NETWORK, addresses_for_others

        status["reachable_at"] = addresses_for_others(group)
        status["removed_nearby"] = [{"device": n.device, "name": n.name, "tried_at": n.tried_at.isoformat()}
                                    for n in removed_nearby(group)]
        if (here := removed_here(group)) is not None:
            status["membership"]["removal"] = here.to_json()
        if args.json:
            print_json(status)
            return 0
        print_fields({
            "group": f"{status['group']['name']} ({status['group']['id']})",
            "laptop": f"{status['device_name']} ({status['device_id']})",
            "holds": ", ".join(plural(v, k.replace("rsvp", "RSVP")) for k, v in status["counts"].items()),
            "conflicts": plural(status["conflicts"], "conflict"),
            "size": f"{plural(status['size']['changes'], 'change')} kept since {status['size']['since']}, "
                    f"{file_size(status['size']['bytes'])} on this laptop",
            "this laptop is": _place(status["membership"]),
            "state hash": status["state_hash"],
            "peers": ", ".join(f"{p['name']} ({p['state']})" for p in status["peers"]) or "no other laptop",
            "reachable at": (" or ".join(status["reachable_at"]) + _once_serving(group)
                                   if status["reachable_at"] else NOT_ON_A_NETWORK),
        })
        if (here := removed_here(group)) is not None:
            print(f"removed: {here.who_and_when()} {WHAT_IT_MEANS} {here.not_reached_sentence()}")
            print(f"to do: {_what_to_do(group, here.to_json()['not_reached_since'])}")
        for nearby in removed_nearby(group):
            print(f"removed laptop nearby: {nearby.sentence()}")
        for sentence in status["outdated_peers"]:
            print(f"update needed: {sentence}")
        for incident in status["incidents"]:
            print(f"incident: {incident['message']} ({incident['count']}x, last {incident['last_at']})")
    return 0


def _what_to_do(group: Any, since: str | None) -> str:
    """What a removed laptop's person can do, in commands."""
    listed = (f"'organiser history --device \"{group.device_name}\" --since {since}' lists what did not reach the "
              "group; hand it to an admin. " if since else "")
    return (f"{listed}To take part again, ask an admin for a new invite, then 'organiser wipe --yes' this laptop's "
            "copy and 'organiser join CODE --device-name NAME': this laptop joins as a new laptop.")


def _once_serving(group: Any) -> str:
    from organiser.net.peerbook import node_running

    return "" if node_running(group.db) else ", once 'organiser serve' or the app runs here"


def _place(membership: dict[str, Any]) -> str:
    """This laptop's place in the group, as `status` says it."""
    if membership["removed"]:
        return "removed from the group"
    if membership["restored_copy"]:
        return "not a laptop of the group (restored from a backup)"
    return "an admin" if membership["admin"] else "a member"


def cmd_conflicts(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        found = group.conflicts()
        if args.json:
            print_json(found)
            return 0
        print_table([(c["id"], c["kind"], short(c["record"]), c["field"], c["current"], c["value"])
                     for c in found], ["id", "kind", "record", "field", "current value", "losing value"])
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        group.resolve_conflict(args.conflict, use_losing_value=args.use_losing)
        print(f"Conflict {args.conflict} settled.")
    return 0
