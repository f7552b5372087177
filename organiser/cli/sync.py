"""`serve`, `sync`, `invite`, `join`: laptops of a group talking over the LAN."""

from __future__ import annotations

import argparse
import re
import signal
import sys
from typing import TYPE_CHECKING

from organiser.cli.common import open_chosen_group, print_json, say_other_groups
from organiser.core.errors import OrganiserError, ValidationError
from organiser.core.words import plural
from organiser.paths import data_dir_of

if TYPE_CHECKING:
    from organiser.services.group import Group

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """'90s', '30m', '24h', '7d' or plain seconds."""
    found = _DURATION.match(text)
    if not found or float(found.group(1)) <= 0:
        raise ValidationError("expires", f"expires: '{text}' is not a duration like 30m, 24h or 7d.")
    return int(float(found.group(1)) * _UNIT[found.group(2).lower()])


def _address(text: str, any_port: bool = False) -> tuple[str, int]:
    from organiser.cli.main import CliError
    from organiser.net.invite_code import split_address

    try:
        return split_address(text, any_port=any_port)
    except OrganiserError as exc:  # a mistyped address is bad input, as in every command
        raise CliError(str(exc)) from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run a headless sync node until stopped",
                       description="Listen for the group's other laptops, find them on the LAN with mDNS, "
                       "and keep all of them in step live, until SIGINT or SIGTERM.")
    p.add_argument("--listen", default=None, metavar="HOST:PORT",
                   help="where to listen (default: every interface, on listen_port from the config files, "
                   "else any free port)")
    p.add_argument("--discovery", action=argparse.BooleanOptionalAction, default=None,
                   help="use mDNS to announce and browse, or not (default: discovery in the config files, else on)")
    p.add_argument("--peer", action="append", default=[], metavar="HOST:PORT",
                   help="also connect to this address (for networks that block multicast); repeatable "
                   "(default: peers in the config files)")
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("sync", help="sync once with a laptop at an address",
                       description="Connect to a laptop of the group, exchange what each side lacks, and exit "
                       "0 once both hold everything; non-zero with the reason otherwise.")
    p.add_argument("address", metavar="HOST:PORT", help="where the other laptop listens")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="give up after (default 60)")
    p.set_defaults(handler=cmd_sync)

    p = sub.add_parser("invite", help="make a one-time code for a new laptop to join",
                       description="Print a one-time invite code. On the new laptop run "
                       "'organiser join CODE --device-name NAME' while a member laptop runs "
                       "'organiser serve' or the app. With --short, a code to read aloud "
                       "(like 7-purple-sausage) that the new laptop finds on the LAN; this command then waits "
                       "until it is used (exit 0), burned by a wrong attempt or expired (exit 1).")
    p.add_argument("--short", action="store_true", help="a short code to say aloud, for one attempt within "
                   "10 minutes by a laptop on the same network (found by mDNS; the long code works where "
                   "discovery is blocked)")
    p.add_argument("--expires", default=None, metavar="DURATION", help="how long the code stays valid "
                   "(e.g. 30m, 24h, 7d; default 24h, or 10m with --short, at most 1h)")
    p.add_argument("--json", action="store_true", help="print the code and its expiry as JSON")
    p.add_argument("--folder", metavar="PATH", help="leave the invite in this shared folder, for a laptop that "
                   "never meets this one: it joins with 'organiser join --folder PATH CODE' from its own copy")
    p.set_defaults(handler=cmd_invite)

    p = sub.add_parser("join", help="join a group with an invite code",
                       description="Redeem an invite code with a member laptop that is online, receive this "
                       "laptop's certificate and the group credentials, and sync.")
    p.add_argument("code", metavar="CODE", help="the invite code: the long one as copied, or the short spoken "
                   "one like 7-purple-sausage (spaces and dashes do not matter)")
    p.add_argument("--folder", metavar="PATH", help="redeem an invite left in this shared folder (your copy of "
                   "it); this laptop is admitted at the inviting laptop's next pass over the folder")
    p.add_argument("--device-name", metavar="NAME", help="what to call this laptop (default: device_name in "
                   "the config files, else this computer's name)")
    p.set_defaults(handler=cmd_join)


def cmd_serve(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: every other command starts faster without it

    from organiser.config import settings
    from organiser.net.node import CannotListen, SyncNode
    from organiser.services.folders import FolderWatcher

    configured = settings().node_options()  # flags win over the environment and the config files
    host, port = _address(args.listen, any_port=True) if args.listen else ("0.0.0.0", configured["listen_port"])
    peers = [_address(a) for a in args.peer] or configured["static_peers"]
    discovery = configured["discovery"] if args.discovery is None else args.discovery
    group = open_chosen_group(args)

    async def main() -> None:
        node = SyncNode(group, listen_host=host, listen_port=port, discovery=discovery,
                        static_peers=peers)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await node.start()
        watcher = FolderWatcher(group.replica)  # passes over the group's sync folders, if any
        watcher.start()
        print(f"Serving {_which_group(group)} ({group.device_id}) on port {node.port}. Stop with Ctrl+C.",
              flush=True)
        try:
            await stop.wait()
        finally:
            await watcher.stop()
            await node.stop()
        print("Stopped.", flush=True)

    try:
        asyncio.run(main())
    except CannotListen as exc:
        advice = "" if args.listen else settings().listen_port_advice()
        raise CannotListen(f"{exc} {advice}".strip()) from None
    finally:
        group.close()
    return 0


def _which_group(group: Group) -> str:
    """The group and device by name for a person at a terminal; by the group's local folder name
    when the output goes elsewhere: `serve` run as a service writes into the systemd journal, which
    stays on the disk, outside the encrypted store, for weeks."""
    if sys.stdout.isatty():
        return f"group '{group.name}' as laptop '{group.device_name}'"
    return f"group folder {group.path.name} as this laptop"


def cmd_sync(args: argparse.Namespace) -> int:
    import asyncio

    from organiser.net.link import sync_with

    host, port = _address(args.address)
    group = open_chosen_group(args)
    try:
        stats = asyncio.run(sync_with(group, host, port, timeout=args.timeout))
        print(f"In step with {host}:{port}: received {plural(stats.received, 'changeset')} "
              f"({stats.applied} new, {stats.refused} refused), sent {stats.sent}.")
    finally:
        group.close()
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    from organiser.config import settings
    from organiser.net import peerbook
    from organiser.net.pairing import make_invite

    if args.short:
        from organiser.cli.spoken import offer_spoken_code

        return offer_spoken_code(args)
    seconds = parse_duration(args.expires or "24h")
    if args.folder:
        return _invite_through_folder(args, seconds)
    group = open_chosen_group(args)
    try:
        # Only this device can redeem the code, so it names only where this device listens:
        # where its node runs now, else where the node will listen once it starts.
        addresses = peerbook.node_addresses(group.db)
        if not addresses:
            from organiser.net.link import local_addresses

            # An admin's fixed listen_port is where `serve` and the app will listen.
            port = settings().listen_port or peerbook.choose_listen_port(group.db, local_addresses())
            addresses = [f"{host}:{port}" for host in local_addresses()]
        code = make_invite(group, addresses, seconds)
        if args.json:
            print_json({"code": code, "expires_in": seconds, "addresses": addresses})
        else:
            print(code)
        from organiser.net.link import NOT_ON_A_NETWORK, reachable_addresses

        if not reachable_addresses():  # the code names only this laptop's own address: nobody else can use it
            print(f"Note: {NOT_ON_A_NETWORK}, then make a new invite: this code names no address another laptop "
                  "can reach.", file=sys.stderr)
        if not peerbook.node_running(group.db):
            print("Note: no sync node runs on this laptop; the code works once 'organiser serve' (or the app) "
                  "runs here: only this laptop can redeem it.", file=sys.stderr)
    finally:
        group.close()
    return 0


def _invite_through_folder(args: argparse.Namespace, seconds: int) -> int:
    from organiser.services.folder_invites import make_folder_invite

    group = open_chosen_group(args)
    try:
        code = make_folder_invite(group, args.folder, seconds)
        if args.json:
            print_json({"code": code, "expires_in": seconds, "folder": args.folder})
        else:
            print(code)
        print("Send the code apart from the folder (a message, a call). The new laptop runs "
              "'organiser join --folder PATH CODE' on its copy; this laptop admits it at its next pass over the "
              "folder ('organiser serve', the app, or 'organiser folder sync').", file=sys.stderr)
    finally:
        group.close()
    return 0


def _join_through_folder(args: argparse.Namespace, device_name: str, passphrase: str | None) -> int:
    from organiser.services.folder_invites import redeem_folder_invite
    from organiser.services.folders import Folders

    group = redeem_folder_invite(data_dir_of(args), args.folder, args.code, device_name, passphrase=passphrase)
    try:
        Folders(group.replica).sync()
        print(f"Answered the invite of group '{group.name}' in {args.folder} as laptop '{group.device_name}' "
              f"({group.device_id}). The inviting laptop admits it at its next pass over the folder; this laptop "
              "then reads everything at its own next pass ('organiser serve', the app, or 'organiser folder sync').")
    finally:
        group.close()
    return 0


def cmd_join(args: argparse.Namespace) -> int:
    import asyncio

    from organiser.cli.atrest import new_passphrase
    from organiser.config import settings
    from organiser.net.pairing import redeem_invite
    from organiser.net.spoken_code import looks_spoken, parse_spoken_code
    from organiser.net.spoken_join import redeem_spoken_invite

    spoken = looks_spoken(args.code)
    if spoken:
        parse_spoken_code(args.code)  # a mistyped word is refused before any passphrase question
    device_name = args.device_name or settings().device_name_for_this_device()
    passphrase = new_passphrase(args)
    if args.folder:
        return _join_through_folder(args, device_name, passphrase)
    redeem = redeem_spoken_invite if spoken else redeem_invite
    group = asyncio.run(redeem(data_dir_of(args), args.code, device_name, passphrase=passphrase))
    try:
        counts = group.status()["counts"]
        print(f"Joined group '{group.name}' as laptop '{group.device_name}' ({group.device_id}); "
              f"holding {', '.join(f'{v} {k}s' for k, v in counts.items())}.")
        say_other_groups(group)
    finally:
        group.close()
    return 0
