"""A member in bad faith writes escape sequences into a title: printed on the admin's terminal by
`organiser event list`, they cleared the line and moved the cursor up, hiding rows above."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from unittest import mock

from organiser.__main__ import main as cli_main
from organiser.services.group import create_group
from tests.cli_in_process import clean_env, cli_in_process

TITLE = "Rent strike\x1b[2K\x1b[1A\x9b2J"  # erase the line, up one line; CSI 2J: clear the screen


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _with_event(data_dir: Path) -> None:
    group = create_group(data_dir, "Tenants Union", "door laptop")
    group.events.add(TITLE, "2031-03-18T19:00")  # as a member's laptop wrote it, synced here
    group.close()


def test_a_title_with_escape_sequences_shows_as_typed_on_a_terminal(tmp_path: Path) -> None:
    _with_event(tmp_path)
    terminal = _Terminal()
    with mock.patch.dict(os.environ, clean_env(tmp_path), clear=True), mock.patch.object(sys, "stdout", terminal):
        assert cli_main(["--data-dir", str(tmp_path), "event", "list"]) == 0
    shown = terminal.getvalue()
    assert "Rent strike\\x1b[2K\\x1b[1A\\x9b2J" in shown
    assert not any(c in shown for c in "\x1b\x9b")


def test_output_to_a_pipe_or_a_file_is_left_as_it_is(tmp_path: Path) -> None:
    _with_event(tmp_path)
    code, out, _err = cli_in_process(tmp_path, "event", "list")
    assert code == 0 and TITLE in out
