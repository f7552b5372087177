"""An admin's vouch: admitting again, as an admin, a laptop a member let in, and admitting with it
the laptops it admitted that wait for an admin (core/waiting_devices.py).

In a group that let members invite before invitations by members reached one step, the minutes
laptop a member's laptop admitted drops out of the roster; a vouch for that middle laptop alone
leaves it out (its admission lies before the vouch in the log's order). So the vouch names them,
and admits each in the same changeset: what the admin is asked to confirm is what it writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from organiser.core.device_name import device_name_problem, looks
from organiser.core.membership import ADMIT, Entry, Membership
from organiser.core.waiting_devices import Waiting
from organiser.core.words import plural
from organiser.store.membership import load_membership
from organiser.store.waiting_devices import waiting_devices

# What a device is in the group, in the words `device list` and the devices pane show.
ADMIN, MEMBER, LET_IN_BY_A_MEMBER, REMOVED, WAITING = (
    "admin", "member", "member, let in by a member", "removed", "waiting for an admin")


@dataclass(frozen=True)
class WaitingDevice:
    """A laptop a member's laptop admitted beyond one step: out of the roster (its changesets kept
    aside) until an admin vouches for it or for the laptop that admitted it."""

    id: str
    name: str
    admitted_by: str
    admitted_by_name: str
    public_key: str

    def to_json(self) -> dict[str, Any]:
        # the keys of a device of the roster (services/devices.py DeviceInfo), so that a reader of
        # `device list --json` finds each on every row
        return {"id": self.id, "name": self.name, "admitted_by": self.admitted_by,
                "admitted_by_name": self.admitted_by_name, "admin": False, "removed": False, "removed_by": "",
                "kept": None, "last_seen": None, "this_device": False, "state": WAITING}


@dataclass(frozen=True)
class Standing:
    """What each device is (`states`), the laptops waiting for an admin, and how many laptops that
    admitted more such laptops were left out of that list (it stays short under a puppets' flood)."""

    states: dict[str, str]
    waiting: list[WaitingDevice]
    unlisted: int = 0

    def unlisted_sentence(self) -> str:
        """What the list leaves out, for the admin; "" when nothing."""
        if not self.unlisted:
            return ""
        return (f"More laptops wait than listed: {plural(self.unlisted, 'other laptop')} a member let in admitted "
                "some. Vouch for the ones listed, or remove a laptop that admitted laptops nobody knows, to see "
                "the rest.")


@dataclass(frozen=True)
class VouchPlan:
    """What an admin's vouch for `name` writes: an admission of it (unless an admin admitted it
    already) and one of each laptop it admitted that waits (`brings`)."""

    device: str
    name: str
    admits_it: bool
    brings: tuple[WaitingDevice, ...]
    admissions: tuple[dict[str, Any], ...]
    # (id, the name of the group's laptop it looks like) of each laptop named like one of the group's
    # (core/device_name.py `looks`): a puppet named 'door laptop' read, in the question, as the door laptop
    alike: tuple[tuple[str, str], ...] = ()
    # (id, how many) of each laptop that comes in named like another that comes in: the honest minutes
    # laptop and a puppet of its name read as one laptop said twice
    namesakes: tuple[tuple[str, int], ...] = ()

    def said_name(self) -> str:
        """The name of the laptop vouched for, quoted, marked when it poses as one of the group's."""
        return _quoted(self.device, self.name, dict(self.alike), {})

    def names(self, shown: int = 12) -> str:
        """The laptops that come in with it, by name: those named like laptops of the group first,
        each marked, then the others; the first `shown`, then how many more (a puppet's 200 would
        fill the screen; the question says the count first)."""
        alike, namesakes = dict(self.alike), dict(self.namesakes)
        # stable: the posers first, never unread, then the namesakes side by side
        ordered = sorted(self.brings, key=lambda w: (w.id not in alike, w.id not in namesakes,
                                                     looks(w.name) if w.id in namesakes else ""))
        names = ", ".join(_quoted(w.id, w.name, alike, namesakes) for w in ordered[:shown])
        more = len(self.brings) - shown
        return names + (f" and {more:,} more" if more > 0 else "")

    def alike_sentence(self) -> str:
        """What the admin must know of the laptops that come in named like the group's; "" when none."""
        brought = {w.id for w in self.brings}
        count = sum(1 for device, _theirs in self.alike if device in brought)
        said = []
        if count and len(self.brings) == 1:
            said.append("It is named like a laptop of the group, and is another laptop.")
        elif count == 1:
            said.append("1 of them is named like a laptop of the group, and is another laptop.")
        elif count:
            said.append(f"{count:,} of them are named like laptops of the group, and are other laptops.")
        if self.namesakes:
            said.append(f"{len(self.namesakes):,} of them are named alike, and are different laptops.")
        return " ".join(said)

    def sentence(self) -> str:
        """What follows, for the admin asked to confirm and told once it is done."""
        said = (f"{self.said_name()} is now admitted by this admin: it may invite whenever members may."
                if self.admits_it else f"{self.said_name()} was admitted by an admin already.")
        if not self.brings:
            return said
        names = self.names()
        beware = self.alike_sentence()
        beware = f" {beware}" if beware else ""
        if len(self.brings) == 1:
            return (f"{said} The laptop it admitted that waited for an admin comes in with it (and may invite "
                    f"whenever members may): {names}; what it wrote arrives as laptops sync.{beware}")
        return (f"{said} The {len(self.brings):,} laptops it admitted that waited for an admin come in with it (and "
                f"may invite whenever members may): {names}; what they wrote arrives as laptops sync.{beware}")


# A name said in the question at most this long: twelve of 200 characters each, unbroken, made the
# box wider than a 1024-pixel screen (each name cut at its edge) and taller than a laptop's at 150 %.
SHOWN_NAME = 48


def _quoted(device: str, name: str, alike: dict[str, str], namesakes: dict[str, int]) -> str:
    theirs, many = alike.get(device), namesakes.get(device)
    if theirs:
        return f"'{_shown(name)}' (not the group's '{_shown(theirs)}': another laptop, {device[:8]})"
    return f"'{_shown(name)}'" + (f" ({device[:8]}: {many} laptops that come in are named alike)" if many else "")


def _shown(name: str) -> str:
    return name if len(name) <= SHOWN_NAME else name[:SHOWN_NAME - 1] + "…"


def waiting(held: Membership, found: list[Waiting], names: dict[str, str]) -> list[WaitingDevice]:
    """`found` in the words of people: each with the name of the laptop that admitted it."""
    return [WaitingDevice(w.id, w.name, w.admitted_by, names.get(w.admitted_by, w.admitted_by[:8]), w.public_key)
            for w in found if w.id not in held.devices]


def state_of(held: Membership, device: str) -> str:
    """What `device` of the roster is: admin, removed, member, or a member a member let in."""
    found = held.devices[device]
    if found.removed:
        return REMOVED
    if found.admin:
        return ADMIN
    return MEMBER if found.vouched_for else LET_IN_BY_A_MEMBER


def plan(db: Any, me: str, stamp: int, device: str, name: str, public_key: str) -> VouchPlan:
    """The admissions a vouch for `device` (of the roster, or waiting) writes, tried out with the
    log: its own unless an admin admitted it already, then those of the laptops it admitted that
    wait, as they would wait once it is vouched for."""
    held = load_membership(db)
    known = held.devices.get(device)
    admits_it = known is None or not known.vouched_for
    own = [_admission(device, public_key, name)] if admits_it else []
    trial = [Entry(me, 1 << 62, stamp, i, ADMIT, value) for i, value in enumerate(own)]
    found = waiting_devices(db, trial, also={device})
    after = found.membership
    brings = [w for w in found.waiting if w.admitted_by == device]
    names = {d.id: d.name for d in after.devices.values()}
    alike = _looking_alike(held, [(device, name), *((w.id, w.name) for w in brings)])
    return VouchPlan(device, name, admits_it, tuple(waiting(after, brings, names)),
                     tuple(own + [_admission(w.id, w.public_key, w.name) for w in brings]), alike,
                     _named_alike([(w.id, w.name) for w in brings if w.id not in dict(alike)]))


def _looking_alike(held: Membership, named: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Of `named` (id, name), those whose name looks like that of another current device of the
    group (the senior one's, of several), each with that name."""
    group: dict[str, list[tuple[str, str]]] = {}
    for d in sorted(held.devices.values(), key=lambda d: d.rank):
        if not d.removed:
            group.setdefault(looks(d.name or d.id[:8]), []).append((d.id, d.name or d.id[:8]))
    found = []
    for device, name in named:
        theirs = [their_name for their_id, their_name in group.get(looks(name), []) if their_id != device]
        if theirs:
            found.append((device, theirs[0]))
    return tuple(found)


def _named_alike(named: list[tuple[str, str]]) -> tuple[tuple[str, int], ...]:
    """Of `named` (id, name), those whose name looks like another's of them, each with how many do."""
    by_look: dict[str, list[str]] = {}
    for device, name in named:
        by_look.setdefault(looks(name), []).append(device)
    return tuple((device, len(devices)) for devices in by_look.values() if len(devices) > 1 for device in devices)


def _admission(device: str, public_key: str, name: str) -> dict[str, Any]:
    # A name stored before such names were refused on arrival is written as its start of id:
    # every laptop would refuse the admission otherwise (store/checks.py).
    return {"device": device, "public_key": public_key, "name": name if device_name_problem(name) is None
            else device[:8], "invite": ""}
