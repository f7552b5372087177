"""The inviting device's part of joining through a folder: admitting whoever answered.

services/folder_invites.py has the whole exchange; this part runs at every pass of the
inviting device (Folders.sync_folder), before it writes, so the admission goes out at once.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature

from organiser.core.errors import OrganiserError
from organiser.core.keys import device_id_for, load_public_key, short_id
from organiser.folder import crypto, layout
from organiser.folder.segments import BadSegment, decode_json
from organiser.services.devices import Devices
from organiser.store import folders as store
from organiser.store import invites
from organiser.store.membership import InviteUsed
from organiser.store.replica import Replica

log = logging.getLogger(__name__)


def token_hash(token: bytes) -> str:
    return hashlib.sha256(b"organiser folder invite token" + token).hexdigest()


def open_invite_file(root: Path, name: str, token: bytes) -> Any:
    data = layout.read_file(root, name)
    if data is None:
        raise OrganiserError(f"there is no invite for this code in {root} (not arrived yet, used already, "
                             "or the code is for another folder).")
    key = crypto.invite_folder_key(token)
    try:
        _key, plain = crypto.open_sealed({key.key_id: key}, data, name)
        doc = decode_json(plain)
    except (crypto.Unreadable, BadSegment) as exc:
        raise OrganiserError(f"the invite in {root} cannot be opened with this code ({exc}).") from None
    if not isinstance(doc, dict):
        raise OrganiserError(f"the invite in {root} is not well formed.")
    return doc


def request_body(group: str, stem: str, public_hex: str, name: str) -> bytes:
    return orjson.dumps({"join": "organiser folder invite v1", "g": group, "i": stem, "k": public_hex, "n": name},
                        option=orjson.OPT_SORT_KEYS)


def admit_requests(replica: Replica, folder: str) -> list[str]:
    """The inviting device's part: admit each device that answered one of its invites in this
    folder, once; drop invites that expired. Returns the ids admitted."""
    admitted = []
    root = Path(folder)
    for invite in store.folder_invites(replica.db, folder):
        found = invites.find_invite(replica.db, token_hash(invite.token))
        invite_file, request_file = root / f"{invite.stem}.invite", root / f"{invite.stem}.request"
        if found is None or found.used_by or found.expires_at < time.time():
            invite_file.unlink(missing_ok=True)
            request_file.unlink(missing_ok=True)
            with replica.db.atomic():
                store.drop_folder_invite(replica.db, invite.stem)
            continue
        if not request_file.exists():
            continue
        try:
            request = open_invite_file(root, request_file.name, invite.token)
            public_hex, name = str(request["public_key"]), str(request["name"]).strip()
            load_public_key(public_hex).verify(bytes.fromhex(request["signature"]),
                                               request_body(replica.group_id, invite.stem, public_hex, name))
            device = Devices(replica).admit(public_hex, name, invite=found.id)
        except (OrganiserError, KeyError, TypeError, ValueError, InvalidSignature, InviteUsed) as exc:
            log.warning("folder invite %s: the answer was refused: %s", invite.stem[:8], exc)
            continue
        admitted.append(device)
        log.info("admitted device %s ('%s') by folder invite", short_id(device_id_for(public_hex)), name)
    return admitted
