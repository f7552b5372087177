"""The encoded text values of vCard 2.1 (ENCODING=QUOTED-PRINTABLE or BASE64, with a CHARSET),
as old phones and Outlook write names and notes, turned into plain vCard text before `vobject`
reads the card.

`vobject` decodes quoted-printable as UTF-8 whatever the CHARSET says (a name in ISO-8859-1 was
skipped), and leaves base64 undecoded on a structured name: 'N;ENCODING=BASE64:TcO8bGxlcjtK...'
came in as the member 'TcO8bGxlcjtK...'.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re

__all__ = ["ENCODED_TEXT", "decoded"]

# The properties a member keeps whose value is text (the others are addresses and numbers).
ENCODED_TEXT = {"N", "FN", "ORG", "NOTE", "CATEGORIES", "X-ABLABEL"}
# Values whose ';' separates parts (N: family;given;...; ORG: organisation;unit) and whose ','
# separates values (CATEGORIES): those stay as written; in the others they are text.
_STRUCTURED = {"N", "ORG", "CATEGORIES"}
_QUOTED_PRINTABLE = {"QUOTED-PRINTABLE"}
_BASE64 = {"BASE64", "B"}
# Python's codecs that CHARSET could name but no phone writes a card in: punycode decodes in
# quadratic time (a 200 kB note took 5 s; a 100 MB file, hours) and raises a bare UnicodeError,
# 'undefined' refuses everything, the others read escapes. Named, the card is read as unnamed.
_NOT_CHARSETS = {"punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined"}


def decoded(line: str, name: str) -> str:
    """`line` with its value decoded and its ENCODING and CHARSET parameters gone; unchanged
    when it is not encoded text, or its encoding cannot be read (vobject then says why)."""
    head, sep, value = line.partition(":")
    if name not in ENCODED_TEXT or not sep:
        return line
    params = head.split(";")
    encoding = next((_param_value(p) for p in params[1:] if _param_value(p) in _QUOTED_PRINTABLE | _BASE64), None)
    if encoding is None:
        return line
    charset = next((p.split("=", 1)[1].strip('"') for p in params[1:] if p.upper().startswith("CHARSET=")), None)
    try:
        raw = (quopri.decodestring(value.encode("utf-8")) if encoding in _QUOTED_PRINTABLE
               else base64.b64decode(re.sub(r"\s+", "", value), validate=True))
    except (binascii.Error, ValueError):
        return line
    text = _text_of(raw, charset)
    if text is None:
        return line
    kept = [p for p in params if not _is_encoding_param(p)]
    return ";".join(kept) + ":" + _escaped(text, name)


def _param_value(param: str) -> str:
    """ENCODING=QUOTED-PRINTABLE, or 2.1's bare QUOTED-PRINTABLE: 'QUOTED-PRINTABLE'."""
    return param.split("=", 1)[1].upper() if param.upper().startswith("ENCODING=") else param.upper()


def _is_encoding_param(param: str) -> bool:
    upper = param.upper()
    return upper.startswith(("ENCODING=", "CHARSET=")) or upper in _QUOTED_PRINTABLE | _BASE64


def _text_of(raw: bytes, charset: str | None) -> str | None:
    """The bytes in the CHARSET named (None when they are not: a character cut off, which
    vobject then reports); with none named, UTF-8, as phones write, else Windows-1252."""
    if charset:
        try:
            codec = codecs.lookup(charset).name
            if codec in _NOT_CHARSETS:
                raise LookupError(codec)
            return raw.decode(codec)
        except LookupError:
            pass
        except UnicodeError:
            return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _escaped(text: str, name: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\\", "\\\\").replace("\n", "\\n")
    if name in _STRUCTURED:
        return text
    return text.replace(";", "\\;").replace(",", "\\,")
