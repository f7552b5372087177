"""Forgetting a member: an admin's order that erases them on every laptop (docs/erasure.md)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from organiser.core.bus import RecordsChanged
from organiser.core.erasure import ERASURE_KIND, MAX_LISTED, ORDER_FIELD, Listed, Order, stub_hash, stub_of
from organiser.core.errors import NotFoundError, ValidationError
from organiser.core.letters import plain
from organiser.core.records import new_id
from organiser.services.naming import LISTED
from organiser.store import erasure
from organiser.store.database import connect
from organiser.store.replica import LocalOp, Replica

ONLY_ADMINS = "only an admin can forget a member; see 'organiser device list' for the group's admins."
# What the person confirming is told, in the CLI and the app alike.
NOT_REACHED = ("Backups, exports and copies made before, shared folders, and laptops outside the group "
               "are not reached: they keep what they hold.")


@dataclass(frozen=True)
class Forgotten:
    """What an erasure did here: the member, the records forgotten, the changesets rewritten."""

    member: str
    records: int
    changesets: int
    seconds: float


class Forgetting:
    """`forget(member_id)`: erase a member, their roles and skills from this laptop's change log,
    records, search index and conflicts, and sign the order that erases them everywhere."""

    def __init__(self, replica: Replica) -> None:
        self.replica = replica
        self.db = replica.db

    def what_goes(self, member_id: str) -> list[str]:
        """The records forgetting this member erases: theirs, and their roles and skills."""
        row = self.db.execute("SELECT kind FROM records WHERE id = ?", [member_id]).fetchone()
        if row is None or row[0] != "member":
            raise NotFoundError(f"no member has the id '{member_id}'.")
        traits = [rid for (rid,) in self.db.execute(
            "SELECT id FROM records WHERE link1 = ? AND kind IN ('member_role', 'member_skill') ORDER BY id",
            [member_id])]
        return [member_id, *traits]

    def find(self, text: str) -> tuple[str, str]:
        """(id, name) of the member `text` names: their id, four or more of its first characters,
        or their whole name, case and accents aside (deleted members too: deleting kept their
        values). Never a word's start, as other commands take: forgetting cannot be undone.
        Raises NotFoundError with a sentence when none or several match."""
        text = text.strip()
        if not text:
            raise NotFoundError("say which member to forget: their name or id.")
        wanted, by_id = plain(text), text.isalnum() and len(text) >= 4
        rows = [(rid, name) for rid, name in self.db.execute(
                "SELECT id, json_extract(data, '$.name') FROM records WHERE kind = 'member'")
                if isinstance(name, str)  # a forgotten member has no name
                and (rid == text or (by_id and rid.startswith(text.lower())) or plain(name) == wanted)]
        if not rows:
            raise NotFoundError(f"no member is called or has the id '{text}'.")
        if len(rows) > 1:
            listed = ", ".join(f"{rid[:8]} {name}" for rid, name in rows[:LISTED])
            more = f" and {len(rows) - LISTED} more" if len(rows) > LISTED else ""
            raise NotFoundError(f"{len(rows)} members match '{text}' ({listed}{more}): give the id instead.")
        return rows[0]

    def is_forgotten(self, member_id: str) -> bool:
        return member_id in erasure.forgotten(self.db)

    def forget(self, member_id: str) -> Forgotten:
        """Forget a member on this laptop and order it on every other (an admin's action).
        Raises ValidationError (not an admin, forgotten already) or NotFoundError."""
        began = time.perf_counter()
        if self.replica.device_id not in self.replica.roster().admins:
            raise ValidationError("member", ONLY_ADMINS)
        if self.is_forgotten(member_id):
            raise ValidationError("member", "this member was forgotten already.")
        records = self.what_goes(member_id)
        listed: list[int] = []

        def order_ops() -> list[list[LocalOp]]:
            # Listed under the commit's write lock: an edit of the member the sync stores meanwhile
            # would be erased here with the rest, unlisted, and refused by every laptop joining later.
            orders = self._orders(records)
            listed.append(sum(len(order.changesets) for order in orders))
            return [[LocalOp(ERASURE_KIND, new_id(), ORDER_FIELD, order.to_value())] for order in orders]

        self.replica.commit_read_under_lock(order_ops)
        return Forgotten(member_id, len(records), listed[-1], time.perf_counter() - began)

    def forget_apart(self, member_id: str) -> Forgotten:
        """`forget` on a database connection of its own, for a worker thread: on a year-old group
        the erasure takes seconds (the change log searched, the file rebuilt), which the window's
        thread must not wait through. The caller tells its own listeners afterwards
        (`changed_event`)."""
        db = connect(self.replica.database_path())
        try:
            replica = Replica(db, group_id=self.replica.group_id, device_id=self.replica.device_id,
                              key=self.replica.key())
            return Forgetting(replica).forget(member_id)
        finally:
            db.close()

    def changed_event(self, done: Forgotten) -> RecordsChanged:
        """What `forget` on this connection would have published: the member's records changed."""
        self.replica.forget_roster()
        return RecordsChanged(frozenset(self.what_goes(done.member)), frozenset(("member", "member_role",
                                                                                  "member_skill")), "local")

    def _orders(self, records: list[str]) -> list[Order]:
        """The orders: the records, and each held changeset that wrote one, with its stub's hash;
        as many orders as it takes to list them all (a member in bad faith writing a member
        thousands of times cannot keep them from being forgotten), one changeset each."""
        gone = erasure.forgotten(self.db) | set(records)
        listed = [Listed(cs.author, cs.seq, cs.hash, stub_hash(stub_of(cs.body, gone)))
                  for cs in erasure.held_touching(self.db, records)]
        parts = [listed[start:start + MAX_LISTED] for start in range(0, len(listed), MAX_LISTED)] or [[]]
        return [Order(tuple(records), tuple(part)) for part in parts]
