"""3 to 5 devices of one group edit at random and swap changesets in any order, any subset,
with duplicates; after a full exchange all show the same data, every write that was not
overruled is there, and every concurrent loser is listed as a conflict.

The test keeps its own model: every field write each device made (value, clock, device
and the version it overwrote), taken from the changesets each local call produced, after
checking that the call wrote what was asked.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, multiple, precondition, rule

from organiser.core.changeset import Changeset, Op, decode_changeset
from organiser.core.errors import NotFoundError, ValidationError
from organiser.core.hlc import HybridClock, physical_ms
from organiser.core.records import DELETED, KINDS
from organiser.services.group import Group, create_group
from organiser.store import forks, queries
from tests.bad_peer import BadPeer, absurd_ops
from tests.conftest import add_device

NAMES = st.sampled_from(["Ana", "Bruno", "Chen", "Dara"])
ROLES = st.lists(st.sampled_from(["Outreach", "Kitchen", "Legal", "outreach"]), max_size=3)
FIELD_VALUES: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "member": {"name": NAMES, "notes": st.sampled_from(["", "Signal", "no calls"]),
               "consent_email": st.booleans()},
    "event": {"title": st.sampled_from(["Assembly", "Picnic", "Demo"]),
              "location": st.sampled_from(["", "Hall", "Park"]), "capacity": st.integers(0, 3),
              "status": st.sampled_from(["scheduled", "cancelled"])},
    "task": {"title": st.sampled_from(["Posters", "Chairs", "Soup"]),
             "status": st.sampled_from(["todo", "doing", "done"]), "priority": st.integers(0, 2)},
}
DELIVERY = st.sampled_from(["both ways", "shuffled", "subset out of order", "duplicated"])


@dataclass(frozen=True)
class Write:
    value: Any
    hlc: int
    device: str
    base: tuple[int, str] | None
    resolves: tuple[tuple[int, str], ...]
    seq: int
    saw: frozenset[tuple[str, int]]  # the changesets its device held when it wrote this

    @property
    def version(self) -> tuple[int, str]:
        return (self.hlc, self.device)


class Convergence(RuleBasedStateMachine):
    members = Bundle("members")
    events = Bundle("events")
    tasks = Bundle("tasks")

    def __init__(self) -> None:
        super().__init__()
        # Real SQLite files; on a RAM disk where there is one, since synchronous=FULL makes
        # every commit an fsync and this test makes thousands.
        ram = Path("/dev/shm")
        self.tmp = Path(tempfile.mkdtemp(prefix="organiser-convergence-", dir=ram if ram.is_dir() else None))
        self.devices: list[Group] = []
        self.writes: dict[tuple[str, str], list[Write]] = {}
        self.kind_of: dict[str, str] = {}
        self.held: dict[str, set[tuple[str, int]]] = {}  # per device: changesets delivered to it
        # Two member devices acting in bad faith (modified clients holding real keys), not
        # replicas here: one sends absurd values between good changesets, one signs two
        # versions of the same number (a fork).
        self.absurd: BadPeer | None = None
        self.liar: BadPeer | None = None
        self.decided = False  # an admin kept a version of a fork: the liar's records may show
        self.rogues: set[str] = set()

    # ---- set-up and the model --------------------------------------------------------------

    @initialize(count=st.integers(3, 5))
    def make_devices(self, count: int) -> None:
        founder = create_group(self.tmp / "d0", "Convergence", "device 0")
        self.devices = [founder]
        for i in range(1, count):
            self.devices.append(add_device(founder, self.tmp / f"d{i}", f"device {i}"))
        self.rogue_groups = [add_device(founder, self.tmp / name, name) for name in ("absurd", "liar")]
        self.rogues = {g.device_id for g in self.rogue_groups}
        self.held = {d.device_id: set() for d in self.devices}
        for device in self.devices:  # each holds its own admission-time changesets
            self.held[device.device_id] |= {(cs.author, cs.seq) for cs in device.replica.changes_since({})}
        self.full_exchange()
        self.writes.clear()  # the roster itself is not what this test is about
        self.kind_of.clear()
        # One wall clock for all devices, a millisecond per action: the same steps give the
        # same clock stamps on every run, so Hypothesis can replay and shrink a failure
        # (real clocks would make which write wins, and so what later steps draw, vary).
        self.wall_ms = physical_ms(max(d.replica.clock.last for d in self.devices)) + 1
        self.index_of = {d.device_id: i for i, d in enumerate([*self.devices, *self.rogue_groups])}
        for device in [*self.devices, *self.rogue_groups]:
            device.replica.clock = HybridClock(device.replica.clock.last, wall_ms=lambda: self.wall_ms)
        self.absurd, self.liar = (BadPeer(g) for g in self.rogue_groups)

    def deliver(self, dst: Group, batch: list) -> None:
        result = dst.replica.apply(batch)
        # only the rogues' changesets may be refused (set aside after a fork, or off its chain)
        assert {r.author for r in result.refused} <= self.rogues, result.refused
        refused = {(r.author, r.seq) for r in result.refused}
        self.held[dst.device_id] |= {(cs.author, cs.seq) for cs in batch} - refused

    def sync(self, one: Group, other: Group) -> None:
        """Both ways, what each lacks (as tests.conftest.sync_pair), noting what arrived; then,
        as a sync session does, the other versions where HELLO's heads differ, and proofs."""
        vectors = {g.device_id: g.replica.version_vector() for g in (one, other)}
        heads = {g.device_id: forks.heads(g.db, vectors[g.device_id]) for g in (one, other)}
        self.deliver(other, one.replica.changes_since(vectors[other.device_id]))
        self.deliver(one, other.replica.changes_since(vectors[one.device_id]))
        for src, dst in ((one, other), (other, one)):
            differing = forks.differing_heads(dst.db, vectors[src.device_id], heads[src.device_id])
            if differing:
                lower = {**dst.replica.version_vector(), **{a: s - 1 for a, s in differing.items()}}
                self.deliver(dst, [cs for cs in src.replica.changes_since(lower) if cs.author in differing])
        for src, dst in ((one, other), (other, one)):
            self.deliver(dst, [decode_changeset(*proof) for proof in forks.proofs_after(src.db, 0)[1]])

    def service(self, device: Group, kind: str) -> Any:
        return {"member": device.members, "event": device.events, "task": device.tasks}[kind]

    def local(self, index: int, call: Any) -> Any:
        """Run one local action; record the field writes its changesets carry."""
        device = self.devices[index % len(self.devices)]
        before = device.replica.version_vector().get(device.device_id, 0)
        saw = frozenset(self.held[device.device_id])
        self.wall_ms += 1
        try:
            result = call(device)
        except (NotFoundError, ValidationError):
            # the record is not (or no longer) visible here: nothing may have been written
            assert device.replica.version_vector().get(device.device_id, 0) == before
            return None
        others = {d: 1 << 40 for d in {*self.index_of, *self.rogues} if d != device.device_id}
        for cs in device.replica.changes_since({**others, device.device_id: before}):
            assert cs.author == device.device_id
            for op in cs.ops:
                self.kind_of[op.record] = op.kind
                self.writes.setdefault((op.record, op.field), []).append(
                    Write(op.value, cs.hlc, cs.author, op.base, op.resolves, cs.seq, saw))
            self.held[device.device_id].add((cs.author, cs.seq))
            saw = saw | {(cs.author, cs.seq)}
        return result

    def own_ops(self, device: Group, since: int) -> list[tuple[str, str, Any]]:
        others = {d: 1 << 40 for d in {*self.index_of, *self.rogues} if d != device.device_id}
        return [(op.record, op.field, op.value)
                for cs in device.replica.changes_since({**others, device.device_id: since}) for op in cs.ops]

    # ---- what people do --------------------------------------------------------------------

    @rule(target=members, device=st.integers(0, 4), name=NAMES, roles=ROLES)
    def add_member(self, device: int, name: str, roles: list[str]) -> str:
        member = self.local(device, lambda d: d.members.add(name, roles=roles))
        assert member.name == name
        assert {r.casefold() for r in member.roles} == {r.casefold() for r in roles}
        return member.id

    @rule(target=events, device=st.integers(0, 4), title=FIELD_VALUES["event"]["title"])
    def add_event(self, device: int, title: str) -> str:
        return self.local(device, lambda d: d.events.add(title, "2026-12-03T19:00", tz="UTC")).id

    @rule(target=tasks, device=st.integers(0, 4), title=FIELD_VALUES["task"]["title"],
          assignee=st.none() | members)
    def add_task(self, device: int, title: str, assignee: str | None) -> Any:
        task = self.local(device, lambda d: d.tasks.add(title, assignee=assignee))
        return task.id if task else multiple()  # an assignee not visible there: refused, nothing written

    def seen_by(self, record: str) -> list[int]:
        """The devices that show the record (edits elsewhere are refused, so pick among these)."""
        return [i for i, d in enumerate(self.devices) if queries.exists(d.db, self.kind_of[record], record)]

    @rule(record=members | events | tasks, data=st.data())
    def edit(self, record: str, data: st.DataObject) -> None:
        kind = self.kind_of.get(record)
        seen = self.seen_by(record) if kind else []
        if not seen:
            return
        device = data.draw(st.sampled_from(seen), label="device")
        field = data.draw(st.sampled_from(sorted(FIELD_VALUES[kind])), label="field")
        value = data.draw(FIELD_VALUES[kind][field], label="value")
        target = self.devices[device]
        shown = getattr(self.service(target, kind).get(record), field)
        since = target.replica.version_vector().get(target.device_id, 0)
        edited = self.local(device, lambda d: self.service(d, kind).edit(record, **{field: value}))
        assert getattr(edited, field) == value
        if shown != value:
            assert (record, field, value) in self.own_ops(target, since)
        else:
            assert self.own_ops(target, since) == []

    @rule(record=members | events | tasks, data=st.data())
    def edit_on_several_devices_at_once(self, record: str, data: st.DataObject) -> None:
        """Laptops that met once (so they all show the record) then change the same field apart."""
        kind = self.kind_of.get(record)
        seen = self.seen_by(record) if kind else []
        if not seen:
            return
        everyone = range(len(self.devices))
        devices = data.draw(st.lists(st.sampled_from(everyone), min_size=2, max_size=3, unique=True), label="devices")
        for device in devices:
            if device not in seen:
                self.sync(self.devices[seen[0]], self.devices[device])
        field = data.draw(st.sampled_from(sorted(FIELD_VALUES[kind])), label="field")
        for device in devices:
            value = data.draw(FIELD_VALUES[kind][field], label="value")
            self.local(device, lambda d, v=value: self.service(d, kind).edit(record, **{field: v}))

    @rule(device=st.integers(0, 4), member=members, roles=ROLES)
    def set_roles(self, device: int, member: str, roles: list[str]) -> None:
        edited = self.local(device, lambda d: d.members.edit(member, roles=roles))
        if edited is not None:
            assert {r.casefold() for r in edited.roles} == {r.casefold() for r in roles}

    @rule(device=st.integers(0, 4), record=members | events | tasks)
    def delete(self, device: int, record: str) -> None:
        kind = self.kind_of.get(record)
        if kind is not None:
            self.local(device, lambda d: self.service(d, kind).delete(record))

    @rule(device=st.integers(0, 4), event=events, member=members,
          answer=st.sampled_from(["yes", "no", "maybe"]))
    def rsvp(self, device: int, event: str, member: str, answer: str) -> None:
        self.local(device, lambda d: d.events.rsvp(event, member, answer))

    # ---- members acting in bad faith ---------------------------------------------------------

    def note_good(self, cs: Changeset) -> None:
        for op in cs.ops:
            self.kind_of[op.record] = op.kind
            self.writes.setdefault((op.record, op.field), []).append(
                Write(op.value, cs.hlc, cs.author, op.base, op.resolves, cs.seq, frozenset()))

    @precondition(lambda self: self.devices)
    @rule(device=st.integers(0, 4), which=st.sampled_from(sorted(absurd_ops("0" * 32, "1" * 32))), name=NAMES)
    def absurd_author_sends(self, device: int, which: str, name: str) -> None:
        """Absurd values between good changesets: the bad one is refused, the good ones apply."""
        assert self.absurd is not None
        dst = self.devices[device % len(self.devices)]
        self.wall_ms += 1
        ids = sorted(self.kind_of)
        member = next((r for r in ids if self.kind_of[r] == "member"), "0" * 32)
        event = next((r for r in ids if self.kind_of[r] == "event"), "1" * 32)
        bad = self.absurd.sign(absurd_ops(member, event)[which])
        rid = f"ab{self.absurd.seq:030x}"
        good = self.absurd.sign([Op("member", rid, f.name, name if f.name == "name" else f.default)
                                 for f in KINDS["member"].fields])
        result = dst.replica.apply([bad, good])
        assert [r.seq for r in result.refused] == [bad.seq] and result.applied == 1
        self.note_good(good)
        self.held[dst.device_id].add((good.author, good.seq))

    @precondition(lambda self: self.devices)
    @rule(one=st.integers(0, 4), other=st.integers(0, 4), name=NAMES)
    def liar_signs_two_versions(self, one: int, other: int, name: str) -> None:
        """Two validly signed changesets with one number, handed to two devices (or one)."""
        assert self.liar is not None
        self.wall_ms += 1
        seq, prev = self.liar.seq + 1, self.liar.prev
        left = self.liar.sign([Op("member", f"11{seq:028x}aa", "name", f"{name} (left)")])
        right = self.liar.sign([Op("member", f"11{seq:028x}bb", "name", f"{name} (right)")], seq=seq, prev=prev)
        self.devices[one % len(self.devices)].replica.apply([left])
        self.devices[other % len(self.devices)].replica.apply([right])

    @precondition(lambda self: self.devices)
    @rule(side=st.integers(0, 1))
    def admin_keeps_a_version(self, side: int) -> None:
        """The founder (an admin) keeps one version of a fork it holds the proof of; the
        decision then travels like any membership entry."""
        founder = self.devices[0]
        open_forks = [f for f in founder.forks.list() if f.open]
        if not open_forks:
            return
        self.wall_ms += 1
        fork = open_forks[0]
        before = founder.replica.version_vector().get(founder.device_id, 0)
        founder.forks.keep(fork.id, fork.versions[side % len(fork.versions)].hash)
        self.decided = True
        after = founder.replica.version_vector()[founder.device_id]
        self.held[founder.device_id] |= {(founder.device_id, seq) for seq in range(before + 1, after + 1)}

    # ---- how changesets travel -------------------------------------------------------------

    @precondition(lambda self: self.devices)
    @rule(one=st.integers(0, 4), other=st.integers(0, 4), how=DELIVERY, rng=st.randoms(use_true_random=False))
    def exchange(self, one: int, other: int, how: str, rng: random.Random) -> None:
        src = self.devices[one % len(self.devices)]
        dst = self.devices[other % len(self.devices)]
        if src is dst:
            return
        if how == "both ways":
            self.sync(src, dst)
            return
        missing = src.replica.changes_since(dst.replica.version_vector())
        missing.sort(key=lambda cs: (self.index_of[cs.author], cs.seq))  # device ids are random
        rng.shuffle(missing)
        if how == "shuffled":
            batches = [missing]
        elif how == "subset out of order":
            batches = [[cs] for cs in missing[: rng.randint(0, len(missing))]]
        else:
            batches = [missing + missing[: len(missing) // 2], missing]
        for batch in batches:
            self.deliver(dst, batch)

    @precondition(lambda self: self.devices)
    @rule()
    def everyone_meets(self) -> None:
        self.full_exchange()
        self.check_converged()

    def full_exchange(self) -> None:
        hub, *rest = self.devices
        for _ in range(2):  # the hub gathers everything, then hands it out
            for device in rest:
                self.sync(hub, device)
        # A fork the hub proves only while handing out (the version that proves it came from a
        # device later in the round) reaches the devices served before it in one more round: a
        # real session pushes a new proof to every connected peer at once.
        for _ in range(3):
            proofs = [self.proof_count(d) for d in self.devices]
            if len(set(proofs)) == 1:
                break
            for device in rest:
                self.sync(hub, device)

    @staticmethod
    def proof_count(device: Group) -> int:
        """Versions of forked numbers a device holds (shown or kept as proof)."""
        return device.db.execute("SELECT count(*) FROM forks").fetchone()[0]

    # ---- what must hold --------------------------------------------------------------------

    def winner(self, record: str, field: str) -> Write | None:
        writes = self.writes.get((record, field))
        return max(writes, key=lambda w: w.version) if writes else None

    def losing_values(self) -> dict[tuple[str, str], set[str]]:
        """Per field, the values of concurrent losers: writes that lost to the winner, differ
        from it, and that no device overwrote knowingly (having held them) or settled.
        Each must stay visible as a conflict on every device."""
        out: dict[tuple[str, str], set[str]] = {}
        for (record, field), writes in self.writes.items():
            best = max(writes, key=lambda w: w.version)
            settled = {v for w in writes for v in w.resolves}
            for loser in writes:
                if loser is best or loser.value == best.value or loser.version in settled:
                    continue
                if any((loser.device, loser.seq) in w.saw for w in writes):
                    continue
                out.setdefault((record, field), set()).add(json.dumps(loser.value))
        return out

    def unsettled_losers(self) -> set[tuple[str, str, int, str]]:
        out = set()
        for (record, field), writes in self.writes.items():
            best = max(writes, key=lambda w: w.version)
            settled = {w.base for w in writes if w.base} | {v for w in writes for v in w.resolves}
            out |= {(record, field, *w.version) for w in writes
                    if w is not best and w.version not in settled and w.value != best.value}
        return out

    def check_converged(self) -> None:
        first = self.devices[0]
        liar = self.liar.device.device_id if self.liar else ""
        for device in self.devices[1:]:
            # the liar's entry may differ: devices stored different versions before the fork met
            assert {a: s for a, s in device.replica.version_vector().items() if a != liar} == \
                {a: s for a, s in first.replica.version_vector().items() if a != liar}
            assert device.replica.state_hash() == first.replica.state_hash()
        if self.liar and any(forks.set_aside(d.db) for d in self.devices):
            # once any device proved the fork, every device has set the liar aside alike
            for device in self.devices:
                assert forks.set_aside(device.db) == forks.set_aside(first.db)
                shown = {rid for (rid,) in device.db.execute("SELECT id FROM records WHERE deleted = 0")}
                # until an admin kept a version, none shows the liar's records
                assert self.decided or not [r for r in shown if r.startswith("11") and r.endswith(("aa", "bb"))]
        losing = self.losing_values()
        for device in self.devices:
            for (record, field), _writes in self.writes.items():
                best = self.winner(record, field)
                found = queries.get_record(device.db, record)
                assert found is not None, (record, field)
                kind, values, deleted = found
                assert values.get(field) == best.value, (kind, field, values.get(field), best)
                deleted_by = self.winner(record, DELETED)
                assert deleted == bool(deleted_by and deleted_by.value)
            self.check_roles(device)
            listed: dict[tuple[str, str], set[str]] = {}
            for c in device.conflicts():
                # every conflict listed is a real write that lost, shown with its own value
                write = next(w for w in self.writes[(c["record"], c["field"])] if list(w.version) == c["version"])
                assert write.value == c["value"]
                assert write.version < self.winner(c["record"], c["field"]).version
                assert c["current"] == self.winner(c["record"], c["field"]).value
                listed.setdefault((c["record"], c["field"]), set()).add(json.dumps(c["value"]))
            for key, values in losing.items():
                assert values <= listed.get(key, set()), (key, values, listed.get(key))
            # and every device lists the same ones: the writes that lost to the winner, that no
            # later write overwrote knowingly (as its base) or settled, and that differ from it
            shown = {(c["record"], c["field"], *c["version"]) for c in device.conflicts()}
            assert shown == self.unsettled_losers(), (shown ^ self.unsettled_losers())

    def check_roles(self, device: Group) -> None:
        for member, kind in self.kind_of.items():
            if kind != "member" or self.winner(member, DELETED) and self.winner(member, DELETED).value:
                continue
            expected = sorted(
                (self.winner(rid, "role").value for rid, k in self.kind_of.items()
                 if k == "member_role" and self.winner(rid, "member").value == member
                 and not (self.winner(rid, DELETED) and self.winner(rid, DELETED).value)),
                key=str.casefold,
            )
            assert device.members.get(member).roles == expected

    def teardown(self) -> None:
        try:
            if self.devices:
                self.full_exchange()
                self.check_converged()
        finally:
            for device in [*self.devices, *getattr(self, "rogue_groups", [])]:
                device.close()
            shutil.rmtree(self.tmp, ignore_errors=True)


# Derandomised: the same examples on every run, so a red test always means a change broke
# something. For a deeper search, raise max_examples and drop derandomize (700 random
# examples of 40 steps passed when this was written).
Convergence.TestCase.settings = settings(
    max_examples=35, stateful_step_count=30, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestConvergence = pytest.mark.slow(Convergence.TestCase)  # started first under make test
