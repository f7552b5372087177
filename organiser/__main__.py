"""Entry point for `organiser` and `python -m organiser`."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    from organiser.cli.main import run

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
