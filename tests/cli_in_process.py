"""The command line run through its own entry point inside the test process: the parser, the
command and its output, without a Python start-up for each of the dozens of commands a test of
"every reader works on this database" runs. A crash raises in the test. Tests using it still run
some of the same commands as real processes, which is what a person at a terminal does."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from unittest import mock

from organiser.__main__ import main as cli_main


def clean_env(data_dir: Path) -> dict[str, str]:
    """No setting from the machine running the tests can leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORGANISER_", "XDG_"))}
    env["ORGANISER_SYSTEM_CONFIG"] = str(data_dir / "no-config.toml")
    return env


def cli_in_process(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """(exit code, standard output, standard error) of `organiser --data-dir DATA_DIR ARGS...`,
    with `env` (else `clean_env(data_dir)`) as the whole environment meanwhile and an empty
    standard input that is no terminal (a passphrase is never asked for)."""
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()  # exports write bytes too
    stdin = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # empty and no terminal, even under `pytest -s`
    with mock.patch.dict(os.environ, env if env is not None else clean_env(data_dir), clear=True), \
            mock.patch("sys.stdin", stdin), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli_main(["--data-dir", str(data_dir), *args])
        except SystemExit as exc:  # argparse's refusals end the program, as they would a process
            code = exc.code if isinstance(exc.code, int) else 2
    out.flush()
    return code, out.buffer.getvalue().decode(), err.getvalue()
