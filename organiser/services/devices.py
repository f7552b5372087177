"""The group's devices: who belongs, admitting, removing, admins and the group's policy.

Each action is one signed membership entry (core/membership.py) committed like any edit.
Before committing, the entry is tried against the rules with everything this device holds,
so a person hears at once why it would have no effect instead of writing a dead entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from organiser.core.device_name import checked_device_name
from organiser.core.errors import NotFoundError, ValidationError
from organiser.core.hlc import make_stamp, physical_ms
from organiser.core.keys import device_id_for, is_public_key_hex
from organiser.core.membership import (
    ADMIT,
    DEMOTE,
    FOUND,
    KEEP,
    MEMBERSHIP_KIND,
    POLICY,
    PROMOTE,
    REMOVE,
    Entry,
    Membership,
)
from organiser.core.membership_entries import entry_name
from organiser.core.records import new_id
from organiser.core.waiting_devices import removed_by_an_admin
from organiser.services import vouching
from organiser.services.vouching import Standing, VouchPlan, WaitingDevice
from organiser.store import membership as store
from organiser.store.replica import LocalOp, Replica
from organiser.store.waiting_devices import waiting_devices

ONLY_ADMINS = "only an admin can do this; see 'organiser device list' for the group's admins."
# Why a laptop a member admitted may not invite (core/membership.py: invitations by members reach one step).
ADMITTED_BY_A_MEMBER = ("this laptop was admitted by a member, not by an admin, so it cannot admit others (invitations "
                        "by members reach one step) until an admin admits it again ('organiser device vouch' with this "
                        "laptop's name) or promotes it; see 'organiser device list' for the group's admins.")


def why_may_not_invite(held: Membership, device: str) -> str | None:
    """Why `device` may not admit devices or make invites, in words for people; None if it may."""
    if held.may_invite(device):
        return None
    if held.members_may_invite and held.admitted(device):
        return ADMITTED_BY_A_MEMBER
    return ("only an admin can make invites (the group's policy does not let members invite); see "
            "'organiser device list' for the group's admins.")


def stuck_with_one_admin(name: str) -> str:
    """What a member refused an admin's action is told when the group has one admin: the rules keep
    the last admin, so if that laptop is lost the group's membership is stuck for good."""
    return (f"only an admin can do this, and '{name}' is the group's only admin. If that laptop is lost, nobody "
            "can remove it or admit a laptop, and whoever has it and its passphrase still receives what the group "
            "writes: the way out is a new group, made with 'organiser init' and filled with 'organiser import' "
            "from what 'organiser export' writes here (members, events, tasks).")


class MembershipRefused(ValidationError):
    """A membership action the rules would not let take effect (exit code 2 on the CLI)."""

    def __init__(self, message: str) -> None:
        super().__init__("device", message)


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    name: str
    admitted_by: str
    admitted_by_name: str
    admin: bool
    removed: bool
    removed_by: str
    kept: int | None  # the last changeset of a removed device that stays
    last_seen: float | None
    this_device: bool

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "admitted_by": self.admitted_by,
                "admitted_by_name": self.admitted_by_name, "admin": self.admin, "removed": self.removed,
                "removed_by": self.removed_by, "kept": self.kept, "last_seen": self.last_seen,
                "this_device": self.this_device}


@dataclass(frozen=True)
class RemovalNews:
    """Which of the group's devices have heard that `removed` was removed, as far as this
    device knows: one that wrote the removal, said it held it when it met this device, or was
    sent it by this device has; the others may have heard from someone else (`not_known`)."""

    removed: DeviceInfo
    removed_at: float  # Unix time of the first removal entry's stamp
    heard: list[DeviceInfo]
    not_known: list[DeviceInfo]

    def sentence(self) -> str:
        """Who has heard, in words for the admin who may need to reach the others."""
        said = f"'{self.removed.name}' was removed on {_when(self.removed_at)}: "
        if not self.not_known:
            return said + "every laptop of the group has heard."
        waiting = ", ".join(f"{d.name} (last seen {_when(d.last_seen)})" if d.last_seen
                            else f"{d.name} (never seen here)" for d in self.not_known)
        return said + f"heard by {', '.join(d.name for d in self.heard)}; not known to have heard: {waiting}. " \
            "Until a laptop hears, it still exchanges with the removed one; it hears from any member it meets."


class Devices:
    """The devices of the group and the membership entries that admit, remove, promote and
    demote them or set the group's policy (`Group.membership`).

    A device is named, where a method takes `text`, by its id, the start of its id, or its
    name (`find`). Every action is refused before anything is written:

    - `NotFoundError` when `text` names no current device, or more than one;
    - `MembershipRefused` (a `ValidationError` with field "device") when the rules would give the
      entry no effect: this device is no longer a member, only an admin may do this (or, for
      `admit`, the policy does not let members invite), or the membership log would ignore it
      (the sentence says why, e.g. the group would be left without an admin);
    - `RemovedError` (store/replica.py) when another connection has meanwhile applied this
      device's removal.
    """

    def __init__(self, replica: Replica) -> None:
        self.replica = replica
        self.db = replica.db

    # ---- reading ------------------------------------------------------------------------

    def membership(self) -> Membership:
        """The membership log as this device holds it now, with the rules applied (who belongs,
        the admins, the removals and the entries ignored, each with its reason)."""
        return store.load_membership(self.db)

    def list(self) -> list[DeviceInfo]:
        """Every device the log names, removed ones included (`DeviceInfo.removed`), by
        seniority (the founder first, then in the order admitted); a device without a name is
        shown by the start of its id, and `last_seen` is when this device last saw it on the
        network (Unix time; None if never)."""
        seen = dict(self.db.execute("SELECT device, last_seen FROM peers").fetchall())
        rows = self.db.execute("SELECT id, name, admitted_by, admin, removed_kept, removed_by FROM devices "
                               "ORDER BY rank").fetchall()
        names = {row[0]: row[1] for row in rows}
        me = self.replica.device_id
        return [DeviceInfo(rid, name or rid[:8], by, names.get(by, by[:8]), bool(admin), kept is not None, removed_by,
                           kept, seen.get(rid), rid == me)
                for rid, name, by, admin, kept, removed_by in rows]

    def removal_news(self) -> list[RemovalNews]:
        """For every removed device, oldest removal first, which current devices have heard of it.
        Only the removals of the admin whose removal stands count: any member can sign a
        "removal" that counts nowhere (kept in the log all the same), and a laptop holding such
        an entry, however early it claims to be, has not heard of the one that took effect."""
        removals: dict[str, list[tuple[str, int, int]]] = {}
        for author, seq, hlc, target in self.db.execute(
                "SELECT m.author, m.seq, m.hlc, d.id FROM devices d JOIN membership_log m ON m.action = ? "
                "AND json_extract(m.value, '$.device') = d.id AND m.author = d.removed_by "
                "WHERE d.removed_kept IS NOT NULL", [REMOVE]):
            removals.setdefault(target, []).append((author, seq, hlc))
        if not removals:
            return []
        holds = {device: json.loads(text) for device, text in self.db.execute("SELECT device, holds FROM peers")}
        devices = self.list()
        current = [d for d in devices if not d.removed]
        news = []
        for device in devices:
            entries = removals.get(device.id)
            if not device.removed or not entries:
                continue
            heard = [d for d in current if _has_heard(d, entries, holds.get(d.id, {}))]
            news.append(RemovalNews(device, physical_ms(min(hlc for *_, hlc in entries)) / 1000,
                                    heard, [d for d in current if d not in heard]))
        return sorted(news, key=lambda n: n.removed_at)

    def find(self, text: str, *, include_removed: bool = False) -> DeviceInfo:
        """A device by its exact id or name, else by the start of its id (`text` is trimmed; a
        removed device only with `include_removed`; a name a current device and removed ones
        share is the current one's). `NotFoundError` when `text` names no device or more than one,
        the latter listing each with the start of its id."""
        text = text.strip()
        matches = _named_by(text, [d for d in self.list() if include_removed or not d.removed])
        current = [d for d in matches if not d.removed]
        if len(matches) > 1 and len(current) == 1:  # the laptop that took a removed one's name
            matches = current
        if not matches:
            raise NotFoundError(f"'{text}' names no laptop of this group; see 'organiser device list'.")
        if len(matches) > 1:
            listed = "; ".join(_with_id(d) for d in matches)
            raise NotFoundError(f"'{text}' names more than one laptop of this group: {listed}. "
                                "Name it by the start of its id.")
        return matches[0]

    def this_device_removed(self) -> bool:
        """Whether the membership log says this device was removed."""
        return self.replica.device_id in self.replica.roster().limits

    def only_admin(self) -> DeviceInfo | None:
        """The group's one admin when it has just one and another device belongs too: if that
        laptop is lost, nobody can remove it or admit a laptop (the rules keep the last admin),
        so people are told to make a second admin while they can."""
        current = [d for d in self.list() if not d.removed]
        admins = [d for d in current if d.admin]
        return admins[0] if len(admins) == 1 and len(current) > 1 else None

    def is_admin(self) -> bool:
        """Whether this device is an admin of the group now."""
        return self.replica.device_id in self.replica.roster().admins

    # ---- acting -------------------------------------------------------------------------

    def found(self, name: str) -> None:
        """The founding device's first entry: it founds the group and names itself `name`.
        `MembershipRefused` when the log would ignore it (only the founding device founds the group)."""
        self._commit(FOUND, {"name": name})

    def restate(self, name: str, devices: list[tuple[str, str]]) -> None:
        """The founder's entries for a group made before the membership log, in one changeset:
        found the group as `name`, admit each (public key hex, device name) of `devices`.
        Written as is, without the rules' trial run of the other actions (the founder's own
        entries for its own roster)."""
        ops = [LocalOp(MEMBERSHIP_KIND, new_id(), FOUND, {"name": name})]
        ops += [LocalOp(MEMBERSHIP_KIND, new_id(), ADMIT, {"device": device_id_for(key), "public_key": key,
                                                           "name": device_name, "invite": ""})
                for key, device_name in devices]
        self.replica.commit(ops)

    def admit(self, public_hex: str, name: str, *, invite: str = "") -> str:
        """Admit a device by its Ed25519 public key (`public_hex`, hex) under `name`; return its
        id. `invite`: the invitation it came with, kept in the entry ("" when none).
        `ValidationError` (field "device-name") for a name `checked_device_name` refuses;
        `MembershipRefused` when this device may not invite or the log would ignore the entry."""
        name = checked_device_name(name)
        if not is_public_key_hex(public_hex):  # every other laptop would refuse the entry
            raise ValidationError("device", "laptop key: 64 hex digits (an Ed25519 public key).")
        public_hex = public_hex.lower()  # as the device proves itself (a joiner may send capitals)
        device = device_id_for(public_hex)
        held = self.membership()
        known = held.devices.get(device)
        # A second admission changes nothing of it, but an admin's of one a member admitted: it may then invite.
        if known is not None and not known.removed and (known.vouched_for or not held.is_admin(self.replica.device_id)):
            raise MembershipRefused(f"'{known.name or device[:8]}' is already a member of the group.")
        self._commit(ADMIT, {"device": device, "public_key": public_hex, "name": name, "invite": invite})
        return device

    def remove(self, text: str, *, undo_since: datetime | None = None) -> DeviceInfo:
        """Remove a device for good. Its changesets up to the last this device holds stay
        (or, with `undo_since`, up to the last written before that time); later ones are
        withdrawn everywhere. A device removed already can be removed again only to take back
        more of what it wrote (an earlier `undo_since`): of several removals, the one keeping least
        stands. Returns the device as it is now (removed). `NotFoundError` when `text` names no
        device or more than one; `MembershipRefused` when this device is not an admin, the
        device was removed already keeping no more, or the log would ignore the removal. A laptop
        waiting for an admin is removed too (`remove_waiting`)."""
        try:
            target = self.find(text, include_removed=True)
        except NotFoundError:
            if not (waiting := _named_by(text.strip(), self.waiting())) or len(waiting) > 1:
                raise
            return self.remove_waiting(waiting[0])
        kept = self._last_kept(target.id, undo_since)
        if target.removed and target.kept is not None and kept >= target.kept:
            raise MembershipRefused(
                f"'{target.name}' was removed already, and what it wrote after its change {target.kept} is "
                "taken back: only an earlier undo time takes back more." if undo_since is not None else
                f"'{target.name}' was removed already; to take back more of what it wrote, give an undo time.")
        self._commit(REMOVE, {"device": target.id, "kept": kept})
        removed = self.find(target.id, include_removed=True)
        if removed.kept == kept:  # this removal stands: what it took back of the minutes goes too
            from organiser.services.meetings import Meetings
            from organiser.services.minutes_take_back import take_back_minutes

            take_back_minutes(Meetings(self.replica), target.id, kept, target.kept if target.removed else None)
        return removed

    def remove_waiting(self, device: WaitingDevice) -> DeviceInfo:
        """Remove for good a laptop waiting for an admin: no admission of it counts from then on (the
        rules bar a device an admin removes outside the roster), so no vouch, and no member's
        modified client, lets it in. Nothing it wrote ever counted, so nothing is taken back."""
        self._commit(REMOVE, {"device": device.id, "kept": 0})
        return DeviceInfo(device.id, device.name, device.admitted_by, device.admitted_by_name, admin=False,
                          removed=True, removed_by=self.replica.device_id, kept=0, last_seen=None, this_device=False)

    def waiting(self) -> list[WaitingDevice]:
        """The laptops waiting for an admin: admitted by a member's laptop beyond one step (in a
        group that let members invite before invitations by members reached one step), out of the
        roster and their changesets kept aside until an admin vouches (core/waiting_devices.py).
        At most about 400 (store/waiting_devices.py MAX_LISTED; `standing` says how many it leaves out)."""
        return self.standing().waiting

    def states(self) -> dict[str, str]:
        """Each device of the roster and each laptop waiting -> what it is, in words for people
        ("admin", "member", "member, let in by a member", "removed", "waiting for an admin")."""
        return self.standing().states

    def standing(self) -> Standing:
        """`states` and `waiting` at once (one reading of the log), and how many laptops that
        admitted laptops waiting were left out of the list."""
        found = waiting_devices(self.db)
        held = found.membership
        waiting = vouching.waiting(held, found.waiting, {d.id: d.name for d in held.devices.values()})
        return Standing({**{device: vouching.state_of(held, device) for device in held.devices},
                         **{w.id: vouching.WAITING for w in waiting}}, waiting, found.unlisted)

    def plan_vouch(self, text: str) -> VouchPlan:
        """What a vouch for the device `text` names (of the roster or waiting) would write: an
        admission of it as this admin's, and one of each laptop it admitted that waits for an
        admin. `NotFoundError` as for `find`; `MembershipRefused` when this device is not an admin,
        or an admin admitted the device already and none of its admissions waits."""
        if not self.is_admin():
            raise MembershipRefused(ONLY_ADMINS)
        target = self._find_to_vouch(text)
        key = (target.public_key if isinstance(target, WaitingDevice)
               else self.membership().devices[target.id].public_key)
        planned = vouching.plan(self.db, self.replica.device_id, self.replica.clock.last + 1, target.id, target.name,
                                key)
        if not planned.admissions:
            raise MembershipRefused(f"'{target.name}' was admitted by an admin already: it may invite whenever "
                                    "members may, and none of the laptops it admitted waits for an admin.")
        return planned

    def vouch(self, text: str) -> VouchPlan:
        """Vouch for the device `text` names, as `plan_vouch` says, in one changeset; return what
        was written. Errors as for `plan_vouch`, or `MembershipRefused` when the log would ignore
        one of the admissions."""
        return self.carry_out(self.plan_vouch(text))

    def carry_out(self, planned: VouchPlan) -> VouchPlan:
        """Write the admissions of a vouch planned before (and confirmed by the admin), those and no
        others: a laptop that came to wait since is not admitted unasked. `MembershipRefused` when
        this device is no longer an admin or the log would now ignore one of them."""
        if not self.is_admin():
            raise MembershipRefused(ONLY_ADMINS)
        held = self.membership()
        if planned.device in removed_by_an_admin(held):  # what it admitted is no longer what the admin agreed to
            raise MembershipRefused(f"'{planned.name}' was removed meanwhile: nothing was written.")
        # another admin's vouch heard while the question was open ("The device is already a member." said neither)
        done = next((value for value in planned.admissions if (known := held.devices.get(value["device"])) is not None
                     and not known.removed and known.vouched_for), None)
        if done is not None:
            raise MembershipRefused(f"'{done['name']}' was vouched for by an admin meanwhile: nothing was written. "
                                    "Vouch again to see what still waits.")
        self._commit_all([(ADMIT, value) for value in planned.admissions])
        return planned

    def _find_to_vouch(self, text: str) -> DeviceInfo | WaitingDevice:
        """A current device or a laptop waiting for an admin, looked for among both at once: by its
        exact id, else its exact name, else the start of its id. A laptop a member let in, named
        like a waiting laptop (or with its id), was found first and took its vouch, with what it
        admitted. `NotFoundError` when `text` names none or several, the latter listing each."""
        text = text.strip()
        everyone: list[DeviceInfo | WaitingDevice] = [d for d in self.list() if not d.removed]
        everyone += self.waiting()
        matches = _named_by(text, everyone)
        if not matches:
            raise NotFoundError(f"'{text}' names no laptop of this group nor a laptop waiting for an admin; see "
                                "'organiser device list'.")
        if len(matches) > 1:
            listed = "; ".join(_with_id(d) for d in matches)
            raise NotFoundError(f"'{text}' names more than one laptop of this group: {listed}. "
                                "Name it by the start of its id.")
        return matches[0]

    def promote(self, text: str) -> DeviceInfo:
        """Make the device `text` names an admin; return it. `NotFoundError` as for `find`;
        `MembershipRefused` when it is already an admin, this device is not one, or the log
        would ignore the entry."""
        target = self.find(text)
        if target.admin:
            raise MembershipRefused(f"'{target.name}' is already an admin.")
        self._commit(PROMOTE, {"device": target.id})
        return self.find(target.id)

    def demote(self, text: str) -> DeviceInfo:
        """Take admin rights from the device `text` names; return it. `NotFoundError` as for
        `find`; `MembershipRefused` when it is not an admin, this device is not one, or the log
        would ignore the entry."""
        target = self.find(text)
        if not target.admin:
            raise MembershipRefused(f"'{target.name}' is not an admin.")
        # What it wrote that this device has not seen counts as written after the demotion.
        self._commit(DEMOTE, {"device": target.id, "seen": self._seen().get(target.id, 0)})
        return self.find(target.id)

    def keep_version(self, device: str, seq: int, version: str) -> None:
        """Keep one version of a device's forked changeset number (services/forks.py)."""
        self._commit(KEEP, {"device": device, "seq": seq, "hash": version})

    def set_policy(self, *, members_may_invite: bool) -> None:
        """Set the group's policy: whether members who are not admins may admit devices.
        `MembershipRefused` when this device is not an admin or the log would ignore it. Closing
        names the last changeset seen of each device: a member's admission this device has not
        seen counts as written after the closing, whatever its stamp."""
        if members_may_invite:
            self._commit(POLICY, {"members_may_invite": True})
            return
        admitted = {d.id for d in self.list() if not d.removed}
        seen = {device: seq for device, seq in self._seen().items() if device in admitted}
        self._commit(POLICY, {"members_may_invite": False, "seen": seen})

    def _seen(self) -> dict[str, int]:
        """Device id -> the last of its changesets this device holds."""
        return {device: int(seq) for device, seq in
                self.db.execute("SELECT author, max(seq) FROM changes GROUP BY author").fetchall()}

    def _last_kept(self, device: str, undo_since: datetime | None) -> int:
        if undo_since is None:
            (kept,) = self.db.execute("SELECT coalesce(max(seq), 0) FROM changes WHERE author = ?", [device]).fetchone()
            return int(kept)
        moment = undo_since if undo_since.tzinfo else undo_since.replace(tzinfo=UTC)
        stamp = make_stamp(int(moment.timestamp() * 1000))
        (kept,) = self.db.execute("SELECT coalesce(max(seq), 0) FROM changes WHERE author = ? AND hlc < ?",
                                  [device, stamp]).fetchone()
        return int(kept)

    def _commit(self, action: str, value: dict[str, Any]) -> None:
        """Commit one entry, after checking that the rules let it take effect."""
        self._commit_all([(action, value)])

    def _commit_all(self, entries: list[tuple[str, dict[str, Any]]]) -> None:
        """Commit entries in one changeset, after checking that the rules let each take effect."""
        me = self.replica.device_id
        held = self.membership()
        if any(action != FOUND for action, _value in entries) and not held.admitted(me):
            raise MembershipRefused("this laptop is no longer a member of the group.")
        trials = [Entry(me, 1 << 62, self.replica.clock.last + 1, i, action, value)
                  for i, (action, value) in enumerate(entries)]
        # said in people's words (the rules refuse it too: core/membership.py `_bar`)
        removed = removed_by_an_admin(held) - held.devices.keys()
        back = next((e for e in trials if e.action == ADMIT and e.target in removed), None)
        if back is not None:
            raise MembershipRefused(f"'{entry_name(back.value) or back.target[:8]}' was removed by an admin: a "
                                    "removed laptop cannot be admitted again.")
        reason = _why_not(held, trials, self.db)
        if reason == ONLY_ADMINS and (only := self.only_admin()) is not None:
            reason = stuck_with_one_admin(only.name)
        if reason:
            raise MembershipRefused(reason)
        self.replica.commit([LocalOp(MEMBERSHIP_KIND, new_id(), action, value) for action, value in entries])


def _when(epoch: float) -> str:
    """As the app says a moment beside it ("was here at 17:48 on 2 December"): 2 December 2026 at 17:36."""
    return f"{datetime.fromtimestamp(epoch):%-d %B %Y at %H:%M}"


def _has_heard(device: DeviceInfo, removals: list[tuple[str, int, int]], holds: dict[str, int]) -> bool:
    """Whether `device` holds one of these removal entries (author, seq, stamp), as far as this device knows."""
    return device.this_device or any(author == device.id or holds.get(author, 0) >= seq
                                     for author, seq, _ in removals)


def _with_id(device: DeviceInfo | WaitingDevice) -> str:
    """A device's name with the start of its id and what sets it apart, for telling namesakes apart."""
    if isinstance(device, WaitingDevice):
        return f"{device.name} ({device.id[:8]}, waiting for an admin)"
    marks = [device.id[:8]] + ["this laptop"] * device.this_device + ["removed"] * device.removed
    return f"{device.name} ({', '.join(marks)})"


Named = TypeVar("Named", bound=DeviceInfo | WaitingDevice)


def _named_by(text: str, devices: list[Named]) -> list[Named]:
    """The device with this exact id; failing that, those with this exact name; failing that, those
    whose id starts with it. An id names one device whatever names others took: a laptop a member
    let in, named with another's id, made that id name two (it could then be neither removed nor
    vouched for by it) or took its vouch."""
    return ([d for d in devices if d.id == text] or [d for d in devices if d.name == text]
            or [d for d in devices if text and d.id.startswith(text.lower())])


def _why_not(held: Membership, trials: list[Entry], db: Any) -> str | None:
    """Why the rules would give one of these entries (by this device) no effect, in words for
    people; None if each works."""
    for trial in trials:
        if trial.action == ADMIT and not held.may_invite(trial.author):
            if held.members_may_invite and held.admitted(trial.author):
                return ADMITTED_BY_A_MEMBER
            return "only an admin can admit laptops (the group's policy does not let members invite)."
        if trial.action in (REMOVE, PROMOTE, DEMOTE, POLICY, KEEP) and not held.is_admin(trial.author):
            return ONLY_ADMINS
        if trial.action == REMOVE and trial.target == trial.author:  # it would take back its own entry
            return "a laptop cannot remove itself; another admin of the group can remove it."
    after = store.load_membership(db, trials)
    for entry, reason in after.ignored:
        if entry in trials:
            return reason[0].upper() + reason[1:] + "."
    return None
