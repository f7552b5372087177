"""Joining from afar through a shared folder: a one-time admission left in the folder.

The admin's device leaves `<stem>.invite`, sealed with a key derived from a random token; the
code sent separately (a message, a phone call) is that token, so only its holder can open it.
The new device, from its own copy of the folder, opens it (the group's credentials and its
membership log), makes its key and leaves `<stem>.request` sealed the same way, signed with
its new key. The inviting device's next pass admits that key, once (the invite is marked used
in the same transaction as the admission, as on the LAN), and deletes both files; the new
device learns of its admission from the inviting device's segments.
"""

from __future__ import annotations

import base64
import secrets
import time
from pathlib import Path

from organiser.core.changeset import MalformedChangeset, decode_changeset
from organiser.core.device_name import checked_device_name
from organiser.core.errors import OrganiserError, ValidationError
from organiser.core.keys import public_key_hex
from organiser.core.records import new_id
from organiser.folder import crypto, layout
from organiser.folder.segments import encode_json
from organiser.services.devices import MembershipRefused, why_may_not_invite
from organiser.services.folder_admissions import open_invite_file, request_body, token_hash
from organiser.services.folders import Folders, folder_path
from organiser.services.group import Group, credentials_from_json, join_group, joining_key
from organiser.store import folders as store
from organiser.store import invites

PREFIX = "ORGF"
TOKEN_BYTES = 20
MAX_EXPIRY = 7 * 24 * 3600


class FolderInviteError(ValidationError):
    def __init__(self, message: str) -> None:
        super().__init__("code", message)


def encode_code(token: bytes) -> str:
    text = base64.b32encode(token).decode().rstrip("=")
    return PREFIX + "-" + "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def decode_code(text: str) -> bytes:
    clean = "".join(text.split()).replace("-", "").upper()
    if not clean.startswith(PREFIX):
        raise FolderInviteError(f"code: a folder invite code starts with {PREFIX}-.")
    try:
        token = base64.b32decode(clean[len(PREFIX):])
    except ValueError:
        raise FolderInviteError("code: the folder invite code is mistyped (letters A-Z and digits 2-7).") from None
    if len(token) != TOKEN_BYTES:
        raise FolderInviteError("code: the folder invite code is too short or too long; copy it whole.")
    return token


def make_folder_invite(group: Group, folder: str, expires_seconds: int) -> str:
    """Leave a one-time admission in the folder (attached to the group if it was not); return the code."""
    if not 0 < expires_seconds <= MAX_EXPIRY:
        raise ValidationError("expires", "expires: an invite stays valid for some time, at most 7 days (7d).")
    refused = why_may_not_invite(group.membership.membership(), group.device_id)
    if refused is not None:
        raise MembershipRefused(refused)
    path = folder_path(folder)
    folders = Folders(group.replica)
    if path not in {f.path for f in folders.list()}:
        folders.add(path)
    token = secrets.token_bytes(TOKEN_BYTES)
    stem, _key = crypto.invite_key(token)
    expires_at = int(time.time()) + int(expires_seconds)
    invite_id = new_id()
    doc = {"credentials": group.credentials().to_json(), "expires_at": expires_at, "by": group.device_name,
           "log": [[b.hex(), s.hex()] for b, s in store.membership_changesets(group.db)]}
    name = f"{stem}.invite"
    invites.add_invite(group.db, invite_id, token_hash(token), expires_at)
    with group.db.atomic():
        store.add_folder_invite(group.db, store.FolderInvite(stem, path, invite_id, token))
    layout.write_whole(Path(path) / name, crypto.seal(crypto.invite_folder_key(token), encode_json(doc), name))
    return encode_code(token)


def redeem_folder_invite(data_dir: Path, folder: str, code: str, device_name: str, *,
                         passphrase: str | None = None) -> Group:
    """Join through the folder: answer the invite there, hold the group's membership log, and
    attach the folder. The device is a member once the inviting device's next pass admits it."""
    token = decode_code(code)
    path = folder_path(folder)
    root = Path(path)
    stem, _key = crypto.invite_key(token)
    doc = open_invite_file(root, f"{stem}.invite", token)
    try:
        creds = credentials_from_json(doc["credentials"])
        expires_at = int(doc["expires_at"])
        entries = [decode_changeset(bytes.fromhex(b), bytes.fromhex(s)) for b, s in doc["log"]]
    except (KeyError, TypeError, ValueError, MalformedChangeset, OrganiserError):
        raise OrganiserError(f"the invite in {root} is not well formed.") from None
    if expires_at < time.time():
        raise OrganiserError("this invite expired; ask for a new one with 'organiser invite --folder'.")
    name = checked_device_name(device_name)
    # The answer goes into the folder first: a stick that refuses it (read-only, full) leaves this
    # device holding no half-joined group, and the same code can be tried again.
    key = joining_key(data_dir, creds.group_id, passphrase=passphrase)
    public_hex = public_key_hex(key)
    request = {"public_key": public_hex, "name": name,
               "signature": key.sign(request_body(creds.group_id, stem, public_hex, name)).hex()}
    request_name = f"{stem}.request"
    layout.write_whole(root / request_name, crypto.seal(crypto.invite_folder_key(token), encode_json(request),
                                                         request_name))
    group = join_group(data_dir, creds, name, passphrase=passphrase)
    try:
        group.replica.apply([cs for cs in entries if cs.group == creds.group_id])
        Folders(group.replica).add(path)
    except BaseException:
        group.close()
        raise
    return group
