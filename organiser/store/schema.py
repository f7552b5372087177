"""Named, transactional schema migrations (sqlite-utils `Migrations`).

Never edit a migration that has shipped: add a new one, and a test that runs it from
the schema before it. The first ones (m001 to m012) are in store/founding_schema.py; the set
applies them in the order they are registered, those first.
"""

from __future__ import annotations

import orjson
from sqlite_utils import Database

from organiser.core.letters import base_letters
from organiser.core.phone_words import phones_searched
from organiser.store.founding_schema import migrations
from organiser.store.sqlscript import run_script

__all__ = ["migrate", "migrations"]


@migrations()
def m017_compact_changesets(db: Database) -> None:
    # The change log kept each signed body whole, repeating author, group, clock stamp,
    # previous hash and number that its columns hold: now `change_log` keeps the ops part
    # of a canonical body, and the `changes` view gives back the signed bytes unchanged
    # (store/changelog.py). Readers of `changes` see no difference.
    from organiser.store.changelog import compact_existing

    compact_existing(db)


@migrations()
def m018_op_heads(db: Database) -> None:
    # Each field write of a record repeated its kind and id (`["member","<id>",`, about 45
    # bytes, eight times for a new member): the change log now stores the first write's head
    # once, and the `changes` view puts it back, byte for byte (store/changelog.py).
    from organiser.store.changelog import take_out_heads

    take_out_heads(db)


@migrations()
def m019_folder_retries(db: Database) -> None:
    # A file a pass could not use yet (under a key this device lacks, from a device not yet
    # admitted) was read again at every pass, whole: now it is read again only once the keys
    # or the roster it was tried with changed (`tried_with`). Keys sealed to this device are
    # kept per sender, each sender's latest file replacing its earlier keys, so a member
    # sealing made-up keys to us cannot pile them up.
    run_script(db,
        """
        ALTER TABLE folder_files ADD COLUMN tried_with TEXT NOT NULL DEFAULT '';
        CREATE TABLE folder_keys_by_sender (
            sender TEXT NOT NULL,
            key_id BLOB NOT NULL,
            key BLOB NOT NULL,
            PRIMARY KEY (sender, key_id)
        ) WITHOUT ROWID;
        INSERT INTO folder_keys_by_sender (sender, key_id, key) SELECT '', key_id, key FROM folder_keys;
        DROP TABLE folder_keys;
        ALTER TABLE folder_keys_by_sender RENAME TO folder_keys;
        """
    )


@migrations()
def m020_folder_runs(db: Database) -> None:
    # A file read from the folder was noted as holding, per author, one span from its lowest
    # number to its highest, so a member copying an author's first and latest changesets made
    # every number between look held (and nobody wrote them). Files are now noted with the runs
    # they hold (store/folders.py `runs`): those read before are read again at the next pass
    # (applying what they hold again changes nothing). This device's own segments held runs
    # already (it writes an author's numbers in order, from where the folder stopped).
    db.execute("DELETE FROM folder_files WHERE state = 'applied'")
    # A stranger's 99999999.seg made versions before m019 number this device's next segment past
    # the 8 digits readers list, so it could write none: the next pass numbers it again from the
    # segments it noted as its own and those in the folder (services/folder_pass.py `_next_number`).
    db.execute("UPDATE folders SET next_segment = 1 WHERE next_segment > 99999999")


@migrations()
def m021_peer_holds(db: Database) -> None:
    # What each peer holds, per author, as it said when it met this device and as this device
    # sent it since: an admin can then see which laptops have heard of a removal.
    db.execute("ALTER TABLE peers ADD COLUMN holds TEXT NOT NULL DEFAULT '{}'")


@migrations()
def m022_invite_endings(db: Database) -> None:
    # How a code ended before it expired: "burned" (a wrong try at a spoken code) or "withdrawn"
    # (the other code of the same invitation let a laptop in), so whoever tries it later is told
    # that, not "expired".
    db.execute("ALTER TABLE invites ADD COLUMN ended TEXT NOT NULL DEFAULT ''")


@migrations()
def m023_search_base_letters(db: Database) -> None:
    # The searchable text now holds 'ı', 'ł', 'ß' and the like as the letters people type for
    # them ('i', 'l', 'ss'), as searches do (core/letters.py), and a member's phones also as the
    # digits people type (core/phone_words.py). Text written before is rewritten;
    # where the index holds the old text, the record is noted for the index to catch up, as an
    # edit is (store/materialise.py `flush_search_index`).
    from organiser.store.materialise import rewrite_search_texts

    rewrite_search_texts(db, ((rowid, rid, old, base_letters(old) + phones_searched(kind, orjson.loads(data)))
                              for rowid, rid, kind, data, old in db.execute(
                                  "SELECT rowid, id, kind, data, search FROM records WHERE search != ''")))


@migrations()
def m024_erasure(db: Database) -> None:
    # Forgetting a member (docs/erasure.md): the records each erasure order forgets, and the
    # changesets it lists with the hash of each one's stub (store/erasure.py).
    run_script(db,
        """
        CREATE TABLE erasure_orders (
            author TEXT NOT NULL,
            seq INTEGER NOT NULL,
            record TEXT NOT NULL,
            PRIMARY KEY (record, author, seq)
        ) WITHOUT ROWID;
        CREATE TABLE erasure_listed (
            author TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL,
            stub_hash TEXT NOT NULL,
            PRIMARY KEY (author, seq, stub_hash)
        ) WITHOUT ROWID;
        """
    )


@migrations()
def m025_change_mentions(db: Database) -> None:
    # Who changed what… read the whole change log to find the changesets naming a meeting (1.9 s
    # on a year-old group, on the window's thread): `change_mentions` indexes the records each
    # changeset names (store/mentions.py).
    from organiser.store.mentions import create

    create(db)


@migrations()
def m026_proposal_outcomes_searched(db: Database) -> None:
    # A closed proposal's outcome is searched ("the assembly that decided the hardship fund"):
    # proposals closed before get it in their searchable text; where the index holds the old
    # text, the record is noted for the index to catch up, as an edit is.
    from organiser.store.materialise import rewrite_search_texts, search_text

    proposals = db.execute("SELECT rowid, id, data, search FROM records WHERE kind = 'proposal' AND deleted = 0")
    rewrite_search_texts(db, ((rowid, rid, old, search_text("proposal", orjson.loads(data)))
                              for rowid, rid, data, old in proposals))


@migrations()
def m027_erasure_refused(db: Database) -> None:
    # Late edits of a forgotten member refused here, remembered so peers stop sending them and
    # what follows them at every sync (store/late_edits.py).
    from organiser.store.late_edits import create

    create(db)


@migrations()
def m028_change_log_ids_never_given_again(db: Database) -> None:
    # Changesets taken back from the top of the change log had their ids given to the next ones
    # stored, and readers going on from the last id they read (the window's watch of what another
    # process stored) missed those: ids now only grow (store/changelog.py).
    from organiser.store.changelog import ids_never_given_again

    ids_never_given_again(db)


def migrate(db: Database) -> None:
    migrations.apply(db)
