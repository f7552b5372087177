"""Counts as people say them: '1 member', '3 members', '1 change', '2 changes'."""

from __future__ import annotations


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
