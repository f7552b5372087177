"""Names in the order a person of this desktop's language reads them (core/letters.py's
sort_key, told the language of the app's locale): Łucja after Lucyna on a Polish desktop,
Ñuflo after Nuria on a Spanish one, and on any desktop none of them after Z."""

from __future__ import annotations

from PySide6.QtCore import QLocale

from organiser.core.letters import sort_key


def name_order(text: str) -> tuple[str, str]:
    """The key a list of names is sorted by (QLocale() is read each time: a test, or the
    person's settings, may change the default locale while the app runs)."""
    return sort_key(text, QLocale().name())
