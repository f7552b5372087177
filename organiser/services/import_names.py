"""Members' names in a file that are not what they show: a name with a line break, another
control character or a text-direction override in it (U+202E shows 'Ana López' as 'zepóL anA',
and the words after it in a list out of order), or one that would show as a member the group
already has but is written with invisible characters ('Ana L\u200bópez', a zero-width space
inside) or with letters of another script drawn the same ('Аna López', a Cyrillic А). A file
handed to the group's secretary can hold such names to pass someone off as a member; for
services/import_planner.py."""

from __future__ import annotations

import unicodedata

from organiser.core.device_name import looks, one_line
from organiser.core.letters import plain

# Embeddings, overrides and isolates: they reorder the text around them on screen.
_REORDERING = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))


def _code(c: str) -> str:
    return f"{unicodedata.name(c, 'a control character')}, U+{ord(c):04X}"


def name_problem(name: str, *, misdecoded: bool = False) -> str | None:
    """Why `name` cannot be a member's name as it is, or None. `misdecoded`: the file looks like
    UTF-8 read as Latin-1 ('ZoÃ«'), where the control characters U+0080-U+009F are letters read
    wrong: the import says how to read it right rather than refusing each name."""
    if name.isprintable():  # no control, format or separator character: the common case, in C
        return None
    for c in name:
        if misdecoded and 0x80 <= ord(c) <= 0x9F:
            continue
        if ord(c) in _REORDERING:
            return (f"name: '{one_line(name)}' holds a text-direction character ({_code(c)}), which shows its "
                    "letters, and the words after it, in another order than they are written; remove it from the file")
        if unicodedata.category(c) in ("Cc", "Zl", "Zp"):
            return (f"name: '{one_line(name)}' holds a control character or line break (U+{ord(c):04X}), which no "
                    "name has; remove it from the file")
    return None


def _same_key(name: str) -> str:
    """The name case, accents and runs of spaces aside: two such are one name."""
    return " ".join(plain(name).split())


def _keys(name: str) -> tuple[str, str, str]:
    """(how it looks, how it reads without invisible characters, the name case and accents aside)."""
    same = _same_key(name)
    seen = same if name.isprintable() else _same_key("".join(c for c in name if unicodedata.category(c) != "Cf"))
    return looks(name), seen, same


class LookAlikes:
    """The names of the group's members and of the file's earlier rows, by how they look."""

    def __init__(self) -> None:
        self.by_look: dict[str, str] = {}
        self.by_seen: dict[str, str] = {}
        # A row's name is judged, then added: its keys are worked out once (a 10,000-row sheet plans 0.18 s sooner).
        self._last: tuple[str, tuple[str, str, str]] = ("", ("", "", ""))

    def _keys_of(self, name: str) -> tuple[str, str, str]:
        if self._last[0] != name or not name:
            self._last = (name, _keys(name))
        return self._last[1]

    def add(self, name: str) -> None:
        look, seen, _same = self._keys_of(name)
        self.by_look.setdefault(look, name)
        self.by_seen.setdefault(seen, name)

    def judge(self, name: str) -> tuple[str | None, str | None]:
        """(why the name is refused, a note to check it), either None.

        Refused: a name that would show as another member's only through the invisible
        characters in it (no one's name needs a zero-width space to look like someone else's).
        A note: a name drawn like another member's with other letters ('Аna' with a Cyrillic А),
        as a person may be called so."""
        look, seen, same = self._keys_of(name)
        other = self.by_seen.get(seen)
        if other is not None and _same_key(other) != same:
            hidden = next((c for c in name if unicodedata.category(c) == "Cf"), None)
            if hidden is not None:
                shown = "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) == "Cf" else c for c in name)
                return (f"name: '{shown}' holds an invisible character ({_code(hidden)}) and would show as {other}, "
                        "a member already there or earlier in the file; remove it from the file"), None
        other = self.by_look.get(look)
        if other is None or _same_key(other) == same:
            return None, None
        odd = next((c for c in name if c not in other), None)
        letters = f" ({_code(odd)})" if odd is not None else ""
        return None, (f"'{name}' looks like {other}, a member already there or earlier in the file, but is written "
                      f"with other letters{letters}: check that it is another person")
