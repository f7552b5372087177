"""What the command line prints to a terminal, shown as typed.

Titles, names and notes come from the group's members, and a member in bad faith can write
escape sequences into them: printed as they are, `organiser event list` would let a title clear
the lines above it, move the cursor, or set the terminal's title (`\\x1b[2K\\x1b[1A`). On a
terminal, control characters other than line breaks and tabs are printed as their code
(`\\x1b`); output to a file or a pipe (exports, `--json`) is left exactly as it is.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

# C0 controls but tab, line feed and carriage return; DEL; C1 controls (a terminal takes
# U+009B as the start of an escape sequence too)
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def as_typed(text: str) -> str:
    """`text` with each control character as its code: '\\x1b' for ESC."""
    return _CONTROLS.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


class _ShownAsTyped:
    """A terminal's text stream whose writes show control characters as their codes."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(as_typed(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, buffer, encoding, isatty...
        return getattr(self._stream, name)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or no such method
        return False


@contextmanager
def shown_as_typed() -> Iterator[None]:
    """Meanwhile, standard output and error that are terminals show control characters as codes."""
    saved = sys.stdout, sys.stderr
    if _is_terminal(sys.stdout):
        sys.stdout = _ShownAsTyped(sys.stdout)  # type: ignore[assignment]
    if _is_terminal(sys.stderr):
        sys.stderr = _ShownAsTyped(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
