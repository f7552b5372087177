"""Counts as people say them: '1 member', '3 members', '1 change', '2 changes'."""

from __future__ import annotations


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def file_size(n: int) -> str:
    """Bytes as people read a file's size: '812 kB', '107 MB', '1.2 GB' (powers of 1,000)."""
    for limit, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if n >= limit:
            value = n / limit
            return f"{value:.1f} {unit}" if value < 10 else f"{value:,.0f} {unit}"
    return plural(n, "byte")
