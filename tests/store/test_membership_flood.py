"""A member signing membership entries it has no right to. The rules give them no effect; they
are kept (a later promotion of their author can make them count), but storing them must not
make every later batch evaluate them all again (each frame of such a flood cost more than the
one before: 17 frames of 2,000 entries, 77 ms to 622 ms; `python -m tests.perf.entries`)."""

from __future__ import annotations

from organiser.core.changeset import GENESIS, Op, sign_changeset
from organiser.core.membership import ADMIT, DEMOTE, KEEP, MEMBERSHIP_KIND, POLICY, PROMOTE, REMOVE
from organiser.core.records import new_id
from organiser.services.group import Group
from organiser.store.replica import LocalOp
from tests.conftest import sync_pair


def _roster(g: Group) -> dict[str, tuple[bool, bool]]:
    return {d.id: (d.removed, d.admin) for d in g.membership.list()}


def _ignored_entries(a: Group, b: Group, count: int) -> list[LocalOp]:
    """Entries of every action that a plain member `b` may not write: none takes effect."""
    kinds = [(REMOVE, {"device": a.device_id, "kept": 0}), (DEMOTE, {"device": a.device_id, "seen": 0}),
             (PROMOTE, {"device": b.device_id}), (POLICY, {"members_may_invite": True}), (ADMIT, {}),
             (KEEP, {"device": a.device_id, "seq": 1, "hash": "0" * 64})]
    return [LocalOp(MEMBERSHIP_KIND, new_id(), *kinds[i % len(kinds)]) for i in range(count)]


def test_a_members_flood_of_entries_without_right_is_stored_without_evaluating_the_log(three, evaluated):
    a, b, c = three
    before = _roster(a)
    b.replica.commit_batch([_ignored_entries(a, b, 300) for _frame in range(10)])
    for cs in b.replica.changes_since(a.replica.version_vector()):  # one frame at a time
        a.replica.apply([cs])
    assert evaluated == []
    assert _roster(a) == before
    held = a.replica.db.execute("SELECT count(*) FROM membership_log WHERE author = ?", [b.device_id]).fetchone()
    assert held[0] == 3000  # kept: they would count should b be promoted
    a.membership.promote(c.device_id)  # entries that count are evaluated; the flood is not read again
    assert evaluated and max(evaluated) < 20, evaluated
    assert _roster(a)[c.device_id] == (False, True)


def test_a_members_admissions_are_evaluated_once_a_policy_lets_members_invite(three, evaluated):
    a, b, _c = three
    a.membership.set_policy(members_may_invite=True)
    sync_pair(a, b)
    b.admit_device(_new_public_key(), "guest laptop")
    evaluated.clear()
    sync_pair(a, b)
    assert len(evaluated) == 1  # on a, as it stores b's admission
    assert "guest laptop" in {d.name for d in a.membership.list()}


def test_a_members_entries_stored_without_effect_count_once_an_earlier_promotion_arrives(three, tmp_path):
    """a promotes b; before hearing of it, b removes c (as b may, once promoted: its stamp is after
    the promotion). A laptop that stores b's removal first, when it counts for nothing, and the
    promotion after must end where one that stored them the other way round does."""
    from tests.conftest import add_device

    a, b, c = three
    d = add_device(a, tmp_path / "d", "projector laptop")
    e = add_device(a, tmp_path / "e", "welcome desk laptop")
    for x in (b, c, d, e):
        sync_pair(a, x)
    a.membership.promote(b.device_id)
    promotion = a.replica.changes_since(b.replica.version_vector())
    stamp = promotion[-1].hlc
    kept = b.replica.version_vector().get(c.device_id, 0)
    removal = _signed(b, REMOVE, {"device": c.device_id, "kept": kept}, stamp + 1)
    d.replica.apply([removal])  # counts for nothing yet: b is a member here
    assert _roster(d)[c.device_id] == (False, False)
    d.replica.apply(promotion)
    e.replica.apply(promotion)
    e.replica.apply([removal])
    for g in (d, e):
        assert _roster(g)[c.device_id][0], _roster(g)
        assert _roster(g)[b.device_id] == (False, True)


def _signed(g: Group, action: str, value: dict, hlc: int):
    """The next changeset of `g`'s chain holding one entry, stamped `hlc`, signed with its key."""
    seq = g.replica.version_vector().get(g.device_id, 0)
    prev = g.replica.db.execute("SELECT hash FROM changes WHERE author = ? AND seq = ?", [g.device_id, seq]).fetchone()
    return sign_changeset(g.replica._key, g.replica.group_id, g.device_id, seq + 1, prev[0] if prev else GENESIS, hlc,
                          [Op(MEMBERSHIP_KIND, new_id(), action, value)])


def _new_public_key() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from organiser.core.keys import public_key_hex
    return public_key_hex(Ed25519PrivateKey.generate())
