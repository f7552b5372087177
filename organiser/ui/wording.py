"""Sentences as people read them: a refusal without the internal field name it starts with,
and counts with the right plural."""

from __future__ import annotations


def people_words(message: str) -> str:
    """A service's sentence without the field name it starts with ("emails: ..."): shown next
    to the field, or in a dialog about one thing, the name adds nothing a person needs."""
    head, sep, rest = message.partition(": ")
    if sep and len(head.split()) <= 3 and "'" not in head and "(" not in head:
        message = rest
    return message[:1].upper() + message[1:]


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 member', '3 members', '1,200 addresses'."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
