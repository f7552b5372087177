"""Helpers shared by command modules: opening the group, printing records."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from organiser.services.group import Group, open_group


def open_chosen_group(args: argparse.Namespace) -> Group:
    """The group the command names (or the current one); an encrypted one with its passphrase."""
    from organiser.cli.atrest import ask_passphrase, given_passphrase
    from organiser.core.errors import LockedError
    from organiser.paths import data_dir_of

    data_dir = data_dir_of(args)
    try:
        return open_group(data_dir, args.group, passphrase=given_passphrase(args))
    except LockedError:
        return open_group(data_dir, args.group, passphrase=ask_passphrase(args))


@contextmanager
def opened_group(args: argparse.Namespace) -> Iterator[Group]:
    """`with opened_group(args) as group:` opens the group the command names and always closes it."""
    group = open_chosen_group(args)
    written = _own_changes(group)
    try:
        yield group
        if _own_changes(group) > written:
            say_if_removed(group)
    finally:
        group.close()


def _own_changes(group: Group) -> int:
    return group.replica.version_vector().get(group.device_id, 0)


def say_if_removed(group: Group) -> None:
    """After a command wrote on a laptop an admin removed: the change stays here and reaches no other
    laptop (on stderr: what a script reads on stdout stays as it was)."""
    from organiser.services.removed_here import removed_here

    here = removed_here(group)
    if here is not None:
        print(f"Note: this laptop was removed from the group. {here.who_and_when()} This change stays on this "
              f"laptop and reaches no other. {here.not_reached_sentence()} 'organiser status' says what to do.",
              file=sys.stderr)


def say_other_groups(group: Group) -> None:
    """After a second group is created or joined: the commands now act on it, the first one stays."""
    from organiser.services.group_folders import held_groups

    others = [g for g in held_groups(group.path.parent.parent) if g.folder != group.path.name]
    if others:
        print(f"This laptop holds {len(others) + 1} groups; commands without --group now act on "
              f"'{group.name}'. 'organiser group list' shows them all and the id --group takes for each.")


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, sort_keys=False)
    sys.stdout.write("\n")


def print_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    if not rows:
        print("(none)")
        return
    text_rows = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text_rows)) for i, h in enumerate(headers)]
    # Columns before the last are kept to 40 characters, and a cut says so with "…"; the last
    # column has nothing to its right and is never cut (roles used to end in "wor").
    widths = [min(w, 40) for w in widths[:-1]] + widths[-1:]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in text_rows:
        print("  ".join(_fit(c, w).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def print_fields(values: dict[str, Any]) -> None:
    width = max(len(k) for k in values)
    for key, value in values.items():
        print(f"{key.replace('_', ' ').ljust(width)}  {_cell(value)}")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def short(record_id: str | None) -> str:
    return (record_id or "")[:8]


def add_json_flag(parser: argparse.ArgumentParser, what: str = "the result") -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON")


def collect(values: Iterable[str] | None) -> list[str] | None:
    return None if values is None else list(values)


# How a command line names a member, an event or a task (services/naming.py finds it).
WHICH = {"member": "the member: their name, or their id (or its first characters)",
         "event": "the event: its title, or its id (or its first characters); several events with one title "
                  "are told apart by id",
         "task": "the task: its title, or its id (or its first characters)"}
