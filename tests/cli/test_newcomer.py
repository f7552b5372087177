"""What a newcomer meets on the command line: --data-dir honoured everywhere, bad input exits 2
in every command, a closed pipe ends quietly, counts read right, names instead of ids. The group is
made by real processes once; the refusals and listings then run through the program's entry point
in the test process (`organiser_in_process`), the closed pipes and `config` in real processes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import ROOT, clean_env, runner_made_once


@pytest.fixture(scope="module")
def filled_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A group made through the CLI once for this file; each test gets a copy of its folder."""
    organiser = runner_made_once(tmp_path_factory, "filled")
    made = organiser("init", "--group", "Tenants Union", "--device-name", "door laptop")
    assert made.code == 0
    # what to do next names both ways in: this network, and a folder for a laptop never met
    assert "'organiser invite'" in made.out and "'organiser invite --folder PATH'" in made.out
    ann = organiser("member", "add", "--name", "Ann Assignee", "--role", "facilitator", "--role", "treasurer",
                    "--role", "working group: Housing", "--role", "working group: Outreach").out.strip()
    assert organiser("task", "add", "--title", "Book the hall", "--assignee", ann).code == 0
    return organiser.data_dir


@pytest.fixture
def filled(organiser_in_process, filled_once: Path):
    shutil.copytree(filled_once, organiser_in_process.data_dir)
    return organiser_in_process


def test_config_shows_the_data_dir_given_on_the_command_line(organiser, tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere"
    result = organiser("config", data_dir=chosen)
    line = next(ln for ln in result.out.splitlines() if ln.startswith("data_dir"))
    assert str(chosen) in line and "command line" in line
    as_json = organiser("config", "--json", data_dir=chosen).json()
    assert as_json["settings"]["data_dir"]["value"] == str(chosen)


BAD_INPUT = [
    ["member", "show", "zzzz"],
    ["member", "edit", "zzzz", "--name", "X"],
    ["member", "delete", "zzzz"],
    ["event", "show", "zzzz"],
    ["event", "rsvp", "zzzz", "zzzz", "yes"],
    ["event", "checkin", "zzzz", "zzzz"],
    ["task", "edit", "zzzz", "--title", "x"],
    ["task", "list", "--assignee", "zzzz"],
    ["--group", "nosuch", "status"],
    ["sync", "nohost"],
    ["sync", "127.0.0.1:notaport"],
    ["join", "BADCODE", "--device-name", "x"],
    ["export", "--format", "ics", "--out", "/nonexistent/dir/x.ics"],
    ["import", "/nonexistent/members.csv"],
    ["member", "add"],
    ["event", "add", "--title", "Assembly", "--start", "next friday"],
]


@pytest.mark.parametrize("args", BAD_INPUT, ids=[" ".join(a) for a in BAD_INPUT])
def test_bad_input_exits_2_in_every_command(filled, args: list[str]) -> None:
    result = filled(*args)
    assert result.code == 2, (result.code, result.err)
    assert result.err.startswith(("organiser: ", "usage: ")) and "Traceback" not in result.err


COMMANDS = [["config"], ["member", "list"], ["task", "list"], ["status"], ["--help"], ["member", "list", "--json"],
            ["export", "--format", "csv"]]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_output_into_a_closed_pipe_ends_quietly(filled, home: Path, args: list[str]) -> None:
    """As `organiser config | head` when head has gone: no BrokenPipe traceback, exit 0."""
    proc = subprocess.Popen([sys.executable, "-m", "organiser", "--data-dir", str(filled.data_dir), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=clean_env(home))
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_counts_read_right_and_tasks_show_names_and_roles_are_whole(filled) -> None:
    status = filled("status").out
    assert "1 member," in status and "1 task," in status and "0 events" in status and "0 conflicts" in status
    tasks = filled("task", "list").out
    assert "Ann Assignee" in tasks
    members = filled("member", "list").out
    assert "facilitator, treasurer, working group: Housing, working group: Outreach" in members


def test_a_sheets_working_group_column_fills_the_members_working_groups(organiser_in_process, tmp_path: Path) -> None:
    """A secretary's spreadsheet with a "Working group" column: those are working groups (the app's
    Working groups column and filter), not roles."""
    assert organiser_in_process("init", "--group", "Tenants Union", "--device-name", "door").code == 0
    sheet = tmp_path / "members.csv"
    sheet.write_text("First name,Last name,Email,Working group,Role\r\n"
                     "Ben,Okafor,ben@example.org,Repairs,Chair\r\n"
                     "Emma,Brown,emma@example.org,Repairs;Outreach,\r\n", encoding="utf-8")
    assert organiser_in_process("import", str(sheet)).code == 0
    roles = {m["name"]: sorted(m["roles"]) for m in organiser_in_process("member", "list", "--json").json()}
    assert roles == {"Ben Okafor": ["Chair", "working group: Repairs"],
                     "Emma Brown": ["working group: Outreach", "working group: Repairs"]}
