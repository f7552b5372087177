"""`device list|remove|promote|demote` and `group policy`: who belongs to the group."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from organiser.cli.common import add_json_flag, opened_group, print_json, print_table, short
from organiser.core.errors import NotFoundError, ValidationError
from organiser.core.words import plural
from organiser.services.devices import RemovalNews
from organiser.services.vouching import WAITING, VouchPlan


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("device", help="list, remove, vouch for, promote or demote the group's laptops",
                       description="The laptops that belong to the group, as its signed membership log says. "
                       "Removing, vouching for, promoting and demoting need an admin laptop.")
    actions = p.add_subparsers(dest="device_command", metavar="ACTION", required=True, parser_class=type(p))
    q = actions.add_parser("list", help="list the group's laptops, and the laptops waiting for an admin",
                           description="Id, name, who admitted it, admin, removed, when this laptop last saw it, and "
                           "its state (admin; member; member, let in by a member; removed; waiting for an admin). A "
                           "laptop waiting for an admin was admitted by a laptop a member let in, before invitations "
                           "by members reached one step: it is out of the group (what it writes is kept aside) until "
                           "an admin vouches for it or for the laptop that admitted it ('organiser device vouch').")
    add_json_flag(q, "the laptops")
    q.set_defaults(handler=cmd_list)

    q = actions.add_parser("remove", help="remove a laptop for good (a lost laptop, a member who left)",
                           description="Remove a laptop from the group for good: from now on no member laptop "
                           "accepts its changes or its connections, and its invites stop working. What it wrote "
                           "until now stays; with --undo-since, what it wrote from that time on is taken back on "
                           "every laptop (to undo an infiltrator's recent damage). A laptop removed already can "
                           "be removed again with an earlier --undo-since, to take back more of what it wrote.")
    q.add_argument("device", metavar="ID", help="the laptop's id (or its start) or name, from 'organiser device list'")
    q.add_argument("--undo-since", metavar="ISO_TIME", default=None,
                   help="also take back what the laptop wrote from this time on, e.g. 2026-11-28T18:00 (UTC unless "
                   "the time says otherwise)")
    q.set_defaults(handler=cmd_remove)

    q = actions.add_parser("vouch", help="let a laptop a member admitted invite in turn, and bring in those waiting",
                           description="Admit again, as an admin, a laptop a member admitted: while the group's "
                           "policy lets members invite, it may then invite too (invitations by members reach one "
                           "step). The laptops it admitted that wait for an admin ('organiser device list') come in "
                           "with it, each named in the question it asks first (type 'vouch' to go on, or give "
                           "--yes). A laptop waiting for an admin can be named too: it alone comes in.")
    q.add_argument("device", metavar="ID", help="the laptop's id (or its start) or name, or a waiting laptop's")
    q.add_argument("--yes", action="store_true",
                   help="vouch without being asked first, whatever laptops come in with it")
    q.set_defaults(handler=cmd_vouch)

    q = actions.add_parser("promote", help="make a laptop an admin",
                           description="Make a laptop an admin: it may then admit, remove, promote and demote laptops.")
    q.add_argument("device", metavar="ID", help="the laptop's id (or its start) or name")
    q.set_defaults(handler=cmd_promote)

    q = actions.add_parser("demote", help="make an admin laptop an ordinary member",
                           description="Take admin rights from a laptop (not from a more senior admin, nor from "
                           "the group's last admin).")
    q.add_argument("device", metavar="ID", help="the laptop's id (or its start) or name")
    q.set_defaults(handler=cmd_demote)

    p = sub.add_parser("group", help="the groups this laptop holds; the group's policy",
                       description="List the groups this laptop holds (which one commands use without --group), "
                       "or show and change settings that hold for the whole group (admins only).")
    actions = p.add_subparsers(dest="group_command", metavar="ACTION", required=True, parser_class=type(p))
    q = actions.add_parser("list", help="the groups this laptop holds, and which one is current",
                           description="List the groups on this laptop: the id that --group takes, the name, and "
                           "which one a command without --group uses (the one created, joined or opened in the app "
                           "last). An encrypted group's name and id are inside it: it is listed by its folder until "
                           "its passphrase is given.")
    add_json_flag(q, "the groups")
    q.set_defaults(handler=cmd_group_list)
    q = actions.add_parser("policy", help="show or change the group's policy",
                           description="Show the group's policy, or change it (admins only).")
    q.add_argument("--members-may-invite", choices=("yes", "no"), default=None,
                   help="whether laptops that are not admins may make invites (default for a new group: no)")
    add_json_flag(q, "the policy")
    q.set_defaults(handler=cmd_policy)


def cmd_list(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        devices = group.membership.list()
        news = {n.removed.id: n for n in group.membership.removal_news()}
        standing = group.membership.standing()
        states, waiting = standing.states, standing.waiting
        if args.json:
            print_json([{**d.to_json(), "state": states.get(d.id, ""), **_heard_json(news.get(d.id))} for d in devices]
                       + [w.to_json() for w in waiting])
            if standing.unlisted:  # the list stays the list a script reads; the person is told beside it
                print(standing.unlisted_sentence(), file=sys.stderr)
            return 0
        print_table([(short(d.id), d.name + (" (this laptop)" if d.this_device else ""), d.admitted_by_name,
                      d.admin, d.removed, _when(d.last_seen), states.get(d.id, "")) for d in devices]
                    + [(short(w.id), w.name, w.admitted_by_name, False, False, "", WAITING) for w in waiting],
                    ["id", "name", "let in by", "admin", "removed", "last seen", "state"])
        if waiting:
            them, they = ("it", "it writes") if len(waiting) == 1 else ("them", "they write")
            print(f"{plural(len(waiting), 'laptop')} {'waits' if len(waiting) == 1 else 'wait'} for an admin: a laptop "
                  f"a member let in admitted {them} before invitations by members reached one step. What {they} is "
                  f"kept aside until an admin vouches for {them}, or for the laptop that admitted {them}: 'organiser "
                  "device vouch NAME'.")
        if standing.unlisted:
            print(standing.unlisted_sentence())
        for removal in news.values():
            print(removal.sentence())
        _say_if_told_removed(group, devices)
        only = group.membership.only_admin()
        if only is not None:
            who = "this laptop is" if only.this_device else f"'{only.name}' is"
            print(f"Note: {who} the group's only admin. If that laptop is lost, nobody can remove it or admit a "
                  "laptop: " + ("make a second admin now with 'organiser device promote NAME'." if only.this_device
                                else "ask its member to make a second admin."))
    return 0


def _heard_json(news: RemovalNews | None) -> dict[str, Any]:
    if news is None:
        return {}
    return {"removed_at": news.removed_at, "removal_heard_by": [d.id for d in news.heard],
            "removal_not_known_to": [d.id for d in news.not_known]}


def cmd_remove(args: argparse.Namespace) -> int:
    undo_since = _iso_time(args.undo_since) if args.undo_since else None
    with opened_group(args) as group:
        roster = {d.id for d in group.membership.list()}
        try:
            was_admin = group.membership.find(args.device, include_removed=True).admin
        except NotFoundError:  # a laptop waiting for an admin, or none (remove says which)
            was_admin = False
        removed = group.membership.remove(args.device, undo_since=undo_since)
        if removed.id not in roster:
            print(f"Removed '{removed.name}' ({removed.id}), which waited for an admin: no admission of it counts "
                  "from now on, and nothing it wrote is taken in.")
            return 0
        if undo_since is not None:
            print(f"Removed '{removed.name}' ({removed.id}): its changes after number {removed.kept} are taken back "
                  "and it can no longer connect to the group's laptops.")
        else:
            print(f"Removed '{removed.name}' ({removed.id}): it can no longer connect to the group's laptops. What it "
                  f"wrote up to its change {removed.kept} stays; what it wrote that never reached a laptop of the "
                  "group is lost to the group (when it next meets a laptop of the group, it is told that it was "
                  "removed, and lists what was entered there since, for its member to hand over before wiping it).")
        print("Its member gets back in from a new laptop with a new invite ('organiser invite'), as a new laptop"
              + (", and 'organiser device promote NAME' makes it an admin again." if was_admin else "."))
    return 0


def cmd_vouch(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        planned = group.membership.plan_vouch(args.device)
        # as the app's Vouch… asks: a member asking for a vouch may have let in puppets that come with it
        if planned.brings and not args.yes and not _vouch_confirmed(planned):
            print("Nothing was written.")
            return 1
        print(group.membership.carry_out(planned).sentence())
    return 0


def _vouch_confirmed(planned: VouchPlan) -> bool:
    from organiser.cli.main import CliError

    count = len(planned.brings)
    print(f"Vouching for {planned.said_name()} also admits, as this admin's, "
          f"{plural(count, 'laptop')} it admitted that {'waits' if count == 1 else 'wait'} for an admin, and "
          f"{'it' if count == 1 else 'each'} may then invite whenever members may: {planned.names()}. "
          + (planned.alike_sentence() + " " if planned.alike_sentence() else "")
          + "'organiser device list' lists the laptops waiting.")
    try:
        answer = input("Type 'vouch' to go on: ")
    except EOFError:
        raise CliError("nothing was written: no answer was typed (add --yes to vouch without being asked).") \
            from None
    return answer.strip().lower() == "vouch"


def cmd_promote(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        device = group.membership.promote(args.device)
        print(f"'{device.name}' is now an admin.")
    return 0


def cmd_demote(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        device = group.membership.demote(args.device)
        print(f"'{device.name}' is no longer an admin.")
    return 0


def _say_if_told_removed(group: Any, devices: list[Any]) -> None:
    """A removed laptop is told so by the first member it meets, without the removal itself: its own
    row above still says "removed: no" (its log has not got it), so say what `status` says."""
    place = group.membership_status()
    if place["told_removed_at"] and any(d.this_device and not d.removed for d in devices):
        print(f"This laptop was told on {_when(place['told_removed_at'])} by another laptop of the group that it was "
              "removed from the group: the group's laptops no longer take its changes.")


def cmd_group_list(args: argparse.Namespace) -> int:
    from organiser.paths import data_dir_of
    from organiser.services.group_folders import held_groups

    data_dir = data_dir_of(args)
    groups = held_groups(data_dir)
    if args.json:
        print_json([{"id": g.choice, "group_id": g.group_id, "name": g.name, "locked": g.locked,
                     "current": g.current} for g in groups])
        return 0
    if not groups:
        print(f"No group in {data_dir} yet: create one with 'organiser init --group NAME' or join one with "
              "'organiser join CODE'.")
        return 0
    print_table([("*" if g.current else "", g.choice, g.name or "encrypted, locked: its name is inside it")
                 for g in groups], ["current", "id (for --group)", "name"])
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    with opened_group(args) as group:
        if args.members_may_invite is not None:
            group.membership.set_policy(members_may_invite=args.members_may_invite == "yes")
        policy = {"members_may_invite": group.membership.membership().members_may_invite}
        if args.json:
            print_json(policy)
        else:
            print(f"members may invite: {'yes' if policy['members_may_invite'] else 'no'}")
    return 0


def _iso_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError("undo-since", f"--undo-since: '{text}' is not a time like 2026-11-28T18:00.") from None


def _when(epoch: float | None) -> str:
    if not epoch:
        return ""
    return datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M")
