"""What a laptop an admin removed knows of its removal, in the words its person needs: which laptop of
the group told it and when (and who removed it and when, if a member of the build that showed the admin's
signed removal did, core/removal_proof.py), what that means, how many of the changes made here reach no
laptop of the group, and what to do.

The removed laptop's own log never holds its removal (nothing reaches it after it), so this reads what
its sync node kept when a member refused it (net/admission.py): the notice (when, and who told it) and,
when checked, the admin's removal.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from organiser.core.changeset import GENESIS, Changeset, MalformedChangeset, decode_changeset
from organiser.core.hlc import make_stamp, physical_ms
from organiser.core.removal_proof import RemovalProof, check_removal
from organiser.core.words import plural
from organiser.services.history import Write, summary
from organiser.store.membership import entries_in, load_membership

if TYPE_CHECKING:
    from organiser.services.group import Group

REMOVED_NOTICE = "removed_notice"  # meta: "<unix time> <device id or address>" of the member that told this laptop
# meta: the admin's removal of this laptop, checked (JSON: by, hlc, kept; and the changeset, body and
# signature in base64, to check again against the log as it grows)
REMOVAL_PROOF = "removal_proof"

HEADLINE = "This laptop was removed from the group"
WHAT_IT_MEANS = ("What is entered here stays on this laptop, but no longer reaches the group's other laptops; "
                 "everything synced before the removal stays here too.")


@dataclass(frozen=True)
class RemovedHere:
    """This laptop's removal as it knows it. `removed_by`/`removed_at` are known only from an admin's
    signed removal (checked); `not_reached` counts the changes made here that no laptop of the group
    takes: exactly when the removal is known, else those made since this laptop was told (at least)."""

    told_at: datetime | None
    told_by: str  # the member's laptop that said so, by name (or its address)
    removed_by: str  # the admin's laptop, by name; "" when not known
    removed_at: datetime | None
    not_reached: int
    exact: bool  # `not_reached` counts from the removal itself (else from when this laptop was told)
    kept: int | None = None  # this laptop's last change the group keeps, when the removal is known
    since: datetime | None = None  # when the first change here that did not reach the group was made
    what: str = ""  # what those changes touched, in a few words ("2 RSVPs or check-ins, 1 member")

    def to_json(self) -> dict[str, object]:
        return {"removed_by": self.removed_by or None, "removed_at": _iso(self.removed_at),
                "told_by": self.told_by or None, "told_at": _iso(self.told_at), "not_reached": self.not_reached,
                "not_reached_exact": self.exact, "kept": self.kept, "not_reached_since": _iso(self.since)}

    def who_and_when(self) -> str:
        if self.removed_by and self.removed_at is not None:
            return f"An admin, on {self.removed_by}, removed this laptop on {when(self.removed_at)}."
        told = f" on {when(self.told_at)}" if self.told_at is not None else ""
        return (f"{self.told_by or 'A laptop of the group'} said so{told}; who removed it, and when, "
                "this laptop does not know yet.")

    def not_reached_sentence(self) -> str:
        """Like "2 changes made here since the removal did not reach the group (2 RSVPs or check-ins): …"."""
        if not self.not_reached:
            return ("Nothing entered here since the removal is missing from the group." if self.exact else
                    "Nothing entered here since this laptop was told is missing from the group (what was entered "
                    "between the removal and then, this laptop cannot tell).")
        kept = "it is" if self.not_reached == 1 else "they are"
        return f"{self._changes()} did not reach the group{self._what()}: {kept} kept on this laptop only."

    def on_no_other_laptop(self) -> str:
        """Like "3 changes made here since the removal (2 RSVPs or check-ins, 1 member) are on no other laptop"."""
        verb = "is" if self.not_reached == 1 else "are"
        return f"{self._changes()}{self._what()} {verb} on no other laptop of the group"

    def _changes(self) -> str:
        changes = plural(self.not_reached, "change")
        if not self.exact:
            return f"At least {changes} made here since this laptop was told"
        return f"{changes[:1].upper()}{changes[1:]} made here since the removal"

    def _what(self) -> str:
        return f" ({self.what})" if self.what else ""


def when(moment: datetime) -> str:
    return f"{moment:%-d %B %Y at %H:%M}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def removed_here(group: Group) -> RemovedHere | None:
    """This laptop's removal, or None when no member has told it that it was removed."""
    notice = group.replica.meta(REMOVED_NOTICE) or ""
    proof = _proof(group)
    if not notice and proof is None:
        return None
    told_at_text, _, told_by = notice.partition(" ")
    told_at = datetime.fromtimestamp(float(told_at_text)) if told_at_text else None
    names = {d.id: d.name for d in group.membership.list()}
    if proof is not None:
        count, first = group.db.execute("SELECT count(*), min(hlc) FROM change_log WHERE author = ? AND seq > ?",
                                        [group.device_id, proof.kept]).fetchone()
    else:
        stamp = make_stamp(int(told_at.timestamp() * 1000)) if told_at is not None else 0
        count, first = group.db.execute("SELECT count(*), min(hlc) FROM change_log WHERE author = ? AND hlc >= ?",
                                        [group.device_id, stamp]).fetchone()
    here = RemovedHere(
        told_at=told_at,
        told_by=names.get(told_by) or (f"The laptop at {told_by}" if told_by else ""),
        removed_by=names.get(proof.by, "") if proof is not None else "",
        removed_at=datetime.fromtimestamp(physical_ms(proof.hlc) / 1000) if proof is not None else None,
        not_reached=count, exact=proof is not None, kept=proof.kept if proof is not None else None,
        since=datetime.fromtimestamp(physical_ms(first) // 1000) if first is not None else None)
    return replace(here, what=summary(what_did_not_reach(group, here))) if count else here


def what_did_not_reach(group: Group, here: RemovedHere) -> list[Write]:
    """The writes made here that reach no laptop of the group (as `RemovedHere.not_reached` counts
    them), oldest first: what its person hands over before wiping this laptop's copy."""
    if here.since is None:
        return []
    writes = group.history.by_device(group.device_id, here.since)
    return [w for w in writes if w.change > here.kept] if here.kept is not None else writes


def _proof(group: Group) -> RemovalProof | None:
    kept = group.replica.meta(REMOVAL_PROOF)
    if not kept:
        return None
    try:
        doc = json.loads(kept)
        return RemovalProof(str(doc["by"]), int(doc["hlc"]), int(doc["kept"]))
    except (ValueError, KeyError, TypeError):
        return None


def keep_removal_proof(group: Group, body: bytes, signature: bytes) -> bool:
    """Check the removal a member showed (core/removal_proof.py) and keep it when it is this laptop's,
    signed by an admin this laptop knows, stands by the rules of this laptop's own membership log with it
    added, and keeps no more than one kept already. Whether it was kept."""
    roster = group.replica.roster()
    proof = check_removal(body, signature, group=group.id, device=group.device_id, keys=roster.keys,
                          admins=roster.admins)
    if proof is not None:
        proof = _standing(group, decode_changeset(body, signature))
    if proof is None:
        return False
    held = _proof(group)
    if held is not None and held.kept <= proof.kept:
        return False
    group.replica.set_meta(REMOVAL_PROOF, json.dumps({
        "by": proof.by, "hlc": proof.hlc, "kept": proof.kept,
        "changeset": [base64.b64encode(body).decode("ascii"), base64.b64encode(signature).decode("ascii")]}))
    return True


def removal_stands(group: Group) -> bool:
    """Whether this laptop holds an admin's signed removal of it that its own log, as it is now, still
    says stands. A member letting it in then has only not heard of the removal yet (net/admission.py)."""
    try:
        body, signature = (base64.b64decode(part, validate=True)
                           for part in json.loads(group.replica.meta(REMOVAL_PROOF) or "{}")["changeset"])
        cs = decode_changeset(body, signature)
    except (ValueError, KeyError, TypeError, MalformedChangeset):
        return False  # none held (or kept before the changeset was)
    return _standing(group, cs) is not None


def _standing(group: Group, cs: Changeset) -> RemovalProof | None:
    """The removal of this laptop that its own membership log makes once `cs` is added, or None.
    A signature by a device that is an admin now is not enough: the rules void a removal its author
    wrote while demoted, one taking back its author's own promotion, one a more senior admin's beat,
    and a changeset that is another version of a number held here (a fork) is evidence of nothing."""
    held, before = group.replica.hash_at(cs.author, cs.seq), group.replica.hash_at(cs.author, cs.seq - 1)
    after = group.replica.prev_at(cs.author, cs.seq + 1)
    if held not in (None, cs.hash) or after not in (None, cs.hash) or (
            before not in (None, cs.prev) if cs.seq > 1 else cs.prev != GENESIS):
        return None
    me = load_membership(group.db, entries_in([cs])).devices.get(group.device_id)
    if me is None or me.removed_kept is None or not me.removed_by:
        return None
    return RemovalProof(me.removed_by, me.removed_hlc, me.removed_kept)


def forget_removal_proof(group: Group) -> None:
    """A member let this laptop in after all (net/admission.py): what it was shown no longer stands."""
    if group.replica.meta(REMOVAL_PROOF):
        group.replica.set_meta(REMOVAL_PROOF, "")
