"""A group on this device: creating, joining, opening, and what it holds."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from organiser.core.bus import EventBus
from organiser.core.device_name import MAX_DEVICE_NAME, checked_device_name, device_name_problem, one_line
from organiser.core.errors import LockedError, NotFoundError, OrganiserError, ValidationError
from organiser.core.hlc import stamp_to_iso
from organiser.core.keys import device_id_for, public_key_hex, read_private_key
from organiser.core.records import new_id
from organiser.services.deleted import Deleted
from organiser.services.devices import Devices
from organiser.services.events import Events
from organiser.services.forgetting import Forgetting
from organiser.services.forks import Forks
from organiser.services.group_folders import (  # noqa: F401  (the names callers import from here)
    JOINING_META,
    existing_groups,
    find_group_dir,
    group_id_of,
    is_locked,
    read_meta,
    readable_group_ids,
)
from organiser.services.history import History
from organiser.services.meetings import Meetings
from organiser.services.members import Members
from organiser.services.old_laptops import keep_answer
from organiser.services.proposals import Proposals
from organiser.services.tasks import Tasks
from organiser.services.upgrade import upgrade_in_place
from organiser.store import queries
from organiser.store.cipher import forget_key, is_encrypted, key_for, remember_key
from organiser.store.database import connect
from organiser.store.datadir import (
    DB_NAME,
    KEY_NAME,
    LEGACY_SECRET_FILES,
    WRAPPED_KEY_NAME,
    ensure_private_dir,
    finish_key_change,
    group_dirs,
    groups_dir,
    keep_desktop_search_out,
    make_owner_only,
    new_local_name,
    set_current,
)
from organiser.store.incidents import for_people as incident_sentence
from organiser.store.keyfile import new_database_key, read_key_file, shred, write_key_file
from organiser.store.membership import discovery_key, refresh_roster
from organiser.store.replica import LocalOp, Replica

log = logging.getLogger(__name__)

# Kept in the group's own database (table meta, never sent to peers), so they are encrypted with it.
DEVICE_KEY_META = "device_private_key"  # raw Ed25519 private key, hex
LOCAL_SETTING_PREFIX = "local."


@dataclass(frozen=True)
class GroupCredentials:
    """What a new device needs to belong: how to recognise the group and its founder (the
    anchor of the membership log). No secret: who belongs is the log's to say."""

    group_id: str
    group_name: str
    founder: str
    founder_key: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)


class Group:
    """One group as this device holds it: its identity, this device's settings for it, its
    devices, conflicts and incidents, and the services for what it holds (`members`, `events`,
    `tasks`, `meetings`, `proposals`, and `membership`, the devices). Made by `open_group`,
    `create_group` or `join_group`; `close` it when done."""

    def __init__(self, path: Path, replica: Replica) -> None:
        self.path = path
        self.replica = replica
        self.db = replica.db
        self.bus: EventBus = replica.bus
        self.members = Members(replica)
        self.events = Events(replica)
        self.tasks = Tasks(replica)
        self.meetings = Meetings(replica)
        self.proposals = Proposals(replica)
        self.membership = Devices(replica)
        self.forks = Forks(replica, self.membership)
        self.forgetting = Forgetting(replica)
        self.history = History(replica.db, self._device_names)
        self.deleted = Deleted(replica.db, self._device_names,
                               {"event": self.events, "task": self.tasks, "member": self.members})

    # ---- identity -----------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The group id (32 hex digits), the same on every device of the group."""
        return self.replica.group_id

    @property
    def name(self) -> str:
        """The group's name as its founder gave it ("" if unknown)."""
        return self.replica.meta("group_name", "") or ""

    @property
    def device_id(self) -> str:
        """This device's id in the group (the hash of its public key)."""
        return self.replica.device_id

    @property
    def device_name(self) -> str:
        """The name this device was given when it founded or joined the group ("" if unknown)."""
        return self.replica.meta("device_name", "") or ""

    @property
    def encrypted(self) -> bool:
        """Whether the group's database file is encrypted (SQLCipher)."""
        return is_encrypted(self.path / DB_NAME)

    def discovery_key(self) -> bytes:
        """A key only current members hold, new after every removal (store/membership.py)."""
        return discovery_key(self.db)

    def credentials(self) -> GroupCredentials:
        """What a joining device is sent: group id and name, founder's id and public key."""
        return GroupCredentials(self.id, self.name, self.replica.meta("founder") or "",
                                self.replica.meta("founder_key") or "")

    def private_key(self) -> Ed25519PrivateKey:
        """This device's signing key for the group (kept inside the group's database)."""
        return self.replica.key()

    def database_key(self) -> bytes | None:
        """The key this process holds for the group's encrypted database (None when plain)."""
        return key_for(self.path / DB_NAME)

    # ---- this device's own settings for the group (kept inside its database) ------------

    def local_setting(self, name: str) -> str | None:
        """This device's own setting `name` for the group, None when unset. Kept in the
        database (so encrypted with it), never sent to peers."""
        return self.replica.meta(LOCAL_SETTING_PREFIX + name)

    def set_local_setting(self, name: str, value: str) -> None:
        """Set this device's own setting `name` to `value` (see `local_setting`)."""
        self.replica.set_meta(LOCAL_SETTING_PREFIX + name, value)

    # ---- devices ------------------------------------------------------------------------

    def admit_device(self, public_hex: str, name: str, *, invite: str = "") -> str:
        """Admit a device to the group (a signed membership entry by this device); return its id.
        Takes and raises what `Devices.admit` does."""
        return self.membership.admit(public_hex, name, invite=invite)

    def devices(self) -> list[dict[str, Any]]:
        """The devices that belong to the group now (removed ones left out), by seniority, as
        {id, name, invited_by (the admitting device's id), admin}."""
        return [{"id": d.id, "name": d.name, "invited_by": d.admitted_by, "admin": d.admin}
                for d in self.membership.list() if not d.removed]

    # ---- what it holds ------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The group at a glance (what `organiser status` shows, less the peers): this device,
        the group, its folder, record counts by kind (and devices), version vector, state hash,
        number of open conflicts, incidents and this device's membership status."""
        return {
            "device_id": self.device_id,
            "device_name": self.device_name,
            "group": {"id": self.id, "name": self.name},
            "data_dir": str(self.path),
            "counts": {**queries.counts(self.db), "device": len(self.devices())},
            "version_vector": self.replica.version_vector(),
            "state_hash": self.replica.state_hash(),
            "conflicts": len(self.conflicts()),
            "incidents": self.incidents(),
            "membership": self.membership_status(),
            "size": self.size(),
        }

    def size(self) -> dict[str, Any]:
        """How big the group has grown here: the signed changes kept (every device keeps every
        change, for the devices that join later), since when, and the bytes of its database
        files (with the write-ahead journal) on this device."""
        (changes,) = self.db.execute("SELECT count(*) FROM change_log").fetchone()  # its (author, seq) index
        # The group began with its founder's first change (found by index; min(hlc) reads the whole log).
        found = self.db.execute("SELECT hlc FROM change_log WHERE author = ? AND seq = 1",
                                [self.replica.meta("founder") or ""]).fetchone()
        first = found[0] if found else None
        files = [p for p in self.path.iterdir() if p.name.startswith(DB_NAME)]
        return {"changes": changes, "since": stamp_to_iso(first)[:10] if first else None,
                "bytes": sum(p.stat().st_size for p in files if p.is_file())}

    def membership_status(self) -> dict[str, Any]:
        """This device's place in the group: admin, removed (as the log says, or as a member told it),
        or a copy restored from a backup, which the group never admitted."""
        roster = self.replica.roster()
        notice = self.replica.meta("removed_notice")
        removed = self.device_id in roster.limits or bool(notice)
        return {"admin": self.device_id in roster.admins,
                "removed": removed,
                "told_removed_at": float(notice.split()[0]) if notice else None,
                # restored from a backup under a key the group never admitted (services/backup.py)
                "restored_copy": not removed and not roster.admitted(self.device_id)
                and bool(self.replica.meta("restored_from"))}

    def conflicts(self) -> list[dict[str, Any]]:
        """The open conflicts (those whose losing value differs from what is shown), each with
        its number (`id`), the record's `kind`, `record` and `field`, the value that lost
        (`value`, written at `version` [hlc, device]), the `current` value and the `winner`'s version."""
        return queries.conflicts(self.db)

    def resolve_conflict(self, conflict_id: int, *, use_losing_value: bool) -> None:
        """Settle conflict number `conflict_id`: restore the value that lost
        (`use_losing_value=True`), or keep the current one; either way it is written as an edit
        that resolves the conflict. `NotFoundError` when there is no open conflict of that number."""
        found = next((c for c in self.conflicts() if c["id"] == conflict_id), None)
        if found is None:
            raise NotFoundError(f"there is no conflict number {conflict_id}.")
        version = (found["version"][0], found["version"][1])
        value = found["value"] if use_losing_value else found["current"]
        self.replica.commit([LocalOp(found["kind"], found["record"], found["field"], value,
                                     resolves=(version,))])

    def incidents(self) -> list[dict[str, Any]]:
        """What peers sent that was refused, and clocks far off: one entry per device and reason,
        {device: {id, name}, reason, count, first_at, last_at, seq, detail, message}; `message` is
        the sentence people read."""
        names = self._device_names()
        out = []
        for row in queries.incidents(self.db):
            device = row.pop("device")
            name = _named(device, names)
            out.append({"device": {"id": device, "name": name}, **row,
                        "message": incident_sentence(row, name)})
        return out

    def refusal_sentence(self, code: str, device: str, note: str = "") -> str:
        """What a person reads when a peer's change was refused, as the incidents list says it."""
        return incident_sentence({"reason": code, "note": note}, _named(device, self._device_names()))

    def _device_names(self) -> dict[str, str]:
        """Every device's name, removed ones too: their refused changes are listed under it."""
        return {d.id: d.name for d in self.membership.list()}

    def close(self) -> None:
        """Close the database and forget its key in this process: an encrypted group needs its
        passphrase (or database key) again to be opened."""
        self.db.close()
        forget_key(self.path / DB_NAME)


def _open_replica(path: Path, bus: EventBus | None = None) -> Replica:
    db = connect(path / DB_NAME)
    try:
        group_id = read_meta(db, "group_id")
        device_id = read_meta(db, "device_id")
        if not group_id or not device_id:
            raise OrganiserError(f"{path} is not a complete group folder (no group id in its database).")
        key = _device_key(db, path)
    except BaseException:
        db.close()
        raise
    return Replica(db, group_id=group_id, device_id=device_id, key=key, bus=bus)


def _device_key(db: Any, path: Path) -> Ed25519PrivateKey:
    """The device key from the database; a group made before keys moved inside has it in a file,
    which is taken in; that file and the old group secret and CA files are then shredded."""
    stored = read_meta(db, DEVICE_KEY_META)
    if stored:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stored))
    legacy = path / KEY_NAME
    if not legacy.exists():
        raise OrganiserError(f"{path} holds no laptop key (neither in its database nor in {KEY_NAME}).")
    key = read_private_key(legacy)
    rows = [(DEVICE_KEY_META, _raw_private(key).hex())]
    with db.atomic():
        db.conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", rows)
    keep_answer(db, path, read_meta(db, "group_id") or "")  # the old CA's last use, before it is shredded
    for name in LEGACY_SECRET_FILES:
        shred(path / name)
    return key


def _raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def unlock(path: Path, passphrase: str | None, database_key: bytes | None = None) -> None:
    """Hold an encrypted group's key in this process (until the Group is closed, or the app locks),
    so its database can be opened; nothing to do for a plain group or one unlocked already.
    `passphrase` unseals the group's key file; `database_key` (from the OS keyring) is used as it is.
    `LockedError` when neither is given; `PassphraseError` for a wrong passphrase and `KeyFileError`
    for a damaged key file (nothing touched either way); a `database_key` that does not fit is
    refused later, when the database is connected (`PassphraseError`)."""
    db_path = path / DB_NAME
    if not is_encrypted(db_path):
        return
    key = key_for(db_path) or database_key  # already unlocked here, or from the OS keyring
    if key is not None:  # (a key from the keyring that does not fit is refused when connecting)
        remember_key(db_path, key)
        return
    if passphrase is None:
        raise LockedError("this group is encrypted: give its passphrase to open it.")
    finish_key_change(path)
    remember_key(db_path, read_key_file(path / WRAPPED_KEY_NAME, passphrase))


def lock(path: Path) -> None:
    """Forget an encrypted group's key in this process, whoever still holds it."""
    forget_key(path / DB_NAME, everywhere=True)


def open_group(data_dir: Path, group: str | None = None, bus: EventBus | None = None, *,
               passphrase: str | None = None, database_key: bytes | None = None) -> Group:
    """Open a group of `data_dir` (`group`: its folder's local name, its group id, or their start;
    None: the current one) and bring an older group up to date; `bus` receives its change events.
    An encrypted group needs its `passphrase` (or its `database_key`): `LockedError` without one,
    `PassphraseError` if wrong, `KeyFileError` for a damaged key file. `NoGroupError` when the data
    folder holds no group or `group` names none or several; `OrganiserError` for a folder whose
    database holds no group id or no device key."""
    path = find_group_dir(data_dir, group, passphrase)
    unlock(path, passphrase, database_key)
    make_owner_only(path)
    try:
        opened = Group(path, _open_replica(path, bus))
        upgrade_in_place(opened)
    except BaseException:
        forget_key(path / DB_NAME)
        raise
    return opened


def _new_group_dir(data_dir: Path, group_id: str, passphrase: str | None = None
                   ) -> tuple[Path, Ed25519PrivateKey]:
    """A folder for a group this device is about to hold, with its database (encrypted when a
    passphrase is given) holding the new device key; a join that stopped half-way keeps its key."""
    for path in group_dirs(data_dir):
        unlocked_here = False
        if is_locked(path):
            # An encrypted copy of this group (a restored backup, a laptop removed and found again: a
            # second copy would be a second identity), or a join of it stopped half-way (taken again,
            # not a new folder and key at each try): looked into with the passphrase given.
            if not passphrase or group_id_of(path, passphrase) != group_id:
                continue
            remember_key(path / DB_NAME, read_key_file(path / WRAPPED_KEY_NAME, passphrase))
            unlocked_here = True
        db = connect(path / DB_NAME, readonly=True)
        try:
            complete, joining = read_meta(db, "group_id"), read_meta(db, JOINING_META)
            if joining == group_id and not complete and read_meta(db, DEVICE_KEY_META):
                return path, _device_key(db, path)  # its key stays held, as a new folder's would
        finally:
            db.close()
        if unlocked_here:
            forget_key(path / DB_NAME)
        if complete == group_id:
            raise OrganiserError(_held_already(path))
    path = ensure_private_dir(ensure_private_dir(groups_dir(ensure_private_dir(data_dir))) / new_local_name())
    keep_desktop_search_out(data_dir)
    key = Ed25519PrivateKey.generate()
    database_key = None
    if passphrase:
        database_key = new_database_key()
        write_key_file(path / WRAPPED_KEY_NAME, database_key, passphrase)
        remember_key(path / DB_NAME, database_key)
    db = connect(path / DB_NAME, key=database_key)
    try:
        rows = [(DEVICE_KEY_META, _raw_private(key).hex()), (JOINING_META, group_id)]
        with db.atomic():
            db.conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", rows)
    finally:
        db.close()
    return path, key


def _initialise(path: Path, key: Ed25519PrivateKey, creds: GroupCredentials, device_name: str,
                bus: EventBus | None) -> Group:
    db = connect(path / DB_NAME)
    device_id = device_id_for(public_key_hex(key))
    meta = {"group_id": creds.group_id, "group_name": creds.group_name, "device_id": device_id,
            "device_name": device_name, "founder": creds.founder, "founder_key": creds.founder_key}
    with db.atomic():
        db.conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(meta.items()))
        db.execute("DELETE FROM meta WHERE key = ?", [JOINING_META])
        refresh_roster(db)  # the founder, known from the credentials, is the first admin
    return Group(path, Replica(db, group_id=creds.group_id, device_id=device_id, key=key, bus=bus))


def create_group(data_dir: Path, name: str, device_name: str, bus: EventBus | None = None, *,
                 passphrase: str | None = None) -> Group:
    """A new group `name` in `data_dir`, with this device (`device_name`) as its founder and first
    admin; it becomes the current group. With a `passphrase`, its database is encrypted.
    `ValidationError` for an empty group name (field "group") or device name (field "device-name")."""
    name, device_name = name.strip(), checked_device_name(device_name)
    if not name:
        raise ValidationError("group", "group: a group needs a name.")
    problem = device_name_problem(name)  # the same rules: it heads every window and list of the group
    if problem is not None:
        raise ValidationError("group", f"group name: {problem}.")
    group_id = new_id()
    path, key = _new_group_dir(data_dir, group_id, passphrase)
    public = public_key_hex(key)
    creds = GroupCredentials(group_id, name, device_id_for(public), public)
    group = _initialise(path, key, creds, device_name, bus)
    group.membership.found(device_name)
    set_current(data_dir, path.name)
    return group


def prepare_join(data_dir: Path, group_id: str, *, passphrase: str | None = None) -> tuple[Path, str]:
    """Make this device's key for group `group_id`, which it is about to join, in a new folder of
    `data_dir` (its database encrypted with `passphrase` when given); return (folder, public key hex).
    A join that stopped half-way keeps its folder and key. `OrganiserError` when this device already
    holds that group."""
    path, key = _new_group_dir(data_dir, group_id, passphrase)
    return path, public_key_hex(key)


def joining_key(data_dir: Path, group_id: str, *, passphrase: str | None = None) -> Ed25519PrivateKey:
    """`prepare_join`'s device key itself, for a join that signs its request before it holds the
    group (through a folder): nothing is joined until the request is where the inviter reads it."""
    return _new_group_dir(data_dir, group_id, passphrase)[1]


def join_group(data_dir: Path, creds: GroupCredentials, device_name: str,
               bus: EventBus | None = None, *, passphrase: str | None = None) -> Group:
    """Finish joining once a member device has admitted our key and sent the credentials `creds`:
    the group is set up in the folder `prepare_join` made (or a new one) under `device_name` and
    becomes the current group. `OrganiserError` when this device already holds that group."""
    path, key = _new_group_dir(data_dir, creds.group_id, passphrase)
    group = _initialise(path, key, creds, device_name.strip(), bus)
    set_current(data_dir, path.name)
    return group


def _held_already(path: Path) -> str:
    """Why a join is refused beside a copy of the same group, and the way on."""
    return (f"this laptop already holds this group (folder {path.name}); a copy restored from a backup or kept "
            "by a removed laptop cannot join again. Export what only it holds (File > Export…, or organiser "
            f"export), wipe it (File > Wipe this laptop's copy…, or organiser wipe --group {path.name} --yes), then "
            "join; or join with another --data-dir.")


def credentials_from_json(doc: Any) -> GroupCredentials:
    """Credentials as a WELCOME carries them (a dict, or its JSON text); other fields are ignored.
    `OrganiserError` when one of group_id, group_name, founder, founder_key is missing or the
    text is not JSON."""
    try:
        if isinstance(doc, str):
            doc = json.loads(doc)
        creds = GroupCredentials(**{k: str(doc[k]) for k in GroupCredentials.__dataclass_fields__})
    except (KeyError, TypeError, ValueError):
        raise OrganiserError("the member laptop sent incomplete group credentials.") from None
    # The name comes from the admitting member's laptop: line breaks, controls and direction
    # overrides are kept as their codes, as in a peer's device name stored before names were checked.
    return replace(creds, group_name=one_line(creds.group_name)[:MAX_DEVICE_NAME])


def _named(device: str, names: dict[str, str]) -> str:
    """How incidents name a device: its name, else the start of its id."""
    return names.get(device) or (f"laptop {device[:8]}" if device else "an unknown laptop")
