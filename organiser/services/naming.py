"""Which record a person means by what they typed: its id, the start of its id, or (members,
events, tasks) its name or title. One record or a sentence saying why not; never a guess
between several (a weekly assembly has one title for every week)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple

from sqlite_utils import Database

from organiser.core.errors import NotFoundError
from organiser.core.letters import plain
from organiser.core.records import KINDS

# The field a person names a record of each kind by, when they do not give its id.
NAMED_BY = {"member": "name", "event": "title", "task": "title"}
# An id's start shorter than this matches too much to mean one record (ids are hex).
LEAST_ID_START = 4
# A refusal lists this many of the records that match, then counts the rest.
LISTED = 8

_WORD = re.compile(r"[^\W_]+")


class Named(NamedTuple):
    id: str
    name: str
    start: str  # an event's start (its day is said beside it); "" for other kinds


def resolve(db: Database, kind: str, text: str) -> str:
    """The id of the one visible record of `kind` that `text` names, in this order of trust:
    its full id; else every record whose id starts with `text` (four characters at least) or
    whose name or title is `text` (case and accents aside); else, when none is, every record
    whose name has a word starting with each word of `text`, as the app's search box finds
    ("ben" finds Ben Okafor). Raises `NotFoundError` with a sentence when none or several match."""
    text = text.strip()
    if _visible(db, kind, text):
        return text
    found = {**_by_id_start(db, kind, text), **by_name(db, kind, text, exactly=True)}
    if not found:
        found = by_name(db, kind, text, exactly=False)
    if len(found) == 1:
        return next(iter(found))
    raise NotFoundError(_several(kind, text, list(found.values())) if found else _none(kind, text))


def by_name(db: Database, kind: str, text: str, *, exactly: bool) -> dict[str, Named]:
    """The visible records of `kind` (member, event or task) whose name or title is `text`,
    case and accents aside (`exactly`), or has a word starting with each word of `text` (not
    `exactly`: "ben" finds Ben Okafor). Keyed by id; empty for a kind people do not name."""
    field = NAMED_BY.get(kind)
    if field is None:
        return {}
    everyone = _names(db, kind, field)
    if exactly:
        wanted = plain(text.strip())
        return {n.id: n for n in everyone if wanted and plain(n.name) == wanted}
    words = _words(text)
    return {n.id: n for n in everyone if words and _begins_words(n.name, words)}


def said(kind: str, named: Named) -> str:
    """One record as a refusal lists it: its short id, its name and, for an event, its day."""
    return f"{named.id[:8]} {named.name}" + (f" on {_day(named.start)}" if kind == "event" and named.start else "")


def _visible(db: Database, kind: str, record_id: str) -> bool:
    return db.execute("SELECT 1 FROM records WHERE id = ? AND kind = ? AND deleted = 0",
                      [record_id, kind]).fetchone() is not None


def _by_id_start(db: Database, kind: str, text: str) -> dict[str, Named]:
    if len(text) < LEAST_ID_START or not text.isalnum():
        return {}
    field = NAMED_BY.get(kind, "title")
    rows = db.execute(
        f"SELECT id, json_extract(data, '$.{field}'), json_extract(data, '$.start') FROM records "
        "WHERE kind = ? AND deleted = 0 AND id LIKE ?", [kind, text.lower() + "%"]).fetchall()
    return {rid: Named(rid, name or "", start or "") for rid, name, start in rows}


def _names(db: Database, kind: str, field: str) -> list[Named]:
    rows = db.execute(
        f"SELECT id, json_extract(data, '$.{field}'), json_extract(data, '$.start') FROM records "
        "WHERE kind = ? AND deleted = 0", [kind]).fetchall()
    return [Named(rid, name, start or "") for rid, name, start in rows if isinstance(name, str)]


def _words(text: str) -> list[str]:
    return _WORD.findall(plain(text))


def _begins_words(name: str, words: list[str]) -> bool:
    own = _words(name)
    return all(any(w.startswith(word) for w in own) for word in words)


def _none(kind: str, text: str) -> str:
    label = KINDS[kind].label
    if kind not in NAMED_BY:
        return f"there is no {label} with id '{text}'."
    called = "is called" if kind == "member" else "has the title"
    return f"no {label} {called} or has the id '{text}' (see 'organiser {kind} list')."


def _several(kind: str, text: str, found: list[Named]) -> str:
    found.sort(key=lambda n: (n.start, plain(n.name), n.id))
    listed = [said(kind, n) for n in found[:LISTED]]
    more = f" and {len(found) - LISTED} more" if len(found) > LISTED else ""
    return (f"{len(found)} {KINDS[kind].label}s match '{text}' ({', '.join(listed)}{more}); "
            "give the id, or its first characters, of the one you mean.")


def _day(start: str) -> str:
    try:
        return datetime.fromisoformat(start[:16]).strftime("%a %-d %b %Y")
    except ValueError:
        return start
