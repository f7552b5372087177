"""A device's name: what people read in every list, log line and dialog of the group, including
the one that asks whether to admit the device, where the name comes from the device itself."""

from __future__ import annotations

import unicodedata

from organiser.core.errors import ValidationError
from organiser.core.letters import plain

MAX_DEVICE_NAME = 200
# Embeddings, overrides and isolates reorder the text around them on screen.
_REORDERING = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))
# Control characters, and Unicode's line and paragraph separators (U+2028, U+2029), where Qt
# breaks the line in plain text and in markup alike.
_BREAKING = frozenset({"Cc", "Zl", "Zp"})


def checked_device_name(name: str) -> str:
    """`name` trimmed. `ValidationError` (field "device-name") for an empty name, one over 200
    characters, or one holding line breaks, other control characters or direction overrides: a
    joining device names itself in the admitting person's dialog, where such a name could push
    the dialog's own words (its verification code) out of place."""
    name = name.strip()
    if not name:
        raise ValidationError("device-name", "laptop name: this laptop needs a name.")
    problem = device_name_problem(name)
    if problem is not None:
        raise ValidationError("device-name", f"laptop name: {problem}.")
    return name


def device_name_problem(name: str) -> str | None:
    """What a name needs to be that `name` is not ("at most 200 characters", "one line of text,
    ... (it holds U+000A)"), or None: also for names that arrive inside a peer's membership
    entries, which other laptops show in their lists and terminals."""
    if len(name) > MAX_DEVICE_NAME:
        return f"at most {MAX_DEVICE_NAME} characters"
    odd = next((c for c in name if unicodedata.category(c) in _BREAKING or ord(c) in _REORDERING), None)
    if odd is not None:
        return f"one line of text, without control or text-direction characters (it holds U+{ord(odd):04X})"
    return None


def one_line(text: str) -> str:
    """`text` with each line break, control or text-direction character shown as its code
    ('\\n', '\\x1b', '\\u202e'): for sentences that quote what a peer wrote (a refusal naming
    the kind or value it refused), which go to the log, the incidents list and back to the peer,
    where a line break forged log lines and an override reordered the words."""
    if text.isprintable():
        return text
    return "".join(_code(c) if unicodedata.category(c) in _BREAKING or ord(c) in _REORDERING else c for c in text)


def _code(c: str) -> str:
    shown = repr(c)[1:-1]  # '\n', '\x1b', '\u202e'
    return shown if shown != c else f"\\u{ord(c):04x}"


# Letters of other scripts drawn like a Latin one (the common ones of Unicode's confusables), and
# ASCII characters read as another: a laptop named 'dооr laptop' with Cyrillic o's, or 'office
# Iaptop' with a capital I, reads as the group's own. Mapped before case is folded (a capital
# Greek nu is drawn N, a small one v).
_DRAWN_ALIKE = str.maketrans({
    **dict.fromkeys("АΑ", "A"), **dict.fromkeys("ВΒ", "B"), **dict.fromkeys("СϹ", "C"), **dict.fromkeys("ЕΕ", "E"),
    **dict.fromkeys("НΗ", "H"), **dict.fromkeys("ІΙӀ|1", "l"), "Ј": "J", **dict.fromkeys("КΚ", "K"),
    **dict.fromkeys("МΜ", "M"), "Ν": "N", **dict.fromkeys("ОΟ0", "O"), **dict.fromkeys("РΡ", "P"), "Ѕ": "S",
    **dict.fromkeys("ТΤ", "T"), **dict.fromkeys("ХΧ", "X"), **dict.fromkeys("УΥ", "Y"), "Ζ": "Z",
    **dict.fromkeys("аα", "a"), "ԁ": "d", **dict.fromkeys("еε", "e"), "һ": "h", **dict.fromkeys("іιӏ", "i"),
    "ј": "j", **dict.fromkeys("кκ", "k"), **dict.fromkeys("оο", "o"), **dict.fromkeys("рρ", "p"), "ԛ": "q",
    **dict.fromkeys("сϲ", "c"), "ѕ": "s", **dict.fromkeys("υ", "u"), **dict.fromkeys("νѵ", "v"), "ԝ": "w",
    **dict.fromkeys("хχ", "x"), **dict.fromkeys("уγ", "y"), "I": "l",
})


def looks(name: str) -> str:
    """What a device's name looks like on screen, for telling when people would read two names as
    one: case, accents, widths, invisible characters (a zero-width space) and runs of spaces
    aside, and the letters `_DRAWN_ALIKE` names read as the one they look like ('rn' as 'm')."""
    shown = "".join(c for c in name if unicodedata.category(c) != "Cf").translate(_DRAWN_ALIKE)
    return " ".join(plain(shown).replace("rn", "m").replace("vv", "w").split())
