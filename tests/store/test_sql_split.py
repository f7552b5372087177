"""The migrations' split of a script into statements (store/sqlscript.py) gives what
sqlite-utils' own gives, for every script the schema's migrations run, and for the awkward cases:
semicolons in strings, comments and trigger bodies."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils.db

from organiser.services.group import create_group
from organiser.store import sqlscript

AWKWARD = [
    "CREATE TABLE a(x TEXT DEFAULT ';');\nINSERT INTO a VALUES ('x;y'); -- a comment; with a semicolon\n",
    "CREATE TABLE b(y);\n/* a comment; */ CREATE TRIGGER t AFTER INSERT ON b BEGIN\n"
    "  UPDATE b SET y = 1; DELETE FROM b WHERE y = ';';\nEND;\n  \n",
    "SELECT 1",
    "  ;  ; SELECT 2;",
    "",
]


@pytest.mark.parametrize("sql", AWKWARD)
def test_the_awkward_cases_split_alike(sql: str) -> None:
    assert list(sqlscript.statements(sql)) == list(sqlite_utils.db._iter_complete_sql_statements(sql))


def test_every_migration_script_splits_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scripts: list[str] = []

    theirs = sqlite_utils.db._iter_complete_sql_statements
    ours = sqlscript.statements

    def both(sql: str) -> list[str]:
        scripts.append(sql)
        found = list(ours(sql))
        assert found == list(theirs(sql))
        return found

    monkeypatch.setattr(sqlscript, "statements", both)
    create_group(tmp_path / "data", "Tenants Union", "door laptop").close()
    assert len(scripts) >= 10 and sum(s.count(";") for s in scripts) > 40  # the migrations really went through it
