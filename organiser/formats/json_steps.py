"""`json.loads` of a large document in steps, so another thread goes on meanwhile.

`json.loads` parses in C holding the interpreter lock throughout: a year-old group's backup
(130 MB of JSON) held it 3.2 s, and the window's thread, reading the backup on a worker, could
not run a line of Python for that long. Here a top-level object's values are parsed one by one
and its arrays (a backup's records and changes) an element at a time: each element is a short
C call, and between two the lock can pass to the window. What comes out, and what is refused
(`json.JSONDecodeError` with its line, `RecursionError`), is what `json.loads` gives.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

_decoder = json.JSONDecoder()
_space = re.compile(r"[ \t\n\r]*")
_SPACES = frozenset(" \t\n\r")  # "" (the end of the text) is not among them


def _skip(text: str, at: int) -> int:
    match = _space.match(text, at)
    return match.end() if match else at


def _expect(text: str, at: int, char: str, what: str) -> int:
    at = _skip(text, at)
    if text[at:at + 1] != char:
        raise json.JSONDecodeError(f"Expecting {what}", text, at)
    return at + 1


def _array(text: str, at: int) -> tuple[list[Any], int]:
    """The array whose '[' is at `at`, an element at a time; and where it ends."""
    items: list[Any] = []
    append, parse = items.append, _decoder.raw_decode
    at = _skip(text, at + 1)
    if text[at:at + 1] == "]":
        return items, at + 1
    while True:
        if text[at:at + 1] in _SPACES:
            at = _skip(text, at)
        item, at = parse(text, at)
        append(item)
        after = text[at:at + 1]
        if after in _SPACES:
            at = _skip(text, at)
            after = text[at:at + 1]
        if after == ",":
            at += 1
        elif after == "]":
            return items, at + 1
        else:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, at)


def text_of(data: bytes, encoding: str = "utf-8-sig", piece: int = 1 << 22) -> str:
    """`data.decode(encoding)` a few MB at a time (the whole at once held the lock 0.5 s)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    parts = [decoder.decode(data[start:start + piece]) for start in range(0, len(data), piece)]
    parts.append(decoder.decode(b"", final=True))
    return "".join(parts)


def loads(text: str) -> Any:
    """Like `json.loads(text)` for a str, in steps when the document is an object."""
    at = _skip(text, 0)
    if text[at:at + 1] != "{":
        return json.loads(text)
    doc: dict[str, Any] = {}
    at = _skip(text, at + 1)
    if text[at:at + 1] == "}":
        at += 1
    else:
        while True:
            at = _skip(text, at)
            if text[at:at + 1] != '"':
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, at)
            key, at = _decoder.raw_decode(text, at)
            at = _skip(text, _expect(text, at, ":", "':' delimiter"))
            if text[at:at + 1] == "[":
                doc[key], at = _array(text, at)
            else:
                doc[key], at = _decoder.raw_decode(text, at)
            at = _skip(text, at)
            if text[at:at + 1] == "}":
                at += 1
                break
            at = _expect(text, at, ",", "',' delimiter")
    if _skip(text, at) != len(text):
        raise json.JSONDecodeError("Extra data", text, _skip(text, at))
    return doc
