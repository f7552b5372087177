"""A group on this device: creating, joining, opening, and what it holds."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from organiser.core.bus import EventBus
from organiser.core.errors import NotFoundError, OrganiserError, ValidationError
from organiser.core.keys import device_id_for, public_key_hex, read_private_key, write_private_key
from organiser.core.records import new_id
from organiser.services.devices import Devices
from organiser.services.events import Events
from organiser.services.members import Members
from organiser.services.tasks import Tasks
from organiser.services.upgrade import upgrade_in_place
from organiser.store import queries
from organiser.store.database import connect
from organiser.store.datadir import (
    DB_NAME,
    KEY_NAME,
    current_group_dir,
    ensure_private_dir,
    groups_dir,
    set_current,
)
from organiser.store.membership import discovery_key, refresh_roster
from organiser.store.replica import LocalOp, Replica


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
    def __init__(self, path: Path, replica: Replica) -> None:
        self.path = path
        self.replica = replica
        self.db = replica.db
        self.bus: EventBus = replica.bus
        self.members = Members(replica)
        self.events = Events(replica)
        self.tasks = Tasks(replica)
        self.membership = Devices(replica)

    # ---- identity -----------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.replica.group_id

    @property
    def name(self) -> str:
        return self.replica.meta("group_name", "") or ""

    @property
    def device_id(self) -> str:
        return self.replica.device_id

    @property
    def device_name(self) -> str:
        return self.replica.meta("device_name", "") or ""

    def discovery_key(self) -> bytes:
        """A key only current members hold, new after every removal (store/membership.py)."""
        return discovery_key(self.db)

    def credentials(self) -> GroupCredentials:
        return GroupCredentials(self.id, self.name, self.replica.meta("founder") or "",
                                self.replica.meta("founder_key") or "")

    def private_key(self) -> Ed25519PrivateKey:
        return read_private_key(self.path / KEY_NAME)

    # ---- devices ------------------------------------------------------------------------

    def admit_device(self, public_hex: str, name: str, *, invite: str = "") -> str:
        """Admit a device to the group (a signed membership entry by this device); return its id."""
        return self.membership.admit(public_hex, name, invite=invite)

    def devices(self) -> list[dict[str, Any]]:
        """The devices that belong to the group now (removed ones left out)."""
        return [{"id": d.id, "name": d.name, "invited_by": d.admitted_by, "admin": d.admin}
                for d in self.membership.list() if not d.removed]

    # ---- what it holds ------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "device_name": self.device_name,
            "group": {"id": self.id, "name": self.name},
            "data_dir": str(self.path),
            "counts": {**queries.counts(self.db), "device": len(self.devices())},
            "version_vector": self.replica.version_vector(),
            "state_hash": self.replica.state_hash(),
            "conflicts": len(self.conflicts()),
            "membership": self.membership_status(),
        }

    def membership_status(self) -> dict[str, Any]:
        """This device's place in the group: admin, removed (as the log says, or as a member told it)."""
        roster = self.replica.roster()
        notice = self.replica.meta("removed_notice")
        return {"admin": self.device_id in roster.admins,
                "removed": self.device_id in roster.limits or bool(notice),
                "told_removed_at": float(notice.split()[0]) if notice else None}

    def conflicts(self) -> list[dict[str, Any]]:
        return queries.conflicts(self.db)

    def resolve_conflict(self, conflict_id: int, *, use_losing_value: bool) -> None:
        """Settle a recorded conflict: restore the value that lost, or keep the current one."""
        found = next((c for c in self.conflicts() if c["id"] == conflict_id), None)
        if found is None:
            raise NotFoundError(f"there is no conflict number {conflict_id}.")
        version = (found["version"][0], found["version"][1])
        value = found["value"] if use_losing_value else found["current"]
        self.replica.commit([LocalOp(found["kind"], found["record"], found["field"], value,
                                     resolves=(version,))])

    def incidents(self) -> list[dict[str, Any]]:
        return queries.incidents(self.db)

    def close(self) -> None:
        self.db.close()


def _open_replica(path: Path, bus: EventBus | None = None) -> Replica:
    db = connect(path / DB_NAME)
    key = read_private_key(path / KEY_NAME)
    group_id = _meta(db, "group_id")
    device_id = _meta(db, "device_id")
    if not group_id or not device_id:
        raise OrganiserError(f"{path} is not a complete group folder (no group id in its database).")
    return Replica(db, group_id=group_id, device_id=device_id, key=key, bus=bus)


def _meta(db: Any, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def open_group(data_dir: Path, group: str | None = None, bus: EventBus | None = None) -> Group:
    path = current_group_dir(data_dir, group)
    opened = Group(path, _open_replica(path, bus))
    upgrade_in_place(opened)
    return opened


def _new_group_dir(data_dir: Path, group_id: str) -> tuple[Path, Ed25519PrivateKey]:
    path = ensure_private_dir(groups_dir(ensure_private_dir(data_dir)) / group_id)
    if (path / DB_NAME).exists():
        raise OrganiserError(f"this device already holds group {group_id} in {path}.")
    key_path = path / KEY_NAME
    if key_path.exists():  # a join that stopped half-way: keep the key it announced
        return path, read_private_key(key_path)
    key = Ed25519PrivateKey.generate()
    write_private_key(key_path, key)
    return path, key


def _initialise(path: Path, key: Ed25519PrivateKey, creds: GroupCredentials, device_name: str,
                bus: EventBus | None) -> Group:
    db = connect(path / DB_NAME)
    device_id = device_id_for(public_key_hex(key))
    meta = {"group_id": creds.group_id, "group_name": creds.group_name, "device_id": device_id,
            "device_name": device_name, "founder": creds.founder, "founder_key": creds.founder_key}
    with db.atomic():
        db.conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(meta.items()))
        refresh_roster(db)  # the founder, known from the credentials, is the first admin
    return Group(path, Replica(db, group_id=creds.group_id, device_id=device_id, key=key, bus=bus))


def create_group(data_dir: Path, name: str, device_name: str, bus: EventBus | None = None) -> Group:
    name, device_name = name.strip(), device_name.strip()
    if not name:
        raise ValidationError("group", "group: a group needs a name.")
    if not device_name:
        raise ValidationError("device-name", "device name: this device needs a name.")
    group_id = new_id()
    path, key = _new_group_dir(data_dir, group_id)
    public = public_key_hex(key)
    creds = GroupCredentials(group_id, name, device_id_for(public), public)
    group = _initialise(path, key, creds, device_name, bus)
    group.membership.found(device_name)
    set_current(data_dir, group_id)
    return group


def prepare_join(data_dir: Path, group_id: str) -> tuple[Path, str]:
    """Make this device's key for a group it is about to join; return (folder, public key)."""
    path, key = _new_group_dir(data_dir, group_id)
    return path, public_key_hex(key)


def join_group(data_dir: Path, creds: GroupCredentials, device_name: str,
               bus: EventBus | None = None) -> Group:
    """Finish joining once a member device has admitted our key and sent the credentials."""
    path, key = _new_group_dir(data_dir, creds.group_id)
    group = _initialise(path, key, creds, device_name.strip(), bus)
    set_current(data_dir, creds.group_id)
    return group


def credentials_from_json(doc: Any) -> GroupCredentials:
    """Credentials as a WELCOME carries them (a dict, or its JSON text); other fields are ignored."""
    if isinstance(doc, str):
        doc = json.loads(doc)
    try:
        return GroupCredentials(**{k: str(doc[k]) for k in GroupCredentials.__dataclass_fields__})
    except (KeyError, TypeError):
        raise OrganiserError("the member device sent incomplete group credentials.") from None
