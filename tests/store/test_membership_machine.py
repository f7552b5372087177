"""A Hypothesis state machine: devices admit, remove, promote, demote, set the invite policy,
edit, and sign entries in bad faith (without the right, or back-dated), and exchange
changesets in random pairs, orders and duplicates. Whatever happened, once everyone has
talked to everyone, every device shows the same membership and the same state hash."""

from __future__ import annotations

import random
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from organiser.core.changeset import GENESIS, Op, sign_changeset
from organiser.core.errors import OrganiserError
from organiser.core.keys import public_key_hex
from organiser.core.membership import ADMIT, DEMOTE, MEMBERSHIP_KIND, POLICY, PROMOTE, REMOVE
from organiser.core.records import new_id
from organiser.services.group import Group, create_group
from organiser.store.replica import LocalOp
from tests.conftest import add_device, sync_all, sync_pair

NAMES = ["Ana", "Bruno", "Chidi", "Dana"]


class MembershipMachine(RuleBasedStateMachine):
    @initialize(devices=st.integers(3, 6), admins=st.integers(1, 3), seed=st.integers(0, 2**32))
    def make_group(self, devices: int, admins: int, seed: int) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="organiser-membership-"))
        self.random = random.Random(seed)
        founder = create_group(self.tmp / "d0", "Tenants Union", "device 0")
        self.groups: list[Group] = [founder]
        for i in range(1, devices):
            self.groups.append(add_device(founder, self.tmp / f"d{i}", f"device {i}"))
        for i in range(1, min(admins, devices)):
            founder.membership.promote(self.groups[i].device_id)
        for g in self.groups[1:]:
            sync_pair(founder, g)
        self.records: list[str] = []

    def teardown(self) -> None:
        for g in getattr(self, "groups", []):
            g.close()
        if hasattr(self, "tmp"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _try(self, action) -> None:  # type: ignore[no-untyped-def]
        try:
            action()
        except OrganiserError:
            pass  # refused by the rules as this device sees them (not an admin, removed...)

    @rule(who=st.integers(0, 5), name=st.sampled_from(NAMES), edit=st.booleans())
    def edit(self, who: int, name: str, edit: bool) -> None:
        g = self.groups[who % len(self.groups)]
        if edit and self.records:
            record = self.records[self.random.randrange(len(self.records))]
            self._try(lambda: g.members.edit(record, name=name))
        else:
            self._try(lambda: self.records.append(g.members.add(name).id))

    @rule(who=st.integers(0, 5))
    def admit_a_new_key(self, who: int) -> None:
        g = self.groups[who % len(self.groups)]
        self._try(lambda: g.admit_device(public_key_hex(Ed25519PrivateKey.generate()), "newcomer"))

    @rule(who=st.integers(0, 5), victim=st.integers(0, 5), undo=st.booleans())
    def remove(self, who: int, victim: int, undo: bool) -> None:
        g, t = self.groups[who % len(self.groups)], self.groups[victim % len(self.groups)]
        since = datetime.fromtimestamp(0, UTC) if undo else None  # undo: take back all it wrote
        self._try(lambda: g.membership.remove(t.device_id, undo_since=since))

    @rule(who=st.integers(0, 5), victim=st.integers(0, 5), promote=st.booleans())
    def promote_or_demote(self, who: int, victim: int, promote: bool) -> None:
        g, t = self.groups[who % len(self.groups)], self.groups[victim % len(self.groups)]
        self._try(lambda: (g.membership.promote if promote else g.membership.demote)(t.device_id))

    @rule(who=st.integers(0, 5), victim=st.integers(0, 5), action=st.sampled_from([REMOVE, PROMOTE, DEMOTE]))
    def write_an_entry_it_may_not(self, who: int, victim: int, action: str) -> None:
        """A member in bad faith writes an entry its own service would refuse (the rules must
        ignore it alike everywhere): its signature is good, its right to write it is not."""
        g, t = self.groups[who % len(self.groups)], self.groups[victim % len(self.groups)]
        value = {"device": t.device_id}
        if action == REMOVE:
            value["kept"] = g.replica.version_vector().get(t.device_id, 0)
        self._try(lambda: g.replica.commit([LocalOp(MEMBERSHIP_KIND, new_id(), action, value)]))

    @rule(who=st.integers(0, 5), members_may_invite=st.booleans())
    def set_policy(self, who: int, members_may_invite: bool) -> None:
        g = self.groups[who % len(self.groups)]
        self._try(lambda: g.membership.set_policy(members_may_invite=members_may_invite))

    @rule(who=st.integers(0, 5), victim=st.integers(0, 5),
          action=st.sampled_from([REMOVE, PROMOTE, DEMOTE, ADMIT, POLICY]), data=st.data())
    def write_a_back_dated_entry(self, who: int, victim: int, action: str, data: st.DataObject) -> None:
        """A device in bad faith signs an entry stamped just after a changeset it holds, however
        old (a removal, a promotion, a demotion naming what it had seen, an admission of a device
        admitted already, a closing of the policy), and stores it as its own."""
        g, t = self.groups[who % len(self.groups)], self.groups[victim % len(self.groups)]
        stamps = [row[0] for row in g.replica.db.execute("SELECT hlc FROM changes ORDER BY hlc")]
        vector = g.replica.version_vector()
        values = {REMOVE: {"device": t.device_id, "kept": vector.get(t.device_id, 0)},
                  PROMOTE: {"device": t.device_id},
                  DEMOTE: {"device": t.device_id, "seen": vector.get(t.device_id, 0)},
                  ADMIT: {"device": t.device_id, "public_key": public_key_hex(t.private_key()), "name": "again"},
                  POLICY: {"members_may_invite": False, "seen": {d: s for d, s in vector.items() if d != g.device_id}}}
        row = g.replica.db.execute(
            "SELECT seq, hash FROM (SELECT seq, hash FROM changes WHERE author = ?1"
            " UNION ALL SELECT seq, hash FROM withdrawn_changes WHERE author = ?1) ORDER BY seq DESC LIMIT 1",
            [g.device_id]).fetchone()
        seq, prev = row if row is not None else (0, GENESIS)
        stamp = data.draw(st.sampled_from(stamps)) + 1
        cs = sign_changeset(g.private_key(), g.id, g.device_id, seq + 1, prev, stamp,
                            [Op(MEMBERSHIP_KIND, new_id(), action, values[action])])
        self._try(lambda: g.replica.apply([cs]))

    @rule(a=st.integers(0, 5), b=st.integers(0, 5), data=st.data())
    def exchange(self, a: int, b: int, data: st.DataObject) -> None:
        """b receives some of what a holds, shuffled, with duplicates."""
        source, target = self.groups[a % len(self.groups)], self.groups[b % len(self.groups)]
        if source is target:
            return
        batch = source.replica.changes_since(target.replica.version_vector())
        if not batch:
            return
        part = data.draw(st.lists(st.sampled_from(batch), max_size=len(batch) + 3))
        target.replica.apply(part)

    @precondition(lambda self: hasattr(self, "groups"))
    @invariant()
    def the_group_keeps_an_admin(self) -> None:
        for g in self.groups:
            assert g.membership.membership().admins()

    def teardown_check(self) -> None:
        sync_all(self.groups, rounds=len(self.groups) + 2)
        rosters = [sorted((d.id, d.admin, d.removed, d.kept) for d in g.membership.list()) for g in self.groups]
        hashes = [g.replica.state_hash() for g in self.groups]
        assert all(r == rosters[0] for r in rosters), rosters
        assert len(set(hashes)) == 1, hashes


class CheckedMachine(MembershipMachine):
    def teardown(self) -> None:
        try:
            if hasattr(self, "groups"):
                self.teardown_check()
        finally:
            super().teardown()


CheckedMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_membership_converges = pytest.mark.slow(CheckedMachine.TestCase)  # started first under make test
