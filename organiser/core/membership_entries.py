"""The membership log's entries and the membership they make: the data, without the rules
(core/membership.py evaluates them; import these names from there). Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from organiser.core.device_name import one_line
from organiser.core.membership_limits import Order

MEMBERSHIP_KIND = "membership"  # the op kind of membership entries
FOUND, ADMIT, REMOVE, PROMOTE, DEMOTE, POLICY = "found", "admit", "remove", "promote", "demote", "policy"
KEEP = "keep"  # an admin keeps one version of a forked changeset number
ACTIONS = (FOUND, ADMIT, REMOVE, PROMOTE, DEMOTE, POLICY, KEEP)
# Why an admin's entry about a device the roster does not hold (there, in the log's order) has no effect.
NOT_A_MEMBER = "it names a laptop that is not a member"
BARRED = "an admin removed this laptop: it cannot be admitted again"

Rank = tuple[int, int, str]  # seniority: smaller is more senior
# Which of several admissions of one key counts (smallest first): an admin's before a member's,
# then the most senior author's, then the one its author wrote first (seq and op, not stamps).
Admission = tuple[int, Rank, int, int]


@dataclass(frozen=True)
class Entry:
    """One membership entry: op number `index` of changeset `seq` of device `author`."""

    author: str
    seq: int
    hlc: int
    index: int
    action: str
    value: Mapping[str, Any]

    @property
    def order(self) -> Order:
        return (self.hlc, self.author, self.seq, self.index)

    @property
    def target(self) -> str:
        device = self.value.get("device")
        return device if type(device) is str else ""


@dataclass
class Device:
    """A device as the membership log sees it."""

    id: str
    public_key: str
    name: str = ""
    admitted_by: str = ""
    invite: str = ""
    rank: Rank = (2, 0, "")
    admin: bool = False
    removed_kept: int | None = None  # its last changeset that stays, once removed
    removed_by: str = ""
    removed_hlc: int = 0
    removed_at: Order | None = None  # the removal entry that stands
    admission: Admission | None = None  # the admission that counts; None: the founder or the old roster
    promoted: bool = False  # an admin promoted it once (demoted since, it stays vouched for)

    @property
    def vouched_for(self) -> bool:
        """The founder, a device of the old roster, or one an admin admitted or promoted: while
        members may invite, its admissions count. One a member admitted cannot pass the right on
        (invitations by members reach one step) until an admin admits it again or promotes it."""
        return self.admission is None or self.admission[0] == 0 or self.promoted

    @property
    def removed(self) -> bool:
        return self.removed_kept is not None


@dataclass(frozen=True)
class KeptBranch:
    """An admin's choice of the version of a forked changeset number that stays."""

    hash: str
    decided_by: str
    hlc: int
    rank: Rank  # the deciding admin's seniority: a more senior admin's choice stands


@dataclass
class Membership:
    devices: dict[str, Device] = field(default_factory=dict)
    members_may_invite: bool = False
    kept_branches: dict[tuple[str, int], KeptBranch] = field(default_factory=dict)  # by (device, seq)
    removals: int = 0  # effective removals so far (the discovery key changes with each)
    ignored: list[tuple[Entry, str]] = field(default_factory=list)
    closings: list[tuple[Order, dict[str, int]]] = field(default_factory=list)  # effective, with `seen`
    barred: set[str] = field(default_factory=set)  # devices an admin removed where the roster did not hold them

    def admitted(self, device: str) -> bool:
        found = self.devices.get(device)
        return found is not None and not found.removed

    def is_admin(self, device: str) -> bool:
        found = self.devices.get(device)
        return found is not None and found.admin and not found.removed

    def may_invite(self, device: str) -> bool:
        found = self.devices.get(device)
        return self.is_admin(device) or (self.members_may_invite and self.admitted(device)
                                         and found is not None and found.vouched_for)

    def limits(self) -> dict[str, int]:
        """Removed devices and the last sequence number of theirs that stays."""
        return {d.id: d.removed_kept for d in self.devices.values() if d.removed_kept is not None}

    def removal_entries(self) -> dict[str, Order]:
        """Removed devices and the removal entry that stands, which set their `limits`."""
        return {d.id: d.removed_at for d in self.devices.values() if d.removed_at is not None}

    def admins(self) -> list[str]:
        return sorted(d.id for d in self.devices.values() if d.admin and not d.removed)


def entry_of(author: str, seq: int, hlc: int, index: int, action: str, value: Any) -> Entry | None:
    """An Entry from an op's fields, or None if it cannot be one (ignored everywhere alike)."""
    if action not in ACTIONS or not isinstance(value, dict):
        return None
    return Entry(author, seq, hlc, index, action, value)


def entry_text(value: Any) -> str:
    """A text an entry holds, as far as the rules read it (200 characters), else ""."""
    return value[:200] if type(value) is str else ""


def entry_name(value: Mapping[str, Any]) -> str:
    """An entry's device name, its line breaks, control and direction characters shown as codes:
    such names are refused on arrival now (store/checks.py), but entries stored before stay."""
    return one_line(entry_text(value.get("name")))
