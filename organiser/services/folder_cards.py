"""A device's card and key file in a shared folder, and the keys others sealed to it.

A card says who the device is, its exchange key (newer folder keys are sealed to it) and what it
has applied, signed with its device key. After a removal, a device that works out the newer keys
seals them to every current member's card in its key file, so members that learn of the removal
only through the folder can read what follows (docs/folder-sync.md, "Keys").
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from organiser.core.changeset import MAX_INT
from organiser.folder import crypto, layout
from organiser.folder.segments import BadSegment, decode_json, encode_json
from organiser.store import folders as store
from organiser.store.replica import Replica

# A key file seals each newer key to each member: no honest one holds more blobs than this,
# and no member receives more keys from one sender (the oldest beyond it are dropped).
MAX_SEALED_KEYS = 20_000
MAX_KEYS_FROM_ONE_SENDER = 64


class DeviceCard(NamedTuple):
    """What a device leaves in the folder: who it is, its exchange key, what it has applied, signed."""
    device: str
    exchange: str  # hex of its exchange public key: newer folder keys are sealed to it
    vector: dict[str, int]  # per author, the last number it applied
    signature: bytes
    written_at: Any  # the time it wrote the card, as it said (shown, never trusted)


class Keyring:
    """The folder keys this device holds: worked out from the membership log, or received."""

    def __init__(self, replica: Replica) -> None:
        secrets = store.epoch_secrets(replica.db)
        self.derived = crypto.folder_keys(secrets)
        received = [crypto.FolderKey(-1, k) for k in store.received_keys(replica.db)]
        self.by_id = {k.key_id: k for k in [*received, *self.derived]}
        self.names = crypto.name_key(secrets[0]) if secrets else None

    @property
    def newest(self) -> crypto.FolderKey | None:
        return self.derived[-1] if self.derived else None

    @property
    def first(self) -> crypto.FolderKey | None:
        return self.derived[0] if self.derived else None


class CardsAndKeys:
    """The folder pass's reading and writing of cards and key files (services/folder_pass.py)."""

    replica: Replica
    folder: str
    root: Path
    db: Any
    exchange: Any  # this device's X25519 key
    _listing: layout.Listing
    # and the pass's _changed, _note, _problem and _own (services/folder_pass.py)

    def _read_keys(self, listing: layout.Listing, known: dict[str, store.FileRow], keys: Keyring) -> bool:
        """Keys sealed to this device in other members' key files; True if any is new."""
        new = False
        for device_dir, entry in listing.keys.items():
            if device_dir == self._own(keys) or not self._changed(entry, known):
                continue
            data = layout.read_file(self.root, entry.path)
            try:
                _key, plain = crypto.open_sealed(keys.by_id, data or b"", entry.path)
                doc = decode_json(plain)
                sealed = list(dict.fromkeys(bytes.fromhex(s) for s in doc["k"]))  # each blob opened once
                if len(sealed) > MAX_SEALED_KEYS:
                    raise ValueError(f"it seals {len(sealed):,} keys, more than a key file holds "
                                     f"({MAX_SEALED_KEYS:,})")
            except (crypto.Unreadable, BadSegment, KeyError, TypeError, ValueError) as exc:
                self._note(entry, store.UNREADABLE, detail=str(exc))
                continue
            opened = [secret for secret in map(self._open_sealed_to_me, sealed) if secret is not None]
            mine = {crypto.FolderKey(-1, secret).key_id: secret for secret in opened[-MAX_KEYS_FROM_ONE_SENDER:]}
            with self.db.atomic():
                new |= store.keep_keys(self.db, device_dir, mine)
                self._note(entry, store.KEYS, writer=device_dir)
        return new

    def _open_sealed_to_me(self, blob: bytes) -> bytes | None:
        secret = crypto.open_sealed_to(self.exchange, blob)
        return secret if secret is not None and len(secret) == 32 else None

    def _read_cards(self, listing: layout.Listing, known: dict[str, store.FileRow], keys: Keyring) -> None:
        roster = self.replica.roster()
        for device_dir, entry in listing.cards.items():
            if device_dir == self._own(keys) or not self._changed(entry, known):
                continue
            card = self._open_card(entry, keys)
            if card is None:
                continue
            why = ("a laptop card not signed by a laptop of this group" if not self._signed_by_member(
                device_dir, card, keys) else None) or ("a laptop card whose exchange key no key can be sealed to"
                                                       if crypto.usable_exchange_key(card.exchange) is None else None)
            if why:
                self._note(entry, store.REFUSED, detail=why)
                self._problem(entry.path, why)
                continue
            # What it says it applied, of the group's devices only (a card is not bounded otherwise).
            covers = {a: [1, s] for a, s in card.vector.items()
                      if a in roster.keys and type(s) is int and 1 <= s < MAX_INT}
            with self.db.atomic():
                self._note(entry, store.CARD, writer=card.device, covers=covers,
                           detail=orjson.dumps({"x": card.exchange, "t": card.written_at}).decode())

    def _open_card(self, entry: layout.FileEntry, keys: Keyring) -> DeviceCard | None:
        """A device card's fields; None (and the file noted unreadable) when it does not open or parse."""
        data = layout.read_file(self.root, entry.path)
        try:
            _key, plain = crypto.open_sealed(keys.by_id, data or b"", entry.path)
            card = decode_json(plain)
            return DeviceCard(str(card["d"]), str(card["x"]), dict(card["v"]), bytes.fromhex(card["s"]),
                              card.get("t"))
        except (crypto.Unreadable, BadSegment, KeyError, TypeError, ValueError) as exc:
            self._note(entry, store.UNREADABLE, detail=str(exc))
            return None

    def _signed_by_member(self, device_dir: str, card: DeviceCard, keys: Keyring) -> bool:
        """The card is signed by the device of this group whose folder holds it."""
        public = self.replica.roster_key(card.device)
        if public is None or keys.names is None or crypto.device_folder_name(keys.names, card.device) != device_dir:
            return False
        try:
            public.verify(card.signature, card_body(self.replica.group_id, card.device, card.exchange))
        except Exception:  # cryptography's InvalidSignature: refused like any bad signature
            return False
        return True

    def _write_card(self, own: str, key: crypto.FolderKey, listing: layout.Listing) -> None:
        """What this device has applied, and its exchange key: rewritten when either changed."""
        vector = self.replica.version_vector()
        exchange = crypto.public_bytes(self.exchange).hex()
        rel = f"{own}/{layout.CARD}"
        row = store.files(self.db, self.folder).get(rel)
        covers = {a: [1, s] for a, s in vector.items()}
        if row is not None and row.covers == covers and row.detail == key.key_id.hex() and _as_written(
                listing.cards.get(own), row):
            return
        me = self.replica.device_id
        signature = self.replica.key().sign(card_body(self.replica.group_id, me, exchange))
        doc = {"d": me, "x": exchange, "v": vector, "t": time.time(), "s": signature.hex()}
        layout.write_whole(self.root / rel, crypto.seal(key, encode_json(doc), rel))
        st = (self.root / rel).stat()
        with self.db.atomic():
            store.note_file(self.db, self.folder, store.FileRow(rel, st.st_size, st.st_mtime_ns, store.CARD, me,
                                                                covers, key.key_id.hex()))

    def _share_keys(self, own: str, keys: Keyring) -> None:
        """After a removal, seal the newer keys to every current member whose card we hold, so
        members that learn of the removal only through this folder can read what follows."""
        if len(keys.derived) < 2 or keys.first is None:
            return
        recipients = self._current_members_exchange_keys()
        newer = [k.key for k in keys.derived[1:]]
        shared = hashlib.sha256(b"".join(newer) + b"".join(recipients)).hexdigest()
        row = store.folder(self.db, self.folder)
        rel = f"{own}/{layout.KEYS}"
        written = store.files(self.db, self.folder).get(rel)
        if not recipients or (row is not None and row.shared == shared and written is not None
                              and _as_written(self._listing.keys.get(own), written)):
            return  # the file as we wrote it: a device with the epoch-0 key may have replaced it
        sealed = [crypto.seal_to(r, k).hex() for r in recipients for k in newer]
        # Under the first key: a member that missed the removal holds no newer one yet.
        layout.write_whole(self.root / rel, crypto.seal(keys.first, encode_json({"k": sealed}), rel))
        st = (self.root / rel).stat()
        with self.db.atomic():
            store.note_file(self.db, self.folder, store.FileRow(rel, st.st_size, st.st_mtime_ns, store.KEYS,
                                                                self.replica.device_id, {}, ""))
        store.set_shared(self.db, self.folder, shared)

    def _current_members_exchange_keys(self) -> list[bytes]:
        """The exchange keys on the cards of the other current members (not removed, not limited)."""
        roster = self.replica.roster()
        me = self.replica.device_id
        cards = store.files(self.db, self.folder).values()
        usable = (crypto.usable_exchange_key(orjson.loads(r.detail)["x"]) for r in cards
                  if r.state == store.CARD and r.writer != me and roster.admitted(r.writer)
                  and r.writer not in roster.limits)
        return sorted({key for key in usable if key is not None})  # cards read before keys were checked


def _as_written(entry: layout.FileEntry | None, row: store.FileRow) -> bool:
    """This device's own file is in the folder as it wrote it (else someone replaced it)."""
    return entry is not None and entry.size == row.size and entry.mtime_ns == row.mtime_ns


def card_body(group: str, device: str, exchange: str) -> bytes:
    """What a device card's signature covers: its group, its id and its exchange key."""
    return orjson.dumps({"card": "organiser folder card v1", "g": group, "d": device, "x": exchange},
                        option=orjson.OPT_SORT_KEYS)
