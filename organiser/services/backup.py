"""Full backups: the whole group as a versioned JSON document, and restoring one as a new
copy of the group by replaying its signed change log."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from organiser import __version__
from organiser.core.changeset import Changeset, decode_changeset
from organiser.core.errors import OrganiserError
from organiser.core.records import KINDS
from organiser.formats import backup as backup_format
from organiser.formats.common import FormatError
from organiser.services.group import (
    Group,
    GroupCredentials,
    _initialise,
    _new_group_dir,
)
from organiser.services.group_folders import group_id_of, is_locked, readable_group_ids
from organiser.store import queries
from organiser.store.datadir import group_dirs, set_current

Progress = Callable[[int, int, str], None]  # (done, total, what)


def build_backup(group: Group) -> backup_format.Backup:
    """The whole group as a full backup (formats/backup.py, docs/backup-format.md): every record
    of every kind, deleted ones included, the open conflicts, the signed change log, the group's
    identity (id, name, founder and founder's key), who exported it and when, and the state hash
    the change log must give again. Reads only; raises nothing of its own."""
    records = []
    for kind in KINDS:
        for rid, values in queries.list_records(group.db, kind, include_deleted=True):
            records.append({"id": rid, "kind": kind, "deleted": bool(values.get("deleted")), "values": values})
    changes = [backup_format.BackupChange(cs.author, cs.seq, cs.hash, cs.body, cs.signature)
               for cs in group.replica.iter_changes_since({})]
    creds = group.credentials()
    return backup_format.Backup(
        group={"id": group.id, "name": group.name, "founder": creds.founder, "founder_key": creds.founder_key},
        exported_by={"device_id": group.device_id, "device_name": group.device_name},
        exported_at=datetime.now(UTC).isoformat(timespec="seconds"),
        state_hash=group.replica.state_hash(),
        records=records, conflicts=group.conflicts(), changes=changes, app_version=__version__,
    )


def _locked_group_ids(data_dir: Path, name: str, source: str, passphrase: str | None) -> set[str]:
    """The group ids inside the locked (encrypted) groups of `data_dir`, looked into with the passphrase;
    refused when one cannot be looked into, since it may be this very group (a second copy of a group
    on one device would be a second identity in it)."""
    locked = [path for path in group_dirs(data_dir) if is_locked(path)]
    if not locked:
        return set()
    if passphrase is None:
        raise OrganiserError(f"{data_dir} holds {len(locked)} locked encrypted group(s), which may include "
                             f"'{name}': give their passphrase (--passphrase-file FILE or $ORGANISER_PASSPHRASE) "
                             f"to restore {source} there, or restore it into an empty data directory.")
    return _ids_inside(data_dir, locked, passphrase, name, source)


def _ids_inside(data_dir: Path, locked: list[Path], passphrase: str, name: str, source: str) -> set[str]:
    """The group ids inside the locked groups, each opened with the passphrase; refused when one does not open."""
    found = {path: group_id_of(path, passphrase) for path in locked}
    unopened = [path.name for path, group_id in found.items() if group_id is None]
    if unopened:
        raise OrganiserError(f"the passphrase given does not open the encrypted group(s) in {data_dir} "
                             f"({', '.join(unopened)}), which may include '{name}'; restore {source} into an "
                             "empty data directory.")
    return {group_id for group_id in found.values() if group_id}


def _decoded_changes(backup: backup_format.Backup, source: str) -> list[Changeset]:
    """The backup's change log, decoded; refused at the first change that cannot be read or that
    does not match its recorded hash or the backup's group."""
    changesets = []
    for number, change in enumerate(backup.changes, start=1):
        try:
            cs = decode_changeset(change.body, change.signature)
        except ValueError as exc:
            raise FormatError(f"{source}: change {number} cannot be read ({exc}).") from None
        if cs.hash != change.hash or cs.group != backup.group["id"]:
            raise FormatError(f"{source}: change {number} does not match its recorded hash or group; "
                              "the backup was altered or damaged.")
        changesets.append(cs)
    return changesets


def _replay(group: Group, changesets: list[Changeset], state_hash: str, source: str) -> None:
    """Apply the whole change log to the new copy; refused unless every change is taken and the
    state hashes as the backup recorded."""
    result = group.replica.apply(changesets)
    if result.refused:
        first = result.refused[0]
        raise FormatError(f"{source}: change {first.seq} by laptop {first.author[:8]} was refused "
                          f"({first.reason}); nothing was restored.")
    if group.replica.state_hash() != state_hash:
        raise FormatError(f"{source}: the replayed change log does not give the state the backup "
                          "recorded (state hash differs); nothing was restored.")


def restore_backup(data_dir: Path, data: bytes, source: str, device_name: str = "restored copy",
                   progress: Progress | None = None, *, passphrase: str | None = None) -> Group:
    """Restore a full backup as a new copy of its group in `data_dir`, with a new device
    key, by replaying the signed change log in one transaction; the restored state must
    hash the same as the backup's, or nothing is kept. The new copy becomes the current group.

    `data`: the backup file's bytes; `source`: how to name it in messages (its file name);
    `device_name`: this copy's device name (blank: "restored copy"); `progress(done, total, what)`
    is called before and after the replay; `passphrase`: encrypts the new copy's database, and is
    used to look into the locked groups already in `data_dir`.

    Raises, leaving no copy in `data_dir` (a half-made one is deleted):
    `FormatError` for a file that is not a readable backup, a change that cannot be decoded or
    does not match its recorded hash or group, a change the replay refuses, or a replay whose
    state hash differs from the backup's; `OrganiserError` when `data_dir` already holds this
    group, or holds locked groups that the `passphrase` (or its absence) does not open (one of
    them may be this group)."""
    backup = backup_format.read_backup(data, source)
    group_id = backup.group["id"]
    if group_id in readable_group_ids(data_dir) or group_id in _locked_group_ids(data_dir, backup.group["name"],
                                                                                 source, passphrase):
        raise OrganiserError(f"{data_dir} already holds group '{backup.group['name']}'; restore "
                             f"{source} into an empty data directory (organiser --data-dir DIR import FILE).")
    changesets = _decoded_changes(backup, source)
    path, key = _new_group_dir(data_dir, group_id, passphrase)
    group: Group | None = None
    try:
        creds = GroupCredentials(group_id, backup.group["name"], backup.group["founder"],
                                 backup.group["founder_key"])
        group = _initialise(path, key, creds, device_name.strip() or "restored copy", None)
        if progress is not None:
            progress(0, len(changesets), "restoring")
        _replay(group, changesets, backup.state_hash, source)
        group.replica.set_meta("restored_from", f"{backup.exported_by.get('device_id', '')} {backup.exported_at}")
    except BaseException:
        if group is not None:
            group.close()
        shutil.rmtree(path, ignore_errors=True)
        raise
    if progress is not None:
        progress(len(changesets), len(changesets), "restoring")
    set_current(data_dir, path.name)
    return group
