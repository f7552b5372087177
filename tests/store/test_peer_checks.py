"""A member device acting in bad faith (a modified client holding a real key) cannot store
absurd values, flood the incidents, stall the clocks or split the group."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from organiser.core.changeset import Changeset
from organiser.services.group import Group, create_group
from organiser.store import checks
from tests.bad_peer import LET_THROUGH, BadPeer, absurd_ops, far_future_stamp, let_through_ops, new_member
from tests.cli_in_process import clean_env, cli_in_process
from tests.conftest import add_device, sync_pair

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def poisoned(two_devices: tuple[Group, Group]) -> tuple[Group, Group, dict[str, Changeset], list[Changeset]]:
    """a received every absurd (and odd) changeset b's modified client signed, between good ones."""
    a, b = two_devices
    ana = a.members.add("Ana", emails=["ana@example.org"])
    party = a.events.add("Assembly", "2026-12-03T19:00", capacity=10)
    sync_pair(a, b)
    bad_peer = BadPeer(b)
    good_before = bad_peer.sign(new_member("Bruno"))
    cases = {**absurd_ops(ana.id, party.id), **let_through_ops(party.id)}
    bad = {why: bad_peer.sign(ops) for why, ops in cases.items()}
    bad["clock at the format's maximum"] = bad_peer.sign(new_member("Zed"), hlc=far_future_stamp())
    good_after = bad_peer.sign(new_member("Chen"))
    result = a.replica.apply([good_before, *bad.values(), good_after], source=b.device_id)
    assert {r.seq for r in result.refused} == {cs.seq for why, cs in bad.items() if why not in LET_THROUGH}
    assert result.applied == 2 + len(LET_THROUGH)
    return a, b, bad, [good_before, good_after]


def test_every_absurd_changeset_is_refused_with_its_reason_and_the_good_ones_apply(poisoned):
    a, b, bad, _good = poisoned
    assert sorted(m.name for m in a.members.list()) == ["Ana", "Bruno", "Chen"]
    ana = next(m for m in a.members.list() if m.name == "Ana")
    assert ana.emails == ["ana@example.org"] and ana.roles == [] and ana.consent_email is False
    series, party = a.events.list()  # the events lacking a title or a start are not listed
    assert series.rrule.count("EXDATE") == 60 and series.title == "Party"
    assert (party.start, party.capacity, party.status) == ("2026-12-03T19:00", 10, "scheduled")
    assert party.tz != "Mars/Olympus_Mons"
    codes = {why: checks.why_refused(cs, a.replica.clock.wall_ms()) for why, cs in bad.items()}
    assert codes["unknown kind"][0] == codes["unknown field"][0] == "unknown"
    assert codes["7 MiB name"][0] == "size"
    assert codes["clock at the format's maximum"][0] == "clock"
    assert codes["name 2,000 characters"] == ("value", "display name: a text of 2,000 characters is not how a "
                                              "member's display name is stored (a text of at most 1,000 characters)")
    assert codes["bool as text"] == ("value", "consent to email: a text of 3 characters is not how a member's "
                                     "consent to email is stored (yes or no)")
    assert codes["unknown time zone"][1].startswith("time zone: a text of 17 characters is not how an event's time "
                                                    "zone is stored (a known time zone)")
    assert codes["300 roles"] is None  # each value is fine: the cap on roles per member refuses it
    assert {why for why, code in codes.items() if code is None} == LET_THROUGH | {"300 roles"}
    assert codes["event start padded"] == ("value", "start: a text of 17 characters is not how an event's start is "
                                           "stored (a date and time like 2026-12-31T18:30)")
    assert codes["occurrence replaced is not a date"][1] == (
        "occurrence it replaces: a text of 12 characters is not how an event's occurrence it replaces is stored "
        "(an iCalendar date)")
    assert codes["phone types for 60 numbers"] == ("value", "phone types: an object is not how a member's phone types "
                                                   "is stored (a label for each of at most 50 entries)")
    assert a.db.execute("SELECT count(*) FROM records WHERE kind = 'member_role'").fetchone()[0] == 0
    # nothing refused is stored, so nothing refused is relayed
    held = {h for (h,) in a.db.execute("SELECT hash FROM changes")}
    assert not held & {cs.hash for why, cs in bad.items() if why not in LET_THROUGH}


def test_refusals_are_counted_per_device_and_reason_never_one_row_each(poisoned):
    a, b, bad, _good = poisoned
    rows = a.db.execute("SELECT count(*) FROM incidents").fetchone()[0]
    assert rows == len({c for c in ("value", "size", "unknown", "clock", "entries")})
    for _ in range(3):  # the same refused changesets, sent again and again
        a.replica.apply(list(bad.values()), source=b.device_id)
    assert a.db.execute("SELECT count(*) FROM incidents").fetchone()[0] == rows
    counts = {i["reason"]: i["count"] for i in a.incidents()}
    assert sum(counts.values()) == 4 * len(set(bad) - LET_THROUGH)
    assert all(i["device"] == {"id": b.device_id, "name": "minutes laptop"} for i in a.incidents())


def test_ten_thousand_refused_changesets_leave_a_handful_of_incident_rows(two_devices):
    a, b = two_devices
    bad_peer = BadPeer(b)
    flood = [bad_peer.sign(new_member({"n": n})) for n in range(10_000)]
    a.replica.apply(flood, source=b.device_id)
    assert a.db.execute("SELECT count(*) FROM incidents").fetchone()[0] == 1
    assert a.incidents()[0]["count"] == 10_000


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "organiser", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env=clean_env(data_dir))


def _record_of(cs: Changeset) -> str:
    return cs.ops[0].record


def test_every_cli_list_and_show_command_works_on_a_database_that_received_them(poisoned, tmp_path):
    a, _b, bad, _good = poisoned
    data_dir = a.path.parents[1]
    ana = next(m for m in a.members.list() if m.name == "Ana")
    series, party = a.events.list()
    task = a.tasks.add("Print flyers", event=party.id)
    for args in (["member", "list"], ["member", "list", "--json"], ["member", "list", "--search", "ana"],
                 ["member", "list", "--search", "ghost"], ["member", "show", ana.id],
                 ["member", "show", ana.id, "--json"], ["event", "list"], ["event", "list", "--json"],
                 ["event", "list", "--search", "hall"], ["event", "show", party.id],
                 ["event", "show", party.id, "--json"], ["event", "show", series.id],
                 ["task", "list"], ["task", "list", "--json"], ["task", "list", "--status", "doing"],
                 ["task", "show", task.id], ["task", "show", task.id, "--json"],
                 ["conflicts"], ["conflicts", "--json"], ["status"], ["status", "--json"],
                 ["export", "--format", "json"], ["export", "--format", "ics"], ["export", "--format", "vcf"],
                 ["export", "--format", "vcf", "--vcard-version", "4.0"], ["export", "--format", "csv"],
                 ["export", "--format", "xlsx", "--out", str(tmp_path / "all.xlsx")]):
        code, _out, err = cli_in_process(data_dir, *args)  # the readers below run as real processes too
        assert code == 0, (args, err)
    listed = json.loads(_cli(data_dir, "event", "list", "--json").stdout)
    assert [e["id"] for e in listed] == [series.id, party.id]  # by start; the one without a start left out
    shown = json.loads(_cli(data_dir, "event", "show", party.id, "--json").stdout)
    assert shown["rsvps"] == []  # the RSVP naming no member is not one
    ics = _cli(data_dir, "export", "--format", "ics").stdout
    assert ics.count("BEGIN:VEVENT") == 2 and ics.count("EXDATE") == 60
    assert "ghost@example.org" not in _cli(data_dir, "export", "--format", "vcf").stdout
    assert (tmp_path / "all.xlsx").stat().st_size > 0
    # what only a later change of has arrived is not there yet, said in one sentence
    for noun, why in (("event", "event with only a location"), ("task", "task with only a status"),
                      ("member", "member with only an email")):
        done = _cli(data_dir, noun, "show", _record_of(bad[why]))
        assert done.returncode == 2 and "Traceback" not in done.stderr, (noun, done.stderr)
        assert "only a later change to it has arrived" in done.stderr
    status = json.loads(_cli(data_dir, "status", "--json").stdout)
    reasons = {(i["device"]["name"], i["reason"]) for i in status["incidents"]}
    assert ("minutes laptop", "clock") in reasons and ("minutes laptop", "value") in reasons
    assert all({"count", "last_at", "message"} <= set(i) for i in status["incidents"])


def test_a_fork_is_set_aside_identically_on_three_devices_whatever_order_they_learn_it(tmp_path):
    a = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    liar = add_device(a, tmp_path / "b", "minutes laptop")
    c = add_device(a, tmp_path / "c", "spare laptop")
    d = add_device(a, tmp_path / "d", "kitchen laptop")
    honest = (a, c, d)
    try:
        ana = a.members.add("Ana")
        liar.members.add("Bruno, before the fork")
        for x in (liar, c, d):
            sync_pair(a, x)
        sync_pair(a, c)
        modified = BadPeer(liar)
        base_seq, base_prev = modified.seq, modified.prev
        left = [modified.sign(new_member("Left")), modified.sign(new_member("Left again"))]
        right = modified.sign(new_member("Right"), seq=base_seq + 1, prev=base_prev)
        a.replica.apply(left)             # a: left first, then right
        c.replica.apply([right])          # c: right first, then left
        d.replica.apply([right, *left])   # d: both at once
        assert {m.name for m in a.members.list()} >= {"Left", "Left again"}
        for device in honest:
            device.members.add(f"After, on {device.device_name}")
        for x, y in ((a, c), (c, d), (a, d), (a, c)):
            _sync_with_proofs(x, y)
        assert len({device.replica.state_hash() for device in honest}) == 1
        names = {m.name for m in c.members.list()}
        assert names == {"Ana", "Bruno, before the fork", "After, on door laptop", "After, on spare laptop",
                         "After, on kitchen laptop"}
        assert ana.id in {m.id for m in d.members.list()}
        for device in honest:
            assert [(i["device"]["id"], i["seq"]) for i in device.incidents() if i["reason"] == "fork"] == \
                [(liar.device_id, base_seq + 1)]
        # the liar's later changesets stay set aside
        later = modified.sign(new_member("Later"))
        assert [r.code for r in a.replica.apply([later]).refused] == ["set-aside"]
    finally:
        for g in (a, liar, c, d):
            g.close()


def test_an_admin_keeping_one_version_shows_the_set_aside_author_again_and_keeps_the_other_as_proof(two_devices):
    from organiser.store import forks

    a, b = two_devices
    ana = a.members.add("Ana")
    sync_pair(a, b)
    modified = BadPeer(b)
    seq, prev = modified.seq + 1, modified.prev
    kept = modified.sign(new_member("Kept branch"))
    other = modified.sign(new_member("Other branch"), seq=seq, prev=prev)
    a.replica.apply([kept, other])
    assert forks.set_aside(a.db) == {b.device_id: seq}
    assert {m.name for m in a.members.list()} == {"Ana"}
    a.forks.keep(f"minutes laptop#{seq}", kept.hash[:10])  # a signed membership entry
    assert forks.set_aside(a.db) == {}
    assert {m.name for m in a.members.list()} == {"Ana", "Kept branch"}
    assert [m.name for m in a.members.list("kept")] == ["Kept branch"]  # in the search index too
    assert a.members.get(ana.id).name == "Ana"
    assert a.db.execute("SELECT hash FROM forks").fetchall() == [(other.hash,)]


def _sync_with_proofs(x: Group, y: Group) -> None:
    """What a sync session does: the changesets each lacks, then the proofs of forks."""
    from organiser.store.forks import proofs_after

    sync_pair(x, y)
    y.replica.apply([_decode(*p) for p in proofs_after(x.db, 0)[1]])
    x.replica.apply([_decode(*p) for p in proofs_after(y.db, 0)[1]])


def _decode(body: bytes, signature: bytes) -> Changeset:
    from organiser.core.changeset import decode_changeset

    return decode_changeset(body, signature)
