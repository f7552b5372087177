"""Changesets a peer must refuse, with a clear reason, while the good ones still apply."""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from organiser.core.bus import ChangesetRefused, ClockWarning
from organiser.core.changeset import GENESIS, Changeset, Op, decode_changeset, sign_changeset
from organiser.core.hlc import HybridClock, make_stamp
from organiser.core.keys import device_id_for, public_key_hex
from organiser.services.group import create_group
from tests.conftest import sync_pair


def fresh_from(a, b) -> list[Changeset]:
    return a.replica.changes_since(b.replica.version_vector())


def refusals(result) -> dict[int, str]:
    return {r.seq: r.reason for r in result.refused}


def listen(group) -> list:
    heard: list = []
    group.bus.subscribe(ChangesetRefused, heard.append)
    return heard


def test_a_tampered_body_is_refused_and_the_good_changesets_around_it_apply(two_devices):
    a, b = two_devices
    ana, bruno, chen = (a.members.add(n) for n in ("Ana", "Bruno", "Chen"))
    first, middle, last = fresh_from(a, b)
    forged = decode_changeset(middle.body.replace(b"Bruno", b"Brutus"), middle.signature)
    heard = listen(b)
    result = b.replica.apply([first, forged, last])
    assert refusals(result) == {middle.seq: "its signature does not match its author's key"}
    assert result.applied == 2
    assert {m.name for m in b.members.list()} == {"Ana", "Chen"}
    assert [(e.author, e.seq) for e in heard] == [(a.device_id, middle.seq)]
    assert b.incidents()[0]["reason"] == "signature"
    assert "signature" in b.incidents()[0]["detail"]
    # the real one still gets in later, and nothing of the forgery remains
    b.replica.apply(fresh_from(a, b))
    assert b.members.get(bruno.id).name == "Bruno"
    assert b.replica.state_hash() == a.replica.state_hash()
    del ana, chen


def test_a_signature_from_another_key_is_refused(two_devices):
    a, b = two_devices
    a.members.add("Ana")
    (real,) = fresh_from(a, b)
    stranger = Ed25519PrivateKey.generate()
    forged = decode_changeset(real.body, stranger.sign(real.body))
    result = b.replica.apply([forged])
    assert refusals(result) == {real.seq: "its signature does not match its author's key"}
    assert b.members.list() == []


def test_a_device_that_was_never_admitted_is_refused(two_devices):
    a, b = two_devices
    outsider_key = Ed25519PrivateKey.generate()
    outsider = device_id_for(public_key_hex(outsider_key))
    intrusion = sign_changeset(outsider_key, a.id, outsider, 1, GENESIS, a.replica.clock.now(),
                               [Op("member", secrets.token_hex(16), "name", "Mallory")])
    a.members.add("Ana")
    result = b.replica.apply([intrusion, *fresh_from(a, b)])
    assert [(r.author, r.reason) for r in result.refused] == \
        [(outsider, "its author is not a laptop of this group")]
    assert [m.name for m in b.members.list()] == ["Ana"]
    assert outsider not in b.replica.version_vector()


def test_a_forged_previous_hash_is_refused_as_a_broken_chain(two_devices):
    a, b = two_devices
    a.members.add("Ana")
    good = fresh_from(a, b)
    seq = a.replica.version_vector()[a.device_id] + 1
    forged = sign_changeset(a.private_key(), a.id, a.device_id, seq, "e" * 64, a.replica.clock.now(),
                            [Op("member", secrets.token_hex(16), "name", "Forked")])
    result = b.replica.apply([*good, forged])
    assert refusals(result) == {seq: "it does not link to its predecessor (broken hash chain)"}
    assert [m.name for m in b.members.list()] == ["Ana"]


def test_a_second_signed_changeset_with_a_held_number_is_kept_as_proof_and_sets_its_author_aside(two_devices):
    a, b = two_devices
    a.members.add("Ana")
    (real,) = fresh_from(a, b)
    b.replica.apply([real])
    fork = sign_changeset(a.private_key(), a.id, a.device_id, real.seq, real.prev, real.hlc + 1,
                          [Op("member", secrets.token_hex(16), "name", "Fork")])
    result = b.replica.apply([fork])
    assert result.refused == [] and result.applied == 0
    assert [m.name for m in b.members.list()] == []  # Ana came with the forked number: set aside
    assert [(i["device"]["id"], i["reason"], i["seq"]) for i in b.incidents()] == [(a.device_id, "fork", real.seq)]


def test_a_changeset_from_another_group_is_refused_and_the_good_ones_apply(two_devices, tmp_path):
    a, b = two_devices
    other = create_group(tmp_path / "other", "Book club", "laptop")
    try:
        other.members.add("Outsider")
        a.members.add("Ana")
        result = b.replica.apply([*other.replica.changes_since({}), *fresh_from(a, b)])
        assert {r.reason for r in result.refused} == {"it belongs to another group"}
        assert len(result.refused) == len(other.replica.changes_since({}))
        assert [m.name for m in b.members.list()] == ["Ana"]
    finally:
        other.close()


def test_a_clock_more_than_a_day_ahead_is_refused_and_reported_and_cannot_stop_anyone(two_devices):
    a, b = two_devices
    ana = a.members.add("Ana")
    sync_pair(a, b)
    year_ahead = 365 * 24 * 3600 * 1000
    b.replica.clock = HybridClock(a.replica.clock.last, wall_ms=lambda: _wall_ms() + year_ahead)
    b.members.edit(ana.id, name="Ana (from the future)")
    result = a.replica.apply(fresh_from(b, a))
    assert [r.code for r in result.refused] == ["clock"]
    assert a.members.get(ana.id).name == "Ana"  # refused...
    (incident,) = [i for i in a.incidents() if i["reason"] == "clock"]
    assert incident["device"]["id"] == b.device_id                  # ...and reported
    assert incident["message"] == "'minutes laptop' sends changes from 1 year in the future: check its clock."
    assert a.replica.clock.last < make_stamp(_wall_ms() + 60_000)   # never absorbed
    # later edits on a correct clock still travel, both ways
    bruno = a.members.add("Bruno")
    sync_pair(a, b)
    assert b.members.get(bruno.id).name == "Bruno"
    chen = b.members.add("Chen")  # still a year ahead: refused too, and counted on the same row
    sync_pair(a, b)
    assert [i["count"] for i in a.incidents() if i["reason"] == "clock"] == [4]
    assert chen.id not in {m.id for m in a.members.list()}


def test_a_clock_hours_ahead_is_absorbed_and_reported_and_cannot_lock_a_field(two_devices):
    a, b = two_devices
    ana = a.members.add("Ana")
    sync_pair(a, b)
    hours_ahead = 5 * 3600 * 1000
    b.replica.clock = HybridClock(a.replica.clock.last, wall_ms=lambda: _wall_ms() + hours_ahead)
    b.members.edit(ana.id, name="Ana (from later today)")
    warnings: list[ClockWarning] = []
    a.bus.subscribe(ClockWarning, warnings.append)
    a.replica.apply(fresh_from(b, a))
    assert a.members.get(ana.id).name == "Ana (from later today)"  # accepted...
    assert [w.device for w in warnings] == [b.device_id]            # ...but reported
    assert any(i["reason"] == "clock-drift" and i["device"]["id"] == b.device_id for i in a.incidents())
    a.members.edit(ana.id, name="Ana López")
    sync_pair(a, b)
    assert a.members.get(ana.id).name == b.members.get(ana.id).name == "Ana López"
    assert a.replica.clock.last > make_stamp(_wall_ms() + hours_ahead - 60_000)


def _wall_ms() -> int:
    import time

    return time.time_ns() // 1_000_000


def test_a_far_future_stamp_is_remembered_across_a_restart_so_the_next_edit_still_wins(tmp_path):
    from organiser.services.group import open_group
    from tests.conftest import add_device

    a = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    b = add_device(a, tmp_path / "b", "skewed laptop")
    try:
        sync_pair(a, b)
        ana = a.members.add("Ana")
        sync_pair(a, b)
        b.replica.clock = HybridClock(b.replica.clock.last, wall_ms=lambda: _wall_ms() + 20 * 3600 * 1000)
        b.members.edit(ana.id, name="Ana (20 hours ahead)")
        sync_pair(a, b)
    finally:
        a.close()
    again = open_group(tmp_path / "a")  # the app restarted: its clock comes back from the database
    try:
        again.members.edit(ana.id, name="Ana López")
        sync_pair(again, b)
        assert b.members.get(ana.id).name == again.members.get(ana.id).name == "Ana López"
    finally:
        again.close()
        b.close()
