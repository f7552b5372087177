"""Reading the visible state: one record, lists by kind, full-text search, counts.

A visible record is one not deleted and holding every field its kind needs: a peer's edit
of a record can arrive before the change that made it (from a third device), and until the
rest arrives the lists and pickers leave it out, so no reader meets an event without a start.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, NamedTuple

import orjson
from sqlite_utils import Database

from organiser.core.letters import base_letters
from organiser.core.phone_words import typed_phone
from organiser.core.records import MAIN_KINDS, complete
from organiser.store.database import in_chunks
from organiser.store.materialise import flush_search_index

_TOKEN = re.compile(r"\w+", re.UNICODE)


class StoredRecord(NamedTuple):
    """One record as stored, deleted or not (`get_record`)."""

    kind: str
    values: dict[str, Any]
    deleted: bool


class StoredRow(NamedTuple):
    """One record as the live views read it (`rows_by_ids`): `deleted` is also true for a record
    still lacking a field its kind needs, which the views skip like a deleted one."""

    rowid: int
    kind: str
    values: dict[str, Any]
    deleted: bool


def fts_query(text: str) -> str | None:
    """Turn what a person typed into an FTS5 query: every word, as a prefix."""
    tokens = _TOKEN.findall(base_letters(text))
    if not tokens:
        return None
    words = " ".join(f'"{t}"*' for t in tokens)
    phone = typed_phone(text)  # '06 12 34': also the number's digits together (core/phone_words.py)
    return f'"{phone}"* OR ({words})' if phone else words


def search_index_ready(db: Database) -> None:
    """Index text written since the last search (every full-text query calls this first)."""
    flush_search_index(db)


def get_record(db: Database, record_id: str) -> StoredRecord | None:
    """The record with this id, deleted or not (None when the id was never written here)."""
    row = db.execute("SELECT kind, data, deleted FROM records WHERE id = ?", [record_id]).fetchone()
    if row is None:
        return None
    return StoredRecord(row[0], json.loads(row[1]), bool(row[2]))


def visible_ids(db: Database, kind: str, ids: Iterable[str]) -> set[str]:
    """Which of the given ids are visible records of `kind` (by index, without reading them)."""
    out: set[str] = set()
    for chunk, marks in in_chunks(ids):
        out.update(rid for (rid,) in db.execute(
            f"SELECT id FROM records WHERE id IN ({marks}) AND kind = ? AND deleted = 0", [*chunk, kind]))
    return out


def exists(db: Database, kind: str, record_id: str) -> bool:
    return db.execute(
        "SELECT 1 FROM records WHERE id = ? AND kind = ? AND deleted = 0", [record_id, kind]
    ).fetchone() is not None


def list_records(
    db: Database,
    kind: str,
    *,
    search: str | None = None,
    link1: str | None = None,
    link2: str | None = None,
    include_deleted: bool = False,
    limit: int | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    where, params = _record_filter(kind, link1, link2, include_deleted)
    if search is None:
        sql = f"SELECT r.id, r.data FROM records r WHERE {where} ORDER BY r.rowid"
    else:
        query = fts_query(search)
        search_index_ready(db)
        if query is None:
            return list_records(db, kind, link1=link1, link2=link2,
                                include_deleted=include_deleted, limit=limit)
        sql = ("SELECT r.id, r.data FROM records_fts f JOIN records r ON r.rowid = f.rowid "
               f"WHERE records_fts MATCH ? AND {where} ORDER BY f.rank")
        params.insert(0, query)
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = [(rid, json.loads(data)) for rid, data in db.execute(sql, params)]
    if include_deleted:  # everything stored (a backup), whole or not
        return rows
    return [(rid, values) for rid, values in rows if complete(kind, values)]


def _record_filter(kind: str, link1: str | None, link2: str | None, include_deleted: bool) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) picking records of a kind by their links."""
    where = ["r.kind = ?"]
    params: list[Any] = [kind]
    if not include_deleted:
        where.append("r.deleted = 0")
    for column, value in (("r.link1", link1), ("r.link2", link2)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    return " AND ".join(where), params


def search_ids(db: Database, kind: str, text: str) -> list[str]:
    """Ids of visible records of a kind matching `text`, best match first."""
    query = fts_query(text)
    search_index_ready(db)
    if query is None:
        return []
    return [rid for (rid,) in db.execute(
        "SELECT r.id FROM records_fts f JOIN records r ON r.rowid = f.rowid "
        "WHERE records_fts MATCH ? AND r.kind = ? AND r.deleted = 0 ORDER BY f.rank",
        [query, kind],
    )]


def traits_by_member(db: Database, kind: str, field: str, members: Iterable[str] | None = None) -> dict[str, list[str]]:
    """{member id: sorted roles (or skills)}, for all members or the given ones."""
    out: dict[str, list[str]] = {}
    for member, value in trait_pairs(db, kind, field, members):
        out.setdefault(member, []).append(value)
    for values in out.values():
        values.sort(key=str.casefold)
    return out


def counts(db: Database) -> dict[str, int]:
    found = dict(db.execute(
        "SELECT kind, count(*) FROM records WHERE deleted = 0 GROUP BY kind"
    ).fetchall())
    return {kind: found.get(kind, 0) for kind in MAIN_KINDS}


def conflicts(db: Database) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT c.id, c.kind, c.record, c.field, c.value, c.hlc, c.device, c.winner_hlc, "
        "c.winner_device, r.data FROM conflicts c LEFT JOIN records r ON r.id = c.record "
        "ORDER BY c.id"
    ).fetchall()
    out = []
    for cid, kind, record, field, value, hlc, device, w_hlc, w_dev, data in rows:
        current = json.loads(data).get(field) if data else None
        lost = json.loads(value) if value is not None else None
        if lost == current:
            continue  # a concurrent write that agrees with what is shown: nothing was lost
        out.append({
            "id": cid, "kind": kind, "record": record, "field": field,
            "value": lost, "current": current, "version": [hlc, device], "winner": [w_hlc, w_dev],
        })
    return out


def incidents(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    from organiser.store.incidents import listed

    return listed(db, limit)


# ---- for the desktop app's live models: few round trips, no ranking -----------------------

def visible_rows(db: Database, kind: str) -> list[tuple[int, str, dict[str, Any]]]:
    """(rowid, id, values) of every visible record of a kind, in storage order."""
    rows = [(rowid, rid, json.loads(data)) for rowid, rid, data in db.execute(
        "SELECT rowid, id, data FROM records WHERE kind = ? AND deleted = 0", [kind])]
    return [row for row in rows if complete(kind, row[2])]


def trait_pairs(db: Database, kind: str, field: str, members: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(member id, value) of visible roles or skills, for all members or the given ones."""
    path = f"$.{field}"
    if members is None:
        return list(db.execute(
            "SELECT link1, json_extract(data, ?) FROM records WHERE kind = ? AND deleted = 0", [path, kind]))
    out: list[tuple[str, str]] = []
    for chunk, marks in in_chunks(members):
        out += db.execute(
            # "+kind": look members up by the link index, not by scanning every role
            f"SELECT link1, json_extract(data, ?) FROM records WHERE link1 IN ({marks}) "
            "AND +kind = ? AND +deleted = 0", [path, *chunk, kind]).fetchall()
    return out


def matching_rowids(db: Database, text: str, rowids: Iterable[int]) -> set[int]:
    """Which of the given rowids match `text` in the full-text index."""
    query = fts_query(text)
    search_index_ready(db)
    wanted = list(rowids)
    if query is None:
        return set(wanted)
    out: set[int] = set()
    for chunk, marks in in_chunks(wanted):
        out.update(r for (r,) in db.execute(
            f"SELECT rowid FROM records_fts WHERE records_fts MATCH ? AND rowid IN ({marks})", [query, *chunk]))
    return out


def find_records(db: Database, kind: str, text: str, limit: int = 12) -> list[tuple[str, dict[str, Any]]]:
    """A few visible records of a kind matching `text` as word prefixes, unranked: for pickers
    that must answer each keystroke at once (ranking every match of "m" among 50,000 members
    costs more than a keystroke may)."""
    query = fts_query(text)
    if query is None:
        return []
    search_index_ready(db)
    rows = [(rid, json.loads(data)) for rid, data in db.execute(
        "SELECT r.id, r.data FROM records_fts f JOIN records r ON r.rowid = f.rowid "
        "WHERE records_fts MATCH ? AND r.kind = ? AND r.deleted = 0 LIMIT ?", [query, kind, int(limit)])]
    return [(rid, values) for rid, values in rows if complete(kind, values)]


# ---- one value per query, for the desktop app while a sync runs on another thread ---------
# Stepping through a result row by row lets go of Python's GIL at every row; while another
# thread (a peer's sync) is busy, taking it back can wait milliseconds each time. These read
# the same things as above, but SQLite packs each answer into one JSON (or text) value.

def rows_by_ids(db: Database, ids: Iterable[str]) -> dict[str, StoredRow]:
    """{id: StoredRow} for the given ids, deleted ones included; one
    packed value per 500 ids. A record lacking a field its kind needs reads as deleted (not
    shown): the views drop or skip it like one, and show it once the rest arrives."""
    out: dict[str, StoredRow] = {}
    for chunk, marks in in_chunks(ids):
        (packed,) = db.execute(
            "SELECT '[' || group_concat(json_array(rowid, id, kind, deleted) || ',' || data, ',') || ']' "
            f"FROM records WHERE id IN ({marks})", chunk).fetchone()
        flat = orjson.loads(packed) if packed else []
        for (rowid, rid, kind, deleted), values in zip(flat[::2], flat[1::2], strict=True):
            out[rid] = StoredRow(rowid, kind, values, bool(deleted) or not complete(kind, values))
    return out


def member_traits(db: Database, members: Iterable[str]) -> list[tuple[str, str, str]]:
    """(member id, "member_role" or "member_skill", value) of the given members' visible
    roles and skills, one packed value per 500 members."""
    out: list[tuple[str, str, str]] = []
    for chunk, marks in in_chunks(members):
        (packed,) = db.execute(
            "SELECT json_group_array(json_array(link1, kind, json_extract(data, "
            "CASE kind WHEN 'member_role' THEN '$.role' ELSE '$.skill' END))) "
            f"FROM records WHERE link1 IN ({marks}) AND +kind IN ('member_role', 'member_skill') AND +deleted = 0",
            chunk).fetchone()
        out += [(member, kind, value) for member, kind, value in orjson.loads(packed)]
    return out


def search_rowids(db: Database, text: str) -> set[int] | None:
    """Rowids of records (any kind) whose searchable text matches `text` as word prefixes,
    straight from the full-text index; None when `text` has no words (no filter). One packed
    value: a lone letter matches tens of thousands of records, and fetching them row by row
    costs more than the search itself."""
    query = fts_query(text)
    search_index_ready(db)
    if query is None:
        return None
    (packed,) = db.execute("SELECT group_concat(rowid) FROM records_fts WHERE records_fts MATCH ?", [query]).fetchone()
    return set(orjson.loads(f"[{packed}]")) if packed else set()


def tidy_search_index(db: Database, pages: int = 500) -> bool:
    """One step of merging the full-text index's segments (at most about `pages` pages
    written, one short transaction); True while there was work to do. A bulk indexing (an
    import, a first sync) leaves many small segments, and every search merges them again
    until they are merged (`python -m tests.perf.ui`, `search_after_arrival_ms`)."""
    before = db.conn.total_changes
    db.execute("INSERT INTO records_fts (records_fts, rank) VALUES ('merge', ?)", [-abs(int(pages))])
    return db.conn.total_changes - before > 1


def meetings_matching(db: Database, text: str) -> list[str]:
    """Ids of visible events whose meeting says every word of `text` (as word starts, case
    aside): in its minutes, or in one of its agenda items or proposals (the full-text index).
    Unranked. What finds 'the assembly where we decided X' months on, when every assembly
    has the same title. Minutes are one row per meeting (52 a year): read and matched here."""
    tokens = _folded_words(text)
    if not tokens:
        return []
    found = {event for event, minutes in db.execute("SELECT event, text FROM minutes")
             if _says_every_word(minutes, tokens)}
    search_index_ready(db)
    found.update(event for (event,) in db.execute(
        "SELECT r.link1 FROM records_fts f JOIN records r ON r.rowid = f.rowid "
        "WHERE records_fts MATCH ? AND r.kind IN ('agenda_item', 'proposal') AND r.deleted = 0",
        [fts_query(text)]))
    return sorted(visible_ids(db, "event", found))


def _says_every_word(text: str, tokens: list[str]) -> bool:
    words = set(_folded_words(text))
    return all(any(word.startswith(token) for word in words) for token in tokens)


# Words as the full-text index sees them ('unicode61 remove_diacritics 2'): lower case, accents
# dropped (also one typed as a combining mark), '_' between words; 'ß' is 'ss' and 'ı' is 'i' there
# (core/letters.py `base_letters`), so no casefold.
_WORD = re.compile(r"[^\W_]+")
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _folded_words(text: str) -> list[str]:
    if not text.isascii():
        text = _MARKS.sub("", unicodedata.normalize("NFD", base_letters(text)))
    return _WORD.findall(text.lower())


def events_with_meetings(db: Database) -> list[str]:
    """Ids of visible events that held a meeting: minutes written, or an agenda item or a
    proposal put. Unordered."""
    found = {event for (event,) in db.execute("SELECT event FROM minutes WHERE text != ''")}
    found.update(event for (event,) in db.execute(
        "SELECT DISTINCT link1 FROM records WHERE kind IN ('agenda_item', 'proposal') AND deleted = 0"))
    return sorted(visible_ids(db, "event", found))
