"""A stub against the tie rule (core/merge.py `_tie`): two writes under one version, the greater by
its canonical JSON wins. A stub writes null under the very version of the original it stands for,
and "null" is smaller than `true` and than any object ({"+44 7700 900123": ["cell"]}): were the
stub and its original ever merged against each other, the original would win and the forgotten
member's phone number would stay on that laptop. Every laptop must end blank, whatever it heard
first: the originals, the order, the stubs, or all in one batch either way round; also when the
member's laptop had signed two of the writes under one clock stamp (a tie of its own).
docs/erasure.md."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from organiser.core.changeset import Op
from organiser.core.erasure import ERASURE_KIND
from organiser.core.records import new_id
from organiser.services.group import Group, create_group
from tests.bad_peer import BadPeer
from tests.conftest import add_device, sync_all, sync_pair

PHONE = "+44 7700 900123"
OTHER_PHONE = "+44 7700 900456"
SECRETS = (PHONE, OTHER_PHONE, "Quisling", "7700 900")


def _originals(member_laptop: Group, member: str) -> None:
    """The member as the member's laptop wrote them: text, true, and objects holding the phone
    (values whose canonical JSON is greater than null, and smaller), then two writes of the
    same fields signed under one clock stamp."""
    peer = BadPeer(member_laptop)
    created = peer.sign([Op("member", member, "name", "Zofia Quisling"), Op("member", member, "phones", [PHONE]),
                         Op("member", member, "consent_email", True), Op("member", member, "consent_phone", True),
                         Op("member", member, "phone_types", {PHONE: ["cell"]}),
                         Op("member", member, "notes", "lives above the bakery, 7700 900123")])
    stamp = member_laptop.replica.clock.now()
    one = peer.sign([Op("member", member, "phones", [PHONE, OTHER_PHONE]),
                     Op("member", member, "email_types", {"zq@example.org": ["home"]}),
                     Op("member", member, "phone_types", {OTHER_PHONE: ["work"]})], hlc=stamp)
    two = peer.sign([Op("member", member, "phones", [OTHER_PHONE]),
                     Op("member", member, "phone_types", {OTHER_PHONE: ["cell", "work"]})], hlc=stamp)
    member_laptop.replica.apply([created, one, two], source=member_laptop.device_id)


def _own(group: Group, author: str, only: Callable[[object], bool] = lambda cs: True) -> list:
    return [cs for cs in group.replica.changes_since({}) if cs.author == author and only(cs)]


def _is_order(cs: object) -> bool:
    return any(op[0] == ERASURE_KIND for op in cs.ops)  # type: ignore[attr-defined]


def _left_of(group: Group, member: str) -> list[str]:
    """What of the member the laptop still holds anywhere a reader or a seizer looks."""
    found = []
    data = group.db.execute("SELECT data FROM records WHERE id = ?", [member]).fetchone()
    if data is not None and any(v is not None for v in json.loads(data[0]).values()):
        found.append(f"record {data[0]}")
    for (value,) in group.db.execute("SELECT value FROM conflicts WHERE record = ?", [member]):
        if value not in (None, "null"):
            found.append(f"conflict {value}")
    path = Path(group.replica.database_path())
    raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    found += [f"file holds {s!r}" for s in SECRETS if s.encode() in raw]
    return found


ARRIVALS = ("originals, then the order", "the order with the stubs", "the order, then the originals",
            "one batch: originals, order", "one batch: order, originals")


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_stub_erases_on_a_laptop_whatever_it_heard_first(tmp_path: Path, arrival: str) -> None:
    admin = create_group(tmp_path / "a", "Tenants Union", "door laptop")
    member_laptop = add_device(admin, tmp_path / "b", "minutes laptop")
    late = add_device(admin, tmp_path / "c", "spare laptop")
    sync_all([admin, member_laptop, late])
    member = new_id()
    _originals(member_laptop, member)
    sync_pair(admin, member_laptop)
    if arrival == "originals, then the order":
        sync_pair(member_laptop, late)
    assert _left_of(admin, member)  # the test can fail: the values are there before

    admin.forgetting.forget(member)
    order = _own(admin, admin.device_id, _is_order)
    originals = _own(member_laptop, member_laptop.device_id)
    if arrival in ("originals, then the order", "the order with the stubs"):
        sync_pair(admin, late)
    elif arrival == "the order, then the originals":
        late.replica.apply(_own(admin, admin.device_id), source=admin.device_id)
        late.replica.apply(originals, source=member_laptop.device_id)
    else:
        batch = [*originals, *order] if arrival == "one batch: originals, order" else [*order, *originals]
        late.replica.apply([*_own(admin, admin.device_id, lambda cs: not _is_order(cs)), *batch])

    assert _left_of(late, member) == []
    assert late.forgetting.is_forgotten(member)
    sync_all([admin, member_laptop, late], rounds=2)
    for name, laptop in (("admin", admin), ("member's", member_laptop), ("late", late)):
        assert _left_of(laptop, member) == [], name
    assert admin.replica.state_hash() == member_laptop.replica.state_hash() == late.replica.state_hash()
    for laptop in (admin, member_laptop, late):
        laptop.close()
