"""Entry point for `organiser` and `python -m organiser`."""

from __future__ import annotations

import os
import sys


def no_core_dumps() -> None:
    """Keep this process's memory off the disk when it crashes: a core dump (a file, or one kept by
    systemd-coredump or apport) would hold the keys of unlocked groups and decrypted pages for
    whoever takes the laptop. A core size limit of 0 (which those services honour) and, on Linux,
    not dumpable at all (which also keeps other processes of the user from reading its memory)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):  # no such limit here (Windows)
        pass
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_dumpable = 4  # <linux/prctl.h>
        ctypes.CDLL(None).prctl(pr_set_dumpable, 0, 0, 0, 0)


def main(argv: list[str] | None = None) -> int:
    """The program: its arguments from `argv`, else from the command line. Started as the program
    (no `argv`: the `organiser` command, `python -m organiser`), the process leaves no core dump;
    code that calls main with its own arguments (the in-process CLI tests) keeps its process as is."""
    from organiser.cli.main import run

    if argv is None:
        no_core_dumps()
    try:
        code = run(sys.argv[1:] if argv is None else argv)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`organiser config | head`): what it wanted it has; end quietly.
        # Python would complain again flushing stdout at exit, so point it at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
