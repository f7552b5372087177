"""Dates written in the laptop's language inside the app's English sentences.

Day and month names come from the laptop's locale (Qt sets it from LANG), so an Arabic
laptop writes 'الخميس 18 مارس 2027'. Put in an English line as it is, that right-to-left run
pulls the numbers after it into its own order, and '19:00–21:00' reads '21:00–19:00'. Such a
piece is shown as an isolate (Unicode's FSI ... PDI): its order stays inside it."""

from __future__ import annotations

import unicodedata
from datetime import date

FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


# Right-to-left letters, and the embeddings, overrides and isolates a title from a peer may hold:
# an override left open reversed the app's own words after it ('Fri 11 Dec' read '11 irF').
_SET_APART = frozenset({"R", "AL", "LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"})


def isolated(text: str) -> str:
    """The text as it is, or set apart as an isolate when it holds right-to-left letters or
    direction controls (the isolate's end closes whatever they opened)."""
    if text.isascii() or not any(unicodedata.bidirectional(c) in _SET_APART for c in text):
        return text
    return FIRST_STRONG_ISOLATE + text + POP_DIRECTIONAL_ISOLATE


def day_text(day: date, fmt: str) -> str:
    """`day` written with strftime's `fmt` in the laptop's language, safe inside an English line."""
    return isolated(day.strftime(fmt))


def long_day(iso: str) -> str:
    """'2024-02-20' as '20 February 2024' in the laptop's language; a value that is not a
    date (stored before dates were checked) as it is."""
    try:
        return day_text(date.fromisoformat(iso), "%-d %B %Y")
    except ValueError:
        return iso
