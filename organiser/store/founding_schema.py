"""The schema as the first releases built it: migrations m001 to m012 (the change log, records
and their index, peers, membership, peer checks, meetings, fork settlements, shared folders).
The set goes on in store/schema.py; never edit one that has shipped.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from organiser.store.sqlscript import run_script

migrations = Migrations("organiser")


@migrations()
def m001_initial(db: Database) -> None:
    run_script(db,
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

        -- Full-text search over members, events and tasks. Writes note which records'
        -- text changed in search_pending (with the text the index still holds); the index
        -- catches up in bulk before the next search or after a big sync. Updating FTS5 on
        -- every small transaction cost more than the rest of a local write together.
        CREATE TABLE search_pending (id TEXT PRIMARY KEY, indexed TEXT NOT NULL) WITHOUT ROWID;
        CREATE VIRTUAL TABLE records_fts USING fts5 (
            search, content = 'records', content_rowid = 'rowid',
            tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
        );
        """
    )


@migrations()
def m002_relational_index(db: Database) -> None:
    # Lookups by linked record (RSVPs of an event, tasks of a member, roles of a member).
    run_script(db,
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


@migrations()
def m003_peers(db: Database) -> None:
    # Local, not replicated: which devices this one has seen on the network, where, and
    # when it last synced with each, so `status` (another process) can show them and a
    # restart can dial last-known addresses when multicast is blocked.
    run_script(db,
        """
        CREATE TABLE peers (
            device TEXT PRIMARY KEY,
            address TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'offline',
            last_seen REAL,
            last_sync REAL
        );
        """
    )


@migrations()
def m004_settled_versions(db: Database) -> None:
    # Field versions a later write overwrote knowingly (its base) or that someone settled.
    # Such a version is never listed as a conflict, whichever order the writes arrive in,
    # so every device lists the same conflicts.
    run_script(db,
        """
        CREATE TABLE settled (
            record TEXT NOT NULL,
            field TEXT NOT NULL,
            hlc INTEGER NOT NULL,
            device TEXT NOT NULL,
            PRIMARY KEY (record, field, hlc, device)
        ) WITHOUT ROWID;
        """
    )


@migrations()
def m005_search_watermark(db: Database) -> None:
    # New records are no longer noted one by one in search_pending: every record above the
    # rowid kept here waits to be indexed. Until now, every record was indexed or noted.
    db.execute(
        "INSERT INTO meta (key, value) SELECT 'search_indexed_upto', coalesce(max(rowid), 0) FROM records "
        "WHERE true ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )


@migrations()
def m006_membership(db: Database) -> None:
    # Who belongs is now decided by the signed membership log (core/membership.py), not by
    # last-writer-wins `device` records. `membership_log` holds every entry received;
    # `devices` the roster the rules make of them (rebuilt whenever an entry arrives);
    # `withdrawn_changes` the changesets a removal took back (kept, should a more senior
    # admin's entry undo that removal); `legacy_roster` the devices of a group made before
    # the log, admitted until the founder restates them; `invites` the codes this device
    # made (local: a code is redeemed only where it was made).
    run_script(db,
        """
        CREATE TABLE membership_log (
            author TEXT NOT NULL,
            seq INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            action TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (author, seq, idx)
        ) WITHOUT ROWID;
        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            public_key TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            admitted_by TEXT NOT NULL DEFAULT '',
            invite TEXT NOT NULL DEFAULT '',
            admin INTEGER NOT NULL DEFAULT 0,
            removed_kept INTEGER,
            removed_by TEXT NOT NULL DEFAULT '',
            removed_hlc INTEGER NOT NULL DEFAULT 0,
            rank INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE TABLE withdrawn_changes (
            author TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            prev TEXT NOT NULL,
            hash TEXT NOT NULL,
            body BLOB NOT NULL,
            signature BLOB NOT NULL,
            PRIMARY KEY (author, seq)
        ) WITHOUT ROWID;
        CREATE TABLE legacy_roster (
            device TEXT PRIMARY KEY,
            public_key TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            admitted_by TEXT NOT NULL DEFAULT ''
        ) WITHOUT ROWID;
        CREATE TABLE invites (
            id TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            expires_at INTEGER NOT NULL,
            made_at INTEGER NOT NULL,
            used_by TEXT,
            used_at INTEGER
        );
        INSERT OR IGNORE INTO legacy_roster (device, public_key, name, admitted_by)
            SELECT id, json_extract(data, '$.public_key'), coalesce(json_extract(data, '$.name'), ''),
                   coalesce(json_extract(data, '$.invited_by'), '')
            FROM records WHERE kind = 'device' AND deleted = 0
            AND json_extract(data, '$.public_key') IS NOT NULL;
        """
    )
    from organiser.store.membership import refresh_roster

    refresh_roster(db)



@migrations()
def m007_peer_checks(db: Database) -> None:
    # Incidents are counted, one row per (device, reason), so a peer sending refused
    # changesets by the thousand adds no rows; `reason` is one of a fixed set of codes
    # (organiser/store/incidents.py) and `detail` the latest sentence. `forks` keeps the
    # proof of equivocation: a second validly signed changeset with a number already held
    # (the first stays in `changes`); its author's changesets from that number on are set aside.
    run_script(db,
        """
        CREATE TABLE incidents_counted (
            device TEXT NOT NULL,
            reason TEXT NOT NULL,
            count INTEGER NOT NULL,
            first_at TEXT NOT NULL,
            last_at TEXT NOT NULL,
            seq INTEGER,
            detail TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (device, reason)
        ) WITHOUT ROWID;
        INSERT INTO incidents_counted (device, reason, count, first_at, last_at, seq, detail)
            SELECT coalesce(author, ''), what, count(*), min(at), max(at), max(seq),
                   (SELECT i2.detail FROM incidents i2 WHERE coalesce(i2.author, '') = coalesce(i.author, '')
                    AND i2.what = i.what ORDER BY i2.id DESC LIMIT 1)
            FROM incidents i GROUP BY coalesce(author, ''), what;
        DROP TABLE incidents;
        ALTER TABLE incidents_counted RENAME TO incidents;

        CREATE TABLE forks (
            id INTEGER PRIMARY KEY,
            author TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            body BLOB NOT NULL,
            signature BLOB NOT NULL,
            found_at TEXT NOT NULL
        );
        CREATE INDEX forks_author ON forks (author, seq);
        """
    )



@migrations()
def m010_meetings(db: Database) -> None:
    # Meeting minutes, merged by the CRDT (store/minutes.py): per event a compacted snapshot,
    # the merged text (for the state hash, `minutes show` and exports), and the updates since
    # the snapshot with the state each was made against. Agenda items, proposals and votes are
    # ordinary records; link1 finds them by event (agenda items, proposals) or proposal (votes).
    run_script(db,
        """
        CREATE TABLE minutes (
            event TEXT PRIMARY KEY,
            snapshot BLOB NOT NULL,
            text TEXT NOT NULL,
            version INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE minutes_updates (
            id INTEGER PRIMARY KEY,
            event TEXT NOT NULL,
            data BLOB NOT NULL,
            deps BLOB NOT NULL
        );
        CREATE INDEX minutes_updates_event ON minutes_updates (event, id);
        """
    )


@migrations()
def m011_fork_settlements(db: Database) -> None:
    # An admin ends a fork by keeping one version (a membership `keep` entry). The log's rules
    # decide which choices stand; `fork_settlements` holds them (rebuilt with the roster).
    # `forks_set_aside` holds, per author, the number from which its changesets are set aside
    # (an undecided fork), as the walk over its versions found it (store/forks.py); until now
    # that was the lowest number in `forks`, which from now on also keeps the branch not kept.
    run_script(db,
        """
        CREATE TABLE fork_settlements (
            author TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL,
            decided_by TEXT NOT NULL,
            decided_hlc INTEGER NOT NULL,
            PRIMARY KEY (author, seq)
        ) WITHOUT ROWID;
        CREATE TABLE forks_set_aside (author TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO forks_set_aside (author, seq) SELECT author, min(seq) FROM forks GROUP BY author;
        """
    )


@migrations()
def m012_folders(db: Database) -> None:
    # Shared folders this device syncs through (store/folders.py): where, the number of its
    # next segment, and what each file in it held when last read (size and mtime say whether
    # it changed since); folder keys received sealed to this device (inside the encrypted db);
    # invites left in a folder, with their token (the joiner's answer is sealed with it).
    run_script(db,
        """
        CREATE TABLE folders (
            path TEXT PRIMARY KEY,
            added_at REAL NOT NULL,
            next_segment INTEGER NOT NULL DEFAULT 1,
            last_pass_at REAL,
            last_error TEXT NOT NULL DEFAULT '',
            shared TEXT NOT NULL DEFAULT '',
            scanned_upto INTEGER NOT NULL DEFAULT 0,
            scanned_coverage TEXT NOT NULL DEFAULT '{}'
        ) WITHOUT ROWID;
        CREATE TABLE folder_files (
            folder TEXT NOT NULL,
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            state TEXT NOT NULL,
            writer TEXT NOT NULL DEFAULT '',
            covers TEXT NOT NULL DEFAULT '{}',
            detail TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (folder, path)
        ) WITHOUT ROWID;
        CREATE TABLE folder_keys (
            key_id BLOB PRIMARY KEY,
            key BLOB NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE folder_invites (
            stem TEXT PRIMARY KEY,
            folder TEXT NOT NULL,
            invite TEXT NOT NULL,
            token BLOB NOT NULL
        ) WITHOUT ROWID;
        """
    )
