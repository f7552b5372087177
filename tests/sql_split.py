"""sqlite-utils 4.2 splits a script run inside a transaction (each schema migration's) into
statements by joining its text again after every character and asking SQLite whether that is a
complete statement: quadratic in a statement's length, half the time of creating a group (0.47 s of
create_group, 0.24 s with the split below, at load 10), and the suite creates groups in hundreds of
tests. The suite runs sqlite-utils with `linear_split` instead: the same statements, found by asking
only at each semicolon, where a statement can first be complete (a statement is complete when it
ends in a semicolon that closes it; whitespace and comments after it come after the split in both).
tests/store/test_sql_split.py checks that both give the same statements for every migration."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from organiser.store import cipher  # before sqlite-utils: it points sqlite-utils at sqlcipher3

ORIGINAL: Callable[[str], Iterator[str]]  # sqlite-utils' own, kept by install()


def linear_split(sql: str) -> Iterator[str]:
    start = 0
    end = sql.find(";")
    while end != -1:
        piece = sql[start:end + 1].strip()
        if piece and cipher.dbapi().complete_statement(piece):
            yield piece
            start = end + 1
        end = sql.find(";", end + 1)
    rest = sql[start:].strip()
    if rest:
        yield rest


def install() -> None:
    global ORIGINAL
    import sqlite_utils.db

    ORIGINAL = sqlite_utils.db._iter_complete_sql_statements
    sqlite_utils.db._iter_complete_sql_statements = linear_split
