"""What the packaged `organiser` binary runs: the same entry point as `python -m organiser`."""

import sys

from organiser.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
