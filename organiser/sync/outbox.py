"""What to send a peer, read straight from the change log as signed bytes.

Changesets travel exactly as they were signed, so the sender never needs to parse
them: it reads (author, seq, body, signature) rows, which is several times cheaper than
decoding each changeset only to encode it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class Outgoing:
    author: str
    seq: int
    body: bytes
    signature: bytes


def missing(db: Database, vector: dict[str, int], limit: int) -> list[Outgoing]:
    """Up to `limit` changesets we hold beyond `vector`, in per-author seq order."""
    out: list[Outgoing] = []
    authors = [a for (a,) in db.execute("SELECT DISTINCT author FROM changes ORDER BY author")]
    for author in authors:
        room = limit - len(out)
        if room <= 0:
            break
        out.extend(Outgoing(author, seq, bytes(body), bytes(sig)) for seq, body, sig in db.execute(
            "SELECT seq, body, signature FROM changes WHERE author = ? AND seq > ? ORDER BY seq LIMIT ?",
            [author, vector.get(author, 0), room]))
    return out


def stored_after(db: Database, local_id: int, limit: int = 1000) -> tuple[int, list[Outgoing]]:
    """Changesets stored after a local arrival number, and the newest number seen."""
    rows = db.execute("SELECT id, author, seq, body, signature FROM changes WHERE id > ? ORDER BY id LIMIT ?",
                      [local_id, limit]).fetchall()
    if not rows:
        return local_id, []
    return rows[-1][0], [Outgoing(a, s, bytes(b), bytes(sig)) for _id, a, s, b, sig in rows]
