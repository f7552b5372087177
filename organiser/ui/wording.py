"""Sentences as people read them: a refusal without the internal field name it starts with."""

from __future__ import annotations


def people_words(message: str) -> str:
    """A service's sentence without the field name it starts with ("emails: ..."): shown next
    to the field, or in a dialog about one thing, the name adds nothing a person needs."""
    head, sep, rest = message.partition(": ")
    if sep and len(head.split()) <= 3 and "'" not in head and "(" not in head:
        message = rest
    return message[:1].upper() + message[1:]
