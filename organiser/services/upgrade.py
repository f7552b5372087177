"""Upgrading, in place, a group made before the membership log (one shared group secret and
a certificate authority derived from it).

Migration m006 keeps that group's roster as `legacy_roster`, admitted as it was. When the
founding device opens the group, it restates the roster as signed entries (it founds the
group and admits every device of the roster), which then reach every device; from then on
the log alone decides. On every device the group secret and the CA's files are deleted: a
secret every member held cannot be taken back from anyone, so nothing may rest on it. Its
last use, just before: a short-lived certificate to tell old laptops to update
(services/old_laptops.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from organiser.services.old_laptops import keep_answer
from organiser.store.keyfile import shred

if TYPE_CHECKING:
    from organiser.services.group import Group

log = logging.getLogger(__name__)

OLD_FILES = ("group.secret", "ca.key", "ca.crt")


def upgrade_in_place(group: Group) -> None:
    keep_answer(group.db, group.path, group.id)  # the old CA's last use, before it is shredded
    _shred_old_files(group)
    if group.device_id == group.replica.meta("founder") and not _founded(group):
        _restate_roster(group)


def _shred_old_files(group: Group) -> None:
    for name in OLD_FILES:
        old = group.path / name
        if old.exists():
            shred(old)
            log.warning("deleted %s: this version of Organiser shares no secret between devices", old)


def _restate_roster(group: Group) -> None:
    """The founding device signs the old version's roster as membership entries."""
    legacy = group.db.execute("SELECT device, public_key, name FROM legacy_roster ORDER BY device").fetchall()
    if not legacy:
        return
    names = {device: name for device, _key, name in legacy}
    # One changeset: a crash between the found entry and the admissions would leave the
    # roster's devices out of the group.
    group.membership.restate(names.get(group.device_id) or group.device_name,
                             [(key, name or device[:8]) for device, key, name in legacy if device != group.device_id])
    log.warning("restated the roster of %d devices as signed membership entries", len(legacy))


def _founded(group: Group) -> bool:
    row = group.db.execute("SELECT 1 FROM membership_log WHERE action = 'found' AND author = ?",
                           [group.device_id]).fetchone()
    return row is not None
