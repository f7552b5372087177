"""The inviting device's part of joining through a folder: admitting whoever answered.

services/folder_invites.py has the whole exchange; this part runs at every pass of the
inviting device (Folders.sync_folder), before it writes, so the admission goes out at once.
Invite names are in clear and anyone who can write to the folder can leave an answer: only a
regular file of an answer's size is read (never through a link, never a pipe or a device), and
one that is refused is remembered (folder_files, by size and time) and not read again until it
changes; `organiser folder status` shows why it was refused.
"""

from __future__ import annotations

import hashlib
import logging
import os
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


def open_invite_file(root: Path, name: str, token: bytes, limit: int = layout.MAX_FILE_BYTES) -> Any:
    """An invite (or an answer to one) opened with its code; OrganiserError saying why not."""
    try:
        why = layout.not_readable(os.lstat(root / name), limit)
    except FileNotFoundError:
        why = None  # said below, as when it vanishes before it is read
    except OSError as exc:
        raise OrganiserError(f"{root / name} cannot be read ({exc.strerror or exc}).") from None
    if why:
        raise OrganiserError(f"{root / name} is {why}.")
    data = layout.read_file(root, name, limit)
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
    known = store.files(replica.db, folder)
    for invite in store.folder_invites(replica.db, folder):
        found = invites.find_invite(replica.db, token_hash(invite.token))
        request = f"{invite.stem}.request"
        if found is None or found.used_by or found.expires_at < time.time():
            _remove(root / f"{invite.stem}.invite")
            _remove(root / request)
            with replica.db.atomic():
                store.drop_folder_invite(replica.db, invite.stem)
                store.forget_files(replica.db, folder, [request])
            continue
        device = _admit_answer(replica, folder, invite, found.id, known.get(request))
        if device:
            admitted.append(device)
    return admitted


def _admit_answer(replica: Replica, folder: str, invite: store.FolderInvite, invite_id: str,
                  refused: store.FileRow | None) -> str | None:
    """Admit the device that answered this invite, if an answer is there and holds; the id admitted.
    An answer refused before is read again only once it changed (size or time)."""
    root = Path(folder)
    name = f"{invite.stem}.request"
    try:
        st = os.lstat(root / name)
    except OSError:  # no answer yet (or none we can see)
        return None
    if refused is not None and (refused.size, refused.mtime_ns) == (st.st_size, st.st_mtime_ns):
        return None
    try:
        request = open_invite_file(root, name, invite.token, layout.MAX_REQUEST_BYTES)
        public_hex, device_name = str(request["public_key"]), str(request["name"]).strip()
        load_public_key(public_hex).verify(bytes.fromhex(request["signature"]),
                                           request_body(replica.group_id, invite.stem, public_hex, device_name))
        device = Devices(replica).admit(public_hex, device_name, invite=invite_id)
    except (OrganiserError, KeyError, TypeError, ValueError, InvalidSignature, InviteUsed) as exc:
        log.warning("folder invite %s: the answer was refused: %s", invite.stem[:8], exc)
        why = f"an answer to an invite of this device that was not admitted: {exc}"
        with replica.db.atomic():
            store.note_file(replica.db, folder, store.FileRow(name, st.st_size, st.st_mtime_ns, store.REFUSED, "", {},
                                                              why))
        return None
    log.info("admitted device %s by folder invite", short_id(device_id_for(public_hex)))
    return device


def _remove(path: Path) -> None:
    """Delete one of an invite's files (a link itself, never what it points to); something that
    cannot be deleted (a stranger's folder) is left, and the listing reports it."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("folder invite: %s was not deleted: %s", path.name, exc.strerror or exc)
