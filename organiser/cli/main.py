"""Argument parsing and error handling for every `organiser` command.

Each command module exposes `register(subparsers)`; its handlers take the parsed
arguments and return an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from organiser import __version__
from organiser.cli.terminal import shown_as_typed
from organiser.core.errors import NoGroupError, NotFoundError, OrganiserError, PassphraseError, ValidationError

# The command each module adds (its register(subparsers) adds them): a command runs with only its
# own module's arguments built, since building all of them is most of a short command's start-up.
COMMANDS = {
    "init": "organiser.cli.group", "status": "organiser.cli.group", "conflicts": "organiser.cli.group",
    "resolve": "organiser.cli.group",
    "member": "organiser.cli.records", "event": "organiser.cli.records", "task": "organiser.cli.records",
    "import": "organiser.cli.transfer", "export": "organiser.cli.transfer",
    "selftest": "organiser.cli.admin", "config": "organiser.cli.admin",
    "serve": "organiser.cli.sync", "sync": "organiser.cli.sync", "invite": "organiser.cli.sync",
    "join": "organiser.cli.sync",
    "encrypt": "organiser.cli.atrest", "passphrase": "organiser.cli.atrest", "wipe": "organiser.cli.atrest",
    "agenda": "organiser.cli.meetings", "minutes": "organiser.cli.meetings", "proposal": "organiser.cli.meetings",
    "vote": "organiser.cli.meetings",
    "device": "organiser.cli.devices", "group": "organiser.cli.devices",
    "folder": "organiser.cli.folders",
    "fork": "organiser.cli.forks",
    "history": "organiser.cli.history",
    "deleted": "organiser.cli.deleted",
}
COMMAND_MODULES = list(dict.fromkeys(COMMANDS.values()))  # in the order `organiser --help` lists them

EXIT_FAILED = 1  # something outside what was typed failed: a device unreachable, an invite refused
EXIT_BAD_INPUT = 2  # what was typed is refused: a field, an id, a file, a code, an address
EXIT_NO_GROUP = 4  # nothing to work on yet: no group on this device


class CliError(OrganiserError):
    """A problem with what was typed; exit code 2."""


def is_bad_input(exc: OrganiserError) -> bool:
    """Whether the error is about what the person typed (exit 2, as for every command), not
    about the world (exit 1). Named by class: the net layer's are imported only if loaded."""
    if isinstance(exc, CliError | NotFoundError | PassphraseError | ValidationError):
        return True
    bad_input_classes = {"FormatError", "ImportBlocked", "InviteCodeError", "KeyFileError"}
    return any(cls.__name__ in bad_input_classes for cls in type(exc).__mro__)


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one sentence, exit 2, as for any bad input
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"organiser: error: {message}\n")


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The parser of every command, or of the commands of `modules` only."""
    parser = Parser(
        prog="organiser",
        description="Events, tasks and a member directory for a self-organised group, "
        "synced peer to peer over the local network. Without a command, opens the app.",
    )
    _add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


def _add_global_options(parser: argparse.ArgumentParser, *, acting: bool = True) -> None:
    if acting:  # the probe below only looks for the command: it prints nothing
        parser.add_argument("--version", action="version", version=f"organiser {__version__}")
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="where groups are kept (default: $ORGANISER_DATA_DIR, else data_dir in the config "
                        "files, else the platform's data folder, e.g. ~/.local/share/organiser)")
    parser.add_argument("--group", default=None, metavar="ID",
                        help="which group to use when this laptop holds several (id or its start)")
    parser.add_argument("--passphrase-file", type=Path, default=None, metavar="FILE",
                        help="read an encrypted group's passphrase from the first line of FILE (else "
                        "$ORGANISER_PASSPHRASE, else a prompt at a terminal)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")


class _Unreadable(Exception):
    pass


class _Probe(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _Unreadable(message)


def parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser that `argv` needs: its command's module only, once the command is known; every
    command's for help, a mistyped command or no command (the app)."""
    probe = _Probe(add_help=False)
    _add_global_options(probe, acting=False)
    probe.add_argument("-h", "--help", action="store_true")  # the whole list of commands, before one
    probe.add_argument("command", nargs="?")
    probe.add_argument("rest", nargs=argparse.REMAINDER)
    try:
        known, _unknown = probe.parse_known_args(list(argv))
    except _Unreadable:  # the whole parser refuses it, in its own words
        return build_parser()
    module = COMMANDS.get(known.command or "")
    # argparse takes a `--` before the command as the command itself and refuses it: the
    # refusal then lists every command, not the module's few of the word after it
    up_to_command = list(argv)[:len(argv) - len(known.rest)]
    if not module or known.help or "--" in up_to_command:
        return build_parser()
    return build_parser([module])


def run(argv: Sequence[str]) -> int:
    parser = parser_for(argv)
    args = parser.parse_args(list(argv))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command is None:
        return _open_app(args, parser)
    with shown_as_typed():  # members' titles and names on a terminal: no escape sequence obeyed
        return _run_command(args, argv)


def _run_command(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from organiser.cli.flags import said_with_flag

    try:
        return int(args.handler(args) or 0)
    except ValidationError as exc:
        print(f"organiser: {said_with_flag(exc, argv)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except NoGroupError as exc:
        print(f"organiser: {exc}", file=sys.stderr)
        _say_where_the_data_folder_was_set(args)
        # a --group that names no group here is bad input; no group at all yet is not
        return EXIT_BAD_INPUT if args.group else EXIT_NO_GROUP
    except OrganiserError as exc:
        print(f"organiser: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT if is_bad_input(exc) else EXIT_FAILED
    except KeyboardInterrupt:
        return 130


def _open_app(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        from organiser.app import run_app
    except ImportError as exc:
        if "organiser.app" not in str(exc):
            raise
        parser.print_help()
        print("\n(The desktop app is not part of this build yet; use the commands above.)")
        return 0
    return run_app(args)


def _say_where_the_data_folder_was_set(args: argparse.Namespace) -> None:
    """An admin who changes data_dir leaves the groups made before in the old folder: say so."""
    from organiser.config import settings

    source = settings().source_of("data_dir")
    if args.data_dir is None and not args.group and source != "default":
        where = f"in {source}" if not source.startswith("environment") else f"set by the {source}"
        print(f"organiser: that folder is data_dir {where}; a group made before it was set is still in the old "
              "folder (see 'organiser --data-dir FOLDER status').", file=sys.stderr)
