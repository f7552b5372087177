"""`encrypt`, `passphrase change`, `wipe`, and how every command gets a group's passphrase.

A passphrase comes from --passphrase-file FILE (its first line), else $ORGANISER_PASSPHRASE,
else a prompt when a person sits at a terminal. A wrong one: exit 2, one sentence, nothing touched.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from organiser.core.errors import LockedError, PassphraseError

ENV_PASSPHRASE = "ORGANISER_PASSPHRASE"
ENV_NEW_PASSPHRASE = "ORGANISER_NEW_PASSPHRASE"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("encrypt", help="encrypt a group that was made without a passphrase",
                       description="Encrypt the group's database in place with a new passphrase (from "
                       "--passphrase-file, $ORGANISER_PASSPHRASE or a prompt). Safe to interrupt: the group "
                       "stays either plain or encrypted, whole. Close the app and 'organiser serve' first.")
    p.set_defaults(handler=cmd_encrypt)

    p = sub.add_parser("passphrase", help="change the passphrase of an encrypted group",
                       description="Passphrase commands for an encrypted group.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    change = actions.add_parser("change", help="change the passphrase (and the database's key)",
                                description="Encrypt the group's database under a new key sealed with a new "
                                "passphrase, so a copy of the old key file with the old passphrase opens nothing "
                                "written from then on. The current passphrase comes from --passphrase-file, "
                                "$ORGANISER_PASSPHRASE or a prompt; the new one from --new-passphrase-file, "
                                "$ORGANISER_NEW_PASSPHRASE or a prompt. Close the app and 'organiser serve' first.")
    change.add_argument("--new-passphrase-file", type=Path, metavar="FILE",
                        help="read the new passphrase from the first line of FILE")
    change.set_defaults(handler=cmd_passphrase_change)

    p = sub.add_parser("wipe", help="destroy this laptop's copy of a group (panic wipe)",
                       description="Destroy this laptop's copy of the group (the current one, or --group ID): "
                       "its sealed key first, then every file. An encrypted group's data cannot be read "
                       "afterwards even from a copy of the disk taken before. Other groups are untouched. "
                       "Needs no passphrase. An admin can then remove this laptop from the group.")
    p.add_argument("--yes", action="store_true", required=True, help="really wipe (required)")
    p.set_defaults(handler=cmd_wipe)


# ---- getting a passphrase ----------------------------------------------------------------------


def _first_line(path: Path, what: str) -> str:
    from organiser.cli.main import CliError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{what} {path} cannot be read ({getattr(exc, 'strerror', None) or exc}).") from None
    line = text.splitlines()[0] if text else ""
    if not line:
        raise CliError(f"{what} {path} is empty.")
    return line


def given_passphrase(args: argparse.Namespace) -> str | None:
    """The passphrase given without asking (file or environment), or None."""
    if getattr(args, "passphrase_file", None):
        return _first_line(args.passphrase_file, "passphrase file")
    return os.environ.get(ENV_PASSPHRASE) or None


def ask_passphrase(args: argparse.Namespace, prompt: str = "Passphrase: ") -> str:
    """The passphrase to open a group: given, or asked for at a terminal; LockedError otherwise."""
    given = given_passphrase(args)
    if given is not None:
        return given
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    raise LockedError("this group is encrypted: give its passphrase with --passphrase-file FILE or "
                      f"${ENV_PASSPHRASE}.")


def _given_new(args: argparse.Namespace, file: Path | None, env: str) -> str | None:
    """A new passphrase from the file given, else from the environment variable; None when neither has one."""
    if file is not None:
        return _first_line(file, "passphrase file")
    if env == ENV_PASSPHRASE:
        return given_passphrase(args)
    return os.environ.get(env) or None


def _typed_new(required: bool) -> str | None:
    """A new passphrase typed twice at the terminal, its strength shown; None for an empty answer."""
    from organiser.services.atrest import passphrase_strength

    blank = "" if required else " (empty for none)"
    chosen = getpass.getpass(f"New passphrase{blank}: ") or None
    if chosen is not None:
        print(f"Strength: {passphrase_strength(chosen).sentence}", file=sys.stderr)
        if getpass.getpass("Again: ") != chosen:
            raise PassphraseError("the two passphrases differ; nothing was changed.")
    return chosen


def new_passphrase(args: argparse.Namespace, *, file: Path | None = None, env: str = ENV_PASSPHRASE,
                   optional: bool = True) -> str | None:
    """A passphrase for a new group (or a new one for an old group), checked for length. At a
    terminal: asked twice, and an empty answer means none where that is allowed."""
    from organiser.config import settings
    from organiser.services.atrest import check_new_passphrase

    required = not optional or settings().require_passphrase
    chosen = _given_new(args, file, env)
    if chosen is None and sys.stdin.isatty():
        chosen = _typed_new(required)
    if chosen is None:
        if required:
            source = settings().source_of("require_passphrase")
            by = "" if not optional or source == "default" else f" (require_passphrase in {source})"
            raise PassphraseError(f"a passphrase is required here{by}: give one with --passphrase-file FILE or "
                                  f"${env}.")
        return None
    check_new_passphrase(chosen)
    return chosen


# ---- commands ----------------------------------------------------------------------------------


def cmd_encrypt(args: argparse.Namespace) -> int:
    from organiser.paths import data_dir_of
    from organiser.services.atrest import encrypt_group

    passphrase = new_passphrase(args, optional=False)
    assert passphrase is not None
    path = encrypt_group(data_dir_of(args), args.group, passphrase)
    print(f"Encrypted: the group in {path} now opens only with its passphrase.")
    return 0


def cmd_passphrase_change(args: argparse.Namespace) -> int:
    from organiser.paths import data_dir_of
    from organiser.services.atrest import change_passphrase
    from organiser.services.group import find_group_dir

    data_dir = data_dir_of(args)
    current = ask_passphrase(args, "Current passphrase: ")
    path = find_group_dir(data_dir, args.group, current)
    new = new_passphrase(args, file=args.new_passphrase_file, env=ENV_NEW_PASSPHRASE, optional=False)
    assert new is not None
    change_passphrase(path, current, new)
    print("Passphrase changed.")
    return 0


def cmd_wipe(args: argparse.Namespace) -> int:
    from organiser.paths import data_dir_of
    from organiser.services.atrest import wipe_group
    from organiser.services.group import find_group_dir

    data_dir = data_dir_of(args)
    path = find_group_dir(data_dir, args.group, given_passphrase(args))
    if wipe_group(data_dir, path):
        print(f"Wiped: the group's key was destroyed and {path} deleted; its data cannot be read any more.")
    else:
        print(f"Wiped: {path} deleted. This group was not encrypted, so a copy of the disk taken before "
              "the wipe could still be read.")
    return 0
