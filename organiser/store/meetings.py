"""Reads a tally needs many times a second during a vote: ids only, by index, no JSON of
whole records (a group of thousands would otherwise be read in full for each vote)."""

from __future__ import annotations

from sqlite_utils import Database


def member_ids(db: Database) -> set[str]:
    return {rid for (rid,) in db.conn.execute("SELECT id FROM records WHERE kind = 'member' AND deleted = 0")}


def checked_in(db: Database, event: str) -> set[str]:
    """Members checked in to an event right now (deleted members left out)."""
    return {member for (member,) in db.conn.execute(
        "SELECT r.link2 FROM records r JOIN records m ON m.id = r.link2 AND m.kind = 'member' AND m.deleted = 0 "
        "WHERE r.link1 = ? AND r.kind = 'rsvp' AND r.deleted = 0 "
        "AND json_extract(r.data, '$.checked_in_at') IS NOT NULL", [event])}


def members_with_role(db: Database, role: str) -> set[str]:
    """Members (not deleted) with a role, matched as people read it (casefold, so "Délégué"
    is "délégué"; SQLite's lower() folds ASCII only)."""
    wanted = role.casefold()
    return {member for member, value in db.conn.execute(
        "SELECT r.link1, json_extract(r.data, '$.role') FROM records r "
        "JOIN records m ON m.id = r.link1 AND m.kind = 'member' AND m.deleted = 0 "
        "WHERE r.kind = 'member_role' AND r.deleted = 0") if isinstance(value, str) and value.casefold() == wanted}
