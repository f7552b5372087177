"""Running `python -m organiser` as a real subprocess, with a clean environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli_in_process import cli_in_process

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)


def clean_env(home: Path) -> dict[str, str]:
    """No setting from the machine running the tests can leak in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ORGANISER_", "XDG_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               ORGANISER_SYSTEM_CONFIG=str(home / "no-system-config.toml"), PYTHONPATH=str(ROOT))
    return env


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def runner(default_dir: Path, home: Path) -> Callable[..., Run]:
    """organiser(*args, data_dir=..., env=..., stdin=...): run the command line, return what it did."""

    def run(*args: str, data_dir: Path | None | bool = True, env: dict[str, str] | None = None,
            stdin: str | None = None) -> Run:
        argv = [sys.executable, "-m", "organiser"]
        if data_dir is True:
            argv += ["--data-dir", str(default_dir)]
        elif data_dir:
            argv += ["--data-dir", str(data_dir)]
        proc = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=60, cwd=ROOT, input=stdin,
                              env={**clean_env(home), **(env or {})})
        return Run(proc.returncode, proc.stdout, proc.stderr)

    run.data_dir = default_dir  # type: ignore[attr-defined]
    return run


def runner_made_once(tmp_path_factory: pytest.TempPathFactory, name: str) -> Callable[..., Run]:
    """A runner with a data folder and home of its own, for what a file's tests make once and copy."""
    base = tmp_path_factory.mktemp(name)
    (base / "home").mkdir()
    return runner(base / "data", base / "home")


@pytest.fixture
def organiser(tmp_path: Path, home: Path) -> Callable[..., Run]:
    return runner(tmp_path / "data", home)


@pytest.fixture
def organiser_in_process(tmp_path: Path, home: Path) -> Callable[..., Run]:
    """The `organiser` fixture's commands (same data folder and home) run through the program's
    entry point in the test process: for a long list of refusals, where each case as a process
    would spend 0.4 s starting Python and importing the app. The parser, the command, the exit
    code and what is printed are the program's own; the files using it also run commands of the
    same kind as real processes. `env` adds to the clean environment, as the `organiser` fixture's
    does (a passphrase in $ORGANISER_PASSPHRASE); standard input is not a terminal and holds nothing."""

    def run(*args: str, data_dir: Path | None = None, env: dict[str, str] | None = None) -> Run:
        return Run(*cli_in_process(data_dir or tmp_path / "data", *args, env={**clean_env(home), **(env or {})}))

    run.data_dir = tmp_path / "data"  # type: ignore[attr-defined]
    return run
