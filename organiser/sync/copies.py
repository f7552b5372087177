"""Copies of changesets we hold, recognised before they are decoded (part of sync/receiving.py).

In a room linked with cycles most changesets a laptop reads are copies of ones it stored
already (they crossed another link first, and the RELAY asking a peer to skip an author takes a
moment to land). Decoding a copy fully (its ops parsed, checked and built into objects) only to
find it held cost more of a 30-laptop room's CPU than storing the new ones, and so did asking
the store once per changeset. Here a chunk's numbers are read with a plain JSON parse, the
store is asked once for what it holds at those numbers, and a changeset whose hash (over its
exact body and signature) matches the one held is a byte-for-byte copy: dropped unparsed. Anything
else (new, another version of a number we hold, or not even JSON) goes on to be decoded and
checked as before, so a malformed changeset is refused exactly as it was.
"""

from __future__ import annotations

import orjson
from sqlite_utils import Database

from organiser.core.changeset import changeset_hash

# What the store holds at a list of (author, number) pairs, in one query (the unique index on
# author and number answers each).
_HELD = ("SELECT c.author, c.seq, c.hash FROM json_each(?) j JOIN changes c "
         "ON c.author = json_extract(j.value, '$[0]') AND c.seq = json_extract(j.value, '$[1]')")


def numbered(body: bytes) -> tuple[str, int] | None:
    """The author and number a body names, or None when it is not a JSON object naming them
    as a string and an integer (decoding it refuses it then, with the reason)."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict):
        return None
    author, seq = doc.get("a"), doc.get("s")
    if not isinstance(author, str) or type(seq) is not int:
        return None
    return author, seq


def without_held(db: Database, chunk: list[tuple[bytes, bytes]]
                 ) -> tuple[list[tuple[bytes, bytes]], list[tuple[str, int]]]:
    """The chunk's (body, signature) pairs that are not copies of changesets we hold, and the
    (author, number) of the copies."""
    keys = [numbered(body) for body, _signature in chunk]
    wanted = [k for k in keys if k is not None]
    if not wanted:
        return chunk, []
    held = {(a, s): h for a, s, h in db.execute(_HELD, [orjson.dumps(wanted).decode()]).fetchall()}
    if not held:
        return chunk, []
    fresh: list[tuple[bytes, bytes]] = []
    copies: list[tuple[str, int]] = []
    for item, key in zip(chunk, keys, strict=True):
        if key is not None and key in held and held[key] == changeset_hash(*item):
            copies.append(key)
        else:
            fresh.append(item)
    return fresh, copies
