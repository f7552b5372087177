"""The full-backup file: a group's records, conflicts and signed change log as JSON.

The format is described in docs/backup-format.md. Restoring replays the change log, so
the restored copy holds exactly what the original held (same `state_hash`); the records
and conflicts are there for people and other tools to read, and to check the replay.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from organiser.formats import json_steps
from organiser.formats.common import FormatError

BACKUP_FORMAT = "organiser-backup"
BACKUP_VERSION = 1


@dataclass(frozen=True)
class BackupChange:
    """One signed changeset exactly as stored: its body bytes and signature."""

    author: str
    seq: int
    hash: str
    body: bytes
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"author": self.author, "seq": self.seq, "hash": self.hash}
        text = self.body.decode("utf-8", errors="replace")
        if text.encode("utf-8") == self.body:
            doc["body"] = text
        else:  # not UTF-8: keep the exact bytes
            doc["body_hex"] = self.body.hex()
        doc["signature"] = self.signature.hex()
        return doc


@dataclass
class Backup:
    group: dict[str, str]
    exported_by: dict[str, str]
    exported_at: str
    state_hash: str
    records: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    changes: list[BackupChange] = field(default_factory=list)
    app_version: str = ""

    def to_json(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for record in self.records:
            if not record.get("deleted"):
                counts[record["kind"]] = counts.get(record["kind"], 0) + 1
        return {
            "format": BACKUP_FORMAT,
            "version": BACKUP_VERSION,
            "app_version": self.app_version,
            "exported_at": self.exported_at,
            "exported_by": self.exported_by,
            "group": self.group,
            "state_hash": self.state_hash,
            "counts": counts,
            "records": self.records,
            "conflicts": self.conflicts,
            "changes": [c.to_json() for c in self.changes],
        }


def write_backup(backup: Backup) -> bytes:
    return (json.dumps(backup.to_json(), ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def looks_like_backup(data: bytes) -> bool:
    return f'"{BACKUP_FORMAT}"'.encode() in data[:4096]


def _need(doc: dict[str, Any], key: str, kind: type, where: str, source: str) -> Any:
    if key not in doc:
        raise FormatError(f"{source}: {where} has no '{key}'.")
    value = doc[key]
    if not isinstance(value, kind):
        raise FormatError(f"{source}: {where} has a '{key}' that is not a {kind.__name__}.")
    return value


def _backup_document(data: bytes, source: str) -> dict[str, Any]:
    """The backup's JSON object, once its format and version say this Organiser can read it."""
    try:
        doc = json_steps.loads(json_steps.text_of(data))  # in steps: the window's thread runs meanwhile
    except UnicodeDecodeError:
        raise FormatError(f"{source}: a backup file must be UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"{source}: line {exc.lineno} is not valid JSON ({exc.msg}).") from None
    except RecursionError:
        raise FormatError(f"{source}: its JSON is nested too deep to be an Organiser backup.") from None
    except ValueError:  # Python reads no whole number of more than 4,300 digits
        raise FormatError(f"{source}: its JSON holds a number thousands of digits long, which no Organiser "
                          "backup has.") from None
    if not isinstance(doc, dict) or doc.get("format") != BACKUP_FORMAT:
        raise FormatError(f"{source}: this JSON file is not an Organiser backup (no \"format\": "
                          f"\"{BACKUP_FORMAT}\").")
    version = doc.get("version")
    if not isinstance(version, int) or version < 1:
        raise FormatError(f"{source}: the backup has no valid format version.")
    if version > BACKUP_VERSION:
        raise FormatError(f"{source}: the backup is in format version {version}, written by a newer "
                          f"Organiser; this one reads version {BACKUP_VERSION}. Update Organiser to restore it.")
    return doc


def _backup_change(item: Any, where: str, source: str) -> BackupChange:
    """One signed changeset of the backup's change log."""
    if not isinstance(item, dict):
        raise FormatError(f"{source}: {where} is not an object.")
    try:
        body = item["body"].encode("utf-8") if "body" in item else bytes.fromhex(item["body_hex"])
        signature = bytes.fromhex(_need(item, "signature", str, where, source))
        return BackupChange(_need(item, "author", str, where, source), _need(item, "seq", int, where, source),
                            _need(item, "hash", str, where, source), body, signature)
    except (KeyError, AttributeError, ValueError):
        raise FormatError(f"{source}: {where} has no readable body or signature.") from None


def _optional(doc: dict[str, Any], key: str, kind: type, source: str) -> Any:
    """A part a backup may leave out (empty then), of the kind it must be when there."""
    value = doc.get(key)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise FormatError(f"{source}: the backup has a '{key}' that is not a {'list' if kind is list else 'mapping'}.")
    return kind(value)


def read_backup(data: bytes, source: str) -> Backup:
    """Parse and check a backup file; raise FormatError naming what and where."""
    doc = _backup_document(data, source)
    group = _need(doc, "group", dict, "the backup", source)
    for key in ("id", "name", "founder", "founder_key"):
        _need(group, key, str, "the backup's group", source)
    changes = [_backup_change(item, f"change {number}", source)
               for number, item in enumerate(_need(doc, "changes", list, "the backup", source), start=1)]
    records = _optional(doc, "records", list, source)
    for number, record in enumerate(records, start=1):  # counted for the preview by their kind
        if not isinstance(record, dict) or not isinstance(record.get("kind"), str):
            raise FormatError(f"{source}: record {number} of the backup is not an object with a kind.")
    return Backup(
        group={k: str(group[k]) for k in ("id", "name", "founder", "founder_key")},
        exported_by=_optional(doc, "exported_by", dict, source),
        exported_at=str(doc.get("exported_at") or ""),
        state_hash=str(_need(doc, "state_hash", str, "the backup", source)),
        records=records,
        conflicts=_optional(doc, "conflicts", list, source),
        changes=changes,
        app_version=str(doc.get("app_version") or ""),
    )
