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

from organiser import __version__
from organiser.core.errors import NoGroupError, NotFoundError, OrganiserError, PassphraseError, ValidationError

# Modules that add commands; each has register(subparsers).
COMMAND_MODULES = [
    "organiser.cli.group",
    "organiser.cli.records",
    "organiser.cli.transfer",
    "organiser.cli.admin",
    "organiser.cli.sync",
    "organiser.cli.atrest",
    "organiser.cli.meetings",
    "organiser.cli.devices",
    "organiser.cli.folders",
    "organiser.cli.forks",
]

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


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="organiser",
        description="Events, tasks and a member directory for a self-organised group, "
        "synced peer to peer over the local network. Without a command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"organiser {__version__}")
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="where groups are kept (default: $ORGANISER_DATA_DIR, else data_dir in the config "
                        "files, else the platform's data folder, e.g. ~/.local/share/organiser)")
    parser.add_argument("--group", default=None, metavar="ID",
                        help="which group to use when this device holds several (id or its start)")
    parser.add_argument("--passphrase-file", type=Path, default=None, metavar="FILE",
                        help="read an encrypted group's passphrase from the first line of FILE (else "
                        "$ORGANISER_PASSPHRASE, else a prompt at a terminal)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def run(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command is None:
        return _open_app(args, parser)
    try:
        return int(args.handler(args) or 0)
    except ValidationError as exc:
        print(f"organiser: {exc.message}", file=sys.stderr)
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
