"""Phone numbers as people type them in a search: '06 12 34 56 78' or '0612345678' for a
member kept as '+33 6 12 34 56 78'.

The full-text index splits '+33 6 12 34 56 78' into the words 33, 6, 12, 34, 56 and 78, so
the number typed as its owner says it at home ('06 12 …', its words 06, 12, …) found
nothing. Each phone is also indexed as its digits in one word, and, after a country code,
as the national number (a 0 in place of the code: with no table of codes, each of the three
lengths a code can have). A search typed as a phone number is searched as its digits."""

from __future__ import annotations

import re
from typing import Any

_PHONE_TYPED = re.compile(r"\+?[\d\s().\-/]+")
_GROUPS = re.compile(r"\d+")
_NOT_DIGITS = re.compile(r"\D+")
MIN_DIGITS = 4  # fewer than this, typed with spaces, is more likely a date or a house number


def phone_words(phone: str) -> list[str]:
    """The words a phone is also found by: its digits together, and its national forms."""
    digits = _NOT_DIGITS.sub("", phone)
    if len(digits) < MIN_DIGITS:
        return []
    words = [digits]
    if phone.lstrip().startswith("+"):
        words.extend("0" + digits[code:] for code in (1, 2, 3) if len(digits) - code >= MIN_DIGITS)
    elif phone.lstrip().startswith("00"):
        words.extend("0" + digits[2 + code:] for code in (1, 2, 3) if len(digits) - 2 - code >= MIN_DIGITS)
    return words


def typed_phone(text: str) -> str | None:
    """What was typed, as one word of digits, when it reads as a phone number in several
    groups ('06 12 34', '+33 6 12'); else None."""
    if not _PHONE_TYPED.fullmatch(text.strip()):
        return None
    groups = _GROUPS.findall(text)
    digits = "".join(groups)
    if len(groups) < 2 or len(digits) < MIN_DIGITS:
        return None
    return digits[2:] if text.strip().startswith("00") else digits  # 0033 is how +33 is dialled


def phones_searched(kind: str, values: dict[str, Any]) -> str:
    """What a record's searchable text ends with: its phones' words, after a space ('' if none)."""
    if kind != "member" or not values.get("phones"):
        return ""
    words = [w for phone in values["phones"] if isinstance(phone, str) for w in phone_words(phone)]
    return " " + " ".join(words) if words else ""
