"""A member in bad faith names a device in a membership entry so that other laptops' screens and
terminals show something else: line breaks, control or direction-override characters. Names
typed on a laptop are checked (core/device_name.py); names arriving inside a peer's admission
or founding entry must be checked the same way, before anything is stored."""

from __future__ import annotations

import pytest

from organiser.core.changeset import Op
from organiser.core.membership import ADMIT, FOUND, MEMBERSHIP_KIND
from organiser.core.records import new_id
from tests.bad_peer import BadPeer
from tests.conftest import sync_pair
from tests.store.test_membership_attacks import _new_key, _roster

SPOOFS = {
    "a line break and a fake verification code": ("door laptop\n\nverification code 111 111", "U+000A"),
    "a terminal escape clearing the line": ("minutes laptop\x1b[2K\x1b[1A", "U+001B"),
    "a right-to-left override": ("door laptop\u202e111 111", "U+202E"),
    "Unicode's line separator": ("minutes laptop\u2028admin laptop", "U+2028"),
    "a nul": ("laptop\x00", "U+0000"),
}


def _entry(action: str, value: dict) -> list[Op]:
    return [Op(MEMBERSHIP_KIND, new_id(), action, value)]


def _names(g) -> list[str]:
    return sorted(d.name for d in g.membership.list())


@pytest.mark.parametrize("case", sorted(SPOOFS))
def test_a_members_admission_naming_a_device_with_odd_characters_is_refused_and_changes_nothing(two_devices, case):
    a, b = two_devices
    a.membership.set_policy(members_may_invite=True)  # b, a member, may admit devices
    sync_pair(a, b)
    name, code_point = SPOOFS[case]
    key, _device = _new_key()
    admission = BadPeer(b).sign(_entry(ADMIT, {"device": _device, "public_key": key, "name": name, "invite": ""}))
    before = (_roster(a), _names(a), a.replica.version_vector(), a.replica.state_hash())

    result = a.replica.apply([admission], source=b.device_id)

    assert result.applied == 0
    [refusal] = result.refused
    assert refusal.reason == ("admit: the laptop's name must be one line of text, without control or "
                              f"text-direction characters (it holds {code_point})")
    assert (_roster(a), _names(a), a.replica.version_vector(), a.replica.state_hash()) == before
    assert a.db.execute("SELECT count(*) FROM membership_log WHERE action = 'admit' AND author = ?",
                        [b.device_id]).fetchone() == (0,)
    assert [i["device"]["id"] for i in a.incidents()] == [b.device_id], "the refusal is reported on a"


def test_an_admins_admission_with_a_name_over_200_characters_is_refused(two_devices):
    a, b = two_devices
    a.membership.promote(b.device_id)
    sync_pair(a, b)
    key, device = _new_key()
    admission = BadPeer(b).sign(_entry(ADMIT, {"device": device, "public_key": key, "name": "x" * 201}))

    result = a.replica.apply([admission], source=b.device_id)

    assert result.applied == 0
    assert [r.reason for r in result.refused] == ["admit: the laptop's name must be at most 200 characters"]
    assert device not in _roster(a)


def test_a_founding_entry_renaming_the_founder_with_a_line_break_shows_it_as_its_code(two_devices):
    """The founder's entries are taken in (its first changeset starts every member's discovery
    key, and one written before names were checked must reach newcomers), its name shown as
    one line with the break as its code."""
    a, b = two_devices
    renaming = BadPeer(a).sign(_entry(FOUND, {"name": "door laptop\nminutes laptop (admin)"}))

    result = b.replica.apply([renaming], source=a.device_id)

    assert result.refused == []
    assert _names(b) == ["door laptop\\nminutes laptop (admin)", "minutes laptop"]


def test_an_admission_stored_before_names_were_checked_shows_the_name_on_one_line(two_devices):
    from organiser.store import membership

    a, b = two_devices
    a.membership.set_policy(members_may_invite=True)
    sync_pair(a, b)
    key, device = _new_key()
    admission = BadPeer(b).sign(_entry(ADMIT, {"device": device, "public_key": key, "invite": "",
                                               "name": "door laptop\u202e111 111\n(admin)"}))
    with a.db.atomic():  # as an earlier version stored it
        membership.note_entries(a.db, [admission])

    assert "door laptop\\u202e111 111\\n(admin)" in _names(a)


@pytest.mark.parametrize("name", ["Café laptop 😀", "حاسوب محمد", "Łukasz's ThinkPad"])
def test_an_admission_naming_a_device_in_any_script_is_let_through(two_devices, name):
    a, b = two_devices
    a.membership.set_policy(members_may_invite=True)
    sync_pair(a, b)
    key, device = _new_key()
    admission = BadPeer(b).sign(_entry(ADMIT, {"device": device, "public_key": key, "name": name, "invite": ""}))

    result = a.replica.apply([admission], source=b.device_id)

    assert (result.applied, result.refused) == (1, [])
    assert name in _names(a)


# ---- the admitted laptop's key ------------------------------------------------------------------

def _key_of_31_bytes() -> tuple[str, str]:
    """64 characters that `bytes.fromhex` reads (it skips spaces) as 31 bytes: an id can be made
    from them, but no Ed25519 key."""
    from organiser.core.keys import device_id_for

    text = "ab" * 31 + "  "
    return text, device_id_for(text)


def test_an_admission_of_a_key_that_is_not_32_bytes_is_refused_and_changes_nothing(two_devices):
    a, b = two_devices
    a.membership.set_policy(members_may_invite=True)
    sync_pair(a, b)
    text, device = _key_of_31_bytes()
    admission = BadPeer(b).sign(_entry(ADMIT, {"device": device, "public_key": text, "name": "guest", "invite": ""}))
    before = (_roster(a), a.replica.version_vector(), a.replica.state_hash())

    result = a.replica.apply([admission], source=b.device_id)

    assert result.applied == 0
    assert [r.reason for r in result.refused] == [
        "admit: the admitted laptop's key must be 64 hex digits (an Ed25519 public key)"]
    assert (_roster(a), a.replica.version_vector(), a.replica.state_hash()) == before


def test_a_batch_naming_a_device_admitted_with_a_key_of_31_bytes_still_applies_its_honest_changesets(two_devices):
    """Stored, such an admission made every later batch naming the device as author raise ValueError
    ("An Ed25519 public key is 32 bytes long") on the receiving laptop, and the honest changesets
    in the batch (a combined apply holds other links' too) were lost with it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from organiser.core.changeset import GENESIS, sign_changeset

    a, b = two_devices
    a.membership.set_policy(members_may_invite=True)
    sync_pair(a, b)
    text, device = _key_of_31_bytes()
    a.replica.apply([BadPeer(b).sign(_entry(ADMIT, {"device": device, "public_key": text, "name": "guest"}))],
                    source=b.device_id)
    as_the_device = sign_changeset(Ed25519PrivateKey.generate(), a.id, device, 1, GENESIS, a.replica.clock.now(),
                                   [Op("member", new_id(), "name", "Ana")])
    honest = BadPeer(b).sign([Op("member", new_id(), "name", "Bea")])
    result = a.replica.apply([as_the_device, honest], source=b.device_id)
    assert result.applied == 1 and [r.author for r in result.refused] == [device]


def test_a_laptop_that_stored_such_an_admission_before_goes_on_applying_honest_changesets(two_devices):
    """An earlier version stored admissions of keys of 31 bytes: the roster it wrote still names
    the device, and a batch naming it as author must not raise there either."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from organiser.core.changeset import GENESIS, sign_changeset

    a, b = two_devices
    text, device = _key_of_31_bytes()
    with a.db.atomic():  # the roster row the earlier version's evaluation wrote
        a.db.execute("INSERT INTO devices (id, public_key, name, admitted_by, invite, admin, rank) "
                     "VALUES (?, ?, 'guest', ?, '', 0, 9)", [device, text, b.device_id])
    a.replica.forget_roster()
    as_the_device = sign_changeset(Ed25519PrivateKey.generate(), a.id, device, 1, GENESIS, a.replica.clock.now(),
                                   [Op("member", new_id(), "name", "Ana")])

    result = a.replica.apply([as_the_device, BadPeer(b).sign([Op("member", new_id(), "name", "Bea")])],
                             source=b.device_id)

    assert result.applied == 1 and [r.author for r in result.refused] == [device]
