"""Letters as people compare them when they search, type ahead or sort: case and accents
aside ("eleonore" finds Éléonore), and the letters Unicode does not split into a base letter
and an accent read as the base letter a person would type on any keyboard: Turkish dotless
'ı' as 'i' ("yilmaz" finds Yılmaz), Polish 'ł' as 'l', German 'ß' as 'ss', Danish 'ø' as 'o'."""

from __future__ import annotations

import re
import unicodedata

# Letters with no decomposition (NFKD leaves them whole), so neither the full-text index's
# 'remove_diacritics' nor dropping combining marks reaches them.
_WHOLE_LETTERS = str.maketrans({
    "ı": "i", "ł": "l", "Ł": "L", "ß": "ss", "ẞ": "SS", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
    "ð": "d", "Ð": "D", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH", "ħ": "h", "Ħ": "H",
})


# str.translate walks the text a character at a time in Python objects (tens of µs for a
# member's line): the text is searched for one of these letters first, in C.
_ANY_WHOLE_LETTER = re.compile("[" + "".join(chr(c) for c in _WHOLE_LETTERS) + "]")


def base_letters(text: str) -> str:
    """The text with each whole letter above as its base letter(s); case and other accents
    kept (what the full-text index is given, and what a search is turned into)."""
    if text.isascii() or not _ANY_WHOLE_LETTER.search(text):
        return text
    return text.translate(_WHOLE_LETTERS)


def plain(text: str) -> str:
    """The text without accents and case: 'İsmail Yılmaz' -> 'ismail yilmaz', 'Żółć' -> 'zolc'."""
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.translate(_WHOLE_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# Alphabets in which a letter with a mark is a letter of its own, read after its base letter
# (Polish "Lucyna, Łucja", Spanish "Nuria, Ñuflo"); in the others it is the base letter with an
# accent (French "Élodie" among the E's). Each such letter sorts as its base letter followed by
# a character above every letter, ranked: Polish ź before ż.
_AFTER_BASE = "\U0010fff0"
_OWN_LETTERS: dict[str, dict[str, str]] = {
    "pl": {"ą": "a1", "ć": "c1", "ę": "e1", "ł": "l1", "ń": "n1", "ó": "o1", "ś": "s1", "ź": "z1", "ż": "z2"},
    "es": {"ñ": "n1"},
}
_TAILORED = {language: str.maketrans({letter: base[0] + chr(ord(_AFTER_BASE) + int(base[1:]))
                                      for letter, base in table.items()})
             for language, table in _OWN_LETTERS.items()}


def sort_key(text: str, language: str = "") -> tuple[str, str]:
    """Order names as a person reads them: case and accents aside (Éléonore among the E's,
    Łukasz among the L's, not after Z; 'anna' beside 'Anna'); in a `language` whose alphabet
    has letters of its own (pl, es: the first two letters of a locale's name), those come
    after their base letter, as in that language's dictionaries. Where two names differ only
    in case or accents, a steady order between them."""
    table = _TAILORED.get(language[:2].lower())
    folded = text.casefold()
    if table is not None and not text.isascii():
        return plain(folded.translate(table)), folded
    return plain(text), folded
