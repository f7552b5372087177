"""What a laptop an admin removed knows of its removal, in the words its person needs: which laptop of
the group told it and when, what that means, how many of the changes made here since reach no laptop
of the group (at least: whether anything made before it was told but after the removal is missing, it
cannot tell), and what to do.

The removed laptop's own log never holds its removal (nothing reaches it after it), and no member shows
it: the group's new folder and discovery keys are chained from that changeset's hash. So this reads what
its sync node kept when a member refused it (net/admission.py): when, and who told it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from organiser.core.hlc import make_stamp, physical_ms
from organiser.core.words import plural
from organiser.services.history import Write, summary

if TYPE_CHECKING:
    from organiser.services.group import Group

REMOVED_NOTICE = "removed_notice"  # meta: "<unix time> <device id or address>" of the member that told this laptop
# meta: unix time this laptop was first told, kept when a member that had not heard yet let it in (the
# claim is then forgotten): what was entered since may not reach the group, so it is counted from then.
FIRST_TOLD = "removed_first_told"

HEADLINE = "This laptop was removed from the group"
WHAT_IT_MEANS = ("What is entered here stays on this laptop, but no longer reaches the group's other laptops; "
                 "everything synced before the removal stays here too.")


@dataclass(frozen=True)
class RemovedHere:
    """This laptop's removal as it knows it: a member's word. `not_reached` counts the changes made
    here since this laptop was first told (at least that many reach no laptop of the group)."""

    told_at: datetime | None
    told_by: str  # the member's laptop that said so, by name (or its address)
    not_reached: int
    since: datetime | None = None  # when the first change here that did not reach the group was made
    what: str = ""  # what those changes touched, in a few words ("2 RSVPs or check-ins, 1 member")

    def to_json(self) -> dict[str, object]:
        return {"told_by": self.told_by or None, "told_at": _iso(self.told_at), "not_reached": self.not_reached,
                "not_reached_since": _iso(self.since)}

    def who_and_when(self) -> str:
        told = f" on {_when(self.told_at)}" if self.told_at is not None else ""
        return f"{self.told_by or 'A laptop of the group'} said so{told}."

    def not_reached_sentence(self) -> str:
        """Like "At least 2 changes made here since this laptop was told did not reach the group (…): …"."""
        if not self.not_reached:
            return ("Nothing entered here since this laptop was told is missing from the group. Anything entered "
                    "before that but after the removal may be: this laptop cannot tell.")
        kept = "it is" if self.not_reached == 1 else "they are"
        return f"{self._changes()} did not reach the group{self._what()}: {kept} kept on this laptop only."

    def on_no_other_laptop(self) -> str:
        """Like "At least 3 changes made here since this laptop was told (…) are on no other laptop"."""
        verb = "is" if self.not_reached == 1 else "are"
        return f"{self._changes()}{self._what()} {verb} on no other laptop of the group"

    def _changes(self) -> str:
        return f"At least {plural(self.not_reached, 'change')} made here since this laptop was told"

    def _what(self) -> str:
        return f" ({self.what})" if self.what else ""


def _when(moment: datetime) -> str:
    return f"{moment:%-d %B %Y at %H:%M}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def removed_here(group: Group) -> RemovedHere | None:
    """This laptop's removal, or None when no member has told it that it was removed."""
    notice = group.replica.meta(REMOVED_NOTICE) or ""
    if not notice:
        return None
    told_at_text, _, told_by = notice.partition(" ")
    told_at = datetime.fromtimestamp(float(told_at_text))
    first = float(group.replica.meta(FIRST_TOLD) or told_at_text)
    names = {d.id: d.name for d in group.membership.list()}
    count, earliest = group.db.execute("SELECT count(*), min(hlc) FROM change_log WHERE author = ? AND hlc >= ?",
                                       [group.device_id, make_stamp(int(min(first, float(told_at_text)) * 1000))]
                                       ).fetchone()
    here = RemovedHere(
        told_at=told_at,
        told_by=names.get(told_by) or (f"The laptop at {told_by}" if told_by else ""),
        not_reached=count,
        since=datetime.fromtimestamp(physical_ms(earliest) // 1000) if earliest is not None else None)
    return replace(here, what=summary(what_did_not_reach(group, here))) if count else here


def what_did_not_reach(group: Group, here: RemovedHere) -> list[Write]:
    """The writes made here that reach no laptop of the group (as `RemovedHere.not_reached` counts
    them), oldest first: what its person hands over before wiping this laptop's copy."""
    if here.since is None:
        return []
    return group.history.by_device(group.device_id, here.since)


def forget_told(group: Group) -> None:
    """A member let this laptop in after all (net/admission.py): the claim is forgotten, the moment it
    was first made kept (the earliest), so a removal told again counts what was entered since then."""
    notice = group.replica.meta(REMOVED_NOTICE) or ""
    if not notice:
        return
    told = notice.partition(" ")[0]
    first = group.replica.meta(FIRST_TOLD)
    group.replica.set_meta(FIRST_TOLD, told if not first else str(min(float(first), float(told))))
    group.replica.set_meta(REMOVED_NOTICE, "")
