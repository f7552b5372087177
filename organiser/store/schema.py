"""Named, transactional schema migrations (sqlite-utils `Migrations`).

Never edit a migration that has shipped: add a new one, and a test that runs it from
the schema before it.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("organiser")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        -- Every changeset ever written or received, as signed bytes. The rowid is the
        -- local arrival order, which the sync layer follows to push what is new.
        CREATE TABLE changes (
            id INTEGER PRIMARY KEY,
            author TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            prev TEXT NOT NULL,
            hash TEXT NOT NULL,
            body BLOB NOT NULL,
            signature BLOB NOT NULL,
            UNIQUE (author, seq)
        );

        -- Highest contiguous sequence number held per author device.
        CREATE TABLE vector (author TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;

        -- The visible state, materialised from the changes: one row per record, values
        -- and per-field versions as JSON.
        CREATE TABLE records (
            rowid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            data TEXT NOT NULL,
            versions TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            search TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX records_kind ON records (kind, deleted);

        CREATE TABLE conflicts (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            record TEXT NOT NULL,
            field TEXT NOT NULL,
            value TEXT,
            hlc INTEGER NOT NULL,
            device TEXT NOT NULL,
            winner_hlc INTEGER NOT NULL,
            winner_device TEXT NOT NULL,
            UNIQUE (record, field, hlc, device)
        );

        -- Changesets refused, and peers' clocks seen far in the future: kept so people
        -- can see what was refused and why.
        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            what TEXT NOT NULL,
            author TEXT,
            seq INTEGER,
            detail TEXT NOT NULL
        );

        -- Full-text search over members, events and tasks, kept in step by triggers.
        CREATE VIRTUAL TABLE records_fts USING fts5 (
            search, content = 'records', content_rowid = 'rowid',
            tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
        );
        CREATE TRIGGER records_ai AFTER INSERT ON records WHEN new.search != '' BEGIN
            INSERT INTO records_fts (rowid, search) VALUES (new.rowid, new.search);
        END;
        CREATE TRIGGER records_ad AFTER DELETE ON records WHEN old.search != '' BEGIN
            INSERT INTO records_fts (records_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
        END;
        CREATE TRIGGER records_au AFTER UPDATE OF search ON records
        WHEN old.search IS NOT new.search BEGIN
            INSERT INTO records_fts (records_fts, rowid, search)
                SELECT 'delete', old.rowid, old.search WHERE old.search != '';
            INSERT INTO records_fts (rowid, search) SELECT new.rowid, new.search WHERE new.search != '';
        END;
        """
    )


@migrations()
def m002_relational_index(db: Database) -> None:
    # Lookups by linked record (RSVPs of an event, tasks of a member, roles of a member).
    db.executescript(
        """
        ALTER TABLE records ADD COLUMN link1 TEXT;
        ALTER TABLE records ADD COLUMN link2 TEXT;
        UPDATE records SET
            link1 = CASE kind
                WHEN 'rsvp' THEN json_extract(data, '$.event')
                WHEN 'task' THEN json_extract(data, '$.event')
                WHEN 'member_role' THEN json_extract(data, '$.member')
                WHEN 'member_skill' THEN json_extract(data, '$.member') END,
            link2 = CASE kind
                WHEN 'rsvp' THEN json_extract(data, '$.member')
                WHEN 'task' THEN json_extract(data, '$.assignee') END;
        CREATE INDEX records_link1 ON records (link1) WHERE link1 IS NOT NULL;
        CREATE INDEX records_link2 ON records (link2) WHERE link2 IS NOT NULL;
        """
    )


def migrate(db: Database) -> None:
    migrations.apply(db)
