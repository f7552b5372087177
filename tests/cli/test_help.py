"""Every command and subcommand explains itself."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from organiser.cli.main import build_parser

Command = tuple[tuple[str, ...], argparse.ArgumentParser, str | None]


def walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[Command]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), sub, helps.get(name)
                yield from walk(sub, (*path, name))


def test_every_command_and_subcommand_has_help_and_a_description():
    commands = list(walk(build_parser()))
    names = {" ".join(path) for path, _p, _h in commands}
    assert {"init", "status", "conflicts", "member add", "member list", "member show", "member edit",
            "member delete", "event add", "event list", "event show", "event edit", "event delete",
            "event rsvp", "event checkin", "task add", "task list", "task show", "task edit",
            "task delete"} <= names
    without_help = [" ".join(path) for path, parser, helptext in commands
                    if not helptext or not (parser.description or "").strip()]
    assert without_help == []


def test_every_option_and_argument_of_every_command_has_help():
    undocumented = []
    for path, parser, _help in walk(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                continue
            if not action.help:
                undocumented.append(f"{' '.join(path)} {(action.option_strings or [action.dest])[0]}")
    assert undocumented == []


def test_help_runs_in_a_real_process(organiser):
    result = organiser("member", "add", "--help", data_dir=False)
    assert result.code == 0
    assert "--email E" in result.out and "repeat" in result.out


def test_each_command_is_looked_for_in_the_module_that_adds_it():
    """A command runs with only its own module's parser built (COMMANDS says which module)."""
    from organiser.cli.main import COMMAND_MODULES, COMMANDS, parser_for

    def commands(parser: argparse.ArgumentParser) -> set[str]:
        return {path[0] for path, _p, _h in walk(parser) if len(path) == 1}

    added_by = {name: module for module in COMMAND_MODULES for name in commands(build_parser([module]))}
    assert added_by == COMMANDS
    assert commands(parser_for(["--data-dir", "/somewhere", "-v", "agenda", "list", "x"])) == {
        "agenda", "minutes", "proposal", "vote"}
    for argv in ([], ["--version"], ["--help"], ["membr", "list"], ["--data-dir"], ["-h", "member"]):
        assert commands(parser_for(argv)) == set(COMMANDS), argv  # help and refusals know every command


def test_a_double_dash_before_the_command_is_refused_with_every_command_named(organiser_in_process):
    """`--` ends the options; argparse then refuses `--` itself as the command. The refusal lists
    every command, not only those of the module of the word after it."""
    result = organiser_in_process("--", "status")
    assert result.code == 2
    assert "invalid choice: '--'" in result.err
    assert "'member'" in result.err and "'fork'" in result.err
