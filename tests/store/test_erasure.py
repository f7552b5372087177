"""Forgetting a member, on every laptop: what goes, and what the rules refuse (docs/erasure.md).

Written as the attacker where there is one: a member forging an order, a peer sending stubs no
order vouches for, a member writing the forgotten phone number back; and as the seizer of a
laptop, who searches the database file's raw bytes."""

from __future__ import annotations

from pathlib import Path

from organiser.core.changeset import GENESIS, Changeset, Op, decode_changeset, sign_changeset
from organiser.core.erasure import ERASURE_KIND, ORDER_FIELD, Listed, Order, stub_hash, stub_of
from organiser.core.errors import NotFoundError, ValidationError
from organiser.core.records import new_id
from organiser.services.group import Group, create_group
from organiser.store.replica import LocalOp
from organiser.sync import outbox
from tests.conftest import add_device, sync_pair

PHONE = "+44 7700 900123"
NAME = "Zofia Quisling"
NOTES = "lives above the bakery on Marsh Lane"
SECRETS = (PHONE, NAME, NOTES, "Quisling", "quisling", "900123", "bakery")

import pytest  # noqa: E402


def _file_bytes(group: Group) -> bytes:
    """Everything a seizer of the laptop finds of the database: the file, its log, its shared memory."""
    path = Path(group.replica.database_path())
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


def _found(group: Group) -> list[str]:
    raw = _file_bytes(group)
    return [s for s in SECRETS if s.encode() in raw]


def _member(group: Group) -> str:
    member = group.members.add(NAME, phones=[PHONE], notes=NOTES, roles=["medic"], skills=["legal observer"])
    group.members.edit(member.id, phones=[PHONE, "+44 7700 900456"])
    group.members.add("Ana Ortiz", phones=["+44 7700 900999"])
    return member.id


def _values_in_log(group: Group) -> list[str]:
    bodies = b"".join(bytes(b) for (b,) in group.db.execute("SELECT body FROM changes"))
    return [s for s in SECRETS if s.encode() in bodies]


@pytest.fixture
def room(tmp_path):
    """An admin's laptop, a member's laptop, both holding the member to forget."""
    admin = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    member_laptop = add_device(admin, tmp_path / "b", "minutes laptop")
    forgotten = _member(admin)
    sync_pair(admin, member_laptop)
    yield admin, member_laptop, forgotten, tmp_path
    admin.close()
    member_laptop.close()


def test_forgetting_erases_the_member_from_log_records_search_and_file(room):
    admin, _b, member, _tmp = room
    assert _found(admin)  # the test can fail: the values are there before
    done = admin.forgetting.forget(member)
    assert done.records == 3 and done.changesets == 2
    assert _values_in_log(admin) == []
    assert admin.members.list(search="Quisling") == [] and admin.members.list(search="900123") == []
    assert [m.name for m in admin.members.list()] == ["Ana Ortiz"]
    assert admin.db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert _found(admin) == []


def test_a_laptop_holding_the_originals_erases_them_when_it_hears(room):
    admin, laptop, member, _tmp = room
    admin.forgetting.forget(member)
    sync_pair(admin, laptop)
    assert _values_in_log(laptop) == [] and _found(laptop) == []
    assert laptop.forgetting.is_forgotten(member)
    assert laptop.replica.state_hash() == admin.replica.state_hash()
    # the chains still hold: the member's laptop can write, and the admin takes it
    laptop.members.add("Bea Lin")
    sync_pair(admin, laptop)
    assert laptop.replica.state_hash() == admin.replica.state_hash()
    assert "Bea Lin" in [m.name for m in admin.members.list()]


def test_a_laptop_off_during_the_erasure_hears_it_from_another_member(room):
    admin, laptop, member, tmp = room
    off = add_device(admin, tmp / "c", "spare laptop")
    sync_pair(admin, off)
    sync_pair(laptop, off)
    assert _values_in_log(off)  # it holds the originals
    admin.forgetting.forget(member)
    sync_pair(admin, laptop)
    sync_pair(laptop, off)  # from the member's laptop, not the admin's
    assert _values_in_log(off) == [] and _found(off) == []
    assert off.replica.state_hash() == admin.replica.state_hash()
    off.close()


def test_a_laptop_joining_later_gets_stubs_one_by_one_in_arrival_order_and_never_the_values(room):
    admin, laptop, member, tmp = room
    admin.forgetting.forget(member)
    sync_pair(admin, laptop)
    newcomer = add_device(admin, tmp / "d", "new laptop")
    # as the sync sends them: the member's laptop's change log in arrival order, one at a time
    after, received = 0, 0
    while True:
        after, page = outbox.missing(laptop.db, newcomer.replica.version_vector(), after, limit=1)
        if not page:
            break
        for item in page:
            result = newcomer.replica.apply([decode_changeset(item.body, item.signature)])
            assert result.refused == []
            received += 1
    sync_pair(admin, newcomer)
    assert received > 5
    assert _values_in_log(newcomer) == [] and _found(newcomer) == []
    assert newcomer.replica.state_hash() == admin.replica.state_hash()
    assert newcomer.replica.version_vector() == admin.replica.version_vector()
    newcomer.close()


def test_a_member_forging_an_order_is_refused_and_nothing_changes(room):
    admin, laptop, member, _tmp = room
    with pytest.raises(ValidationError, match="only an admin"):
        laptop.forgetting.forget(member)
    # the service refuses; a member in bad faith signs the order itself
    order = Order((member,), ())
    laptop.replica.commit([LocalOp(ERASURE_KIND, new_id(), ORDER_FIELD, order.to_value())])
    before = admin.replica.state_hash()
    result = admin.replica.apply(laptop.replica.changes_since(admin.replica.version_vector()))
    assert [r.reason for r in result.refused] == ["it orders a member forgotten, and only an admin may"]
    assert admin.replica.state_hash() == before
    assert not admin.forgetting.is_forgotten(member) and _values_in_log(admin)


def _stubbed(original: Changeset, records: set[str]) -> Changeset:
    return decode_changeset(stub_of(original.body, records), original.signature)


def _first_of_member(group: Group, member: str) -> Changeset:
    body, sig = group.db.execute("SELECT body, signature FROM changes WHERE instr(body, ?) ORDER BY id LIMIT 1",
                                 [PHONE]).fetchone()
    return decode_changeset(bytes(body), bytes(sig))


def test_a_stub_without_an_order_is_refused(room, tmp_path):
    admin, _laptop, member, _tmp = room
    original = _first_of_member(admin, member)
    fresh = add_device(admin, tmp_path / "e", "fresh laptop")
    result = fresh.replica.apply([_stubbed(original, {member})])
    assert [r.code for r in result.refused] == ["signature"]
    # and a laptop holding the original keeps it
    result = admin.replica.apply([_stubbed(original, {member})])
    assert result.refused and PHONE in _values_in_log(admin)
    fresh.close()


def test_a_stub_whose_bytes_the_order_does_not_name_is_refused(room, tmp_path):
    admin, laptop, member, _tmp = room
    original = _first_of_member(admin, member)
    admin.forgetting.forget(member)
    fresh = add_device(admin, tmp_path / "e", "fresh laptop")
    order = [cs for cs in admin.replica.changes_since({}) if any(op.kind == ERASURE_KIND for op in cs.ops)]
    fresh.replica.apply(order)
    assert fresh.forgetting.is_forgotten(member)
    # a peer in bad faith sends a "stub" that changes another value: the order's hash does not match
    forged = stub_of(original.body, {member}).replace(b'"medic"', b'"spy"')
    assert b'"spy"' in forged or forged.count(b"null")
    result = fresh.replica.apply([decode_changeset(forged, original.signature)])
    assert [r.code for r in result.refused] == ["signature"]
    assert fresh.db.execute("SELECT count(*) FROM changes WHERE author = ? AND seq = ?",
                            [original.author, original.seq]).fetchone()[0] == 0
    fresh.close()


def test_a_member_writing_the_forgotten_phone_back_is_refused_or_kept_blank(room):
    """Refused by a laptop that is no admin's; an admin's laptop orders its stub (store/late_edits.py:
    an honest laptop that had not heard of the order writes the same), so the value never stays."""
    admin, laptop, member, tmp = room
    other = add_device(admin, tmp / "c", "spare laptop")
    admin.forgetting.forget(member)
    sync_pair(admin, laptop)
    with pytest.raises(NotFoundError):
        laptop.members.edit(member, phones=[PHONE])
    with pytest.raises(ValidationError, match="forgotten"):
        laptop.members.restore(member)
    # in bad faith, past the service and the replica: a signed write under the forgotten id
    r = laptop.replica
    seq = r.version_vector().get(r.device_id, 0)
    prev = r.hash_at(r.device_id, seq) if seq else GENESIS
    bad = sign_changeset(r.key(), r.group_id, r.device_id, seq + 1, prev, r.clock.now(),
                         [Op("member", member, "phones", [PHONE])])
    sync_pair(admin, other)
    result = other.replica.apply([bad])
    assert [r.reason for r in result.refused] == ["it writes a member the group has forgotten"]
    assert _values_in_log(other) == [] and _found(other) == []
    assert admin.replica.apply([bad]).refused == []
    assert _values_in_log(admin) == [] and _found(admin) == []
    assert [m.name for m in admin.members.list()] == ["Ana Ortiz"] and admin.forgetting.is_forgotten(member)
    other.close()


def test_an_order_listing_a_changeset_under_a_wrong_hash_erases_nothing_it_does_not_hold(room):
    """An order is applied as its admin signed it; a listed hash this laptop does not hold
    vouches for nothing here (a stub must match the chain's hash too)."""
    admin, laptop, member, _tmp = room
    original = _first_of_member(admin, member)
    bogus = Listed(original.author, original.seq, "0" * 64, stub_hash(stub_of(original.body, {member})))
    admin.replica.commit([LocalOp(ERASURE_KIND, new_id(), ORDER_FIELD, Order((new_id(),), (bogus,)).to_value())])
    sync_pair(admin, laptop)
    assert PHONE in _values_in_log(laptop)


def test_a_group_made_before_m024_opens_and_forgets_its_member(tmp_path):
    from sqlite_utils import Database

    from organiser.services.group import open_group

    admin = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    member = _member(admin)
    path = admin.replica.database_path()
    admin.close()
    old = Database(path)  # back to the schema before m024: its tables gone, not marked applied
    old.executescript("DROP TABLE erasure_orders; DROP TABLE erasure_listed; "
                      "DELETE FROM _sqlite_migrations WHERE name = 'm024_erasure';")
    old.close()
    admin = open_group(tmp_path / "a")  # runs m024
    assert not admin.forgetting.is_forgotten(member)
    admin.forgetting.forget(member)
    assert _values_in_log(admin) == [] and _found(admin) == []
    admin.close()


def test_a_removal_that_merges_a_forgotten_member_again_leaves_them_blank_and_deleted(room):
    """A removal taking back what a laptop wrote merges the records it touched again from the stubs."""
    from datetime import UTC, datetime

    admin, laptop, member, _tmp = room
    since = datetime.now(UTC)
    laptop.members.edit(member, notes="moved to the flat above the bakery")
    sync_pair(admin, laptop)
    admin.forgetting.forget(member)
    admin.membership.remove(laptop.device_id, undo_since=since)
    row = admin.db.execute("SELECT data, deleted FROM records WHERE id = ?", [member]).fetchone()
    assert row[1] == 1 and "null" in row[0] and "Quisling" not in row[0]
    assert [m.name for m in admin.members.list()] == ["Ana Ortiz"]
    assert _values_in_log(admin) == [] and _found(admin) == []


def test_the_history_says_what_an_order_forgot_and_shows_no_erased_value(room):
    admin, _laptop, member, _tmp = room
    admin.forgetting.forget(member)
    lines = [w.line() for w in admin.history.by_device(admin.replica.device_id)]
    assert any("erasure" in line and "forgot 3 record(s), erasing 2 change(s) everywhere" in line for line in lines)
    assert not [line for line in lines if any(s in line for s in SECRETS)]


def test_a_backup_written_after_forgetting_restores_without_the_values(room, tmp_path):
    from organiser.formats.backup import write_backup
    from organiser.services.backup import build_backup, restore_backup

    admin, _laptop, member, _tmp = room
    admin.forgetting.forget(member)
    data = write_backup(build_backup(admin))
    assert not [s for s in SECRETS if s.encode() in data]
    restored = restore_backup(tmp_path / "restored", data, "backup.json")
    assert restored.replica.state_hash() == admin.replica.state_hash()
    assert restored.forgetting.is_forgotten(member) and _found(restored) == []
    restored.close()
