"""Forks: a device that signed two versions of one changeset, and an admin keeping one.

A fork sets its author's changesets aside on every device from the forked number on
(store/forks.py). An admin looks at the versions, what each of them wrote, and keeps one:
a signed membership entry (`keep`) that travels like any other and that every device
evaluates alike (core/membership.py), so every device then shows the kept branch and keeps
the other as proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from organiser.core.changeset import Changeset, decode_changeset
from organiser.core.errors import NotFoundError, ValidationError
from organiser.core.keys import short_id
from organiser.services.devices import Devices, MembershipRefused
from organiser.store.replica import Replica

MIN_HASH_PREFIX = 4  # characters of a version's hash that name it (the list shows 12)
_LABELS = ("name", "title", "role", "skill", "label")  # fields that say which record a person means


@dataclass(frozen=True)
class Version:
    """One of the versions a forked number has, as this device holds it."""

    hash: str
    written_at: str  # when its author's clock says it was written (UTC, to the minute)
    summary: str  # what it writes, in words
    shown: bool  # this device shows it (the version kept)

    def to_json(self) -> dict[str, Any]:
        return {"hash": self.hash, "written_at": self.written_at, "summary": self.summary, "shown": self.shown}


@dataclass(frozen=True)
class Fork:
    device: str
    device_name: str
    seq: int
    kept: str | None  # the hash of the version an admin kept, or None while set aside
    kept_by_name: str
    versions: tuple[Version, ...]

    @property
    def id(self) -> str:
        return f"{short_id(self.device)}#{self.seq}"

    @property
    def open(self) -> bool:
        return self.kept is None

    def sentence(self) -> str:
        """What happened, for people."""
        if self.open:
            return (f"'{self.device_name}' signed {len(self.versions)} different versions of its change number "
                    f"{self.seq}: its changes from then on are set aside until an admin keeps one version.")
        return (f"'{self.device_name}' signed different versions of its change number {self.seq}; "
                f"'{self.kept_by_name}' kept version {self.kept[:12] if self.kept else ''}.")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "device": {"id": self.device, "name": self.device_name}, "seq": self.seq,
                "state": "set aside" if self.open else "kept", "kept": self.kept, "kept_by": self.kept_by_name,
                "message": self.sentence(), "versions": [v.to_json() for v in self.versions]}


class Forks:
    def __init__(self, replica: Replica, devices: Devices) -> None:
        self.replica = replica
        self.db = replica.db
        self.devices = devices

    def list(self) -> list[Fork]:
        """Undecided forks first (their authors are set aside), then the decided ones."""
        names = dict(self.db.execute("SELECT id, name FROM devices").fetchall())
        points = {(author, seq): (None, "") for author, seq in self.db.execute(
            "SELECT author, seq FROM forks_set_aside")}
        for author, seq, digest, by in self.db.execute(
                "SELECT author, seq, hash, decided_by FROM fork_settlements"):
            points[(author, seq)] = (digest, names.get(by) or by[:8])
        forks = [Fork(author, names.get(author) or author[:8], seq, kept, by, self._versions(author, seq))
                 for (author, seq), (kept, by) in points.items()]
        return sorted(forks, key=lambda f: (not f.open, f.device_name, f.seq))

    def find(self, text: str) -> Fork:
        """A fork by its id (device#number), or by its device (id, start of it, or name) when that
        device has one fork only."""
        text = text.strip()
        forks = self.list()
        device, _, number = text.partition("#")
        matches = [f for f in forks if (f.device.startswith(device.lower()) or f.device_name == device)
                   and (not number or str(f.seq) == number)] if device else []
        if len(matches) != 1:
            what = "no fork" if not matches else "more than one fork"
            raise NotFoundError(f"'{text}' names {what} of this group; see 'organiser fork list' for the ids.")
        return matches[0]

    def keep(self, fork_id: str, branch: str) -> Fork:
        """Keep one version of a forked number (admins only): a signed membership entry."""
        fork = self.find(fork_id)
        chosen = _version_named(fork, branch)
        if fork.kept == chosen.hash:
            raise MembershipRefused(f"version {chosen.hash[:12]} is already the one kept.")
        self.devices.keep_version(fork.device, fork.seq, chosen.hash)
        return next(f for f in self.list() if (f.device, f.seq) == (fork.device, fork.seq))

    def _versions(self, author: str, seq: int) -> tuple[Version, ...]:
        rows = self.db.execute(
            "SELECT body, signature, 1 FROM changes WHERE author = ? AND seq = ? "
            "UNION ALL SELECT body, signature, 0 FROM forks WHERE author = ? AND seq = ?",
            [author, seq, author, seq]).fetchall()
        seen: dict[str, Version] = {}
        for body, signature, shown in rows:
            cs = decode_changeset(body, signature)
            if cs.hash not in seen:
                seen[cs.hash] = Version(cs.hash, _written_at(cs), describe(cs), bool(shown))
        return tuple(sorted(seen.values(), key=lambda v: (v.written_at, v.hash)))


def _version_named(fork: Fork, branch: str) -> Version:
    """The one version of the fork whose hash starts with `branch` (as typed: trimmed, any case)."""
    prefix = branch.strip().lower()
    if len(prefix) < MIN_HASH_PREFIX or any(c not in "0123456789abcdef" for c in prefix):
        raise ValidationError("branch", f"--branch: '{branch}' is not the start of a version's hash (at least "
                              f"{MIN_HASH_PREFIX} of the characters 'organiser fork list' shows).")
    chosen = [v for v in fork.versions if v.hash.startswith(prefix)]
    if len(chosen) != 1:
        raise NotFoundError(f"--branch: '{branch}' names {'no' if not chosen else 'more than one'} version of "
                            f"fork {fork.id}; its versions are {', '.join(v.hash[:12] for v in fork.versions)}.")
    return chosen[0]


def describe(cs: Changeset, most: int = 3) -> str:
    """What a changeset writes, in words: 'member 'Ana López'; task 'Print flyers''. Its values
    came from a device that forked, so only short texts are shown."""
    labels: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for op in cs.ops:
        kinds.setdefault(op.record, op.kind)
        if op.field in _LABELS and type(op.value) is str and op.record not in labels:
            labels[op.record] = op.value if len(op.value) <= 60 else op.value[:57] + "..."
    parts = [f"{kind} '{labels[record]}'" if record in labels else f"a change to a {kind}"
             for record, kind in kinds.items()]
    more = f" and {len(parts) - most} more" if len(parts) > most else ""
    return "; ".join(parts[:most]) + more


def _written_at(cs: Changeset) -> str:
    moment = datetime.fromtimestamp((cs.hlc >> 16) / 1000, UTC)
    return moment.strftime("%Y-%m-%d %H:%M")
